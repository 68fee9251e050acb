// Counts every call of the global operator new in this executable, so S6 can
// compare the heap traffic of two ways to start the same operation.
#ifndef ASIO_SHIELD_TEST_COMMON_ALLOCATION_COUNTER_HPP
#define ASIO_SHIELD_TEST_COMMON_ALLOCATION_COUNTER_HPP

#include <cstddef>

namespace test {

/// Global operator new calls (all forms) since the program started.
std::size_t allocation_count() noexcept;

} // namespace test

#endif
