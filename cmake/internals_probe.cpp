// C1 configure-time probe: instantiates every Asio internal that the
// coroutine backends use, with the macros the build passes (the user's).
// Built without co_await (ASIO_DISABLE_CO_AWAIT or BOOST_ASIO_DISABLE_CO_AWAIT)
// there are no backends, so there is nothing to check.
#include <asio_shield.hpp>

int main()
{
#if defined(ASIO_SHIELD_HAS_CO_AWAIT)
    asio_shield::detail::internals_selftest<asio_shield::net::any_io_executor>();
#endif
#if defined(ASIO_SHIELD_HAS_CO_COMPOSED)
    asio_shield::detail::co_composed_selftest();
#endif
    return 0;
}
