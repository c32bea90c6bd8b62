# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Lock-out (issue 18, point 4): an unprivileged member of group sockaudit,
# or a user outside it, must not keep root or other members away from the
# control socket. Every attack runs as nobody (setpriv) against the real
# daemon: a full house of idle connections (root still answered), a loop
# of connects from outside the group (no slot used), a request sent a byte
# at a time (dropped at RequestTimeout= from its first byte), a watcher
# that never reads (dropped at WatcherStallTimeout=, its slot freed).

# The raw clients: one script, a mode each (stdout: one line of results).
#   hold N GO      N watchers (busy: never evicted), each answered; one
#                  more must be refused; prints "HELD N: <reply to the
#                  extra one>", then holds them until the file GO exists
#                  (25 s at most)
#   flood N GO     N connections in a loop (kept open, nothing read); prints
#                  "FLOODED N", holds them until GO exists
#   trickle SECS   {"cmd":"status"} a byte every SECS; prints JSON: reply
#                  (or null), closed (the daemon hung up), after (seconds
#                  from the first byte to the reply or the hang-up)
#   stall GO       sends watch, reads its first line, then reads nothing;
#                  prints "WATCHING", then at GO "closed" or "open"
HOSTILE_PY='
import json, os, select, socket, sys, time

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def line(s, timeout=5):
    s.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        try:
            d = s.recv(1)
        except (socket.timeout, ConnectionResetError):
            return None
        if not d:
            return None
        buf += d
    return buf.decode("utf-8", "replace").strip()

def wait_go(go):
    end = time.monotonic() + 25
    while not os.path.exists(go) and time.monotonic() < end:
        time.sleep(0.05)

def hung_up(s):
    p = select.poll()
    p.register(s, select.POLLRDHUP)
    return any(ev & (select.POLLHUP | select.POLLRDHUP) for _, ev in p.poll(0))

mode, path = sys.argv[1], sys.argv[2]
if mode == "hold":
    n, go = int(sys.argv[3]), sys.argv[4]
    held = []
    for i in range(n):
        s = connect()
        s.sendall(b"{\"cmd\":\"watch\"}\n")
        r = line(s)
        if r is None or json.loads(r).get("ok") is not True:
            print("connection %d of %d not served: %r" % (i + 1, n, r))
            sys.exit(1)
        held.append(s)
    extra = connect()
    print("HELD %d: %s" % (n, line(extra, 2)), flush=True)
    wait_go(go)
elif mode == "flood":
    n, go = int(sys.argv[3]), sys.argv[4]
    held = []
    for i in range(n):
        s = connect()
        try:
            s.sendall(b"{\"cmd\":\"status\"}\n")
        except OSError:
            pass        # already refused and closed: the daemon does not wait for us
        held.append(s)
    print("FLOODED %d" % n, flush=True)
    wait_go(go)
elif mode == "trickle":
    step = float(sys.argv[3])
    s = connect()
    s.setblocking(False)
    req, sent, t0, buf, closed = b"{\"cmd\":\"status\"}\n", 0, time.monotonic(), b"", False
    end = t0 + 20
    while time.monotonic() < end and b"\n" not in buf and not closed:
        if sent < len(req):
            try:
                s.send(req[sent:sent + 1])
                sent += 1
            except OSError:
                closed = True
                break
        r, _, _ = select.select([s], [], [], step)
        if r:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if d:
                buf += d
            else:
                closed = True
    print(json.dumps({"reply": buf.decode().strip() or None, "closed": closed,
                      "sent": sent, "after": round(time.monotonic() - t0, 2)}))
elif mode == "stall":
    go = sys.argv[3]
    s = connect()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"{\"cmd\":\"watch\"}\n")
    print("WATCHING %s" % line(s), flush=True)
    wait_go(go)
    print("closed" if hung_up(s) else "open", flush=True)
'

