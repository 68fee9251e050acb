//
// timeout_handler.cpp — a request handler under a `||` timeout whose two-part
// update is never torn, while the timeout still stops the handler.
//
// The request is a transfer of 30 from alice, on the local ledger (fast, 5 ms),
// to bob, on a remote ledger (slow, 200 ms); afterwards the handler sends a
// receipt. The server gives each request 50 ms:
//
//   co_await (handle_transfer(...) || timeout(50ms));
//
// The timeout always fires while the credit is in flight (see `serve`). With
// plain use_awaitable, `||` cancels the credit: alice has been debited, bob
// never credited, and 30 are gone. With both steps shielded, or with a
// cancellation guard around them, the credit completes; the timeout's request
// is not lost, so the handler stops at its next co_await — the receipt is not
// sent and `||` reports the timeout, as it would without protection.
//
// The program prints a table (balances, whether a receipt went out, where the
// handler stopped) and exits with 0 only if the plain run is torn and both
// protected runs are whole and were stopped right after the transfer.
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
#include <asio/experimental/awaitable_operators.hpp>
using error_code = std::error_code;
using system_error = std::system_error;
#else
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
using error_code = boost::system::error_code;
using system_error = boost::system::system_error;
#endif

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <utility>

namespace net = asio_shield::net;
using namespace net::experimental::awaitable_operators;
using namespace std::chrono_literals;

namespace {

constexpr int opening_balance = 100;
constexpr int amount = 30;
constexpr auto request_timeout = 50ms;

// An account in a ledger service; a timer stands for the round trip.
struct account
{
    account(net::io_context& io, std::chrono::milliseconds latency, int balance)
        : timer(io), latency(latency), balance(balance)
    {}

    net::steady_timer timer;
    std::chrono::milliseconds latency;
    int balance;
};

/// Adds `delta` to the balance of `acc`, after one round trip.
/**
 * **Completion signature**: `void(error_code)`.
 *
 * **Per-operation cancellation**: terminal, partial, total (those of the
 * timer). A cancelled update changes nothing.
 */
template <typename CompletionToken>
auto async_update(account& acc, int delta, CompletionToken&& token)
{
    return net::async_compose<CompletionToken, void(error_code)>(
        [&acc, delta, started = false](auto& self, error_code ec = {}) mutable {
            if (!started)
            {
                started = true;
                acc.timer.expires_after(acc.latency);
                return acc.timer.async_wait(std::move(self));
            }
            if (!ec)
                acc.balance += delta;
            self.complete(ec);
        },
        token, acc.timer);
}

enum class protection
{
    none,
    shield,
    guard
};

struct report
{
    const char* stage = "not started"; // The step the handler was in last.
    bool receipt_sent = false;
    bool stopped = false;   // The handler ended with operation_aborted.
    bool timed_out = false; // `||` reported the timeout.
};

// The two-part update that must not be torn, in three spellings.
net::awaitable<void> transfer(account& from, account& to, protection p, report& r)
{
    using asio_shield::shield;
    switch (p)
    {
    case protection::none:
        r.stage = "debit";
        co_await async_update(from, -amount, net::use_awaitable);
        r.stage = "credit";
        co_await async_update(to, +amount, net::use_awaitable);
        break;
    case protection::shield:
        // Each step is shielded: once the request is recorded, an unshielded
        // credit would throw before it started (S3 lets this one start).
        r.stage = "debit";
        co_await async_update(from, -amount, shield(net::use_awaitable));
        r.stage = "credit";
        co_await async_update(to, +amount, shield(net::use_awaitable));
        break;
    case protection::guard: {
        auto guard = co_await asio_shield::guard_cancellation(); // G1 for both steps.
        r.stage = "debit";
        co_await async_update(from, -amount, net::use_awaitable);
        r.stage = "credit";
        co_await async_update(to, +amount, net::use_awaitable);
        break;
    } // G2: a request made during the transfer is in force again here.
    }
}

net::awaitable<void> handle_transfer(account& from, account& to, protection p, report& r)
{
    try
    {
        co_await transfer(from, to, p, r);
        // Cancellable on purpose: the request's deadline still applies here.
        r.stage = "receipt";
        net::steady_timer send_receipt(co_await net::this_coro::executor, 1ms);
        co_await send_receipt.async_wait(net::use_awaitable);
        r.receipt_sent = true;
    }
    catch (const system_error& e)
    {
        if (e.code() != net::error::operation_aborted)
            throw;
        r.stopped = true;
    }
}

net::awaitable<void> timeout(std::chrono::milliseconds duration)
{
    net::steady_timer timer(co_await net::this_coro::executor, duration);
    co_await timer.async_wait(net::use_awaitable);
}

// Why the timeout always lands in the credit, whatever the machine's load:
// `||` starts the handler first, so the debit's timer is set before the
// timeout's and expires earlier (5 ms < 50 ms); timers complete in expiry
// order, so the debit completes before the timeout. The credit starts after
// both timers were set and needs 200 ms, so it is in flight when the 50 ms
// timeout completes.
net::awaitable<void> serve(account& from, account& to, protection p, report& r)
{
    auto handler_or_timeout = handle_transfer(from, to, p, r) || timeout(request_timeout);
    const auto winner = co_await std::move(handler_or_timeout);
    r.timed_out = winner.index() == 1;
}

struct result
{
    int alice = 0;
    int bob = 0;
    report r;
};

result run(protection p)
{
    net::io_context io;
    account alice(io, 5ms, opening_balance); // Local ledger.
    account bob(io, 200ms, 0);               // Remote ledger.
    result res;
    net::co_spawn(io, serve(alice, bob, p, res.r), [](std::exception_ptr e) {
        if (e)
            std::rethrow_exception(e);
    });
    io.run();
    res.alice = alice.balance;
    res.bob = bob.balance;
    return res;
}

} // namespace

