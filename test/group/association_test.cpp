// J1, J3, J5, J6, J8, J10: the group's operations are Asio asynchronous
// operations. The memory each one needs (its state, its deadline's wait, the
// posted completion) comes from the completion handler's associated
// allocator, never from the heap; the handler runs on its associated
// executor (or immediate executor), never inside the initiating call.
//
// Memory is counted twice: by an arena allocator bound to the handler with
// bind_allocator (it must be used), and by the C-level heap counter
// (test/common/heap_counter.hpp; it must not move while the operation is
// started and completed). Asio's own one-time set-up (the timer service, the
// timer queue's storage) is done before the counting starts. What the group
// cannot choose is left out: co_spawn allocates a session's coroutine frame
// and its own bookkeeping as Asio does (the group's session node is
// checked), a refused spawn's exception_ptr is the signature's, and the
// groups here run on the io_context's own executor (see io_group).
#include "common/co_test.hpp"
#include "common/heap_counter.hpp"

#include <asio_shield/task_group.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>

/// A group on the io_context's own executor: an `any_io_executor` would
/// erase the allocator of every function posted through it (Asio allocates
/// its type-erased function with the default allocator), which is Asio's
/// doing, not the group's.
using io_group = asio_shield::basic_task_group<net::io_context::executor_type>;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;

namespace {

constexpr auto forever = std::chrono::hours(24 * 365);

/// Hands out blocks of one static buffer and counts them; frees nothing, so
/// it never touches the heap.
struct arena
{
    alignas(std::max_align_t) std::array<unsigned char, 1 << 16> bytes{};
    std::size_t used = 0;
    std::size_t allocations = 0;

    void* take(std::size_t n)
    {
        constexpr std::size_t align = alignof(std::max_align_t);
        const std::size_t start = (used + align - 1) / align * align;
        if (start + n > bytes.size())
            throw std::bad_alloc();
        used = start + n;
        ++allocations;
        return bytes.data() + start;
    }
};

template <typename T>
struct arena_allocator
{
    using value_type = T;

    explicit arena_allocator(arena* a) noexcept : where(a) {}
    template <typename U>
    arena_allocator(const arena_allocator<U>& other) noexcept : where(other.where)
    {}

    T* allocate(std::size_t n) { return static_cast<T*>(where->take(n * sizeof(T))); }
    void deallocate(T*, std::size_t) noexcept {}

    friend bool operator==(const arena_allocator& a, const arena_allocator& b) noexcept
    {
        return a.where == b.where;
    }
    friend bool operator!=(const arena_allocator& a, const arena_allocator& b) noexcept
    {
        return a.where != b.where;
    }

