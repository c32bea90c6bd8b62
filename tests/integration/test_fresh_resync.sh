# shellcheck shell=bash
# A new listener the incremental refresh cannot attribute (its socket is
# older than the last full scan: only a full scan finds its holder). The
# probe leaves that scan to the resync's thread (the loop keeps serving;
# the resync's end raises the events); a request waits for that resync's
# end, the loop serving others meanwhile. Either way the holder named is
# the right one.

# old_socket_holder PORT DIR: python3 in the namespace binds a TCP socket
# on PORT now, listens once DIR/go exists, then writes DIR/listening and
# answers each connection with an HTTP error (a TLS probe: not_tls at once).
# Sets HOLDER_PID.
old_socket_holder() {
        "${NSX[@]}" python3 -c '
import os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", port))
open(d + "/bound", "w").close()
while not os.path.exists(d + "/go"):
    time.sleep(0.01)
s.listen()
open(d + "/listening", "w").close()
while True:
    c, _ = s.accept(); c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n"); c.close()' "$1" "$2" < /dev/null > /dev/null 2>&1 &
        HOLDER_PID=$!
        track_pid "$HOLDER_PID"
        wait_for 5 "the holder to bind" test -e "$2/bound"
}

# The pids holding PORT in this namespace, sorted, as JSON.
holders_of() {
        sa who "$1" --json 2>/dev/null | jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[].pid] | unique'
}

# Bound, then a full scan (`refresh`), then listen(): the new listener's
# socket is older than that scan. ScanInterval=1h: no periodic resync finds
# it. watch gets listener_added with the holder; the daemon says the probe
# left the full scan to the background; who names the holder.
test_fresh_old_socket_probe_resync() {
        need_cmd jq python3
        local d=$SA_IT_DIR/holder
        mkdir -p "$d"
        write_config 'Ports=443' 'ScanInterval=1h'
        DAEMON_ENV=(SOCKAUDIT_LOG_LEVEL=debug)
        start_daemon_mon
        start_watch --json
        old_socket_holder 443 "$SA_IT_DIR/holder"
        refresh
        touch "$d/go"
        wait_for 5 "the holder to listen" test -e "$d/listening"
        wait_for 10 "listener_added in watch (no refresh)" grep -q '"listener_added"' "$WATCH_OUT"
        grep '"listener_added"' "$WATCH_OUT" |
                jq -e --argjson pid "$HOLDER_PID" 'select(.listener.port == 443)
                        | [.listener.owners[].pid] | index($pid) != null' > /dev/null ||
                fail "listener_added does not name the holder $HOLDER_PID: $(cat "$WATCH_OUT")"
        assert_eq "[$HOLDER_PID]" "$(holders_of 443)" "who 443 after the background resync"
        # Nothing else asked: the probe found it, through the resync's thread.
        grep -q 'Refresh (probe) needs a full scan, in the background' "$SA_IT_DIR/daemon.log" ||
                fail "the probe did not hand its full scan to the resync"
        assert_json "$(mon_get '.freshness | tojson')" '.refresh_full_scans >= 1' "a refresh needed a full scan"
        stop_watch
        kill "$HOLDER_PID"
}

# The same listener asked about at once, before any probe could look: the
# request's refresh needs the full scan and waits for it (on the resync's
# thread, started for it or by the probe): the answer names the holder.
test_fresh_old_socket_request_exact() {
        need_cmd jq python3
        local d=$SA_IT_DIR/holder
        mkdir -p "$d"
        write_config 'Ports=443' 'ScanInterval=1h'
        start_daemon
        old_socket_holder 443 "$d"
        refresh
        touch "$d/go"
        wait_for 5 "the holder to listen" test -e "$d/listening"
        assert_eq "[$HOLDER_PID]" "$(holders_of 443)" "who 443 at once after listen()"
        kill "$HOLDER_PID"
}

# ask_in_background VERB PORT OUT: `VERB PORT --json` (who, tls) asked in
# the background (stdout in OUT, stderr in OUT.err); its pid in WHO_PID.
ask_in_background() {
        "${NSX[@]}" "$SA" --socket "$SOCK" "$1" "$2" --json > "$3" 2> "$3.err" < /dev/null &
        WHO_PID=$!
        track_pid "$WHO_PID"
}

