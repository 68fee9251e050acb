// T1, T3: shield_for holds requests back for a grace period after the first
// one, then forwards them; no request, no timer; the timer runs on the
// operation's associated executor.
#include "grace/grace_support.hpp"

#include <asio_shield/shield_for.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <future>
#include <vector>

using asio_shield::shield_for;
using namespace test;

BOOST_AUTO_TEST_SUITE(grace)

// T1: an operation that would take 10 s is cut at about the grace period after
// the request: not before it (the shield holds), and long before 10 s.
BOOST_AUTO_TEST_CASE(T1_long_operation_is_cut_after_the_grace_period)
{
    double elapsed_since_request = 0;
    error_code result;
    run_with_signal([&](net::io_context& io,
                        net::cancellation_signal& sig) -> net::awaitable<void> {
        net::steady_timer work(io, 10s);
        steady::time_point requested{};
        auto t = std::make_shared<net::steady_timer>(io, 20ms);
        t->async_wait([&, t](error_code) {
            requested = steady::now();
            sig.emit(ctype::terminal);
        });
        auto [ec] = co_await work.async_wait(shield_for(100ms, test::as_tuple(net::use_awaitable)));
        result = ec;
        elapsed_since_request = ms_since(requested);
    });
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(elapsed_since_request >= 100.0); // The shield held for the grace period.
    BOOST_TEST(elapsed_since_request < 5000.0); // ...and then gave way (generous bound).
}

// T1: an operation that finishes inside the grace period completes with its
// natural result, and the coroutine still sees the request afterwards (S4).
BOOST_AUTO_TEST_CASE(T1_operation_finishing_inside_the_grace_period_completes)
{
    error_code result = net::error::would_block;
    bool rethrown = false;
    double elapsed = 0;
    run_with_signal([&](net::io_context& io,
                        net::cancellation_signal& sig) -> net::awaitable<void> {
        const auto t0 = steady::now();
        net::steady_timer work(io, 50ms);
        emit_after(io.get_executor(), sig, 5ms, ctype::terminal);
        auto [ec] = co_await work.async_wait(shield_for(10s, test::as_tuple(net::use_awaitable)));
        elapsed = ms_since(t0);
        result = ec;
        try
        {
            co_await net::post(io, net::use_awaitable);
        }
        catch (const system_error& e)
        {
            rethrown = is_aborted(e);
        }
    });
    BOOST_TEST(!result);         // Natural result...
    BOOST_TEST(elapsed >= 50.0); // ...after its full duration.
    BOOST_TEST(rethrown);        // S4: the request shows up afterwards.
}

// T1: no request, no timer. The timer is allocated with the handler's
// associated allocator, which Asio also uses for the operation itself, so the
// count is compared with the same operation under a plain shield.
BOOST_AUTO_TEST_CASE(T1_no_request_no_timer)
{
    std::size_t with_grace = 0;
    std::size_t plain_shield = 0;
    run_with_signal([&](net::io_context& io, net::cancellation_signal&) -> net::awaitable<void> {
        net::steady_timer work(io, 1ms);
        for (int i = 0; i < 10; ++i)
        {
            work.expires_after(1ms);
            co_await work.async_wait(
                shield_for(1s, net::bind_allocator(counting_allocator<void>(&with_grace),
                                                   net::use_awaitable)));
            work.expires_after(1ms);
            co_await work.async_wait(asio_shield::shield(
                net::bind_allocator(counting_allocator<void>(&plain_shield), net::use_awaitable)));
        }
    });
    BOOST_TEST(plain_shield > 0u);          // The counter sees the operations...
    BOOST_TEST(with_grace == plain_shield); // ...and shield_for adds no timer.
}

