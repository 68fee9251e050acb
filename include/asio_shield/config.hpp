//
// asio_shield/config.hpp
//
// Chooses Boost.Asio or standalone Asio, names it `asio_shield::net`, and
// defines the feature macros every other header tests.
//
// Distributed under the Boost Software License, Version 1.0.
//

#ifndef ASIO_SHIELD_CONFIG_HPP
#define ASIO_SHIELD_CONFIG_HPP

#include <asio_shield/version.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/version.hpp>
#define ASIO_SHIELD_NET_VERSION ASIO_VERSION
#define ASIO_SHIELD_NET_FLAVOUR standalone
#define ASIO_SHIELD_NET_NS ::asio
#define ASIO_SHIELD_NET_NS_BEGIN namespace asio {
#define ASIO_SHIELD_NET_NS_END }
#else
#include <boost/asio/version.hpp>
#define ASIO_SHIELD_NET_VERSION BOOST_ASIO_VERSION
#define ASIO_SHIELD_NET_FLAVOUR boost
#define ASIO_SHIELD_NET_NS ::boost::asio
#define ASIO_SHIELD_NET_NS_BEGIN                                                                   \
    namespace boost {                                                                              \
    namespace asio {
#define ASIO_SHIELD_NET_NS_END                                                                     \
    }                                                                                              \
    }
#endif

// C3: the build system (CMake target, pkg-config) says which Asio the compiled
// library was built with; the headers in use must be that Asio.
#if defined(ASIO_SHIELD_BUILT_WITH_ASIO_VERSION) &&                                                \
    ASIO_SHIELD_BUILT_WITH_ASIO_VERSION != ASIO_SHIELD_NET_VERSION
#error                                                                                             \
    "asio_shield was built with another Asio version than these headers include; rebuild it with this Asio"
#endif

/// Oldest supported Asio: 1.22 (standalone) / Boost 1.81 (Asio 1.26) for Boost.Asio.
#if ASIO_SHIELD_NET_VERSION < 102200
#error "asio_shield needs Asio 1.22 or newer (Boost 1.81 or newer for Boost.Asio)"
#endif

// Asio 1.24 (Boost 1.80): as_tuple and deferred left experimental, and
// `co_await` accepts any async operation (deferred) inside an awaitable.
#if ASIO_SHIELD_NET_VERSION >= 102400
#define ASIO_SHIELD_HAS_DEFERRED 1
#define ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP 1
#endif

// Asio 1.25 (first in Boost with 1.81, which ships Asio 1.26): consign and
// append outside experimental.
#if ASIO_SHIELD_NET_VERSION >= 102500
#define ASIO_SHIELD_HAS_CONSIGN 1
#endif

// Asio 1.27 (first in Boost with 1.82, which ships Asio 1.28): the associated
// immediate executor.
#if ASIO_SHIELD_NET_VERSION >= 102700
#define ASIO_SHIELD_HAS_IMMEDIATE_EXECUTOR 1
#endif

// Asio 1.31 (Boost 1.86): cancel_after / cancel_at, and Asio's own partial
// completion-token adapters (`as_tuple()`); co_composed left experimental.
#if ASIO_SHIELD_NET_VERSION >= 103100
#define ASIO_SHIELD_HAS_CANCEL_AFTER 1
#define ASIO_SHIELD_HAS_PARTIAL_TOKENS 1
#endif

// Asio 1.37 (Boost 1.90): redirect_disposition, and inline_executor as the
// default associated executor.
#if ASIO_SHIELD_NET_VERSION >= 103700
#define ASIO_SHIELD_HAS_REDIRECT_DISPOSITION 1
#define ASIO_SHIELD_HAS_INLINE_EXECUTOR 1
#endif

// P1, P2: header-only by default, every out-of-line function `inline` (the
// definitions are in impl/*.ipp, included by the headers). With
// ASIO_SHIELD_SEPARATE_COMPILATION defined for the whole program, the headers
// only declare them, and one translation unit compiles asio_shield/src.hpp
// (the CMake option ASIO_SHIELD_SEPARATE_COMPILATION does both). A shared
// build exports them; ASIO_SHIELD_SOURCE is defined only by src.hpp.
#if defined(ASIO_SHIELD_SEPARATE_COMPILATION)
#if defined(ASIO_SHIELD_SHARED)
#if defined(_WIN32)
#if defined(ASIO_SHIELD_SOURCE)
#define ASIO_SHIELD_DECL __declspec(dllexport)
#else
#define ASIO_SHIELD_DECL __declspec(dllimport)
#endif
#else
#define ASIO_SHIELD_DECL __attribute__((visibility("default")))
#endif
#else
#define ASIO_SHIELD_DECL
#endif
#else
#define ASIO_SHIELD_HEADER_ONLY 1
#define ASIO_SHIELD_DECL inline
#endif

/// Documented preconditions are checked with this macro (R4); `assert` by
/// default, so they vanish under NDEBUG. Under separate compilation (P2) the
/// guard's checks are compiled into the library, so what counts there is the
/// definition (and NDEBUG) when the library is built.
#if !defined(ASIO_SHIELD_ASSERT)
#include <cassert>
#define ASIO_SHIELD_ASSERT(expr) assert(expr)
#endif

// R4: debug builds check that the guards of a coroutine thread end innermost
// first (detail/guard_order.hpp); defining this macro turns the check on in
// any build.
#if !defined(ASIO_SHIELD_CHECK_GUARD_ORDER) && !defined(NDEBUG)
#define ASIO_SHIELD_CHECK_GUARD_ORDER 1
#endif