# who_waits_for_resync GATE OUT [VERB]: without eBPF (no listen event names the
# maker: only a full scan finds the holder) and with every resync held by
# the test gate GATE (SOCKAUDITD_TEST_RESYNC_GATE) for as long as the test
# likes: an old socket starts listening, `VERB 443 --json` (who unless
# given; output in OUT) asks, and waits for the resync: status counts it
# waiting while the loop serves. Sets WHO_PID and HOLDER_PID.
who_waits_for_resync() {
        need_cmd jq python3
        local gate=$1 out=$2 d=$SA_IT_DIR/holder
        mkdir -p "$d"
        write_config 'Ports=443' 'ScanInterval=1h'
        DAEMON_ENV=(SOCKAUDITD_EBPF=0 SOCKAUDITD_TEST_RESYNC_GATE="$gate" SOCKAUDIT_LOG_LEVEL=debug)
        touch "$gate"
        start_daemon
        old_socket_holder 443 "$d"
        refresh
        rm -f "$gate"
        touch "$d/go"
        wait_for 5 "the holder to listen" test -e "$d/listening"
        ask_in_background "${3:-who}" 443 "$out"
        wait_for 10 "status to count the ${3:-who} waiting for the resync" \
                mon_at_least '.freshness.requests.resync.waiting' 1
        # The loop serves while the resync is held: status answered, the who not yet.
        status_json
        assert_json "$STATUS" '.freshness.requests.resync.waiting == 1' "status while the who waits"
        alive "$WHO_PID" || fail "who answered before the resync ended: $(cat "$out" "$out.err")"
        [ ! -s "$out" ] || fail "who wrote before the resync ended: $(cat "$out")"
}

# A `check` asked meanwhile waits too: its verification (on the verify
# job's thread) ends, but its refresh needs the full scan, so its answer
# waits for the same resync. Once the gate opens, the waiting `who` gets
# the exact answer (after its new holder's package verdict, as any `who`)
# and `check` its own; no scan ran on the loop. Order, not time.
test_fresh_request_waits_for_resync() {
        local gate=$SA_IT_DIR/gate out=$SA_IT_DIR/who.out v0 check_pid
        who_waits_for_resync "$gate" "$out"
        v0=$(mon_get '.freshness.verify_threaded')
        "${NSX[@]}" "$SA" --socket "$SOCK" check --json > "$out.check" 2>&1 < /dev/null &
        check_pid=$!
        track_pid "$check_pid"
        wait_for 10 "check's verification to end on its thread" mon_at_least '.freshness.verify_threaded' $((v0 + 1))
        status_json
        assert_json "$STATUS" '.freshness.requests.check.waiting == true' "check waiting after its verification"
        alive "$WHO_PID" || fail "who answered before the resync ended: $(cat "$out" "$out.err")"
        touch "$gate"
        wait_exit "$WHO_PID" 10 "the waiting who to be answered" || fail "$WAITED"
        assert_eq 0 "$WAIT_RC" "who's exit status ($(cat "$out.err"))"
        wait_exit "$check_pid" 10 "the waiting check to be answered" || fail "$WAITED"
        jq -e '.violations | type == "array"' "$out.check" > /dev/null ||
                fail "check's answer after the resync: $(head -c 300 "$out.check")"
        grep -q 'Check waits for the resync' "$SA_IT_DIR/daemon.log" ||
                fail "check's verification did not wait for the resync"
        assert_eq "[$HOLDER_PID]" "$(jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[].pid] | unique' < "$out")" "the waiting who's holders"
        # The new holder's package verdict was being made when the resync
        # ended: the answer waited for it, as any who does.
        jq -e "$JQ_LS"'[ls[] | .owners[] | .package.status] | length > 0 and all(. != null)' "$out" > /dev/null ||
                fail "the waiting who's holder has no package verdict: $(head -c 400 "$out")"
        status_json
        assert_json "$STATUS" '.freshness.requests.resync | .waiting == 0 and .waited >= 1' "status after"
        grep -q 'Refresh (\(request\|probe\)) needs a full scan, in the background' "$SA_IT_DIR/daemon.log" ||
                fail "no full scan was left to the resync"
        ! grep -q 'Cannot start the resync in the background' "$SA_IT_DIR/daemon.log" ||
                fail "the daemon scanned on the loop"
        kill "$HOLDER_PID"
}

# `tls 443` waits for the resync too (no full scan on the loop): once the
# gate opens, its probe of the new listener starts from the resync's
# snapshot and the answer names the holder with the probe's result.
test_fresh_tls_waits_for_resync() {
        local gate=$SA_IT_DIR/gate out=$SA_IT_DIR/tls.out
        who_waits_for_resync "$gate" "$out" tls
        touch "$gate"
        wait_exit "$WHO_PID" 15 "the waiting tls to be answered" || fail "$WAITED"
        assert_eq 0 "$WAIT_RC" "tls's exit status ($(cat "$out.err"))"
        assert_eq "[$HOLDER_PID]" "$(jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[].pid] | unique' < "$out")" "the waiting tls's holders"
        assert_eq '["not_tls"]' "$(jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .tls.status]' < "$out")" "the probe's result (an HTTP error)"
        status_json
        assert_json "$STATUS" '.freshness.requests.resync | .waiting == 0 and .waited >= 1' "status after"
        ! grep -q 'needed a full scan\|Cannot start the resync in the background' "$SA_IT_DIR/daemon.log" ||
                fail "a full scan ran on the loop"
        kill "$HOLDER_PID"
}

