// G1, G2, G3, G7 over every sequence of up to four cancellation requests.
//
// The coroutine enters a guard, a nested guard inside it (right after an
// empty guard of its own, so that one guard follows another with nothing
// awaited in between), leaves the nested one, then ends the outer guard by
// release() or at the end of its scope. Its plain-Asio twin does the same
// without guards: throw_if_cancelled(false) where the guard begins, true
// where it ends. Requests are emitted, each from a
// handler of its own, at the points in between (the coroutine is suspended on
// a post while they run), on one thread, so each run is exactly reproducible.
//
// Compared with the twin (G2): at every point outside the guards, what
// this_coro::cancellation_state records and whether the next co_await throws.
// Inside the guards: no co_await throws (G1, G3), and
// cancellation_requested() of both guards and the state the scope sees hold
// the union of the requests that passed the coroutine's filter, those
// recorded before entry included (G7).
#include "common/co_test.hpp"
#include "exhaustive/enumerate.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <sstream>
#include <string>
#include <unordered_map>

using namespace test::exhaustive;
using asio_shield::guard_cancellation;

namespace {

enum point : std::size_t
{
    before_entry,  // outside: before the outer guard
    in_outer,      // outer guard alive, before the nested guard
    in_inner,      // both alive
    after_inner,   // nested guard ended, outer alive
    after_release, // outer released, its scope not yet left (release form only)
    after_scope,   // outside: after the outer guard's scope
    point_count
};

const char* const point_names[point_count] = {"before entry", "in outer",      "in inner",
                                              "after inner",  "after release", "after scope"};

enum class filter_kind
{
    asio_default, // co_spawn's: terminal only
    total         // reset_cancellation_state(enable_total_cancellation())
};

enum class end_form
{
    release,
    scope_exit
};

net::cancellation_type_t pass_filter(filter_kind f, net::cancellation_type_t type)
{
    const net::cancellation_type_t accepted =
        f == filter_kind::total ? (ct::terminal | ct::partial | ct::total) : ct::terminal;
    return type & accepted;
}

struct observation
{
    std::array<bool, point_count> visited{};
    std::array<net::cancellation_type_t, point_count> recorded{};  // this_coro::cancellation_state
    std::array<bool, point_count> threw{};                         // its co_await
    std::array<net::cancellation_type_t, point_count> requested{}; // outer guard
    net::cancellation_type_t inner_requested = ct::none;
    bool threw_at_end = false;
};

/// Emits the requests placed at `p`, each from a handler of its own, posted now:
/// they run while the coroutine is suspended at its next co_await.
void emit_at(const sequence& seq, point p, const net::any_io_executor& ex,
             net::cancellation_signal& sig)
{
    for (const request& r : seq)
        if (r.point == p)
            net::post(ex, [&sig, type = r.type] { sig.emit(type); });
}

} // namespace

// The points are macros: a co_await of a helper awaitable is itself checked
// against the recorded cancellation and would throw at its call.

/// A point outside every guard. The requests land during the point's co_await,
/// which shows whether the coroutine would throw on arrival; when it throws it
/// has not waited, so it waits once more with throw_if_cancelled off (sure to
/// suspend) for them to land. Then it looks at the state.
#define OUTSIDE_POINT(p)                                                                           \
    do                                                                                             \
    {                                                                                              \
        emit_at(seq, p, ex, sig);                                                                  \
        NEXT_AWAIT_THROWS(o.threw[p]);                                                             \
        if (o.threw[p])                                                                            \
        {                                                                                          \
            co_await net::this_coro::throw_if_cancelled(false);                                    \
            co_await net::post(ex, net::use_awaitable);                                            \
            co_await net::this_coro::throw_if_cancelled(true);                                     \
        }                                                                                          \
        o.visited[p] = true;                                                                       \
        o.recorded[p] = (co_await net::this_coro::cancellation_state).cancelled();                 \
    } while (false)

