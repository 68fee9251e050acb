// The Boost.Test entry point shared by every test executable. With
// ASIO_SHIELD_TEST_HEADER_ONLY_BOOST_TEST (a build against another standard
// library than the installed Boost.Test's), Boost.Test itself is compiled here.
#define BOOST_TEST_MODULE asio_shield
#if defined(ASIO_SHIELD_TEST_HEADER_ONLY_BOOST_TEST)
#include <boost/test/included/unit_test.hpp>
#else
#include <boost/test/unit_test.hpp>
#endif
