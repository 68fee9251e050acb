// Test-side includes: Boost.Asio or standalone Asio, as the library was built.
#ifndef ASIO_SHIELD_TEST_COMMON_NET_HPP
#define ASIO_SHIELD_TEST_COMMON_NET_HPP

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/parallel_group.hpp>
#if !defined(ASIO_SHIELD_HAS_DEFERRED)
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/deferred.hpp>
#endif
#if !defined(ASIO_SHIELD_HAS_CONSIGN)
#include <asio/experimental/append.hpp>
#endif
#else
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#endif

namespace net = asio_shield::net;

#if defined(ASIO_SHIELD_STANDALONE)
using error_code = std::error_code;
using system_error = std::system_error;
#else
using error_code = boost::system::error_code;
using system_error = boost::system::system_error;
#endif

namespace test {

// One spelling for the token adapters, wherever this Asio keeps them.
#if defined(ASIO_SHIELD_HAS_DEFERRED)
using net::as_tuple;
using net::as_tuple_t;
using net::deferred;
using net::deferred_t;
#else
// Asio 1.24 moved as_tuple and deferred out of experimental.
using net::experimental::as_tuple;
using net::experimental::as_tuple_t;
using net::experimental::deferred;
using net::experimental::deferred_t;
#endif

#if defined(ASIO_SHIELD_HAS_CONSIGN)
using net::append;
#else
// Asio 1.25 has append outside experimental (with consign).
using net::experimental::append;
#endif

} // namespace test

#endif
