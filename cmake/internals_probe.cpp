// C1 configure-time probe: instantiates every Asio internal asio_shield uses.
#include <asio_shield/detail/awaitable_internals.hpp>

#define ASIO_SHIELD_STR2(x) #x
#define ASIO_SHIELD_STR(x) ASIO_SHIELD_STR2(x)
#pragma message("ASIO_SHIELD_PROBE_VERSION=" ASIO_SHIELD_STR(ASIO_SHIELD_NET_VERSION))

int main()
{
    asio_shield::detail::internals_selftest<asio_shield::net::any_io_executor>();
    return 0;
}
