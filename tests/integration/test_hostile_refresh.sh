# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Scan floods (issue 18, point 3): a member of group sockaudit pipelining
# refresh (a full scan each) or check (a verification of every listener)
# must not make the daemon scan without end, nor keep root waiting. Every
# attack runs as nobody against the real daemon; the outcome asserted is
# the defence (docs/SECURITY.md#scan-floods): scans bounded by the budget
# (one per 200 ms at most, coalesced), every request answered ok, in
# order, root's status answered meanwhile. The daemon's CPU use is printed,
# not asserted (speed lives in `make bench`).

# The flooder: CONNS connections per command in CMDS (comma-separated),
# each keeping up to WINDOW requests unanswered, sending for SECS seconds,
# then reading every answer (60 s at most). Prints one JSON object per
# command: sent, ok, errors, out_of_order (a reply without the expected
# fields), older (refresh answers from a scan that began before the request
# was sent), shared (answers marked shared), waited_ms_max, elapsed (s).
FLOOD_PY='
import collections, datetime, json, selectors, socket, sys, time

def epoch(t):
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()

path, cmds, conns, window, secs = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
sel = selectors.DefaultSelector()
stats = {c: {"sent": 0, "ok": 0, "errors": 0, "out_of_order": 0, "older": 0, "shared": 0, "waited_ms_max": 0.0} for c in cmds}
class C: pass
all_c = []
for cmd in cmds:
    for _ in range(conns):
        c = C()
        c.cmd, c.s, c.buf, c.sent, c.got = cmd, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM), b"", 0, 0
        c.times = collections.deque()   # when each request in flight was sent
        c.s.connect(path)
        c.s.setblocking(False)
        c.req = json.dumps({"cmd": cmd}).encode() + b"\n"
        c.key = "scan" if cmd == "refresh" else "violations"
        all_c.append(c)
        sel.register(c.s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
t0 = time.monotonic()
stop_at, end = t0 + secs, t0 + secs + 60
while time.monotonic() < end:
    sending = time.monotonic() < stop_at
    if not sending and all(c.got == c.sent for c in all_c):
        break
    for key, ev in sel.select(0.2):
        c = key.data
        if ev & selectors.EVENT_WRITE and sending and c.sent - c.got < window:
            n = min(window - (c.sent - c.got), 256)
            t = time.time()
            try:
                w = c.s.send(c.req * n)
            except BlockingIOError:
                w = 0
            k = w // len(c.req)
            if w % len(c.req):     # finish the partial request
                c.s.setblocking(True); c.s.sendall(c.req[w % len(c.req):]); c.s.setblocking(False)
                k += 1
            c.sent += k
            c.times.extend([t] * k)
        if ev & selectors.EVENT_READ:
            d = c.s.recv(1 << 16)
            if not d:
                print(json.dumps({"error": "daemon closed a connection"})); sys.exit(1)
            c.buf += d
            *lines, c.buf = c.buf.split(b"\n")
            st = stats[c.cmd]
            for l in lines:
                c.got += 1
                sent_at = c.times.popleft()
                r = json.loads(l)
                if c.cmd == "refresh" and "scan" in r and epoch(r["scan"]["time"]) < sent_at - 2e-6:
                    st["older"] += 1
                if r.get("ok") is True:
                    st["ok"] += 1
                else:
                    st["errors"] += 1
                if c.key not in r or "waited_ms" not in r:
                    st["out_of_order"] += 1
                st["shared"] += r.get("shared") is True
                st["waited_ms_max"] = max(st["waited_ms_max"], r.get("waited_ms", 0))
    for c in all_c:
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if time.monotonic() < stop_at else 0)
        sel.modify(c.s, want, c)
for c in all_c:
    stats[c.cmd]["sent"] += c.sent
for st in stats.values():
    st["elapsed"] = round(time.monotonic() - t0, 2)
print(json.dumps(stats))
'

# The daemon's CPU time (user + system) in clock ticks, from /proc/PID/stat.
daemon_ticks() {
        awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$DAEMON_PID/stat"
}

