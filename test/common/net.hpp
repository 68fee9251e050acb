// Test-side includes: Boost.Asio or standalone Asio, as the library was built.
#ifndef ASIO_SHIELD_TEST_COMMON_NET_HPP
#define ASIO_SHIELD_TEST_COMMON_NET_HPP

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/experimental/parallel_group.hpp>
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

#endif
