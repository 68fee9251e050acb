// C1 configure-time probe: instantiates every Asio internal asio_shield uses.
// Built without co_await (the user's ASIO_DISABLE_CO_AWAIT or
// BOOST_ASIO_DISABLE_CO_AWAIT), the coroutine internals are never used, so
// there is nothing to check.
#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)
#include <asio_shield/detail/awaitable_internals.hpp>
#endif

int main()
{
#if defined(ASIO_SHIELD_HAS_CO_AWAIT)
    asio_shield::detail::internals_selftest<asio_shield::net::any_io_executor>();
#endif
    return 0;
}
