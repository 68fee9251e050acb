//
// asio_shield/detail/backends.hpp
//
// The registry of coroutine backends: one line per coroutine kind. Each
// backend (detail/backend/) is the only code that knows its coroutine's
// internals (docs/internals.md), gates itself on the Asio releases and
// configurations that have its kind, and fills the points of
// detail/coroutine_backend.hpp. With co_await disabled (ASIO_DISABLE_CO_AWAIT /
// BOOST_ASIO_DISABLE_CO_AWAIT) none is active, and shield, shield_for and
// slot_guard need nothing else (C3).
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_DETAIL_BACKENDS_HPP
#define ASIO_SHIELD_DETAIL_BACKENDS_HPP

#include <asio_shield/detail/backend/awaitable.hpp>
#include <asio_shield/detail/backend/co_composed.hpp>

#endif // ASIO_SHIELD_DETAIL_BACKENDS_HPP
