#!/usr/bin/env bash
# J5, J6, J9, T4: beast_http_server's shutdown, case by case, against real
# clients: bash's /dev/tcp, curl and test/shutdown/ws_client.
#
#   beast_shutdown_cases.sh <beast_http_server> <ws_client> <work dir> <case> [<MiB/s>]
#
# Cases (each a CTest test, named with its rule id):
#   idle       J6  two idle keep-alive connections see the server's FIN within
#                  100 ms of SIGTERM; exit status 0.
#   downloads  J6  two 64 MiB downloads, rate-limited, and paused at the signal
#                  so that both writes wait for their sockets (the server's
#                  shutdown line says both are in flight), arrive whole (size
#                  and SHA-256), before the grace deadline; exit 0.
#   stalled    T4  a client that read the headers of a 64 MiB response and
#                  stopped reading is cut at the grace period (1 s): the server
#                  exits between 1 s and 1.5 s after SIGTERM, reports the
#                  response cut, and the client got less than the file; exit 0.
#   websocket  J6  two WebSocket peers receive a close frame with code 1001 and
#                  the server, having received their close, exits well before
#                  its grace deadline; exit 0.
#   second     J9  with a stalled reader holding the shutdown (grace 10 s), a
#                  second SIGTERM ends the process within 100 ms.
#   refused    J5  a connection attempted after the shutdown has begun, while
#                  the server still runs (a stalled reader holds it), is refused
#                  (curl's "couldn't connect"); exit 0.
#   red        the cases above against --unprotected (the same server with
#                  plain Asio writes and closes). Passes when the cases the
#                  library's protection decides fail there: downloads (torn),
#                  stalled (cut at once, not at the grace period) and websocket
#                  (no close frame); the others are reported (idle and second
#                  pass without protection; refused fails only because the
#                  unprotected server has already exited when the connection is
#                  attempted, which proves nothing).
# A case passes with exit status 0 and prints each figure it checks.
#
# Every wait is on an observable event (the server's "port" and "shutdown:"
# lines, a client's "connected" line or ready file, curl's first bytes, the
# server's send queue in /proc/net/tcp), polled every 10 to 20 ms with a bound;
# times are taken with date +%s%N around the events. A watchdog kills a server
# that outlives its case. Exits 77 (skipped) without curl or /proc/net/tcp.
set -u

server=$1
ws_client=$2
dir=$3
case_name=$4
rate_mib=${5:-32}
mib=$((1024 * 1024))
size=$((64 * mib))

command -v curl >/dev/null || { echo "curl not found: skipped"; exit 77; }
[ -r /proc/net/tcp ] || { echo "no /proc/net/tcp: skipped"; exit 77; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; }
trap cleanup EXIT

# until_true <tries> <delay> <command...>: bounded polling.
until_true() {
    local tries=$1 delay=$2 i
    shift 2
    for ((i = 0; i < tries; ++i)); do
        "$@" && return 0
        sleep "$delay"
    done
    return 1
}

mkdir -p "$dir/root" || exit 1
[ "$(stat -c %s "$dir/root/big.bin" 2>/dev/null)" = "$size" ] ||
    head -c "$size" /dev/urandom >"$dir/root/big.bin" || exit 1
printf 'small\n' >"$dir/root/small.txt"
big_sum=$(sha256sum <"$dir/root/big.bin" | cut -d' ' -f1)

# start_server <label> <grace> <hard> [options...]: sets out, server_pid, port.
start_server() {
    local label=$1 grace=$2 hard=$3
    shift 3
    out="$dir/$label"
    rm -rf "$out" && mkdir -p "$out"
    "$server" --root "$dir/root" --port 0 --grace "$grace" --hard "$hard" "$@" \
        >"$out/server.out" 2>"$out/server.err" &
    server_pid=$!
    pids+=("$server_pid")
    # The watchdog: grace + hard + 10 s, then SIGKILL (status 137).
    local limit
    limit=$(awk -v g="$grace" -v h="$hard" 'BEGIN { printf "%d", g + h + 10 }')
    (
        trap 'kill "$nap" 2>/dev/null; exit 0' TERM
        sleep "$limit" &
        nap=$!
        wait "$nap" && kill -KILL "$server_pid" 2>/dev/null
    ) >/dev/null 2>&1 &
    watchdog=$!
    pids+=("$watchdog")
    port=""
    until_true 500 0.01 grep -q '^port ' "$out/server.out"
    port=$(awk '/^port /{print $2}' "$out/server.out")
    [ -n "$port" ] || { fail "$label: the server printed no port"; return 1; }
}

