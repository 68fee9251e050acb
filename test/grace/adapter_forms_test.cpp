// S3 and C5 for every form of the one token adapter with a deadline
// (shield_for, shield_until, the budget, the explicit-timer form and their
// partial forms), to the nanosecond on test::manual_clock: each case makes
// the request 20 ms in and checks that the operation is cut exactly 100 ms
// after it, whether the operation was already running (C5) or started in a
// coroutine that had recorded the request before (S3: it starts, and its
// grace period starts at once).
#include "common/co_test.hpp"
#include "common/manual_clock.hpp"

#include <asio_shield/grace_budget.hpp>
#include <asio_shield/shield_for.hpp>

#include <optional>
#include <type_traits>

using asio_shield::grace_budget;
using asio_shield::shield_for;
using asio_shield::shield_until;
using namespace std::chrono_literals;
using ctype = net::cancellation_type;
using test::advance_by;
using test::manual_clock;
using test::manual_timer;
using test::settle;

static_assert(std::is_same_v<asio_shield::detail::grace_clock, manual_clock>,
              "this executable must build the library on the manual clock");

// C5: grace() and until() are the library clock's std::chrono types, and the
// adapter is built only through its factories.
static_assert(std::is_same_v<decltype(shield_for(1s, net::use_awaitable).grace()),
                             asio_shield::grace_clock::duration>);
static_assert(
    std::is_same_v<decltype(shield_for(1s).until()), asio_shield::grace_clock::time_point>);
static_assert(std::is_same_v<decltype(shield_for(1s, net::use_awaitable)),
                             asio_shield::shield_for_t<net::use_awaitable_t<>>>);
static_assert(!std::is_constructible_v<asio_shield::shield_for_t<net::use_awaitable_t<>>,
                                       net::use_awaitable_t<>, asio_shield::detail::grace_spec,
                                       net::cancellation_type_t>);
static_assert(!std::is_default_constructible_v<asio_shield::shield_for_t<net::use_awaitable_t<>>>);

namespace {

constexpr manual_clock::duration tick{1};
constexpr manual_clock::duration request_at = 20ms;
constexpr manual_clock::duration grace = 100ms;

struct fresh_clock
{
    fresh_clock() { manual_clock::reset(); }
};

/// The coroutine's I/O object: a timer whose default token is use_awaitable,
/// so that the partial forms have a default token on every Asio release.
using default_on_timer = net::use_awaitable_t<>::as_default_on_t<manual_timer>;

/// Runs `form(timer, user_timer)` (an awaited wait on a 10 h timer) in a
/// coroutine bound to a signal that emits a terminal request 20 ms in. With
/// `request_first` the coroutine has caught that request from an earlier wait
/// before it starts the form (S3); otherwise the form is running when it
/// arrives. Either way it must be cut exactly 100 ms after the request.
template <typename Form>
void check_cut_100ms_after_request(bool request_first, Form form)
{
    manual_clock::reset(); // Several checks in one case: each starts at start().
    net::io_context io;
    net::cancellation_signal sig;
    manual_timer user_timer(io);
    std::optional<error_code> result;
    manual_clock::time_point started{}, at{};
    bool done = false;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            const auto ex = co_await net::this_coro::executor;
            if (request_first)
            {
                manual_timer first(ex, 10h);
                try
                {
                    co_await first.async_wait(net::use_awaitable);
                }
                catch (const system_error&)
                {}
            }
            default_on_timer t(ex, 10h);
            started = manual_clock::now();
            try
            {
                co_await form(t, user_timer);
                result = error_code();
            }
            catch (const system_error& e)
            {
                result = e.code();
            }
            at = manual_clock::now();
        },
        net::bind_cancellation_slot(sig.slot(), [&done](std::exception_ptr) { done = true; }));
    settle(io);
    advance_by(io, request_at);
    const auto requested = manual_clock::now();
    sig.emit(ctype::terminal);
    settle(io);
    BOOST_TEST_REQUIRE((started == (request_first ? requested : manual_clock::start())));
    advance_by(io, grace - tick);
    BOOST_TEST_REQUIRE(!result.has_value(), "cut one tick before the deadline");
    advance_by(io, tick);
    BOOST_TEST_REQUIRE(result.has_value(), "not cut at the deadline");
    BOOST_TEST(*result == net::error::operation_aborted);
    BOOST_TEST((at == requested + grace));
    BOOST_TEST(done);
}

/// Each form with `use_awaitable` and, where Asio can await one, `deferred`.
template <typename Make>
void check_both_tokens(bool request_first, Make make)
{
    check_cut_100ms_after_request(request_first, [&](default_on_timer& t, manual_timer& u) {
        return t.async_wait(make(u, net::use_awaitable));
    });
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
    check_cut_100ms_after_request(request_first, [&](default_on_timer& t, manual_timer& u) {
        return t.async_wait(make(u, test::deferred));
    });
#endif
}