# flood_attack CMDS: the flooder as nobody in group sockaudit (CMDS:
# "refresh", "check" or "refresh,check"), 2 connections per command with
# 2000 requests in flight each, for 5 s, while root asks status in a loop;
# then the defended outcome. Sets FLOOD (the flooder's JSON).
flood_attack() {
        need_cmd setpriv jq getent groupadd
        [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for the unprivileged flooder"
        local cmds=$1 gid out=$SA_IT_DIR/flood.out t0 t1 ticks0 ticks1 hz scans0 scans1 root_ok=0 root_fail=0 root_max=0
        local cmd sent ok scans elapsed bound ts
        gid=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        printf '%s' "$FLOOD_PY" > "$SA_IT_DIR/flood.py" || fail "cannot write flood.py"
        write_config "ScanInterval=1h" "Ports=443" "[Port 443/tcp]" "AllowUser=root"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        [ "$(stat -c %g "$SOCK")" == "$gid" ] || fail "the control socket's group is not sockaudit ($gid)"
        refresh
        status_json
        scans0=$(jq -r '.scans' <<<"$STATUS")
        ticks0=$(daemon_ticks)
        t0=$(date +%s%N)
        timeout 90 "${NSX[@]}" setpriv --reuid=65534 --regid=65534 --groups="$gid" \
                /usr/bin/python3 "$SA_IT_DIR/flood.py" "$SOCK" "$cmds" 2 2000 5 \
                > "$out" 2> "$out.err" < /dev/null &
        local flooder=$!
        track_pid "$flooder"
        # Root is answered while the member floods (each within CMD_TIMEOUT).
        while alive "$flooder"; do
                ts=$(date +%s%N)
                if sa status --json 2> /dev/null | jq -e '.freshness.requests' > /dev/null 2>&1; then
                        root_ok=$((root_ok + 1))
                else
                        root_fail=$((root_fail + 1))
                fi
                ts=$((($(date +%s%N) - ts) / 1000000))
                [ "$ts" -le "$root_max" ] || root_max=$ts
                sleep 0.2
        done
        wait "$flooder"
        local frc=$?
        t1=$(date +%s%N)
        ticks1=$(daemon_ticks)
        FLOOD=$(cat "$out")
        assert_eq 0 "$frc" "the flooder's exit (output: $FLOOD $(head -c 300 "$out.err"))"
        hz=$(getconf CLK_TCK)
        status_json
        scans1=$(jq -r '.scans' <<<"$STATUS")
        elapsed=$(((t1 - t0) / 1000000))
        note "flooder: $FLOOD"
        note "root's status during the flood: $root_ok answered (slowest $root_max ms, information only), $root_fail failed"
        note "daemon CPU over the $elapsed ms of the attack: $(((ticks1 - ticks0) * 1000 / hz)) ms" \
             "($(((ticks1 - ticks0) * 100000 / hz / (elapsed > 0 ? elapsed : 1))) % of a core)"
        note "status: scans $scans0 -> $scans1; requests $(jq -c '.freshness.requests' <<<"$STATUS")"
        [ "$root_ok" -ge 1 ] || fail "root's status was never answered during the flood"
        assert_eq 0 "$root_fail" "root's status requests that failed during the flood"
        # One scan per 200 ms at most, with room (1.5x, +5) for the first
        # scan, the gap being the start-to-start spacing.
        bound=$((elapsed / 200 * 3 / 2 + 5))
        for cmd in ${cmds//,/ }; do
                sent=$(jq -r ".$cmd.sent" <<<"$FLOOD")
                ok=$(jq -r ".$cmd.ok" <<<"$FLOOD")
                [ "$sent" -ge 1000 ] || fail "$cmd: only $sent requests sent: no flood"
                assert_eq "$sent" "$ok" "$cmd: requests answered ok"
                assert_eq 0 "$(jq -r ".$cmd.errors" <<<"$FLOOD")" "$cmd: error replies"
                assert_eq 0 "$(jq -r ".$cmd.out_of_order" <<<"$FLOOD")" "$cmd: replies out of place"
                assert_eq 0 "$(jq -r ".$cmd.older" <<<"$FLOOD")" "$cmd: answers from a scan that began before the request"
                [ "$(jq -r ".$cmd.shared" <<<"$FLOOD")" -gt 0 ] || fail "$cmd: no answer was shared"
                scans=$(jq -r ".freshness.requests.$cmd.scans" <<<"$STATUS")
                [ "$(jq -r ".freshness.requests.$cmd.requested" <<<"$STATUS")" -ge "$sent" ] ||
                        fail "$cmd: status counts fewer requests than were sent"
                note "$cmd: $sent requests, $scans scans for them (bound $bound)"
                [ "$scans" -le "$bound" ] || fail "$cmd: $scans scans for $sent requests in $elapsed ms (bound $bound)"
        done
        # Every full scan, whoever started it: the refresh flood's ones and no more.
        if [[ $cmds == *refresh* ]]; then
                [ $((scans1 - scans0)) -le "$bound" ] ||
                        fail "$((scans1 - scans0)) full scans in $elapsed ms (bound $bound)"
        fi
}

# Pipelined refresh: coalesced full scans off the loop, root still answered.
test_hostile_refresh_flood() {
        flood_attack refresh
}

# Pipelined check: coalesced verifications, root still answered.
test_hostile_refresh_check_flood() {
        flood_attack check
}

# Both at once, on four connections.
test_hostile_refresh_both() {
        flood_attack refresh,check
}

# A refresh is answered by a scan that began after it came: a listener
# opened just before is in the answer, the scan's time is after the
# request's (the floods check this for every answer); a request pipelined
# behind a refresh is answered after it.
test_hostile_refresh_fresh_answer() {
        need_cmd jq
        write_config "ScanInterval=1h"
        start_daemon
        refresh
        start_listen --tcp 0.0.0.0 8443
        local before
        before=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
        run_cap OUT sa refresh --json
        assert_eq 0 "$OUT_rc" "refresh: $OUT_err"
        assert_json "$OUT" '.waited_ms >= 0 and (.shared | type == "boolean")' "refresh reply: waited_ms, shared"
        assert_json "$OUT" ".scan.time >= \"$before\"" "the scan began after the request ($before)"
        run_cap OUT sa who 8443 --json
        assert_json "$OUT" '.listeners | length == 1' "who 8443 after the refresh"
        # Two refreshes on one connection: two answers, in order.
        run_cap OUT "${NSX[@]}" "$SA_SEND" --count 2 "$SOCK" <<<'{"cmd":"refresh"}
{"cmd":"status"}'
        assert_eq 0 "$OUT_rc" "refresh then status on one connection: $OUT_err"
        assert_json "$(sed -n 1p <<<"$OUT")" '.ok and has("scan")' "first reply: the refresh's"
        assert_json "$(sed -n 2p <<<"$OUT")" '.ok and has("status")' "second reply: the status"
}

# The client that asks and does not read: SENDS check requests on one
# connection with a small receive buffer, prints "SENT", waits for the
# file GO (MAX seconds at most), then reads every answer; prints JSON: ok,
# errors, missing (no answer before the daemon closed or 60 s passed).
NOREAD_PY='
import json, os, socket, sys, time
path, n, go, wait_max = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(path)
s.sendall(b"{\"cmd\":\"check\"}\n" * n)
print("SENT", flush=True)
end = time.monotonic() + wait_max
while not os.path.exists(go) and time.monotonic() < end:
    time.sleep(0.05)
if not os.path.exists(go):
    print("NO-GO", flush=True)     # read anyway: the test fails on this line
s.settimeout(60)
buf, ok, errors = b"", 0, 0
try:
    while ok + errors < n:
        d = s.recv(1 << 16)
        if not d:
            break
        buf += d
        *lines, buf = buf.split(b"\n")
        for l in lines:
            if json.loads(l).get("ok") is True:
                ok += 1
            else:
                errors += 1
except socket.timeout:
    pass
print(json.dumps({"ok": ok, "errors": errors, "missing": n - ok - errors}), flush=True)
'

# VmRSS of the daemon in KiB.
daemon_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"; }

# A member pipelines 40 checks whose answers are big (21 violations of
# ~9 KiB each: 21 holders of a refused user) and reads nothing for a
# while: answers are made only as far as its unread output allows (256 KiB,
# as for any request), the rest wait for later scans (unbounded, all 40
# would be made and held at the first); once it reads, every check is
# answered. The daemon's memory is printed.
test_hostile_refresh_no_read() {
        need_cmd setpriv jq getent groupadd
        [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for the unprivileged client"
        local gid go=$SA_IT_DIR/noread.go out=$SA_IT_DIR/noread.out rss0 rss1 client n=40 size t0 answered
        gid=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        printf '%s' "$NOREAD_PY" > "$SA_IT_DIR/noread.py" || fail "cannot write noread.py"
        write_config "ScanInterval=1h" "Ports=443" "[Port 443/tcp]" "AllowUser=nobody"
        # check is one violation per address and program: 40 loopback addresses on 443.
        local args=() i
        for i in $(seq 40); do args+=(--tcp "127.0.0.$i" 443); done
        start_listen --children 20 "${args[@]}"
        start_daemon
        refresh
        size=$(sa check --json | wc -c)
        note "one check answer: $size bytes"
        [ "$size" -ge 100000 ] || fail "check's answer is only $size bytes: not big enough to show anything"
        rss0=$(daemon_rss)
        status_json
        t0=$(jq -r '.requests.total' <<<"$STATUS")
        timeout "$(scaled_s 90)" "${NSX[@]}" setpriv --reuid=65534 --regid=65534 --groups="$gid" \
                /usr/bin/python3 "$SA_IT_DIR/noread.py" "$SOCK" "$n" "$go" "$(scaled 30)" > "$out" 2> "$out.err" < /dev/null &
        client=$!
        track_pid "$client"
        wait_for 10 "the client to send its checks" grep -q SENT "$out"
        sleep_scaled 3
        rss1=$(daemon_rss)
        status_json
        ! grep -q NO-GO "$out" || fail "the client stopped waiting before the test measured"
        # Answered since t0: the checks, and the status that read t0.
        answered=$(($(jq -r '.requests.total' <<<"$STATUS") - t0 - 1))
        note "daemon VmRSS: $rss0 KiB before, $rss1 KiB with $n checks asked and nothing read;" \
             "$answered answered so far; requests: $(jq -c '.freshness.requests.check' <<<"$STATUS")"
        [ "$answered" -le 8 ] || fail "$answered of $n checks answered for a client that reads nothing (${size} bytes each)"
        touch "$go"
        wait_exit "$client" 60 "the client to read its answers" || fail "$WAITED"
        note "client: $(tail -n 1 "$out")"
        assert_json "$(tail -n 1 "$out")" ".ok == $n and .errors == 0 and .missing == 0" "every check answered ok"
}

# The fds of pid $2 on 443 in check's violations (CLI JSON $1), as "3,4".
check_fds_443() {
        jq -r --argjson ns "$(ns_inode)" --argjson pid "$2" \
                '[.violations[].listener | select(.netns == $ns and .port == 443) | .owners[]
                  | select(.pid == $pid) | .fds[]] | unique | join(",")' <<<"$1"
}

# check's verification reads every holder's fd on a thread of its own
# (status counts it in freshness.verify_threaded) and answers as of after
# the request: a holder that closed its second fd of the listener, which
# no process event tells of, shows one fd in the next check.
test_hostile_refresh_check_threaded() {
        need_cmd jq python3
        write_config "ScanInterval=1h" "Ports=443" "[Port 443/tcp]" "AllowUser=nobody"
        start_daemon
        "${NSX[@]}" python3 -c '
import os, signal, socket
s = socket.socket(); s.bind(("0.0.0.0", 443)); s.listen()
d = os.dup(s.fileno())
def close(*_):
    os.close(d)
    print("CLOSED", flush=True)
signal.signal(signal.SIGUSR1, close)
print("READY", s.fileno(), d, flush=True)
while True:
    signal.pause()' > "$SA_IT_DIR/dup.out" 2>&1 < /dev/null &
        local holder=$! fd1 fd2 threaded0 threaded1
        track_pid "$holder"
        wait_for 5 "the holder: READY" grep -q '^READY' "$SA_IT_DIR/dup.out"
        read -r _ fd1 fd2 < <(grep '^READY' "$SA_IT_DIR/dup.out")
        wait_until -w "check to show both fds" 10 eval \
                '[ "$(check_fds_443 "$(sa check --json 2>/dev/null)" "$holder")" == "$fd1,$fd2" ]' ||
                fail "$WAITED: check shows fds $(check_fds_443 "$(sa check --json 2>/dev/null)" "$holder"), expected $fd1,$fd2"
        status_json
        threaded0=$(jq -r '.freshness.verify_threaded' <<<"$STATUS")
        kill -USR1 "$holder"
        wait_for 5 "the holder to close fd $fd2: CLOSED" grep -q '^CLOSED' "$SA_IT_DIR/dup.out"
        run_cap OUT sa check --json
        assert_eq "$fd1" "$(check_fds_443 "$OUT" "$holder")" "the holder's fds in check after it closed fd $fd2"
        status_json
        threaded1=$(jq -r '.freshness.verify_threaded' <<<"$STATUS")
        [ "$threaded1" -gt "$threaded0" ] ||
                fail "check's verification did not run on the thread (verify_threaded $threaded0 -> $threaded1)"
        note "verify_threaded $threaded0 -> $threaded1"
}