/// A point inside the guards (or the twin's unthrowing region): the requests
/// land during its co_await, which must not throw (G1).
#define INSIDE_POINT(p)                                                                            \
    do                                                                                             \
    {                                                                                              \
        emit_at(seq, p, ex, sig);                                                                  \
        NEXT_AWAIT_THROWS(o.threw[p]);                                                             \
        o.visited[p] = true;                                                                       \
        o.recorded[p] = (co_await net::this_coro::cancellation_state).cancelled();                 \
    } while (false)

/// The end: whether the coroutine's next co_await throws.
#define LAST_POINT() NEXT_AWAIT_THROWS(o.threw_at_end)

namespace {

net::awaitable<void> guarded(const sequence& seq, filter_kind f, end_form e,
                             net::cancellation_signal& sig, observation& o)
{
    const net::any_io_executor ex = co_await net::this_coro::executor;
    if (f == filter_kind::total)
        co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    OUTSIDE_POINT(before_entry);
    {
        auto outer = co_await guard_cancellation();
        INSIDE_POINT(in_outer);
        o.requested[in_outer] = outer.cancellation_requested();
        {
            // The nested guard is entered right after another guard ended,
            // with nothing awaited in between (G7: it still hears what is
            // requested in its scope), the outer one after an operation.
            { [[maybe_unused]] auto before = co_await guard_cancellation(); }
            auto inner = co_await guard_cancellation();
            INSIDE_POINT(in_inner);
            o.requested[in_inner] = outer.cancellation_requested();
            o.inner_requested = inner.cancellation_requested();
        }
        INSIDE_POINT(after_inner);
        o.requested[after_inner] = outer.cancellation_requested();
        if (e == end_form::release)
        {
            outer.release();
            OUTSIDE_POINT(after_release);
        }
    }
    OUTSIDE_POINT(after_scope);
    LAST_POINT();
}

net::awaitable<void> twin(const sequence& seq, filter_kind f, end_form e,
                          net::cancellation_signal& sig, observation& o)
{
    const net::any_io_executor ex = co_await net::this_coro::executor;
    if (f == filter_kind::total)
        co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    OUTSIDE_POINT(before_entry);
    co_await net::this_coro::throw_if_cancelled(false); // where the guard begins
    INSIDE_POINT(in_outer);
    INSIDE_POINT(in_inner);
    INSIDE_POINT(after_inner);
    co_await net::this_coro::throw_if_cancelled(true); // where it ends
    if (e == end_form::release)
        OUTSIDE_POINT(after_release);
    OUTSIDE_POINT(after_scope);
    LAST_POINT();
}

template <typename Body>
observation run(net::io_context& io, const sequence& seq, filter_kind f, end_form e, Body body)
{
    observation o;
    net::cancellation_signal sig;
    std::exception_ptr error;
    bool done = false;
    io.restart();
    net::co_spawn(io, body(seq, f, e, sig, o),
                  net::bind_cancellation_slot(sig.slot(), [&](std::exception_ptr ex) {
                      error = ex;
                      done = true;
                  }));
    io.run();
    if (!done)
        BOOST_FAIL("the coroutine never completed");
    if (error)
        std::rethrow_exception(error);
    return o;
}

/// The twin's run for `seq`, each run once: the twin has no guard boundaries
/// between in_outer, in_inner and after_inner, so sequences that differ only
/// in which of those points a request lands at are one sequence to it (the
/// comparison uses only what it observes outside that region).
const observation& twin_of(net::io_context& io, const sequence& seq, filter_kind f, end_form e,
                           std::unordered_map<std::string, observation>& cache)
{
    std::string key;
    key += static_cast<char>(f);
    key += static_cast<char>(e);
    sequence folded = seq;
    for (request& r : folded)
    {
        if (r.point == in_inner || r.point == after_inner)
            r.point = in_outer;
        key += static_cast<char>(r.point);
        key += static_cast<char>(r.type);
    }
    auto found = cache.find(key);
    if (found == cache.end())
        found = cache.emplace(key, run(io, folded, f, e, twin)).first;
    return found->second;
}

/// What went wrong for one sequence, empty if nothing did.
std::string compare(const sequence& seq, filter_kind f, end_form e, const observation& g,
                    const observation& t)
{
    std::ostringstream os;
    auto outside = [&](point p) {
        if (!g.visited[p] || !t.visited[p])
            os << " [" << point_names[p] << ": not reached]";
        else if (g.recorded[p] != t.recorded[p] || g.threw[p] != t.threw[p])
            os << " [G2 " << point_names[p] << ": recorded " << static_cast<unsigned>(g.recorded[p])
               << " threw " << g.threw[p] << ", plain Asio recorded "
               << static_cast<unsigned>(t.recorded[p]) << " threw " << t.threw[p] << ']';
    };
    outside(before_entry);
    if (e == end_form::release)
        outside(after_release);
    outside(after_scope);
    if (g.threw_at_end != t.threw_at_end)
        os << " [G2 end: next co_await threw " << g.threw_at_end << ", plain Asio "
           << t.threw_at_end << ']';

    // G7: what the guard recorded at entry is Asio's record there, then the
    // union of everything that passed the filter.
    net::cancellation_type_t expected = t.recorded[before_entry];
    for (point p : {in_outer, in_inner, after_inner})
    {
        for (const request& r : seq)
            if (r.point == p)
                expected |= pass_filter(f, r.type);
        if (!g.visited[p])
            os << " [" << point_names[p] << ": not reached]";
        if (g.threw[p] || t.threw[p])
            os << " [G1 " << point_names[p] << ": a co_await threw (twin " << t.threw[p] << ")]";
        if (g.requested[p] != expected || g.recorded[p] != expected)
            os << " [G7 " << point_names[p] << ": cancellation_requested() "
               << static_cast<unsigned>(g.requested[p]) << ", state "
               << static_cast<unsigned>(g.recorded[p]) << ", expected union "
               << static_cast<unsigned>(expected) << ']';
        if (p == in_inner && g.inner_requested != expected)
            os << " [G3/G7 nested guard: cancellation_requested() "
               << static_cast<unsigned>(g.inner_requested) << ", expected union "
               << static_cast<unsigned>(expected) << ']';
    }
    return os.str();
}

} // namespace

