// G2 (re-armed on exit, compared with a plain-Asio twin), G3 (nesting) and
// G4 (flag and filters restored).
#include "guard/guard_support.hpp"

#include <sstream>
#include <string>
#include <vector>

using namespace test;
using asio_shield::guard_cancellation;

BOOST_AUTO_TEST_SUITE(guard)

namespace {

enum class filter_kind
{
    asio_default, // co_spawn's: terminal only
    total         // reset_cancellation_state(enable_total_cancellation())
};

/// One run of the sequence: requests before the protected region (each made
/// from inside the coroutine, then a co_await that may throw and is caught),
/// then requests during it (each delivered from another handler while the
/// coroutine is suspended in the region).
struct sequence
{
    filter_kind filter = filter_kind::asio_default;
    std::vector<net::cancellation_type_t> before;
    std::vector<net::cancellation_type_t> during;
    bool release_early = false;
};

/// What the coroutine observed after the region.
struct outcome
{
    bool threw_after = false;
    net::cancellation_type_t recorded_after = ct::none;
    bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o)
{
    return os << "{threw_after=" << o.threw_after << ", recorded_after=" << o.recorded_after << "}";
}

/// Runs `seq` with the region protected by a guard, or (twin) by plain Asio
/// alone, with only throw_if_cancelled(false) so that the twin's co_awaits in
/// the region do not throw either. What the state records is Asio's.
outcome run_sequence(const sequence& seq, bool guarded)
{
    outcome out;
    run_with_signal(
        [&](net::io_context& io, net::cancellation_signal& sig) -> net::awaitable<void> {
            requester r(io.get_executor(), sig);
            if (seq.filter == filter_kind::total)
                co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
            for (auto type : seq.before)
            {
                r.now(type);
                bool thrown = false; // depends on the filter; the twin compares the rest
                NEXT_AWAIT_THROWS(thrown);
                (void)thrown;
            }
            {
                if (guarded)
                {
                    auto guard = co_await guard_cancellation();
                    for (auto type : seq.during)
                    {
                        r.soon(type);
                        co_await net::post(io, net::use_awaitable);
                    }
                    if (seq.release_early)
                    {
                        guard.release();
                        guard.release(); // idempotent
                        BOOST_TEST(!guard.active());
                        out.recorded_after = RECORDED();
                        NEXT_AWAIT_THROWS(out.threw_after);
                        co_return;
                    }
                }
                else
                {
                    co_await net::this_coro::throw_if_cancelled(false);
                    for (auto type : seq.during)
                    {
                        r.soon(type);
                        co_await net::post(io, net::use_awaitable);
                    }
                    co_await net::this_coro::throw_if_cancelled(true);
                }
            }
            out.recorded_after = RECORDED();
            NEXT_AWAIT_THROWS(out.threw_after);
        });
    return out;
}

std::string describe(const sequence& seq)
{
    std::ostringstream os;
    os << (seq.filter == filter_kind::total ? "total filter" : "default filter") << ", before:";
    for (auto t : seq.before)
        os << ' ' << static_cast<unsigned>(t);
    os << ", during:";
    for (auto t : seq.during)
        os << ' ' << static_cast<unsigned>(t);
    return os.str();
}

std::vector<sequence> sequences()
{
    std::vector<sequence> all;
    for (auto filter : {filter_kind::asio_default, filter_kind::total})
    {
        all.push_back({filter, {}, {}});
        all.push_back({filter, {ct::terminal}, {}});
        all.push_back({filter, {}, {ct::terminal}});
        all.push_back({filter, {}, {ct::partial}});
        all.push_back({filter, {}, {ct::total}});
        all.push_back({filter, {ct::terminal}, {ct::partial}});
        all.push_back({filter, {}, {ct::terminal, ct::partial}});
        all.push_back({filter, {}, {ct::partial, ct::terminal}});
        all.push_back({filter, {ct::partial}, {ct::total}});
        all.push_back({filter, {}, {ct::all}});
    }
    return all;
}

} // namespace

BOOST_AUTO_TEST_CASE(G2_exit_shows_what_plain_asio_twin_records)
{
    // G7 too ("after its filters"): whatever the filters dropped stays dropped.
    for (const sequence& seq : sequences())
    {
        BOOST_TEST_CONTEXT(describe(seq))
        {
            const outcome twin = run_sequence(seq, false);
            const outcome guarded = run_sequence(seq, true);
            BOOST_TEST(guarded == twin);
        }
    }
}

BOOST_AUTO_TEST_CASE(G2_release_shows_what_plain_asio_twin_records)
{
    for (sequence seq : sequences())
    {
        seq.release_early = true;
        BOOST_TEST_CONTEXT(describe(seq))
        {
            const outcome twin = run_sequence(seq, false);
            const outcome guarded = run_sequence(seq, true);
            BOOST_TEST(guarded == twin);
        }
    }
}

