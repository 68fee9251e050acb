// C1 configure-time probe: instantiates every Asio internal asio_shield uses.
#include <asio_shield/detail/awaitable_internals.hpp>

int main()
{
    asio_shield::detail::internals_selftest<asio_shield::net::any_io_executor>();
    return 0;
}