// T1: the deadline counts from the *first* held request: later requests do not
// start another timer (one extra allocation for three requests), and the held
// requests then reach the operation.
BOOST_AUTO_TEST_CASE(T1_deadline_counts_from_the_first_request_and_forwards_the_union)
{
    auto run = [](bool grace, int requests) {
        std::size_t allocations = 0;
        net::io_context io;
        net::cancellation_signal sig;
        net::steady_timer work(io, grace ? 10s : 1ms);
        error_code result;
        // The slot binder is innermost: plain Asio 1.29.0 cannot nest the
        // other way round (fixed in 1.30).
        auto handler = net::bind_allocator(
            counting_allocator<void>(&allocations),
            net::bind_cancellation_slot(sig.slot(), [&](error_code ec) { result = ec; }));
        if (grace)
            work.async_wait(shield_for(50ms, handler));
        else
            work.async_wait(asio_shield::shield(handler));
        for (int i = 0; i < requests; ++i)
            net::post(io, [&sig, i] { sig.emit(i % 2 ? ctype::terminal : ctype::partial); });
        io.run();
        return std::make_pair(allocations, result);
    };
    const auto baseline = run(false, 0);
    const auto three_requests = run(true, 3);
    BOOST_TEST(!baseline.second);
    BOOST_TEST(three_requests.first == baseline.first + 1); // One timer, not three.
    BOOST_TEST(three_requests.second == net::error::operation_aborted);
}

// T1 with a mask: types outside the mask pass at once (S5), held ones wait.
BOOST_AUTO_TEST_CASE(T1_unblocked_types_pass_at_once)
{
    net::io_context io;
    net::cancellation_signal sig;
    net::steady_timer work(io, 10s);
    error_code result;
    double elapsed = 0;
    const auto t0 = steady::now();
    work.async_wait(shield_for(10s,
                               net::bind_cancellation_slot(sig.slot(),
                                                           [&](error_code ec) {
                                                               result = ec;
                                                               elapsed = ms_since(t0);
                                                           }),
                               ctype::terminal));
    net::post(io, [&] { sig.emit(ctype::partial); });
    io.run();
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(elapsed < 5000.0); // Well before the 10 s grace period.
}

// T1: a request that the mask removes entirely and that is not held (the mask
// covers nothing of it) reaches nothing: with mask = terminal, a terminal
// request is held; nothing else is forwarded before the deadline.
BOOST_AUTO_TEST_CASE(T1_held_request_reaches_nothing_before_the_deadline)
{
    net::io_context io;
    net::cancellation_signal sig;
    net::steady_timer work(io, 60ms);
    error_code result = net::error::would_block;
    work.async_wait(shield_for(
        10s, net::bind_cancellation_slot(sig.slot(), [&](error_code ec) { result = ec; }),
        ctype::terminal));
    net::post(io, [&] { sig.emit(ctype::terminal); });
    io.run();
    BOOST_TEST(!result); // Natural completion: the held request never reached it.
}

// T3: the grace timer runs on the handler's associated executor: the
// cancellation reaches the operation from a handler running on that strand.
BOOST_AUTO_TEST_CASE(T3_grace_timer_runs_on_the_associated_executor)
{
    net::io_context io;
    auto strand = net::make_strand(io);
    net::cancellation_signal sig;
    bool on_strand = false;
    bool completed = false;

    // The initiation names the io_context's executor, the handler a strand:
    // the handler's association wins (T3).
    auto op = [&](auto token) {
        return net::async_initiate<decltype(token), void(error_code)>(
            reporting_initiation{io.get_executor(), strand, &on_strand}, token);
    };
    net::post(strand, [&] {
        op(shield_for(20ms, net::bind_executor(
                                strand, net::bind_cancellation_slot(sig.slot(), [&](error_code ec) {
                                    completed = (ec == net::error::operation_aborted);
                                }))));
        sig.emit(ctype::terminal);
    });
    std::thread other([&] { io.run(); });
    io.run();
    other.join();
    BOOST_TEST(completed);
    BOOST_TEST(on_strand);
}

// T1 with real I/O: a peer that stops reading would hold a shielded write (and
// so a shutdown) forever; shield_for cuts it about the grace period after the
// request, and the write reports how far it got.
BOOST_AUTO_TEST_CASE(T1_write_to_a_peer_that_stopped_reading_is_cut_after_the_grace_period)
{
    net::io_context io;
    auto [client, server] = socket_pair(io);
    std::vector<char> payload(big_payload, 'x');
    net::cancellation_signal sig;
    error_code result;
    std::size_t written = 0;
    double elapsed_since_request = 0;
    steady::time_point requested{};
    net::async_write(server, net::buffer(payload),
                     shield_for(100ms, net::bind_cancellation_slot(
                                           sig.slot(), [&](error_code ec, std::size_t n) {
                                               result = ec;
                                               written = n;
                                               elapsed_since_request = ms_since(requested);
                                           })));
    net::steady_timer shutdown(io, 20ms);
    shutdown.async_wait([&](error_code) {
        requested = steady::now();
        sig.emit(ctype::terminal); // The client never reads.
    });
    io.run();
    BOOST_TEST(result == net::error::operation_aborted);
    BOOST_TEST(written < payload.size());
    BOOST_TEST(elapsed_since_request >= 100.0);
    BOOST_TEST(elapsed_since_request < 5000.0);
}

