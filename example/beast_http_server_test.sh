#!/usr/bin/env bash
# T1, T2, T4, J3: beast_http_server shut down with SIGTERM while two responses
# of one large file are in flight, one to a client reading at a limited rate
# and one to a client that read the headers and stopped reading.
#
#   beast_http_server_test.sh <beast_http_server> <work dir> [<MiB/s>]
#
# Protected run, asserted:
#   - both responses were in flight when the shutdown began (the server says so);
#   - the rate-limited client received the whole file, byte for byte;
#   - the stalled client received less than the file, and the server reports
#     its response cut;
#   - the server exited with status 0, between grace - 0.25 s and grace + 1.5 s
#     after SIGTERM: the stalled client held it until the grace deadline, and
#     no longer.
# Unprotected run (--unprotected), asserted: both responses in flight at the
# signal, the rate-limited client received less than the file (torn), both
# responses reported cut, the server exited within 1 s.
#
# Sizes. What the kernel can hold of one response, in the client's receive
# buffer and the server's send buffer, is at most tcp_rmem[2] + tcp_wmem[2]
# (autotuning grows the receive buffer of a client that reads in bursts, as
# curl's rate limit does, up to that: 32 MiB + 4 MiB on some machines, 6 + 4
# on a stock Debian). A response whose rest fits there is no longer in flight:
# the server has handed it all to the kernel. So the rest of the body at the
# signal is that bound + 8 MiB, the file is what the client reads in the first
# second plus that rest, and the rate is the argument (24 MiB/s by default;
# sanitizer builds, whose server is slower, pass 12).
#
# The pause. About 1 s in, the rate-limited client is stopped (SIGSTOP) until
# every connection of the server has a full send queue that stays put for
# 100 ms (read from /proc/net/tcp), then the signal is sent, and the client
# resumes 500 ms later or when the server has finished, if sooner. So both
# writes are waiting for their sockets when the one cancellation request
# arrives. Without the pause, the request can arrive between two steps of the
# message_generator write, when no step is pending: plain Asio then loses it
# (that write never checks for a recorded cancellation) and the unprotected
# response is not torn; about one run in three did that.
#
# Margins. The grace period is twice the time the rest of the body needs at
# the nominal rate, plus 1 s (at least 4 s): the rate-limited client, which
# resumes at most 0.5 s after the signal, may read at half its rate and still
# finish. The lower bound on the exit time is 0.25 s under the grace period,
# whose timer starts after the signal; the upper bound leaves 1.5 s for the
# sessions to end and the process to exit (the group's hard stage, 1 s after
# the grace period, would end it before). Unprotected, the rate-limited client is torn with at
# least 8 MiB to spare whatever the kernel buffers; the stalled one reads only
# what its buffers held. The whole test takes 10 to 20 s.
#
# Exits 77 (skipped) when curl or /proc/net/tcp is missing.
set -u

server=$1
dir=$2
rate_mib=${3:-24}
signal_after_ms=1000

command -v curl >/dev/null || { echo "curl not found: skipped"; exit 77; }
[ -r /proc/net/tcp ] || { echo "no /proc/net/tcp: skipped"; exit 77; }

mib=$((1024 * 1024))
kernel_mib=$((($(awk '{print $3}' /proc/sys/net/ipv4/tcp_rmem) +
    $(awk '{print $3}' /proc/sys/net/ipv4/tcp_wmem) + mib - 1) / mib))
rest_mib=$((kernel_mib + 8))
size=$(((rate_mib * signal_after_ms / 1000 + rest_mib) * mib))
rate=${rate_mib}M # curl's unit: MiB/s
grace_ms=$((2 * 1000 * rest_mib / rate_mib + 1000))
grace_ms=$((grace_ms < 4000 ? 4000 : (grace_ms + 99) / 100 * 100))
grace_arg=$(printf '%d.%d' $((grace_ms / 1000)) $((grace_ms % 1000 / 100)))
echo "kernel buffers up to $kernel_mib MiB: file $((size / mib)) MiB at $rate_mib MiB/s," \
    "grace $grace_arg s"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

rm -rf "$dir" && mkdir -p "$dir/root" || exit 1
head -c "$size" /dev/urandom >"$dir/root/big.bin" || exit 1

pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; }
trap cleanup EXIT

# Sends a request, reads the status line and headers, then stops reading until
# told to go on (the file <prefix>.go), and then counts the body bytes that
# reach it before the server closes the connection.
stalled_client() {
    local port=$1 prefix=$2 line
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
    while IFS= read -r line <&3; do
        line=${line%$'\r'}
        echo "$line" >>"$prefix.headers"
        [ -z "$line" ] && break
    done
    : >"$prefix.ready"
    while [ ! -e "$prefix.go" ]; do sleep 0.05; done
    local n
    n=$(cat <&3 2>/dev/null | wc -c)
    echo $n >"$prefix.count" && mv "$prefix.count" "$prefix.bytes"
}

# Succeeds once every connection of the server on port $1 has a send queue
# that is not empty and has not changed for 100 ms: the client's receive
# window is closed and the server's socket buffer full, so its write waits for
# the socket. Reads /proc/net/tcp (Linux): local address, state 01
# (established), tx_queue.
server_writes_blocked() {
    local hex prev="" same=0 queues i
    hex=$(printf '%04X' "$1")
    for i in $(seq 150); do
        queues=$(awk -v port=":$hex" '$4 == "01" && substr($2, length($2) - 4) == port {
                     split($5, q, ":"); print q[1] }' /proc/net/tcp | sort | tr '\n' ' ')
        if [ "$(echo $queues | wc -w)" -eq 2 ] && [[ "$queues" != *00000000* ]] &&
            [ "$queues" = "$prev" ]; then
            same=$((same + 1))
            [ "$same" -ge 5 ] && return 0
        else
            same=0
        fi
        prev=$queues
        sleep 0.02
    done
    return 1
}

