// S1, S5, E3 (shield with every mask) and G8 (slot_guard) over every sequence of
// up to four cancellation requests, each compared with the same operation
// bound straight to the slot, as plain Asio would bind it.
//
// The operation records every request its slot handler receives, with the
// point at which it arrived, and completes only when the test says so; so
// the whole stream of requests it was handed is visible, not just the first.
// Everything runs on one thread, one step per handler, in a fixed order.
#include "common/hostile.hpp"
#include "common/net.hpp"
#include "exhaustive/enumerate.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace test::exhaustive;

namespace {

struct arrival
{
    std::size_t point;
    net::cancellation_type_t type;
    bool operator==(const arrival&) const = default;
};

using arrivals = std::vector<arrival>;

std::string describe(const arrivals& list, const char* const* point_names)
{
    std::ostringstream os;
    os << '[';
    for (std::size_t i = 0; i < list.size(); ++i)
        os << (i ? ", " : "") << static_cast<unsigned>(list[i].type) << " at "
           << point_names[list[i].point];
    os << ']';
    return os.str();
}

/// What one run of the recording operation saw.
struct record
{
    std::size_t now = 0; // the point the run is at
    arrivals received;   // what its slot handler was handed, and when
    int completions = 0;
    error_code ec;
    test::hostile::pending_completion pending;
};

/// An operation that records each request reaching its slot and completes
/// (with success) when the test calls record.pending.post().
template <typename CompletionToken>
auto async_record(net::any_io_executor ex, record& r, CompletionToken&& token)
{
    return net::async_initiate<CompletionToken, void(error_code)>(
        [ex](auto handler, record* r) {
            net::cancellation_slot slot = net::get_associated_cancellation_slot(handler);
            r->pending.store(std::move(handler), ex);
            if (slot.is_connected())
                slot.assign([r](net::cancellation_type_t type) {
                    r->received.push_back({r->now, type});
                });
        },
        token, &r);
}

/// Runs each step in a handler of its own, in order: each step posts the next
/// after it has run, so what a step posts (a completion) runs before the next.
void run_steps(net::io_context& io, std::vector<std::function<void()>>& steps)
{
    std::function<void(std::size_t)> next = [&](std::size_t i) {
        if (i == steps.size())
            return;
        net::post(io, [&, i] {
            steps[i]();
            next(i + 1);
        });
    };
    io.restart();
    next(0);
    io.run();
}

void add_requests(std::vector<std::function<void()>>& steps, const sequence& seq, std::size_t p,
                  net::cancellation_signal& sig)
{
    for (const request& r : seq)
        if (r.point == p)
            steps.push_back([&sig, type = r.type] { sig.emit(type); });
}

// --- shield ---

enum shield_point : std::size_t
{
    before_initiation,
    while_pending,
    after_completion,
    shield_point_count
};

const char* const shield_point_names[shield_point_count] = {"before initiation", "while pending",
                                                            "after completion"};

/// `mask` empty: the operation bound to the slot without a shield (the twin).
/// `default_mask`: shield(token) without a mask.
record run_shield(net::io_context& io, const sequence& seq,
                  std::optional<net::cancellation_type_t> mask)
{
    record r;
    net::cancellation_signal sig;
    auto handler = net::bind_cancellation_slot(sig.slot(), [&r](error_code ec) {
        ++r.completions;
        r.ec = ec;
    });
    std::vector<std::function<void()>> steps;
    add_requests(steps, seq, before_initiation, sig);
    steps.push_back([&] {
        r.now = while_pending;
        const net::any_io_executor ex = io.get_executor();
        if (!mask)
            async_record(ex, r, handler);
        else if (*mask == ct::none)
            async_record(ex, r, asio_shield::shield(handler));
        else
            async_record(ex, r, asio_shield::shield(handler, *mask));
    });
    add_requests(steps, seq, while_pending, sig);
    steps.push_back([&] {
        r.now = after_completion;
        r.pending.post(error_code());
    });
    add_requests(steps, seq, after_completion, sig);
    run_steps(io, steps);
    return r;
}

// --- slot_guard ---

enum guard_point : std::size_t
{
    before_guard,  // nothing installed in the outer slot yet
    guard_only,    // guard in force, the inner operation not started
    inner_pending, // guard in force, the inner operation bound to guard.slot()
    after_release, // released (or destroyed), inner operation still pending
    inner_done,    // the inner operation completed
    guard_point_count
};

const char* const guard_point_names[guard_point_count] = {
    "before guard", "guard only", "inner pending", "after release", "inner done"};

enum class guard_end
{
    release,
    destruction
};

struct guard_record
{
    record op;
    net::cancellation_type_t requested_in_force = ct::none; // just before the end
    net::cancellation_type_t requested_after = ct::none;    // after release() (release form)
    bool active_in_force = false;
    bool active_after = true;
};

/// guarded false: the twin, the inner operation bound to the outer slot itself.
guard_record run_slot_guard(net::io_context& io, const sequence& seq, bool guarded, guard_end end)
{
    guard_record g;
    record& r = g.op;
    net::cancellation_signal sig;
    std::optional<asio_shield::slot_guard> guard;
    std::vector<std::function<void()>> steps;
    add_requests(steps, seq, before_guard, sig);
    steps.push_back([&] {
        r.now = guard_only;
        if (guarded)
            guard.emplace(sig.slot());
    });
    add_requests(steps, seq, guard_only, sig);
    steps.push_back([&] {
        r.now = inner_pending;
        async_record(
            io.get_executor(), r,
            net::bind_cancellation_slot(guarded ? guard->slot() : sig.slot(), [&r](error_code ec) {
                ++r.completions;
                r.ec = ec;
            }));
    });
    add_requests(steps, seq, inner_pending, sig);
    steps.push_back([&] {
        r.now = after_release;
        if (!guarded)
            return;
        g.requested_in_force = guard->cancellation_requested();
        g.active_in_force = guard->active();
        if (end == guard_end::release)
        {
            guard->release();
            g.requested_after = guard->cancellation_requested();
            g.active_after = guard->active();
        }
        else
            guard.reset();
    });
    add_requests(steps, seq, after_release, sig);
    steps.push_back([&] {
        r.now = inner_done;
        r.pending.post(error_code());
    });
    add_requests(steps, seq, inner_done, sig);
    run_steps(io, steps);
    return g;
}

} // namespace