// Asio's own configuration (which compilers have coroutines, and the user's
// ASIO_DISABLE_CO_AWAIT / BOOST_ASIO_DISABLE_CO_AWAIT) decides whether the
// coroutine backends exist at all; cancellation_type.hpp is Asio's lightest
// public header that includes it.
#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/cancellation_type.hpp>
#if defined(ASIO_HAS_CO_AWAIT)
#define ASIO_SHIELD_HAS_CO_AWAIT 1
#endif
#else
#include <boost/asio/cancellation_type.hpp>
#if defined(BOOST_ASIO_HAS_CO_AWAIT)
#define ASIO_SHIELD_HAS_CO_AWAIT 1
#endif
#endif

// co_composed: experimental from Asio 1.26 (Boost 1.81), in Asio's own
// namespace from 1.31 (Boost 1.86).
#if defined(ASIO_SHIELD_HAS_CO_AWAIT) && ASIO_SHIELD_NET_VERSION >= 102600
#define ASIO_SHIELD_HAS_CO_COMPOSED 1
#if ASIO_SHIELD_NET_VERSION < 103100
#define ASIO_SHIELD_CO_COMPOSED_IS_EXPERIMENTAL 1
#endif
#endif

// C3, P2: the inline ABI namespace, built by token pasting, names what decides
// the library's layout and behaviour, so that code compiled with one setting
// never links with code compiled with another:
//   - always: the flavour and the exact Asio version (boost_v1_asio102600,
//     standalone_v1_asio102202), and `_own_clock` when grace periods read a
//     clock of their own (ASIO_SHIELD_GRACE_CLOCK, see grace_budget.hpp);
//   - under separate compilation, also `_separate` and the settings the
//     compiled guard was built with: `_debug` (NDEBUG undefined: assertions
//     and the guard order check) or `_order_checked` (NDEBUG with
//     ASIO_SHIELD_CHECK_GUARD_ORDER), `_tracking` (Asio's handler tracking,
//     ASIO_ / BOOST_ASIO_ENABLE_HANDLER_TRACKING or _CUSTOM_HANDLER_TRACKING)
//     and `_no_exceptions` (ASIO_ / BOOST_ASIO_NO_EXCEPTIONS, as Asio's own
//     configuration decides it). A program built with other settings than the
//     library then fails to link (undefined asio_shield::..._separate...
//     symbols) instead of running code of another layout.
// Header-only code (the default) is compiled with each translation unit's own
// settings, like Asio's; its namespace names only what changes the layout.
#if defined(ASIO_SHIELD_GRACE_CLOCK)
#define ASIO_SHIELD_ABI_CLOCK _own_clock
#else
#define ASIO_SHIELD_ABI_CLOCK
#endif
#if defined(ASIO_SHIELD_SEPARATE_COMPILATION)
#define ASIO_SHIELD_ABI_MODE _separate
#if !defined(NDEBUG)
#define ASIO_SHIELD_ABI_CHECKS _debug
#elif defined(ASIO_SHIELD_CHECK_GUARD_ORDER)
#define ASIO_SHIELD_ABI_CHECKS _order_checked
#else
#define ASIO_SHIELD_ABI_CHECKS
#endif
#if defined(ASIO_SHIELD_STANDALONE)
#if defined(ASIO_ENABLE_HANDLER_TRACKING) || defined(ASIO_CUSTOM_HANDLER_TRACKING)
#define ASIO_SHIELD_ABI_TRACKING _tracking
#endif
#if defined(ASIO_NO_EXCEPTIONS)
#define ASIO_SHIELD_ABI_EXCEPTIONS _no_exceptions
#endif
#else
#if defined(BOOST_ASIO_ENABLE_HANDLER_TRACKING) || defined(BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
#define ASIO_SHIELD_ABI_TRACKING _tracking
#endif
#if defined(BOOST_ASIO_NO_EXCEPTIONS)
#define ASIO_SHIELD_ABI_EXCEPTIONS _no_exceptions
#endif
#endif
#else
#define ASIO_SHIELD_ABI_MODE
#define ASIO_SHIELD_ABI_CHECKS
#endif
#if !defined(ASIO_SHIELD_ABI_TRACKING)
#define ASIO_SHIELD_ABI_TRACKING
#endif
#if !defined(ASIO_SHIELD_ABI_EXCEPTIONS)
#define ASIO_SHIELD_ABI_EXCEPTIONS
#endif
#define ASIO_SHIELD_ABI_NAME_I(flavour, version, clock, mode, checks, tracking, exceptions)        \
    flavour##_v1_asio##version##clock##mode##checks##tracking##exceptions
#define ASIO_SHIELD_ABI_NAME(flavour, version, clock, mode, checks, tracking, exceptions)          \
    ASIO_SHIELD_ABI_NAME_I(flavour, version, clock, mode, checks, tracking, exceptions)
#define ASIO_SHIELD_ABI                                                                            \
    ASIO_SHIELD_ABI_NAME(ASIO_SHIELD_NET_FLAVOUR, ASIO_SHIELD_NET_VERSION, ASIO_SHIELD_ABI_CLOCK,  \
                         ASIO_SHIELD_ABI_MODE, ASIO_SHIELD_ABI_CHECKS, ASIO_SHIELD_ABI_TRACKING,   \
                         ASIO_SHIELD_ABI_EXCEPTIONS)

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace net = ASIO_SHIELD_NET_NS;
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_CONFIG_HPP
