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

// C3: the inline ABI namespace names the flavour and the exact Asio version
// (e.g. boost_v1_asio102600, standalone_v1_asio102202), so that code compiled
// against one Asio never links with the library built against another.
// A build whose grace periods read a clock of its own (ASIO_SHIELD_GRACE_CLOCK,
// see grace_budget.hpp) gets a namespace of its own as well, so that it never
// links with a library compiled for steady_clock.
#if defined(ASIO_SHIELD_GRACE_CLOCK)
#define ASIO_SHIELD_ABI_NAME_I(flavour, version) flavour##_v1_asio##version##_own_clock
#else
#define ASIO_SHIELD_ABI_NAME_I(flavour, version) flavour##_v1_asio##version
#endif
#define ASIO_SHIELD_ABI_NAME(flavour, version) ASIO_SHIELD_ABI_NAME_I(flavour, version)

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio/version.hpp>
#define ASIO_SHIELD_NET_VERSION ASIO_VERSION
#define ASIO_SHIELD_NET_NS ::asio
#define ASIO_SHIELD_NET_NS_BEGIN namespace asio {
#define ASIO_SHIELD_NET_NS_END }
#define ASIO_SHIELD_ABI ASIO_SHIELD_ABI_NAME(standalone, ASIO_VERSION)
#else
#include <boost/asio/version.hpp>
#define ASIO_SHIELD_NET_VERSION BOOST_ASIO_VERSION
#define ASIO_SHIELD_NET_NS ::boost::asio
#define ASIO_SHIELD_NET_NS_BEGIN                                                                   \
    namespace boost {                                                                              \
    namespace asio {
#define ASIO_SHIELD_NET_NS_END                                                                     \
    }                                                                                              \
    }
#define ASIO_SHIELD_ABI ASIO_SHIELD_ABI_NAME(boost, BOOST_ASIO_VERSION)
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

// The compiled part of the library: empty for static builds, export/import for
// shared ones. ASIO_SHIELD_SOURCE is defined only while building src/.
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

/// Documented preconditions are checked with this macro (R4); `assert` by
/// default, so they vanish under NDEBUG. The checks live in the compiled part
/// of the library, so what counts is its definition (and NDEBUG) when the
/// library itself is built: define it there to route the checks elsewhere.
#if !defined(ASIO_SHIELD_ASSERT)
#include <cassert>
#define ASIO_SHIELD_ASSERT(expr) assert(expr)
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

namespace asio_shield {
inline namespace ASIO_SHIELD_ABI {
namespace net = ASIO_SHIELD_NET_NS;
} // namespace ASIO_SHIELD_ABI
} // namespace asio_shield

#endif // ASIO_SHIELD_CONFIG_HPP