BOOST_AUTO_TEST_SUITE(exhaustive)

BOOST_AUTO_TEST_CASE(S5_S1_E3_every_request_sequence_every_mask_matches_plain_asio_twin)
{
    const auto start = std::chrono::steady_clock::now();
    net::io_context io;
    std::size_t checked = 0;
    std::size_t failures = 0;
    const std::vector<std::size_t> points = {before_initiation, while_pending, after_completion};
    // ct::none stands for shield(token) without a mask (all three blocked).
    std::vector<net::cancellation_type_t> masks = request_types();
    masks.push_back(ct::none);
    const std::size_t n = for_each_sequence(points, max_requests, [&](const sequence& seq) {
        const record twin = run_shield(io, seq, std::nullopt);
        for (net::cancellation_type_t mask : masks)
        {
            ++checked;
            const net::cancellation_type_t blocked =
                mask == ct::none ? (ct::terminal | ct::partial | ct::total) : mask;
            // S5: each request the unshielded operation got while pending,
            // minus the blocked bits; nothing where nothing is left. E3: once
            // it has completed, nothing reaches it (the shield takes its relay
            // out of the slot), where plain Asio still calls the finished
            // operation's handler, left installed in the slot.
            arrivals expected;
            for (const arrival& a : twin.received)
                if (a.point == while_pending && (a.type & ~blocked) != ct::none)
                    expected.push_back({a.point, a.type & ~blocked});
            const record shielded = run_shield(io, seq, mask);
            // S1: it completes once, with its own result, as the twin does.
            const bool ok = shielded.received == expected && shielded.completions == 1 &&
                            !shielded.ec && twin.completions == 1 && !twin.ec;
            if (!ok && ++failures <= 20)
                BOOST_ERROR("mask " << static_cast<unsigned>(blocked)
                                    << (mask == ct::none ? " (default)" : "") << ", "
                                    << describe(seq, shield_point_names) << ": received "
                                    << describe(shielded.received, shield_point_names)
                                    << ", expected " << describe(expected, shield_point_names)
                                    << ", completions " << shielded.completions << ", error "
                                    << shielded.ec.message());
        }
    });
    BOOST_TEST(n == sequence_count(points.size(), max_requests));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    BOOST_TEST_MESSAGE("shield: " << n << " request sequences x " << masks.size()
                                  << " masks = " << checked
                                  << " shielded runs checked against plain Asio (" << ms << " ms)");
    BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_CASE(G8_every_request_sequence_slot_guard_matches_plain_asio_twin)
{
    const auto start = std::chrono::steady_clock::now();
    net::io_context io;
    std::size_t checked = 0;
    std::size_t failures = 0;
    const std::vector<std::size_t> points = {before_guard, guard_only, inner_pending, after_release,
                                             inner_done};
    for (guard_end end : {guard_end::release, guard_end::destruction})
    {
        const std::size_t n = for_each_sequence(points, max_requests, [&](const sequence& seq) {
            const guard_record twin = run_slot_guard(io, seq, false, end);
            const guard_record g = run_slot_guard(io, seq, true, end);
            // G8: while the guard is in force the operation hears nothing and
            // the guard records the union; at the end that union arrives once;
            // after it the operation hears what plain Asio hands it.
            net::cancellation_type_t held = ct::none;
            for (const request& r : seq)
                if (r.point == guard_only || r.point == inner_pending)
                    held |= r.type;
            arrivals expected;
            if (held != ct::none)
                expected.push_back({after_release, held});
            for (const arrival& a : twin.op.received)
                if (a.point == after_release || a.point == inner_done)
                    expected.push_back(a);
            bool ok = g.op.received == expected && g.op.completions == 1 && !g.op.ec &&
                      g.requested_in_force == held && g.active_in_force;
            if (end == guard_end::release)
                ok = ok && g.requested_after == held && !g.active_after;
            if (!ok && ++failures <= 20)
                BOOST_ERROR((end == guard_end::release ? "release(), " : "destruction, ")
                            << describe(seq, guard_point_names) << ": received "
                            << describe(g.op.received, guard_point_names) << ", expected "
                            << describe(expected, guard_point_names)
                            << ", cancellation_requested() in force "
                            << static_cast<unsigned>(g.requested_in_force) << " after "
                            << static_cast<unsigned>(g.requested_after) << ", expected "
                            << static_cast<unsigned>(held) << ", active " << g.active_in_force
                            << "/" << g.active_after << ", completions " << g.op.completions);
        });
        BOOST_TEST(n == sequence_count(points.size(), max_requests));
        checked += n;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    BOOST_TEST_MESSAGE("slot_guard: " << checked
                                      << " request sequences checked against plain Asio (" << ms
                                      << " ms)");
    BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
