// The C-level allocation counter of heap_counter.hpp: the program's own
// definitions of glibc's allocation functions, which count the call and hand
// it on to glibc's allocator (the __libc_* entry points glibc exports for
// exactly this purpose). Everything keeps using glibc's heap, so
// malloc_usable_size() and friends need no replacement; free() is defined only
// to count (heap_live_blocks()).
#include "common/heap_counter.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define ASIO_SHIELD_TEST_SANITIZED_HEAP 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASIO_SHIELD_TEST_SANITIZED_HEAP 1
#endif

#if defined(__GLIBC__) && !defined(ASIO_SHIELD_TEST_SANITIZED_HEAP)
#define ASIO_SHIELD_TEST_HEAP_COUNTER 1
#endif

namespace {

std::atomic<std::size_t> heap_allocations{0};
std::atomic<std::size_t> heap_frees{0};

} // namespace

bool test::heap_counter_active() noexcept
{
#if defined(ASIO_SHIELD_TEST_HEAP_COUNTER)
    return true;
#else
    return false;
#endif
}

std::size_t test::heap_allocation_count() noexcept
{
    return heap_allocations.load(std::memory_order_relaxed);
}

std::ptrdiff_t test::heap_live_blocks() noexcept
{
    return static_cast<std::ptrdiff_t>(heap_allocations.load(std::memory_order_relaxed)) -
           static_cast<std::ptrdiff_t>(heap_frees.load(std::memory_order_relaxed));
}

#if defined(ASIO_SHIELD_TEST_HEAP_COUNTER)

extern "C" {

void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void* __libc_valloc(std::size_t size);
void* __libc_pvalloc(std::size_t size);
void __libc_free(void* p);

namespace {

inline void count_one() noexcept
{
    heap_allocations.fetch_add(1, std::memory_order_relaxed);
}

inline void count_free() noexcept
{
    heap_frees.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

void* malloc(std::size_t size) noexcept
{
    count_one();
    return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept
{
    count_one();
    return __libc_calloc(count, size);
}

void* realloc(void* p, std::size_t size) noexcept
{
    // A resized block is one allocation and one free; realloc(p, 0) frees.
    void* q = __libc_realloc(p, size);
    if (q)
        count_one();
    if (p && (q || size == 0))
        count_free();
    return q;
}

void free(void* p) noexcept
{
    if (p)
        count_free();
    __libc_free(p);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept
{
    count_one();
    return __libc_memalign(alignment, size);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept
{
    count_one();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept
{
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    count_one();
    void* p = __libc_memalign(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void* valloc(std::size_t size) noexcept
{
    count_one();
    return __libc_valloc(size);
}

void* pvalloc(std::size_t size) noexcept
{
    count_one();
    return __libc_pvalloc(size);
}

} // extern "C"

#endif