# hostile_setup: the group, the script where nobody may run it; sets
# MEMBER_GID and HPY (the command that runs the script: HPY MODE ARGS...).
hostile_setup() {
        need_cmd setpriv jq getent groupadd
        [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for unprivileged clients"
        printf '%s' "$HOSTILE_PY" > "$SA_IT_DIR/hostile.py" || fail "cannot write hostile.py"
        HPY=(/usr/bin/python3 "$SA_IT_DIR/hostile.py")
        MEMBER_GID=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
}

# start_hostile_daemon: start_daemon, then makes sure the socket went to
# the group the members have (the group is host-wide: another test run
# that removes it meanwhile would make every member look like an outsider).
start_hostile_daemon() {
        start_daemon
        [ "$(stat -c %g "$SOCK")" == "$MEMBER_GID" ] ||
                fail "the control socket's group is $(stat -c %G "$SOCK"), not sockaudit ($MEMBER_GID): was the group removed while the daemon started?"
}

# as_member CMD...: CMD in the namespace as nobody, sockaudit a supplementary
# group; as_outsider: no groups. Either ends after 30 s.
as_member() { timeout 30 "${NSX[@]}" setpriv --reuid=65534 --regid=65534 --groups="$MEMBER_GID" "$@"; }
as_outsider() { timeout 30 "${NSX[@]}" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# start_hostile OUT AS MODE ARGS...: the script in MODE in the background as
# AS (as_member, as_outsider), output in OUT; waits (10 s) for its first
# line. Sets HOSTILE_PID.
start_hostile() {
        local out=$1 as=$2 i
        shift 2
        "$as" "${HPY[@]}" "$1" "$SOCK" "${@:2}" > "$out" 2> "$out.err" < /dev/null &
        HOSTILE_PID=$!
        track_pid "$HOSTILE_PID"
        for ((i = 0; i < 200; i++)); do
                [ -s "$out" ] && return 0
                alive "$HOSTILE_PID" || fail "hostile client $1 exited: $(cat "$out" "$out.err")"
                sleep 0.05
        done
        fail "hostile client $1: no output after 10 s"
}

# MaxClients= watchers (never evicted) from one group member: the member
# gets no more ("busy"), root still does (its reserve), and the slots free
# when they leave.
test_hostile_clients_root_reserve() {
        hostile_setup
        local go=$SA_IT_DIR/hold.go out=$SA_IT_DIR/hold.out
        write_config "MaxClients=16" "ScanInterval=1h"
        start_listen --tcp 0.0.0.0 443
        start_hostile_daemon
        refresh
        start_hostile "$out" as_member hold 16 "$go"
        note "member: $(cat "$out")"
        assert_contains "$(cat "$out")" '"code":"busy"' "the member's 17th connection"
        assert_contains "$(cat "$out")" "too many clients" "the member's 17th connection"
        timed WHO sa who 443 --json
        assert_eq 0 "$WHO_rc" "who 443 as root while a member holds MaxClients=16 connections: $WHO_err"
        assert_json "$WHO" "$JQ_LS"" [ls[].owners[].pid] | index($LISTEN_PID) != null" "root's answer"
        note "root's who 443 with every slot taken: $WHO_ms ms"
        wait_until 5 mon_is '.clients.connected' 17 ||
                fail "connected: $(mon_get '.clients.connected'), expected 16 of the member's and root's status"
        assert_eq 1 "$(mon_get '.clients.refused_busy')" "clients.refused_busy"
        assert_eq 0 "$(mon_get '.clients.evicted')" "clients.evicted (watchers are never evicted)"
        touch "$go"
        wait_exit "$HOSTILE_PID" 10 || fail "member client did not end"
        wait_until 5 mon_is '.clients.connected' 1 || fail "slots not freed: $(mon_get '.clients.connected') connected"
}

# Outsiders connecting in a loop (and holding on) are refused before the
# limit is counted: a member still gets every slot, and the daemon's
# descriptors for them stay bounded (16 lingering goodbyes at most).
test_hostile_clients_outsiders_use_no_slots() {
        hostile_setup
        local go=$SA_IT_DIR/flood.go fds0 fds1
        write_config "MaxClients=4" "ScanInterval=1h"
        start_hostile_daemon
        chmod 0666 "$SOCK" || fail "chmod"      # so the daemon's own check is what refuses them
        fds0=$(find "/proc/$DAEMON_PID/fd" -mindepth 1 | wc -l)
        start_hostile "$SA_IT_DIR/flood.out" as_outsider flood 300 "$go"
        fds1=$(find "/proc/$DAEMON_PID/fd" -mindepth 1 | wc -l)
        note "daemon fds: $fds0 before, $fds1 with 300 outsider connections held"
        [ "$fds1" -le $((fds0 + 16 + 4)) ] || fail "daemon holds $fds1 fds with 300 outsiders connected (was $fds0)"
        run_cap OUT as_member "${HPY[@]}" hold "$SOCK" 4 "$SA_IT_DIR"   # GO exists: no holding
        assert_eq 0 "$OUT_rc" "a member's 4 connections while outsiders flood: $OUT"
        assert_contains "$OUT" '"code":"busy"' "the member's 5th connection"
        assert_json "$(sa status --json)" '(.status // .) | .clients.denied >= 300' "clients.denied"
        touch "$go"
        wait_exit "$HOSTILE_PID" 10 || fail "outsider client did not end"
}

# A request a byte at a time: every byte used to restart the 30 s idle
# timer; now the line must be complete RequestTimeout= (3 s here) after
# its first byte. One that trickles fast enough is still served.
test_hostile_clients_byte_at_a_time() {
        hostile_setup
        write_config "RequestTimeout=3s" "ScanInterval=1h"
        start_hostile_daemon
        run_cap OUT as_member "${HPY[@]}" trickle "$SOCK" 0.05
        assert_json "$OUT" '.reply != null and (.reply | fromjson | .ok == true)' "17 bytes in 0.85 s: answered"
        # 17 bytes take 8.5 s: closed at 3 s (timer slack 1 s), never answered.
        run_cap OUT as_member "${HPY[@]}" trickle "$SOCK" 0.5
        note "a byte every 0.5 s: $OUT"
        assert_json "$OUT" '.reply == null and .closed and .after >= 2.8 and .after < 8' \
                "a byte every 0.5 s: dropped 3-4 s after the first byte, unanswered"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "its request line was not complete" "daemon log"
        wait_until 5 mon_is '.clients.connected' 1 || fail "slot not freed: $(mon_get '.clients.connected') connected"
}

# A watcher that never reads: once its queue is full it has
# WatcherStallTimeout= (5 s here) to catch up, then it is dropped (logged
# once) and its slot frees; a watcher that reads stays.
test_hostile_clients_stalled_watcher() {
        hostile_setup
        local go=$SA_IT_DIR/stall.go out=$SA_IT_DIR/stall.out n=2000 first=20000
        write_config "Ports=all" "ScanInterval=1h" "WatcherStallTimeout=5s"
        start_hostile_daemon
        start_watch
        start_hostile "$out" as_member stall "$go"
        assert_contains "$(cat "$out")" '"ok":true' "the stalled watcher's first line"
        wait_until 5 mon_is '.watchers.connected' 2 || fail "watchers: $(mon_get '.watchers.connected'), expected 2"
        start_listen --tcp-range 127.0.0.1 "$first" "$((first + n - 1))"
        refresh
        assert_json "$(sa status --json)" '(.status // .) | .watchers.events_lost > 0' "events lost by the stalled watcher"
        wait_until 15 mon_is '.watchers.connected' 1 ||
                fail "stalled watcher not dropped: $(mon_get '.watchers.connected') watchers"
        assert_eq 1 "$(grep -c 'Dropped watcher (pid' "$SA_IT_DIR/daemon.log")" "log lines for the dropped watcher"
        assert_eq 2 "$(mon_get '.clients.connected')" "clients: the reading watcher and this status"
        alive "$WATCH_PID" || fail "the reading watcher was dropped too"
        touch "$go"
        wait_exit "$HOSTILE_PID" 10 || fail "stalled watcher client did not end"
        assert_eq closed "$(tail -n 1 "$out")" "the stalled watcher saw the daemon hang up"
}