SIGNAL_TEST_CASE(G2_request_during_guard_thrown_after)
{
    requester r(io.get_executor(), sig);
    {
        auto guard = co_await guard_cancellation();
        r.soon(ct::terminal);
        net::steady_timer t(io, 10ms);
        r.pending = true;
        co_await t.async_wait(net::use_awaitable);
        r.pending = false;
        BOOST_TEST(r.all_landed_while_pending());
        BOOST_TEST(RECORDED() == ct::terminal);
    }
    BOOST_TEST(RECORDED() == ct::terminal);
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G2_no_request_no_throw_after)
{
    {
        auto guard = co_await guard_cancellation();
        co_await tick(1ms);
    }
    BOOST_TEST(RECORDED() == ct::none);
    CHECK_NEXT_AWAIT_THROWS(false);
    co_await tick(1ms);     // ops are still cancellable afterwards...
    sig.emit(ct::terminal); // ...and a later request still reaches the state
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G2_release_ends_guard_early_and_is_idempotent)
{
    requester r(io.get_executor(), sig);
    auto guard = co_await guard_cancellation();
    r.soon(ct::terminal);
    co_await net::post(io, net::use_awaitable);
    BOOST_TEST(guard.active());
    guard.release();
    BOOST_TEST(!guard.active());
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    CHECK_NEXT_AWAIT_THROWS(true);
    guard.release(); // idempotent: nothing changes, still re-armed
    BOOST_TEST(!guard.active());
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    CHECK_NEXT_AWAIT_THROWS(true);
    // Operations after release() are cut by a new request again.
    net::steady_timer t(io, 1h);
    r.soon(ct::terminal);
    co_await net::this_coro::throw_if_cancelled(false);
    auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
    BOOST_TEST(ec == net::error::operation_aborted);
}

SIGNAL_TEST_CASE(G2_operation_after_release_is_cut_by_new_request)
{
    {
        auto guard = co_await guard_cancellation();
        guard.release();
    }
    requester r(io.get_executor(), sig);
    r.soon(ct::terminal);
    net::steady_timer t(io, 1h);
    bool threw = false;
    try
    {
        co_await t.async_wait(net::use_awaitable);
    }
    catch (const system_error& e)
    {
        threw = is_aborted(e);
    }
    BOOST_TEST(threw);
}

SIGNAL_TEST_CASE(G3_inner_exit_rearms_nothing_while_outer_alive)
{
    requester r(io.get_executor(), sig);
    {
        auto outer = co_await guard_cancellation();
        {
            auto inner = co_await guard_cancellation();
            r.soon(ct::terminal);
            net::steady_timer t(io, 10ms);
            r.pending = true;
            co_await t.async_wait(net::use_awaitable);
            r.pending = false;
            BOOST_TEST(r.all_landed_while_pending());
        }
        BOOST_TEST(outer.active());
        BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
        CHECK_NEXT_AWAIT_THROWS(false);
        // Still protected: a timer in the outer scope runs full.
        const auto start = clock::now(); // Before the timer starts counting.
        net::steady_timer t(io, 10ms);
        r.soon(ct::terminal);
        co_await t.async_wait(net::use_awaitable);
        BOOST_TEST(ms_since(start) >= 10ms);
    }
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G3_three_levels_each_scope_protected_and_informed)
{
    // G1 and G7 too: requests reach every level's record, no level's
    // operations are cut, and only the outermost exit re-arms.
    requester r(io.get_executor(), sig);
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    auto guarded_timer = [&]() -> net::awaitable<void> {
        const auto start = clock::now(); // Before the timer starts counting.
        net::steady_timer t(io, 10ms);
        r.pending = true;
        co_await t.async_wait(net::use_awaitable);
        r.pending = false;
        BOOST_TEST(ms_since(start) >= 10ms);
    };
    {
        auto outer = co_await guard_cancellation();
        {
            auto middle = co_await guard_cancellation();
            {
                auto inner = co_await guard_cancellation();
                r.soon(ct::partial);
                co_await guarded_timer();
                BOOST_TEST(RECORDED() == ct::partial);
            }
            BOOST_TEST(RECORDED() == ct::partial);
            r.soon(ct::total);
            co_await guarded_timer();
            BOOST_TEST(RECORDED() == (ct::partial | ct::total));
            BOOST_TEST(middle.cancellation_requested() == (ct::partial | ct::total));
        }
        CHECK_NEXT_AWAIT_THROWS(false);
        r.soon(ct::terminal);
        co_await guarded_timer();
        BOOST_TEST(RECORDED() == (ct::partial | ct::total | ct::terminal));
        BOOST_TEST(outer.cancellation_requested() == (ct::partial | ct::total | ct::terminal));
    }
    BOOST_TEST(r.all_landed_while_pending());
    BOOST_TEST(RECORDED() == ct::terminal); // Asio's own record: the last request
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G3_outer_exit_rearms_request_made_before_inner)
{
    requester r(io.get_executor(), sig);
    REQUEST_AND_CATCH(r, ct::terminal);
    {
        auto outer = co_await guard_cancellation();
        for (int i = 0; i < 2; ++i) // two inner guards in a row
        {
            auto inner = co_await guard_cancellation();
            co_await tick(1ms);
        }
        CHECK_NEXT_AWAIT_THROWS(false);
    }
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G3_nested_without_request_rearms_nothing)
{
    {
        auto outer = co_await guard_cancellation();
        {
            auto inner = co_await guard_cancellation();
            co_await tick(1ms);
        }
    }
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    CHECK_NEXT_AWAIT_THROWS(false);
    sig.emit(ct::terminal); // the original state is in place again
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G4_user_throw_if_cancelled_false_survives_guard)
{
    requester r(io.get_executor(), sig);
    co_await net::this_coro::throw_if_cancelled(false);
    {
        auto guard = co_await guard_cancellation();
        BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
        r.soon(ct::terminal);
        co_await net::post(io, net::use_awaitable);
    }
    BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
    BOOST_TEST(RECORDED() == ct::terminal);
    CHECK_NEXT_AWAIT_THROWS(false); // the user asked for no throw
}

