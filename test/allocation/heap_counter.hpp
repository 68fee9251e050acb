// Counts every heap allocation of the program at the C level (malloc,
// calloc, realloc, aligned_alloc, posix_memalign, memalign, valloc, pvalloc).
// Asio's recycling allocator takes its blocks with std::aligned_alloc, not
// operator new, so a replacement operator new alone does not see handler,
// coroutine-frame or cancellation-slot memory; this counter does.
#ifndef ASIO_SHIELD_TEST_ALLOCATION_HEAP_COUNTER_HPP
#define ASIO_SHIELD_TEST_ALLOCATION_HEAP_COUNTER_HPP

#include <cstddef>

namespace test {

/// Whether the C-level counter is linked in and counting: glibc, and no
/// sanitizer runtime (which brings its own allocator).
bool heap_counter_active() noexcept;

/// C-level heap allocations since the program started (0 when inactive).
std::size_t heap_allocation_count() noexcept;

} // namespace test

#endif