// T1 with the other token styles: shield_for composes like shield (S2) —
// around use_future, inside redirect_error and around binders. Each read
// is pending when a request arrives on its slot; the grace period (an hour,
// longer than any run of this test) holds the request back, so each read
// completes with the byte its peer writes afterwards. An adapter that passed
// requests on would complete all three with operation_aborted; one that left
// its grace timer armed would keep io.run() busy for the hour. Event-ordered:
// no wall-clock time is measured.
BOOST_AUTO_TEST_CASE(T1_composes_with_future_redirect_error_and_binders) // S1, S2, S4
{
    net::io_context io;
    auto a = socket_pair(io);
    auto b = socket_pair(io);
    auto c = socket_pair(io);
    net::cancellation_signal sig_a, sig_b, sig_c;
    char byte_a = 0, byte_b = 0, byte_c = 0;

    // use_future's executor cannot run a timer (on Asio 1.22 it answers no
    // context query): the grace timer then runs on the socket's executor.
    std::future<std::size_t> f = a.first.async_read_some(
        net::buffer(&byte_a, 1),
        shield_for(1h, net::bind_cancellation_slot(sig_a.slot(), net::use_future)));

    auto strand = net::make_strand(io);
    error_code ec_c = net::error::would_block;
    std::size_t n_c = 0;
    bool on_strand = false;
    c.first.async_read_some(
        net::buffer(&byte_c, 1),
        shield_for(1h,
                   net::bind_executor(strand, net::bind_cancellation_slot(
                                                  sig_c.slot(), [&](error_code ec, std::size_t n) {
                                                      ec_c = ec;
                                                      n_c = n;
                                                      on_strand = strand.running_in_this_thread();
                                                  }))));

    error_code ec_b = net::error::would_block;
    std::size_t n_b = 0;
    net::cancellation_type_t recorded_b = ctype::none;
    std::exception_ptr error_b;
    bool done_b = false;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            // Runs once this coroutine waits in the read below: every read is pending.
            net::post(io, [&] {
                sig_a.emit(ctype::terminal);
                sig_b.emit(ctype::terminal);
                sig_c.emit(ctype::terminal);
                net::post(io, [&] {
                    net::write(a.second, net::buffer("a", 1));
                    net::write(b.second, net::buffer("b", 1));
                    net::write(c.second, net::buffer("c", 1));
                });
            });
            n_b = co_await b.first.async_read_some(
                net::buffer(&byte_b, 1),
                net::redirect_error(shield_for(1h, net::use_awaitable), ec_b));
            recorded_b = (co_await net::this_coro::cancellation_state).cancelled();
        },
        net::bind_cancellation_slot(sig_b.slot(), [&](std::exception_ptr e) {
            error_b = e;
            done_b = true;
        }));
    io.run();

    std::size_t n_a = 0;
    BOOST_CHECK_NO_THROW(n_a = f.get());
    BOOST_TEST(n_a == 1u);
    BOOST_TEST(byte_a == 'a');

    BOOST_TEST(done_b);
    BOOST_TEST(!error_b);
    BOOST_TEST(!ec_b);
    BOOST_TEST(n_b == 1u);
    BOOST_TEST(byte_b == 'b');
    BOOST_TEST((recorded_b == ctype::terminal)); // S4: the coroutine still sees the request

    BOOST_TEST(!ec_c);
    BOOST_TEST(n_c == 1u);
    BOOST_TEST(byte_c == 'c');
    BOOST_TEST(on_strand); // S2: the handler's executor is kept
}

BOOST_AUTO_TEST_SUITE_END()