int main()
{
    try
    {
        struct variant
        {
            const char* name;
            protection p;
        };
        const variant variants[] = {{"use_awaitable", protection::none},
                                    {"shield(use_awaitable)", protection::shield},
                                    {"cancellation_guard", protection::guard}};

        std::printf("transfer of %d from alice (local ledger) to bob (remote ledger), "
                    "timeout %lld ms\n",
                    amount, static_cast<long long>(request_timeout.count()));
        std::printf("%-22s  %5s  %5s  %5s  %-7s  %-24s  %s\n", "variant", "alice", "bob", "total",
                    "receipt", "handler stopped", "transfer");
        bool ok = true;
        for (const variant& v : variants)
        {
            const result res = run(v.p);
            const char* transfer = res.alice + res.bob != opening_balance ? "torn"
                                   : res.bob == amount                    ? "whole"
                                                                          : "not made";
            const std::string stopped = res.r.stopped ? std::string("during ") + res.r.stage
                                                      : std::string("no (ran to the end)");
            // Expected: the timeout stops every variant. The plain one is cut
            // in the credit; the protected ones finish the transfer and stop
            // at the receipt.
            const std::string expected_stop =
                v.p == protection::none ? "during credit" : "during receipt";
            const std::string expected_transfer = v.p == protection::none ? "torn" : "whole";
            const bool expected = res.r.timed_out && !res.r.receipt_sent &&
                                  stopped == expected_stop && transfer == expected_transfer;
            ok = ok && expected;
            std::printf("%-22s  %5d  %5d  %5d  %-7s  %-24s  %s%s\n", v.name, res.alice, res.bob,
                        res.alice + res.bob, res.r.receipt_sent ? "sent" : "none", stopped.c_str(),
                        transfer, expected ? "" : "  <-- UNEXPECTED");
        }
        std::printf("%s\n", ok ? "all outcomes as expected" : "some outcomes were unexpected");
        return ok ? 0 : 1;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "timeout_handler: %s\n", e.what());
        return 2;
    }
}
