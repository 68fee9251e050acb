// C1 configure-time probe: instantiates every Asio internal that the
// registered coroutine backends use (each backend's probe list), with the
// macros the build passes (the user's). Built without co_await
// (ASIO_DISABLE_CO_AWAIT or BOOST_ASIO_DISABLE_CO_AWAIT) no backend is active,
// so there is nothing to check.
#include <asio_shield.hpp>

int main()
{
    asio_shield::detail::backend_selftests();
    return 0;
}