/// The absolute deadline that is 100 ms after the request.
manual_clock::time_point until() noexcept
{
    return manual_clock::start() + request_at + grace;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(grace_exact, fresh_clock)

BOOST_AUTO_TEST_CASE(S3_shield_for_starts_after_cancellation) // T1
{
    check_both_tokens(true, [](manual_timer&, auto token) { return shield_for(grace, token); });
}

BOOST_AUTO_TEST_CASE(S3_shield_until_starts_after_cancellation) // T6
{
    check_both_tokens(true, [](manual_timer&, auto token) { return shield_until(until(), token); });
}

BOOST_AUTO_TEST_CASE(S3_budget_starts_after_cancellation) // T6: the budget starts at the start
{
    {
        grace_budget budget(grace);
        check_cut_100ms_after_request(true, [&](default_on_timer& t, manual_timer&) {
            return t.async_wait(shield_for(budget, net::use_awaitable));
        });
    }
#if defined(ASIO_SHIELD_HAS_AWAITABLE_ASYNC_OP) // Asio 1.24: co_await of a deferred operation
    {
        grace_budget budget(grace);
        check_cut_100ms_after_request(true, [&](default_on_timer& t, manual_timer&) {
            return t.async_wait(shield_for(budget, test::deferred));
        });
    }
#endif
    grace_budget budget(grace); // The partial form.
    check_cut_100ms_after_request(
        true, [&](default_on_timer& t, manual_timer&) { return t.async_wait(shield_for(budget)); });
}

BOOST_AUTO_TEST_CASE(S3_shield_for_explicit_timer_starts_after_cancellation) // C5
{
    check_both_tokens(true,
                      [](manual_timer& u, auto token) { return shield_for(u, grace, token); });
}

BOOST_AUTO_TEST_CASE(S3_partial_forms_start_after_cancellation) // C5
{
    check_cut_100ms_after_request(
        true, [](default_on_timer& t, manual_timer&) { return t.async_wait(shield_for(grace)); });
    check_cut_100ms_after_request(true, [](default_on_timer& t, manual_timer&) {
        return t.async_wait(shield_until(until()));
    });
}

BOOST_AUTO_TEST_CASE(C5_partial_shield_for_cuts_exactly_at_the_deadline) // T1
{
    check_cut_100ms_after_request(
        false, [](default_on_timer& t, manual_timer&) { return t.async_wait(shield_for(grace)); });
}

BOOST_AUTO_TEST_CASE(C5_partial_shield_until_cuts_exactly_at_the_deadline) // T6
{
    check_cut_100ms_after_request(false, [](default_on_timer& t, manual_timer&) {
        return t.async_wait(shield_until(until()));
    });
}

BOOST_AUTO_TEST_CASE(C5_partial_budget_cuts_exactly_at_the_deadline) // T6
{
    grace_budget budget(grace);
    check_cut_100ms_after_request(false, [&](default_on_timer& t, manual_timer&) {
        return t.async_wait(shield_for(budget));
    });
}

// The grace period runs on the user's timer, as cancel_after(timer, d, token):
// its expiry is the deadline.
BOOST_AUTO_TEST_CASE(C5_shield_for_explicit_timer_cuts_exactly_at_the_deadline) // T1, T3
{
    check_both_tokens(false,
                      [](manual_timer& u, auto token) { return shield_for(u, grace, token); });
    check_cut_100ms_after_request(false, [](default_on_timer& t, manual_timer& u) {
        auto op = t.async_wait(shield_for(u, grace, net::use_awaitable));
        BOOST_TEST((u.expiry() == manual_timer::time_point()), "armed before a request");
        return op;
    });
}

// With a callback, no coroutine: the user's timer is armed at the first held
// request and is the one that cuts the operation.
BOOST_AUTO_TEST_CASE(C5_shield_for_explicit_timer_with_a_callback) // T1, T3
{
    net::io_context io;
    manual_timer op_timer(io, 10h), user_timer(io);
    net::cancellation_signal sig;
    std::optional<error_code> result;
    op_timer.async_wait(
        shield_for(user_timer, grace,
                   net::bind_cancellation_slot(sig.slot(), [&](error_code ec) { result = ec; })));
    advance_by(io, request_at);
    const auto requested = manual_clock::now();
    sig.emit(ctype::terminal);
    settle(io);
    BOOST_TEST((user_timer.expiry() == requested + grace));
    advance_by(io, grace - tick);
    BOOST_TEST(!result.has_value());
    advance_by(io, tick);
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
}

// S3 with a mask that does not cover the record: the co_await throws at once,
// as in plain Asio.
BOOST_AUTO_TEST_CASE(S3_shield_for_mask_not_covering_record_throws_like_plain_asio)
{
    net::io_context io;
    net::cancellation_signal sig;
    std::optional<error_code> result;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            const auto ex = co_await net::this_coro::executor;
            manual_timer first(ex, 10h);
            try
            {
                co_await first.async_wait(net::use_awaitable);
            }
            catch (const system_error&)
            {}
            manual_timer t(ex, 10h);
            try
            {
                co_await t.async_wait(shield_for(grace, net::use_awaitable, ctype::partial));
                result = error_code();
            }
            catch (const system_error& e)
            {
                result = e.code();
            }
        },
        net::bind_cancellation_slot(sig.slot(), net::detached));
    settle(io);
    sig.emit(ctype::terminal);
    settle(io);
    BOOST_TEST_REQUIRE(result.has_value());
    BOOST_TEST(*result == net::error::operation_aborted);
}

BOOST_AUTO_TEST_SUITE_END()