# signal_server: SIGTERM, with the time taken just before it (t_signal).
signal_server() {
    t_signal=$(now_ms)
    kill -TERM "$server_pid"
}

# wait_server: sets status and exit_ms (from t_signal); stops the watchdog.
wait_server() {
    wait "$server_pid"
    status=$?
    exit_ms=$(($(now_ms) - t_signal))
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    echo "--- server stderr"
    cat "$out/server.err"
    echo "--- server status $status, exit $exit_ms ms after SIGTERM"
}

# A keep-alive client: one request for small.txt, read the response, touch
# <prefix>.ready, then wait for the server's FIN and write the time to
# <prefix>.eof.
idle_client() {
    local prefix=$1 line length=0 body
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
    while IFS= read -r line <&3; do
        line=${line%$'\r'}
        [ -z "$line" ] && break
        [[ "$line" =~ ^[Cc]ontent-[Ll]ength:\ *([0-9]+) ]] && length=${BASH_REMATCH[1]}
    done
    read -r -N "$length" body <&3
    : >"$prefix.ready"
    cat <&3 >/dev/null
    now_ms >"$prefix.eof.tmp" && mv "$prefix.eof.tmp" "$prefix.eof"
}

# A client that reads the headers of big.bin and stops reading until
# <prefix>.go exists; then counts the body bytes that reach it.
stalled_client() {
    local prefix=$1 line n
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n' >&3
    while IFS= read -r line <&3; do
        line=${line%$'\r'}
        [ -z "$line" ] && break
    done
    : >"$prefix.ready"
    until_true 3000 0.02 test -e "$prefix.go"
    n=$(cat <&3 2>/dev/null | wc -c)
    echo "$n" >"$prefix.count" && mv "$prefix.count" "$prefix.bytes"
}

# write_blocked [<connections>]: succeeds once each of the server's
# established connections (1 by default) has a send queue that is not empty and
# has not changed for 100 ms: the client's window is closed and the server's
# write waits for the socket. Reads /proc/net/tcp (Linux): local address,
# state 01 (established), tx_queue.
write_blocked() {
    local count=${1:-1} hex prev="" same=0 queue i
    hex=$(printf '%04X' "$port")
    for i in $(seq 250); do
        queue=$(awk -v port=":$hex" '$4 == "01" && substr($2, length($2) - 4) == port {
                     split($5, q, ":"); print q[1] }' /proc/net/tcp | sort | tr '\n' ' ')
        if [ "$(echo $queue | wc -w)" -eq "$count" ] && [[ "$queue" != *00000000* ]] &&
            [ "$queue" = "$prev" ]; then
            same=$((same + 1))
            [ "$same" -ge 5 ] && return 0
        else
            same=0
        fi
        prev=$queue
        sleep 0.02
    done
    return 1
}

# start_stalled <prefix>: a stalled client whose response waits for its socket.
start_stalled() {
    stalled_client "$1" &
    pids+=($!)
    until_true 500 0.01 test -e "$1.ready" || { fail "the stalled client got no headers"; return 1; }
    write_blocked || fail "the server's write to the stalled client did not block"
}

