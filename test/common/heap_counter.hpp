// Counts every heap allocation of the program at the C level (malloc,
// calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc, pvalloc),
// and every free(), so a test can also see what is still allocated. It is
// the suite's only allocation counter: operator new ends in malloc, so it
// sees that too.
// Asio's recycling allocator takes its blocks with std::aligned_alloc, not
// operator new, so a replacement operator new alone does not see handler,
// coroutine-frame or cancellation-slot memory; this counter does.
#ifndef ASIO_SHIELD_TEST_COMMON_HEAP_COUNTER_HPP
#define ASIO_SHIELD_TEST_COMMON_HEAP_COUNTER_HPP

#include <boost/test/detail/global_typedef.hpp>
#include <boost/test/tools/assertion_result.hpp>

#include <cstddef>

namespace test {

/// Whether the C-level counter is linked in and counting: glibc, and no
/// sanitizer runtime (which brings its own allocator).
bool heap_counter_active() noexcept;

/// C-level heap allocations since the program started (0 when inactive).
std::size_t heap_allocation_count() noexcept;

/// Blocks allocated and not yet freed, counted since the program started
/// (allocations minus frees of non-null pointers; 0 when inactive). Only
/// differences between two readings mean something.
std::ptrdiff_t heap_live_blocks() noexcept;

/// Precondition for test cases that need the counter:
/// `*boost::unit_test::precondition(test::heap_counter_available)`.
inline boost::test_tools::assertion_result heap_counter_available(boost::unit_test::test_unit_id)
{
    boost::test_tools::assertion_result result(heap_counter_active());
    result.message() << "the C-level heap counter is unavailable in this build (sanitizer "
                        "runtime or not glibc)";
    return result;
}

} // namespace test

#endif