    arena* where;
};

/// Asio's one-time set-up for the grace clock's timers on `io`: the timer
/// service and the timer queue's storage, which are the context's, not an
/// operation's.
void warm_up_timers(net::io_context& io)
{
    net::basic_waitable_timer<asio_shield::detail::grace_clock> t(io, forever);
    t.async_wait([](error_code) {});
    t.cancel();
    io.run();
    io.restart();
}

struct heap_unchanged
{
    std::size_t before = test::heap_allocation_count();
    std::size_t count() const { return test::heap_allocation_count() - before; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(group_associations)

// J3: a join with a deadline: the join's state, the deadline's wait and the
// posted completion are all the handler's allocator's. Seen red with the
// deadline's wait given the default allocator (2 arena blocks, 1 heap
// allocation).
BOOST_AUTO_TEST_CASE(J3_join_for_allocates_with_the_handlers_allocator_only,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    net::io_context io;
    io_group g(io.get_executor());
    warm_up_timers(io);
    static arena a;
    a = arena{};
    std::optional<error_code> result;
    heap_unchanged heap;
    g.async_join_for(forever, net::bind_allocator(arena_allocator<void>(&a),
                                                  [&](error_code ec) { result = ec; }));
    g.close();
    io.run();
    BOOST_TEST(heap.count() == 0u);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(!*result);
    // The join's state, the deadline's wait, the completion.
    BOOST_TEST(a.allocations >= 3u);
}

// J3: the deadline itself completes the join through the same allocator.
BOOST_AUTO_TEST_CASE(J3_join_for_deadline_completes_with_the_handlers_allocator_only,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    net::io_context io;
    io_group g(io.get_executor());
    warm_up_timers(io);
    static arena a;
    a = arena{};
    std::optional<error_code> result;
    heap_unchanged heap;
    g.async_join_for(
        0s, net::bind_allocator(arena_allocator<void>(&a), [&](error_code ec) { result = ec; }));
    io.run();
    BOOST_TEST(heap.count() == 0u);
    BOOST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::timed_out);
    BOOST_TEST(a.allocations >= 3u);
}

// J6, J10: a shutdown (of an empty group: it completes at once, posted) and a
// join of the closed, empty group: state and completion from the handler's
// allocator.
BOOST_AUTO_TEST_CASE(J6_shutdown_and_join_allocate_with_the_handlers_allocator_only,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    net::io_context io;
    io_group g(io.get_executor());
    warm_up_timers(io);
    static arena a;
    a = arena{};
    int calls = 0;
    heap_unchanged heap;
    g.async_shutdown(
        ctype::total, 1s, 1s,
        net::bind_allocator(arena_allocator<void>(&a), [&](error_code, std::size_t) { ++calls; }));
    const std::size_t after_shutdown = a.allocations;
    g.async_join(net::bind_allocator(arena_allocator<void>(&a), [&](error_code) { ++calls; }));
    BOOST_TEST(calls == 0); // J10.
    io.run();
    BOOST_TEST(heap.count() == 0u);
    BOOST_TEST(calls == 2);
    BOOST_TEST(after_shutdown >= 1u);
    BOOST_TEST(a.allocations >= after_shutdown + 1);
}

// J5, J10: a spawn refused by a closed group completes through the
// handler's allocator; the heap sees only the refusal's exception_ptr.
BOOST_AUTO_TEST_CASE(J5_refused_spawn_allocates_with_the_handlers_allocator_only,
                     *boost::unit_test::precondition(test::heap_counter_available))
{
    std::size_t exception_allocations = 0;
    {
        heap_unchanged heap;
        std::exception_ptr e = std::make_exception_ptr(
            system_error(asio_shield::error::make_error_code(asio_shield::error::group_closed)));
        exception_allocations = heap.count();
    }
    net::io_context io;
    io_group g(io.get_executor());
    g.close();
    static arena a;
    a = arena{};
    int calls = 0;
    heap_unchanged heap;
    g.spawn(
        io, []() -> net::awaitable<void> { co_return; },
        net::bind_allocator(arena_allocator<void>(&a), [&](std::exception_ptr) { ++calls; }));
    BOOST_TEST(calls == 0); // J10.
    io.run();
    BOOST_TEST(heap.count() == exception_allocations);
    BOOST_TEST(calls == 1);
    BOOST_TEST(a.allocations >= 1u);
}

// J1, J8: the session node of a spawn and of async_run, and a spawn that
// waits for a place (its state, and the post that starts it), come from the
// handler's allocator. co_spawn's own memory is Asio's choice and is not
// counted. Seen red with the queued spawn's starter and async_run's session
// handler carrying no allocator (2 and 0 arena blocks fewer).
BOOST_AUTO_TEST_CASE(J8_spawns_allocate_their_state_with_the_handlers_allocator)
{
    net::io_context io;
    io_group g(io.get_executor(), asio_shield::task_group_options{1});
    static arena a;
    a = arena{};
    int calls = 0;
    auto body = []() -> net::awaitable<void> { co_return; };
    g.spawn(io, body,
            net::bind_allocator(arena_allocator<void>(&a), [&](std::exception_ptr) { ++calls; }));
    const std::size_t first = a.allocations;
    BOOST_TEST(first >= 1u); // The session node.
    // No place: it waits (its state), is started by a post, then runs.
    g.spawn(io, body,
            net::bind_allocator(arena_allocator<void>(&a), [&](std::exception_ptr) { ++calls; }));
    const std::size_t queued = a.allocations;
    BOOST_TEST(queued >= first + 1); // The waiting spawn's state.
    io.run();
    BOOST_TEST(calls == 2);
    // The post that starts it, and its session node.
    BOOST_TEST(a.allocations >= queued + 2);
    io.restart();
    // async_run with a slot: its session node too.
    net::cancellation_signal sig;
    const std::size_t before_run = a.allocations;
    g.async_run(io.get_executor(), body,
                net::bind_cancellation_slot(
                    sig.slot(), net::bind_allocator(arena_allocator<void>(&a),
                                                    [&](std::exception_ptr) { ++calls; })));
    // Its state, and the session node.
    BOOST_TEST(a.allocations >= before_run + 2);
    io.run();
    BOOST_TEST(calls == 3);
}

// J10 with the associated executor: every completion that can come at once
// (join and join_for of a closed, empty group, a refused spawn, an empty
// group's shutdown) and every later one (a join completed by close()) runs
// on the executor bound to its handler, never inside the initiating call.
BOOST_AUTO_TEST_CASE(J10_completions_run_on_the_handlers_executor_never_inline)
{
    net::io_context io;
    auto strand = net::make_strand(io);
    io_group g(io.get_executor());
    int calls = 0;
    int on_strand = 0;
    auto count = [&] {
        ++calls;
        if (strand.running_in_this_thread())
            ++on_strand;
    };
    g.async_join(net::bind_executor(strand, [&](error_code) { count(); }));
    g.close();
    BOOST_TEST(calls == 0);
    g.async_join(net::bind_executor(strand, [&](error_code) { count(); }));
    g.async_join_for(forever, net::bind_executor(strand, [&](error_code) { count(); }));
    g.spawn(
        io, []() -> net::awaitable<void> { co_return; },
        net::bind_executor(strand, [&](std::exception_ptr) { count(); }));
    g.async_shutdown(ctype::total, 0s, 0s,
                     net::bind_executor(strand, [&](error_code, std::size_t) { count(); }));
    BOOST_TEST(calls == 0);
    io.run();
    BOOST_TEST(calls == 5);
    BOOST_TEST(on_strand == 5);
}

#if defined(ASIO_SHIELD_HAS_IMMEDIATE_EXECUTOR)
// J10 with the immediate executor (Asio 1.27+): an operation that is
// complete at once completes through the handler's immediate executor, as
// Asio's own operations do, still never inside the initiating call.
BOOST_AUTO_TEST_CASE(J10_completions_at_once_use_the_immediate_executor)
{
    net::io_context io;
    net::io_context immediate_ctx;
    io_group g(io.get_executor());
    g.close();
    int calls = 0;
    g.async_join(
        net::bind_immediate_executor(immediate_ctx.get_executor(), [&](error_code) { ++calls; }));
    g.spawn(
        io, []() -> net::awaitable<void> { co_return; },
        net::bind_immediate_executor(immediate_ctx.get_executor(),
                                     [&](std::exception_ptr) { ++calls; }));
    g.async_shutdown(ctype::total, 0s, 0s,
                     net::bind_immediate_executor(immediate_ctx.get_executor(),
                                                  [&](error_code, std::size_t) { ++calls; }));
    BOOST_TEST(calls == 0);
    io.run();
    BOOST_TEST(calls == 0); // Not through the group's or the handler's executor.
    immediate_ctx.run();
    BOOST_TEST(calls == 3);
}
#endif

BOOST_AUTO_TEST_SUITE_END()