case_idle() {
    start_server idle "${grace:-5}" 1 "$@" || return
    local c
    for c in 1 2; do
        idle_client "$out/idle$c" &
        pids+=($!)
    done
    until_true 500 0.01 test -e "$out/idle1.ready" -a -e "$out/idle2.ready" ||
        fail "idle: the keep-alive clients got no response"
    signal_server
    until_true 300 0.01 test -e "$out/idle1.eof" -a -e "$out/idle2.eof"
    wait_server
    for c in 1 2; do
        if [ -e "$out/idle$c.eof" ]; then
            local ms=$(($(cat "$out/idle$c.eof") - t_signal))
            echo "idle client $c: connection closed $ms ms after SIGTERM"
            [ "$ms" -le 100 ] || fail "idle: client $c closed after $ms ms, more than 100 ms"
        else
            fail "idle: client $c was not closed within 3 s"
        fi
    done
    [ "$status" -eq 0 ] || fail "idle: server exit status $status"
}

case_downloads() {
    start_server downloads 10 1 "$@" || return
    local c curl_pids=()
    for c in 1 2; do
        curl --silent --show-error --limit-rate "${rate_mib}M" --output "$out/body$c" \
            "http://127.0.0.1:$port/big.bin" &
        curl_pids+=($!)
        pids+=($!)
    done
    # Both under way: each has received at least 1 MiB (curl's first bytes).
    big_enough() { [ "$(stat -c %s "$out/body$1" 2>/dev/null || echo 0)" -ge "$mib" ]; }
    until_true 1000 0.01 eval 'big_enough 1 && big_enough 2' ||
        fail "downloads: no bytes within 10 s"
    # Both curls pause until both of the server's writes wait for their
    # sockets, and resume once the shutdown has begun: the request then finds
    # each write pending. A client reading all the time keeps the writes
    # completing at once, and a plain message_generator write misses a request
    # that falls between two steps (docs/beast.md): the unprotected server
    # would then send the file whole, and the case could not go red.
    kill -STOP "${curl_pids[@]}"
    write_blocked 2 || fail "downloads: the server's writes did not block"
    local at1 at2
    at1=$(stat -c %s "$out/body1")
    at2=$(stat -c %s "$out/body2")
    signal_server
    until_true 300 0.01 grep -q '^shutdown:' "$out/server.err" || fail "downloads: no shutdown line"
    kill -CONT "${curl_pids[@]}"
    wait_server
    for c in 1 2; do
        wait "${curl_pids[$((c - 1))]}"
        local curl_status=$? got sum
        got=$(stat -c %s "$out/body$c")
        sum=$(sha256sum <"$out/body$c" | cut -d' ' -f1)
        echo "download $c: $got of $size bytes, curl status $curl_status," \
            "$([ "$sum" = "$big_sum" ] && echo checksum equal || echo checksum differs)"
        [ "$curl_status" -eq 0 ] && [ "$got" -eq "$size" ] && [ "$sum" = "$big_sum" ] ||
            fail "downloads: download $c is not whole ($got of $size bytes, curl $curl_status)"
    done
    echo "at the signal: $at1 and $at2 bytes received"
    grep -q "^shutdown: 2 sessions, 2 responses in flight" "$out/server.err" ||
        fail "downloads: both responses were not in flight at the signal"
    [ "$status" -eq 0 ] || fail "downloads: server exit status $status"
    [ "$exit_ms" -lt 10000 ] || fail "downloads: exit at the grace deadline, not when done"
}

case_stalled() {
    start_server stalled 1 1 "$@" || return
    start_stalled "$out/stalled" || return
    signal_server
    wait_server
    : >"$out/stalled.go"
    until_true 500 0.01 test -e "$out/stalled.bytes"
    local got
    got=$(cat "$out/stalled.bytes" 2>/dev/null || echo missing)
    echo "stalled client: $got of $size body bytes"
    [[ "$got" =~ ^[0-9]+$ ]] && [ "$got" -lt "$size" ] ||
        fail "stalled: the client received $got bytes, expected fewer than $size"
    [ "$exit_ms" -ge 980 ] || fail "stalled: exit after $exit_ms ms, before the grace period (1 s)"
    [ "$exit_ms" -le 1500 ] || fail "stalled: exit after $exit_ms ms, more than 1.5 s"
    grep -q '/big.bin, 1 responses, .* cut$' "$out/server.err" ||
        fail "stalled: the server did not report the response cut"
    [ "$status" -eq 0 ] || fail "stalled: server exit status $status"
}

