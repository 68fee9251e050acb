// Lets BOOST_TEST print std::chrono durations in its failure messages on
// every standard library: libc++ before version 17 has no operator<< for
// durations (C++20's), which Boost.Test needs for a compared value.
#ifndef ASIO_SHIELD_TEST_COMMON_PRINT_DURATION_HPP
#define ASIO_SHIELD_TEST_COMMON_PRINT_DURATION_HPP

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ostream>

namespace boost::test_tools::tt_detail {

template <typename Rep, typename Period>
struct print_log_value<std::chrono::duration<Rep, Period>>
{
    void operator()(std::ostream& os, const std::chrono::duration<Rep, Period>& d) const
    {
        os << std::chrono::duration_cast<std::chrono::duration<double, std::milli>>(d).count()
           << " ms";
    }
};

} // namespace boost::test_tools::tt_detail

#endif