BOOST_AUTO_TEST_SUITE(exhaustive)

BOOST_AUTO_TEST_CASE(G2_G3_G7_every_request_sequence_matches_plain_asio_twin)
{
    const auto start = std::chrono::steady_clock::now();
    net::io_context io;
    std::size_t checked = 0;
    std::size_t failures = 0;
    std::unordered_map<std::string, observation> twins;
    for (filter_kind f : {filter_kind::asio_default, filter_kind::total})
    {
        for (end_form e : {end_form::release, end_form::scope_exit})
        {
            std::vector<std::size_t> points = {before_entry, in_outer, in_inner, after_inner};
            if (e == end_form::release)
                points.push_back(after_release);
            points.push_back(after_scope);
            const std::size_t n = for_each_sequence(points, max_requests, [&](const sequence& seq) {
                const observation g = run(io, seq, f, e, guarded);
                const observation& t = twin_of(io, seq, f, e, twins);
                const std::string what = compare(seq, f, e, g, t);
                if (!what.empty() && ++failures <= 20)
                    BOOST_ERROR((f == filter_kind::total ? "total filter, " : "default filter, ")
                                << (e == end_form::release ? "release(), " : "scope exit, ")
                                << describe(seq, point_names) << ": " << what);
            });
            BOOST_TEST(n == sequence_count(points.size(), max_requests));
            checked += n;
        }
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    BOOST_TEST_MESSAGE("guard: " << checked << " request sequences checked against " << twins.size()
                                 << " distinct plain-Asio twin runs (" << ms << " ms)");
    BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