case_websocket() {
    start_server websocket 5 1 "$@" || return
    local c ws_pids=()
    for c in 1 2; do
        "$ws_client" "$port" >"$out/ws$c.out" 2>&1 &
        ws_pids+=($!)
        pids+=($!)
    done
    until_true 500 0.01 eval 'grep -q connected "$out/ws1.out" && grep -q connected "$out/ws2.out"' ||
        fail "websocket: the clients did not connect"
    signal_server
    wait_server
    for c in 1 2; do
        wait "${ws_pids[$((c - 1))]}"
        echo "websocket client $c (status $?): $(tail -n 1 "$out/ws$c.out")"
        grep -q '^close 1001$' "$out/ws$c.out" ||
            fail "websocket: client $c got no close frame with code 1001"
    done
    grep -q "^shutdown: 2 sessions, 0 responses in flight, 2 websockets" "$out/server.err" ||
        fail "websocket: both sessions were not open at the signal"
    [ "$status" -eq 0 ] || fail "websocket: server exit status $status"
    [ "$exit_ms" -lt 1000 ] || fail "websocket: exit after $exit_ms ms: the close handshake did not end it"
}

case_second() {
    start_server second 10 10 "$@" || return
    start_stalled "$out/stalled" || return
    signal_server
    until_true 300 0.01 grep -q '^shutdown:' "$out/server.err" || fail "second: no shutdown line"
    local t_second
    t_second=$(now_ms)
    kill -TERM "$server_pid" 2>/dev/null || echo "second: the server had already exited"
    wait_server
    : >"$out/stalled.go"
    local ms=$(($(now_ms) - t_second))
    echo "second signal: exit within $ms ms (status $status)"
    [ "$ms" -le 100 ] || fail "second: exit $ms ms after the second signal, more than 100 ms"
    [ "$status" -le 1 ] || fail "second: server exit status $status"
    grep -q "^exit: .*shutdown " "$out/server.err" || fail "second: no exit line"
    grep -q "shutdown: 1 sessions, 1 responses in flight" "$out/server.err" ||
        fail "second: the stalled response was not in flight at the first signal"
}

case_refused() {
    start_server refused 1 1 "$@" || return
    start_stalled "$out/stalled" || return
    signal_server
    until_true 300 0.01 grep -q '^shutdown:' "$out/server.err" || fail "refused: no shutdown line"
    local curl_status alive
    curl --silent --max-time 2 --output /dev/null "http://127.0.0.1:$port/small.txt"
    curl_status=$?
    kill -0 "$server_pid" 2>/dev/null && alive=yes || alive=no
    wait_server
    : >"$out/stalled.go"
    echo "connection after the signal: curl status $curl_status (7: refused), server running: $alive"
    [ "$curl_status" -eq 7 ] || fail "refused: curl status $curl_status, not 7 (couldn't connect)"
    [ "$alive" = yes ] || fail "refused: the server had already exited, nothing was proven"
    [ "$status" -eq 0 ] || fail "refused: server exit status $status"
}

run_case() {
    local name=$1
    shift
    echo "=== $name $*"
    "case_$name" "$@"
}

if [ "$case_name" = red ]; then
    # Each case against --unprotected, in its own subshell, counted separately.
    declare -A result
    for c in idle downloads stalled websocket second refused; do
        (
            failures=0
            pids=()
            run_case "$c" --unprotected
            cleanup
            exit $((failures != 0))
        )
        [ $? -eq 0 ] && result[$c]=passed || result[$c]=failed
    done
    echo "=== unprotected:"
    for c in idle downloads stalled websocket second refused; do
        echo "  $c: ${result[$c]}"
    done
    [ "${result[websocket]}" = failed ] ||
        fail "unprotected: the WebSocket peers received 1001 without the guard"
    [ "${result[downloads]}" = failed ] ||
        fail "unprotected: the downloads in flight arrived whole without the shield"
    [ "${result[stalled]}" = failed ] ||
        fail "unprotected: the stalled reader was held to the grace period without the shield"
else
    run_case "$case_name"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
