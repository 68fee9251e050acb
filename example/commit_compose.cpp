//
// commit_compose.cpp — a hand-written composed operation with a point of no
// return.
//
// `async_save` does some preparation steps that may be cancelled at any time,
// then a commit step (a timer standing for writing a commit record) that must
// not be cut. The commit is bound to an asio_shield::slot_guard: a request that
// arrives during the commit is recorded instead of forwarded, the commit
// finishes, and the operation then reports the request — like async_write
// reports (operation_aborted, bytes_transferred):
//
//   error_code   committed   meaning
//   success      true        saved
//   aborted      false       cancelled during preparation: nothing saved
//   aborted      true        cancellation came too late: saved anyway
//
// The program runs the three cases and exits with 0 if each ends as above.
//
// Distributed under the Boost Software License, Version 1.0.
//

#include <asio_shield.hpp>

#if defined(ASIO_SHIELD_STANDALONE)
#include <asio.hpp>
using error_code = std::error_code;
#else
#include <boost/asio.hpp>
using error_code = boost::system::error_code;
#endif

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

namespace net = asio_shield::net;
using namespace std::chrono_literals;

namespace {

constexpr int preparation_steps = 3;

// Progress is reported through `on_progress(const std::string&)`, which the
// caller uses to print, and here also to pick the moment to cancel.
template <typename Progress>
struct save_op
{
    net::steady_timer& timer;
    Progress on_progress;
    int step = 0;
    // Engaged for the commit. async_compose clears the slot the guard works
    // on when it resumes us, which ends the guard; what it recorded stays.
    std::optional<asio_shield::slot_guard> commit_guard{};

    template <typename Self>
    void operator()(Self& self, error_code ec = {})
    {
        if (commit_guard)
            return commit_finished(self, ec);
        // Preparation: cancellable. A request may also arrive just as a step
        // completes successfully.
        if (ec || self.get_cancellation_state().cancelled() != net::cancellation_type::none)
            return self.complete(net::error::operation_aborted, false);
        if (step < preparation_steps)
        {
            on_progress("step " + std::to_string(++step) + " started");
            timer.expires_after(10ms);
            return timer.async_wait(std::move(self)); // Bound to the operation's slot.
        }

        // The commit: from here on, requests are recorded, not forwarded. The
        // guard takes over the operation's slot and hands out its own (G8).
        commit_guard.emplace(self.get_cancellation_state().slot());
        on_progress("commit started");
        timer.expires_after(20ms);
        timer.async_wait(net::bind_cancellation_slot(commit_guard->slot(), std::move(self)));
    }

    template <typename Self>
    void commit_finished(Self& self, error_code ec)
    {
        on_progress("commit finished");
        if (ec)
            return self.complete(ec, false);
        const bool cancel_requested =
            commit_guard->cancellation_requested() != net::cancellation_type::none;
        self.complete(cancel_requested ? error_code(net::error::operation_aborted) : error_code(),
                      true);
    }
};

/// Saves in a few cancellable steps and one commit that is never cut.
/**
 * **Completion signature**: `void(error_code ec, bool committed)`.
 *
 * **Per-operation cancellation**: terminal. Before the commit, the operation
 * stops at once and completes with `(operation_aborted, false)`. During the
 * commit, the request is recorded; the commit finishes and the operation
 * completes with `(operation_aborted, true)`.
 */
template <typename Progress, typename CompletionToken>
auto async_save(net::steady_timer& timer, Progress on_progress, CompletionToken&& token)
{
    return net::async_compose<CompletionToken, void(error_code, bool)>(
        save_op<Progress>{timer, std::move(on_progress)}, token, timer);
}

// Runs one save; requests cancellation right after the progress message
// `cancel_at` (if any). Returns whether the outcome is the expected one.
bool run(const char* title, const std::string& cancel_at, bool expect_aborted,
         bool expect_committed)
{
    std::printf("%s:\n", title);
    net::io_context io;
    net::steady_timer timer(io);
    net::cancellation_signal cancel;
    bool aborted = false;
    bool committed = false;

    auto on_progress = [&](const std::string& what) {
        std::printf("  %s\n", what.c_str());
        // Posted, so it runs while the step just started is pending: on one
        // thread, a timer's completion queues up behind handlers posted before.
        if (what == cancel_at)
            net::post(io, [&] {
                std::printf("  cancellation requested\n");
                cancel.emit(net::cancellation_type::terminal);
            });
    };
    async_save(timer, on_progress,
               net::bind_cancellation_slot(cancel.slot(), [&](error_code ec, bool saved) {
                   aborted = ec == net::error::operation_aborted;
                   committed = saved;
               }));
    io.run();

    const bool ok = aborted == expect_aborted && committed == expect_committed;
    std::printf("  result: %s, committed: %s%s\n", aborted ? "operation_aborted" : "success",
                committed ? "yes" : "no", ok ? "" : "  <-- UNEXPECTED");
    return ok;
}

} // namespace

int main()
{
    bool ok = run("no cancellation", "", false, true);
    ok = run("cancelled during step 2", "step 2 started", true, false) && ok;
    ok = run("cancelled during the commit", "commit started", true, true) && ok;
    std::printf("%s\n", ok ? "all outcomes as expected" : "some outcomes were unexpected");
    return ok ? 0 : 1;
}
