//
// asio_shield/detail/backends.hpp
//
// The coroutine backends, one per coroutine kind, each in detail/backend/ and
// each the only code that knows its coroutine's internals (docs/internals.md).
// A backend supplies the coroutine's cancellation state to the guard, the
// unchecked-await hook, and registers S3 for its own result types through
// detail::shield_result. With co_await disabled (ASIO_DISABLE_CO_AWAIT /
// BOOST_ASIO_DISABLE_CO_AWAIT) there are none, and shield, shield_for and
// slot_guard need nothing else (C3).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_BACKENDS_HPP
#define ASIO_SHIELD_DETAIL_BACKENDS_HPP

#include <asio_shield/config.hpp>

#if defined(ASIO_SHIELD_HAS_CO_AWAIT)
#include <asio_shield/detail/backend/awaitable.hpp>
#endif

#if defined(ASIO_SHIELD_HAS_CO_COMPOSED)
#include <asio_shield/detail/backend/co_composed.hpp>
#endif

#endif // ASIO_SHIELD_DETAIL_BACKENDS_HPP
