# shellcheck shell=bash
# Load: many clients at once, slow and idle ones among them. The daemon
# keeps answering a well-behaved client, and gives back every descriptor
# and (about) all memory afterwards. Latencies are printed, not asserted.
# shellcheck disable=SC2154

SA_LOAD=$ROOT/tests/helpers/sa-load.py

# daemon_fds / daemon_rss_kb: of $DAEMON_PID.
daemon_fds() { find "/proc/$DAEMON_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
daemon_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"; }

# _load_holding HOLD PID: sa-load wrote HOLD (all answered, holding); also
# true once PID exited (its output says why) (for wait_until).
_load_holding() { [ -s "$1" ] || ! alive "$2"; }

# load_round OUT: 1000 active + 250 idle + 250 trickling clients; while
# all are connected, `sockaudit who 443` must answer. Result JSON in OUT.
load_round() {
        local out=$1 hold=$SA_IT_DIR/hold.$_sa_n pid rc
        _sa_n=$((_sa_n + 1))
        rm -f "$hold" "$hold.go"
        "${NSX[@]}" python3 "$SA_LOAD" "$SOCK" --active 1000 --idle 250 --trickle 250 \
                --hold "$hold" --timeout "$(scaled 25)" > "$out" 2> "$out.err" &
        pid=$!
        track_pid "$pid"
        if ! wait_until -w "sa-load: the 1000 active clients answered" 20 _load_holding "$hold" "$pid"; then
                cat "$out" "$out.err" >&2
                fail "$WAITED: $(cat "$out")"
        fi
        note "connected while holding: $(mon_get '.clients.connected') clients"
        timed WHO sa who 443
        touch "$hold.go"
        wait_exit "$pid" 25 "sa-load to finish" || fail "$WAITED"
        rc=$WAIT_RC
        note "round: $(cat "$out") (who while loaded: ${WHO_ms} ms)"
        [ "$WHO_rc" == 0 ] || fail "who 443 under load: exit $WHO_rc: $WHO_err"
        assert_contains "$WHO" "sa-listen" "who 443 under load"
        [ "$rc" == 0 ] || fail "load: not every client got an ok reply: $(cat "$out")"
}

test_load_many_clients() {
        need_cmd python3 jq
        # The daemon inherits this; it raises its soft limit itself too.
        ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
        [ "$(ulimit -n)" -ge 2000 ] || skip "RLIMIT_NOFILE cannot be raised to 2000 here"
        write_config "MaxClients=2000" "ScanInterval=1h"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        local max
        max=$(mon_get '.clients.max')
        [ "$max" == 2000 ] || skip "MaxClients= not applied (status says max $max): control_set_max_clients() not called from manager.c yet"

        # Warm up once (heap and caches reach their working size), then measure.
        load_round "$SA_IT_DIR/round1.json"
        wait_until -w "the clients of round 1 to leave" 10 mon_is '.clients.connected' 1 ||
                fail "$WAITED: $(mon_get '.clients.connected') connected"
        local fds0 rss0 fds1 rss1
        fds0=$(daemon_fds); rss0=$(daemon_rss_kb)
        note "after warm-up: $fds0 fds, $rss0 kB RSS"

        load_round "$SA_IT_DIR/round2.json"
        wait_until -w "the clients of round 2 to leave" 10 mon_is '.clients.connected' 1 ||
                fail "$WAITED: $(mon_get '.clients.connected') connected"
        fds1=$(daemon_fds); rss1=$(daemon_rss_kb)
        note "after round 2: $fds1 fds, $rss1 kB RSS"
        assert_eq "$fds0" "$fds1" "daemon fd count after 1500 clients came and went"
        # Under ASan (quarantine) or valgrind RSS says nothing about leaks; their own reports do.
        if [ -n "${SA_IT_DAEMON_WRAPPER:-}" ] || ldd "$SAD" 2>/dev/null | grep -q libasan; then
                note "RSS not compared (sanitizer or valgrind build)"
        else
                [ "$rss1" -le $((rss0 + 4096)) ] || fail "daemon RSS grew from $rss0 kB to $rss1 kB over one more round of 1500 clients"
        fi
        assert_eq 0 "$(mon_get '.clients.refused_busy + .clients.evicted')" "clients refused or evicted with MaxClients=2000"
        alive "$DAEMON_PID" || fail "daemon died under load"
}

# The limit: one client over it when none is idle (8 watchers; a group
# member: root has a reserve of its own, test_hostile_clients.sh) gets
# "busy" and is closed; those within are served, and the slot is free
# again once one leaves.
test_load_client_limit() {
        need_cmd python3 setpriv getent groupadd
        local max gid
        [ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for an unprivileged client"
        gid=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        write_config "MaxClients=8" "ScanInterval=1h"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        max=$(mon_get '.clients.max')
        [ "$max" == 8 ] || skip "MaxClients= not applied (status says max $max): control_set_max_clients() not called from manager.c yet"
        run_cap OUT "${NSX[@]}" setpriv --reuid=65534 --regid=65534 --groups="$gid" /usr/bin/python3 - "$SOCK" "$(scaled 0.3)" "$(scaled 5)" <<'EOF'
import json, socket, sys, time
path, settle, limit = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
held = []
for _ in range(8):
    # Watchers: busy, so nothing is evicted for the extra one.
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(limit)
    s.sendall(b'{"cmd":"watch"}\n'); s.makefile("rb").readline(); held.append(s)
time.sleep(settle)
extra = socket.socket(socket.AF_UNIX); extra.connect(path); extra.settimeout(limit)
line = extra.makefile("rb").readline()
print("extra:", line.decode().strip())
err = json.loads(line)["error"]
assert err["code"] == "busy" and err["message"].startswith("too many clients"), line
held.pop().close(); time.sleep(settle)
s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(limit)
s.sendall(b'{"cmd":"status"}\n')
r = json.loads(s.makefile("rb").readline())
print("after one left:", r["ok"], r["status"]["clients"])
assert r["ok"] is True
EOF
        [ "$OUT_rc" == 0 ] || fail "client limit: $OUT_err"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "Refused a client" "daemon log"
}