SIGNAL_TEST_CASE(G4_user_throw_if_cancelled_set_inside_is_undone)
{
    {
        auto guard = co_await guard_cancellation();
        co_await net::this_coro::throw_if_cancelled(false);
    }
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
}

SIGNAL_TEST_CASE(G4_total_filter_and_state_object_kept)
{
    requester r(io.get_executor(), sig);
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    const net::cancellation_state before = co_await net::this_coro::cancellation_state;
    {
        auto guard = co_await guard_cancellation();
        r.soon(ct::partial);
        co_await net::post(io, net::use_awaitable);
        BOOST_TEST(guard.cancellation_requested() == ct::partial);
    }
    const net::cancellation_state after = co_await net::this_coro::cancellation_state;
    // The same state object (necessary, not sufficient: a rebuilt state may
    // reuse the memory; the filter checks below tell the rest).
    BOOST_TEST((after.slot() == before.slot()));
    BOOST_TEST(RECORDED() == ct::partial);
    CHECK_NEXT_AWAIT_THROWS(true);

    // The filter still accepts partial and total requests: a fresh request of
    // each type reaches the state (which keeps only the last one, as Asio's
    // does) and cuts a pending operation.
    for (auto type : {ct::total, ct::partial})
    {
        co_await net::this_coro::throw_if_cancelled(false);
        (co_await net::this_coro::cancellation_state).clear();
        net::steady_timer t(io, 1h);
        r.soon(type);
        auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
        BOOST_TEST(ec == net::error::operation_aborted);
        BOOST_TEST(RECORDED() == type);
        co_await net::this_coro::throw_if_cancelled(true);
    }
}

SIGNAL_TEST_CASE(G4_default_filter_kept_partial_still_dropped)
{
    requester r(io.get_executor(), sig);
    {
        auto guard = co_await guard_cancellation();
    }
    const auto start = clock::now();
    net::steady_timer t(io, 20ms);
    r.soon(ct::partial);
    co_await t.async_wait(net::use_awaitable); // co_spawn's filter drops partial
    BOOST_TEST(ms_since(start) >= 20ms);
    BOOST_TEST(RECORDED() == ct::none);
}

SIGNAL_TEST_CASE(G4_reset_inside_guard_replaces_state_for_good)
{
    requester r(io.get_executor(), sig);
    net::cancellation_state replaced;
    co_await net::this_coro::throw_if_cancelled(false);
    {
        auto guard = co_await guard_cancellation();
        co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
        replaced = co_await net::this_coro::cancellation_state;
    }
    // The replacement stays; only the flag is restored (to the user's false).
    BOOST_TEST(!(co_await net::this_coro::throw_if_cancelled()));
    const net::cancellation_state after = co_await net::this_coro::cancellation_state;
    BOOST_TEST((after.slot() == replaced.slot()));
    // ...and it is live, with its own filter: a partial request is recorded.
    net::steady_timer t(io, 1h);
    r.soon(ct::partial);
    auto [ec] = co_await t.async_wait(test::as_tuple(net::use_awaitable));
    BOOST_TEST(ec == net::error::operation_aborted);
    BOOST_TEST(RECORDED() == ct::partial);
    co_await net::this_coro::throw_if_cancelled(true);
    CHECK_NEXT_AWAIT_THROWS(true);
}

SIGNAL_TEST_CASE(G4_reset_inside_guard_restores_flag_true)
{
    {
        auto guard = co_await guard_cancellation();
        co_await net::this_coro::reset_cancellation_state();
    }
    BOOST_TEST((co_await net::this_coro::throw_if_cancelled()));
    sig.emit(ct::terminal);
    CHECK_NEXT_AWAIT_THROWS(true);
}

BOOST_AUTO_TEST_SUITE_END()