# run <label> [server options...]: one shutdown with both clients.
run() {
    local label=$1
    shift
    local out="$dir/$label"
    mkdir -p "$out"
    "$server" --root "$dir/root" --port 0 --grace "$grace_arg" "$@" \
        >"$out/server.out" 2>"$out/server.err" &
    local server_pid=$!
    pids+=("$server_pid")

    local port="" i
    for i in $(seq 200); do
        port=$(awk '/^port /{print $2}' "$out/server.out" 2>/dev/null)
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { fail "$label: the server printed no port"; return; }

    stalled_client "$port" "$out/stalled" &
    pids+=($!)
    curl --silent --show-error --limit-rate "$rate" --output "$out/throttled.body" \
        "http://127.0.0.1:$port/big.bin" &
    local curl_pid=$!
    pids+=("$curl_pid")

    # Both responses have started: the stalled client has its headers, the
    # other client some of the body.
    local started=$(now_ms)
    for i in $(seq 500); do
        [ -e "$out/stalled.ready" ] && [ -s "$out/throttled.body" ] && break
        sleep 0.02
    done
    [ -e "$out/stalled.ready" ] || fail "$label: the stalled client got no headers"
    local wait_ms=$((started + signal_after_ms - $(now_ms)))
    [ "$wait_ms" -gt 0 ] && sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"

    # The rate-limited client pauses around the signal, so that both writes
    # wait for their sockets when the shutdown request arrives (see the top).
    kill -STOP "$curl_pid"
    server_writes_blocked "$port" || fail "$label: the server's writes did not block"

    # A watchdog bounds the wait for the exit; its kill shows as status 137.
    # It takes its sleep with it when stopped, so no process outlives the test.
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        sleep $((grace_ms / 1000 + 8)) &
        nap=$!
        wait "$nap" && kill -KILL "$server_pid" 2>/dev/null
    ) >/dev/null 2>&1 &
    local watchdog=$!
    local at_signal
    at_signal=$(stat -c %s "$out/throttled.body")
    local t0=$(now_ms)
    kill -TERM "$server_pid"
    # The paused client reads again 500 ms after the signal, or once the server
    # has finished (its last line), if that is sooner.
    for i in $(seq 25); do
        grep -q "^exit: " "$out/server.err" && break
        sleep 0.02
    done
    kill -CONT "$curl_pid"
    wait "$server_pid"
    local status=$?
    local exit_ms=$(($(now_ms) - t0))
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null

    : >"$out/stalled.go"
    wait "$curl_pid"
    local curl_status=$?
    for i in $(seq 100); do
        [ -e "$out/stalled.bytes" ] && break
        sleep 0.05
    done
    local throttled stalled
    throttled=$(stat -c %s "$out/throttled.body")
    stalled=$(cat "$out/stalled.bytes" 2>/dev/null || echo missing)

    echo "--- $label: server stderr"
    grep -v '^@asio|' "$out/server.err" # Without Asio's handler tracking, if on.
    echo "--- $label: status $status, exit $exit_ms ms after SIGTERM;" \
        "throttled client $throttled of $size bytes ($at_signal at the signal," \
        "curl status $curl_status); stalled client $stalled body bytes"

    [ "$status" -eq 0 ] || fail "$label: server exit status $status"
    grep -q "^shutdown: 2 sessions, 2 responses in flight" "$out/server.err" ||
        fail "$label: both responses were not in flight at the signal"
    [[ "$stalled" =~ ^[0-9]+$ ]] && [ "$stalled" -lt "$size" ] ||
        fail "$label: the stalled client received $stalled bytes, expected fewer than $size"
    RUN_THROTTLED=$throttled RUN_EXIT_MS=$exit_ms RUN_DIR=$out
}

run protected
if [ "${RUN_THROTTLED:-}" ]; then
    cmp -s "$dir/root/big.bin" "$RUN_DIR/throttled.body" ||
        fail "protected: the rate-limited client received $RUN_THROTTLED bytes, not the whole file"
    [ "$RUN_EXIT_MS" -ge $((grace_ms - 250)) ] ||
        fail "protected: exit after $RUN_EXIT_MS ms, before the grace deadline ($grace_ms ms)"
    [ "$RUN_EXIT_MS" -le $((grace_ms + 1500)) ] ||
        fail "protected: exit after $RUN_EXIT_MS ms, more than $((grace_ms + 1500)) ms"
    [ "$(grep -c '/big.bin, 1 responses, .* whole$' "$RUN_DIR/server.err")" -eq 1 ] &&
        [ "$(grep -c '/big.bin, 1 responses, .* cut$' "$RUN_DIR/server.err")" -eq 1 ] ||
        fail "protected: expected one response whole and one cut"
    grep -q "shutdown complete" "$RUN_DIR/server.err" || fail "protected: the shutdown did not complete"
fi

RUN_THROTTLED=""
run unprotected --unprotected
if [ "${RUN_THROTTLED:-}" ]; then
    [ "$RUN_THROTTLED" -lt "$size" ] ||
        fail "unprotected: the rate-limited client received the whole file; plain Asio tears it"
    [ "$RUN_EXIT_MS" -le 1000 ] || fail "unprotected: exit after $RUN_EXIT_MS ms, more than 1000 ms"
    [ "$(grep -c '/big.bin, 1 responses, .* cut$' "$RUN_DIR/server.err")" -eq 2 ] ||
        fail "unprotected: expected both responses cut"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