# A reload while a request waits keeps it waiting; a stop with it still
# waiting ends cleanly: the daemon exits 0 (ASan: nothing leaked), the
# waiting client sees the connection close instead of hanging.
test_fresh_request_waiting_at_stop() {
        local gate=$SA_IT_DIR/gate out=$SA_IT_DIR/who.out n
        who_waits_for_resync "$gate" "$out"
        n=$(file_lines "$SA_IT_DIR/daemon.log")
        kill -HUP "$DAEMON_PID" || fail "SIGHUP to the daemon"
        wait_for 5 "the reload to be logged" eval \
                'tail -n "+$((n + 1))" "$SA_IT_DIR/daemon.log" | grep -q "Reloaded the configuration"'
        status_json
        assert_json "$STATUS" '.freshness.requests.resync.waiting == 1' "status after the reload"
        alive "$WHO_PID" || fail "who answered before the resync ended: $(cat "$out" "$out.err")"
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "the daemon's exit status with a request waiting"
        wait_exit "$WHO_PID" 5 "the waiting who to end with the daemon" || fail "$WAITED"
        assert_ne 0 "$WAIT_RC" "who's exit status without an answer"
        kill "$HOLDER_PID"
}

# issue 12 §4: the resync's own refresh after its walk never scans on the
# loop. Without eBPF, a `who 9443` about an old socket starts the resync
# (held by the gate once walked); then another old socket starts listening
# on 443, after the walk, so the refresh that installs the resync cannot
# attribute it. The gate opens: the resync is installed as walked and
# another follows on its thread (status: requests.resync.again); the who,
# sent before the walk, gets its exact answer from the first; watch still
# gets listener_added for the newcomer, with its holder, from the second.
# No "needed a full scan" in the log: none ran here. Order, not time.
test_fresh_resync_refresh_no_loop_scan() {
        need_cmd jq python3
        local gate=$SA_IT_DIR/gate out=$SA_IT_DIR/who.out da=$SA_IT_DIR/a db=$SA_IT_DIR/b a_pid b_pid
        mkdir -p "$da" "$db"
        write_config 'Ports=443' 'ScanInterval=1h'
        DAEMON_ENV=(SOCKAUDITD_EBPF=0 SOCKAUDITD_TEST_RESYNC_GATE="$gate" SOCKAUDIT_LOG_LEVEL=debug)
        touch "$gate"
        start_daemon_mon
        start_watch --json
        old_socket_holder 9443 "$da"
        a_pid=$HOLDER_PID
        old_socket_holder 443 "$db"
        b_pid=$HOLDER_PID
        refresh
        rm -f "$gate"
        touch "$da/go"
        wait_for 5 "the first holder to listen" test -e "$da/listening"
        ask_in_background who 9443 "$out"
        wait_for 10 "the resync's walk to end, held by the gate" \
                grep -q "The resync's walk ended, the test gate holds it" "$SA_IT_DIR/daemon.log"
        alive "$WHO_PID" || fail "who answered before the resync ended: $(cat "$out" "$out.err")"
        touch "$db/go"
        wait_for 5 "the second holder to listen" test -e "$db/listening"
        touch "$gate"
        wait_exit "$WHO_PID" 10 "the waiting who to be answered" || fail "$WAITED"
        assert_eq 0 "$WAIT_RC" "who's exit status ($(cat "$out.err"))"
        assert_eq "[$a_pid]" "$(jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns and .port == 9443) | .owners[].pid] | unique' < "$out")" \
                "the waiting who's holders"
        grep -q '1 waiting requests came before the resync.s walk: answered from it' "$SA_IT_DIR/daemon.log" ||
                fail "the who was not answered by the resync whose walk came after it"
        wait_for 10 "listener_added for 443 in watch" grep -q '"listener_added"' "$WATCH_OUT"
        grep '"listener_added"' "$WATCH_OUT" |
                jq -e --argjson pid "$b_pid" 'select(.listener.port == 443)
                        | [.listener.owners[].pid] | index($pid) != null' > /dev/null ||
                fail "listener_added does not name the holder $b_pid: $(cat "$WATCH_OUT")"
        assert_json "$(mon_get '.freshness.requests.resync | tojson')" '.again >= 1' \
                "a resync installed as walked, another after it"
        grep -q 'Refresh after the resync needs a full scan, another resync follows' "$SA_IT_DIR/daemon.log" ||
                fail "the resync's refresh did not leave its full scan to the next resync"
        ! grep -q 'needed a full scan\|Cannot start the resync in the background' "$SA_IT_DIR/daemon.log" ||
                fail "a full scan ran on the loop: $(grep 'needed a full scan' "$SA_IT_DIR/daemon.log" | head -3)"
        stop_watch
        kill "$a_pid" "$b_pid"
}
