# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Freshness without `refresh` (docs/PERFORMANCE.md): the daemon's probe and
# process events bring new listeners to watchers and new holders to `who`;
# the full scan (ScanInterval) is set to an hour here so it cannot be what
# finds them. No timing is asserted beyond a generous bound.

# holders_443: the sorted pids holding 443 in this namespace, as JSON.
holders_443() {
        sa who 443 --json 2>/dev/null | jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[].pid] | unique'
}

# pid_list PID...: the same form, for comparison.
pid_list() {
        printf '%s\n' "$@" | sort -n | paste -sd, | sed 's/^/[/; s/$/]/'
}

# A listener started after the daemon reaches `watch`, and its closing too.
fresh_listener_reaches_watch() {
        need_cmd jq
        write_config 'Ports=443' 'ScanInterval=1h'
        start_daemon_mon
        start_watch --json
        start_listen --tcp 0.0.0.0 443
        wait_for 5 "listener_added in watch after listen() (no refresh)" grep -q '"listener_added"' "$WATCH_OUT"
        grep '"listener_added"' "$WATCH_OUT" |
                jq -e --argjson pid "$LISTEN_PID" 'select(.listener.port == 443)
                        | [.listener.owners[].pid] | index($pid) != null' > /dev/null ||
                fail "listener_added does not name the new holder $LISTEN_PID: $(cat "$WATCH_OUT")"
        stop_listen "$LISTEN_PID"
        wait_for 5 "listener_removed in watch after the exit" grep -q '"listener_removed"' "$WATCH_OUT"
        stop_watch
        run_cap OUT sa status --json
        note "status: $(jq -c '(.status // .) | {scans, freshness}' <<<"$OUT")"
}

test_fresh_watch_events() {
        fresh_listener_reaches_watch
}

test_fresh_watch_polling() {
        DAEMON_ENV=(SOCKAUDITD_FRESHNESS=polling)
        fresh_listener_reaches_watch
        grep -q 'freshness: polling' "$SA_IT_DIR/daemon.log" || fail "the daemon does not say it polls"
}

# A worker forked after the listener was seen shows up in `who` without a
# refresh, by the process events or the probe.
late_worker() {
        need_cmd jq
        write_config 'ScanInterval=1h'
        start_daemon
        start_listen --late-child "$(scaled_ms 1)" --tcp 0.0.0.0 443
        local got
        wait_until -w "who 443 to list the listener before its fork" 5 \
                eval '[ "$(holders_443)" == "$(pid_list "$LISTEN_PID")" ]' ||
                fail "$WAITED: $(holders_443), expected $(pid_list "$LISTEN_PID")"
        wait_late_child
        local want
        want=$(pid_list "$LISTEN_PID" "$LATE_PID")
        wait_until -w "who 443 to list the worker forked (no refresh)" 5 eval '[ "$(holders_443)" == "$want" ]' ||
                fail "$WAITED: $(holders_443), expected $want"
        got=$(sa who 443 --json | jq -r --argjson p "$LATE_PID" "$JQ_LS"'[ls[].owners[] | select(.pid == $p)][0].ppid')
        assert_eq "$LISTEN_PID" "$got" "the new worker's parent"
}

test_fresh_late_worker_events() {
        late_worker
}

test_fresh_late_worker_polling() {
        DAEMON_ENV=(SOCKAUDITD_FRESHNESS=polling)
        late_worker
}

# A holder exits and its pid goes to another program (steered with
# ns_last_pid): `who` must not list that pid, neither as the old holder nor
# as the newcomer. Polling mode: no exit event tells the daemon; only the
# start time does.
test_fresh_pid_reuse() {
        need_cmd jq
        [ -w /proc/sys/kernel/ns_last_pid ] || skip "cannot steer pids (/proc/sys/kernel/ns_last_pid)"
        DAEMON_ENV=(SOCKAUDITD_FRESHNESS=polling)
        write_config 'ScanInterval=1h'
        start_listen --children 1 --tcp 0.0.0.0 443
        local parent=$LISTEN_PID child=${LISTEN_PIDS#* }
        start_daemon
        assert_eq "$(pid_list "$parent" "$child")" "$(holders_443)" "holders before the exit"
        kill -KILL "$child"
        wait_for 2 "child $child to die of SIGKILL" not_alive "$child"
        # The zombie must be gone too before its pid can be reused.
        wait_until -w "child $child to be reaped" 2 eval '[ ! -e "/proc/$child" ]' ||
                skip "child $child not reaped by sa-listen: its pid cannot be reused"
        local other= tries
        for ((tries = 0; tries < 50; tries++)); do
                echo $((child - 1)) > /proc/sys/kernel/ns_last_pid
                "${NSX[@]}" sleep infinity < /dev/null > /dev/null 2>&1 &
                other=$!
                track_pid "$other"
                [ "$other" == "$child" ] && break
                kill "$other" 2>/dev/null
                wait "$other" 2>/dev/null
                other=
        done
        [ -n "$other" ] || skip "pid $child could not be reused (other processes forking meanwhile)"
        note "pid $child now runs: $(tr '\0' ' ' < "/proc/$child/cmdline")"
        local got
        got=$(holders_443)
        assert_eq "$(pid_list "$parent")" "$got" "holders after pid $child went to another program"
        run_cap OUT sa who 443 --json
        assert_json "$OUT" "$JQ_LS"' [ls[].owners[] | select(.comm == "sleep" or .comm == "nsenter")] | length == 0' \
                "no holder described as the newcomer"
}

# A program that has run for a while (no exec or fork near it) opens a TCP
# listener and binds UDP on a watched port: the eBPF listen/bind events
# start the probe that finds them (counted in status), not the timer alone.
test_fresh_listen_event() {
        need_cmd jq python3
        write_config 'Ports=443' 'ScanInterval=1h'
        start_daemon_mon
        status_json
        [ "$(jq -r '.freshness.listen_events.source' <<<"$STATUS")" == ebpf ] ||
                skip "no eBPF listen events here: $(jq -r '.freshness.listen_events.detail' <<<"$STATUS")"
        assert_json "$STATUS" '.freshness.listen_events.udp == true' "UDP bind events attached"
        start_watch --json
        "${NSX[@]}" python3 -c '
import socket, sys, time
time.sleep(float(sys.argv[1]))
t = socket.socket(); t.bind(("0.0.0.0", 443)); t.listen()
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind(("::", 443))
time.sleep(3600)' "$(scaled 2.5)" < /dev/null &
        local py=$!
        track_pid "$py"
        wait_until -w "listener_added for tcp and udp in watch" 6 \
                eval '[ "$(grep -c "\"listener_added\"" "$WATCH_OUT")" -ge 2 ]' ||
                fail "$WAITED: $(cat "$WATCH_OUT")"
        grep '"listener_added"' "$WATCH_OUT" | jq -e -s 'map(.listener.proto) | sort == ["tcp", "udp"]' \
                > /dev/null || fail "watch: $(cat "$WATCH_OUT")"
        status_json
        note "freshness: $(jq -c .freshness.listen_events <<<"$STATUS")"
        assert_json "$STATUS" '.freshness.listen_events.probes >= 2 and .freshness.listen_events.events >= 2' \
                "probes started by listen events"
        kill "$py"
        stop_watch
}

# SOCKAUDITD_FRESHNESS=proc-connector: no eBPF events, status says so,
# new listeners still reach watch (by the probes).
test_fresh_watch_proc_connector_only() {
        DAEMON_ENV=(SOCKAUDITD_FRESHNESS=proc-connector)
        fresh_listener_reaches_watch
        status_json
        assert_json "$STATUS" '.freshness.listen_events.source == null and
                .freshness.listen_events.detail == "SOCKAUDITD_FRESHNESS=proc-connector"' "listen events off"
}

# A python holder of TCP 443 that forks a child (which keeps the socket) on
# SIGUSR1; its output: "READY", then "CHILD pid" per fork.
start_forking_holder() {
        "${NSX[@]}" python3 -c '
import os, signal, socket, time
s = socket.socket(); s.bind(("0.0.0.0", 443)); s.listen()
def fork(*_):
    if os.fork() == 0:
        print("CHILD", os.getpid(), flush=True)
        time.sleep(3600)
        os._exit(0)
signal.signal(signal.SIGUSR1, fork)
print("READY", flush=True)
while True:
    signal.pause()' > "$SA_IT_DIR/forker.out" 2>&1 < /dev/null &
        FORKER=$!
        track_pid "$FORKER"
        wait_for 5 "the forking holder: READY" grep -q '^READY' "$SA_IT_DIR/forker.out"
}

# The pids holding 443 in a full `list --json`, as pid_list prints them.
list_holders_443() {
        sa list --json 2>/dev/null | jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns and .port == 443) | .owners[].pid] | unique'
}

skipped_count() {
        status_json
        jq -r '.freshness.verify_skipped' <<<"$STATUS"
}

# With process events, a `list` re-reads every holder's fd only when an
# event says a holder may have changed (docs/PERFORMANCE.md): a list right
# after another skips it (status counts it) and says the same; after the
# holder forks, the next one verifies again and shows the child.
test_fresh_list_skips_reverify() {
        need_cmd jq python3
        write_config 'ScanInterval=1h'
        start_daemon
        status_json
        [ "$(jq -r .freshness.mode <<<"$STATUS")" == proc-connector ] ||
                skip "no process events here: $(jq -r .freshness.mode <<<"$STATUS")"
        start_forking_holder
        wait_until -w "list to show the holder" 5 eval '[ "$(list_holders_443)" == "$(pid_list "$FORKER")" ]' ||
                fail "$WAITED: $(list_holders_443), expected $(pid_list "$FORKER")"
        # The skip needs the last verification to be recent (5 s): tried a few times on a slow host.
        local before after first second tries
        for ((tries = 0; tries < 5; tries++)); do
                first=$(list_holders_443)
                before=$(skipped_count)
                second=$(list_holders_443)
                after=$(skipped_count)
                [ "$after" -gt "$before" ] && break
        done
        [ "$after" -gt "$before" ] || fail "no list skipped the verification (verify_skipped $before -> $after)"
        assert_eq "$first" "$second" "holders from the list that skipped the verification"
        kill -USR1 "$FORKER"
        wait_for 5 "the holder's child: CHILD line" grep -q '^CHILD ' "$SA_IT_DIR/forker.out"
        local child
        child=$(awk '/^CHILD / { print $2; exit }' "$SA_IT_DIR/forker.out")
        track_pid "$child"
        before=$(skipped_count)
        second=$(list_holders_443)
        after=$(skipped_count)
        assert_eq "$before" "$after" "verify_skipped after a fork of the holder (the list must verify)"
        assert_eq "$(pid_list "$FORKER" "$child")" "$second" "holders after the fork"
}

# Polling: no event says nothing changed, so every list verifies.
test_fresh_list_polling_verifies() {
        need_cmd jq python3
        DAEMON_ENV=(SOCKAUDITD_FRESHNESS=polling)
        write_config 'ScanInterval=1h'
        start_daemon
        start_forking_holder
        wait_until -w "list to show the holder" 5 eval '[ "$(list_holders_443)" == "$(pid_list "$FORKER")" ]' ||
                fail "$WAITED: $(list_holders_443), expected $(pid_list "$FORKER")"
        list_holders_443 > /dev/null
        list_holders_443 > /dev/null
        assert_eq 0 "$(skipped_count)" "verify_skipped when polling"
}

# "comm/uid" of pid $1's hold on 443 in `who 443`.
who_comm_uid_443() {
        sa who 443 --json 2>/dev/null | jq -r --argjson ns "$(ns_inode)" --argjson pid "$1" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[] | select(.pid == $pid) | "\(.comm)/\(.uid)"] | first // ""'
}

# renaming_holder ADDR PORT DROP: python3 listens on ADDR:PORT, prints
# READY; once $SA_IT_DIR/go exists it renames itself "renamed" (and with
# DROP 1 becomes uid/gid 65534) and prints DONE, in $SA_IT_DIR/holder.out.
# Sets HOLDER_PID.
renaming_holder() {
        "${NSX[@]}" python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen()
print("READY", flush=True)
while not os.path.exists(sys.argv[4]):
    time.sleep(0.02)
with open("/proc/self/comm", "w") as f:
    f.write("renamed")
if sys.argv[3] == "1":
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
print("DONE", flush=True)
time.sleep(3600)' "$1" "$2" "$3" "$SA_IT_DIR/go" > "$SA_IT_DIR/holder.out" 2>&1 < /dev/null &
        HOLDER_PID=$!
        track_pid "$HOLDER_PID"
}

# A holder that renames itself and drops privileges after listen() is
# described again once its hot window is over (details are read when a
# listener is new): `who` shows it as it runs, not as it started, without
# any other change or a resync.
test_fresh_details_reread() {
        need_cmd jq python3
        write_config 'ScanInterval=1h' 'Ports=443'
        start_daemon
        renaming_holder 0.0.0.0 443 1
        local holder=$HOLDER_PID before after
        wait_for 5 "the holder: READY" grep -q '^READY' "$SA_IT_DIR/holder.out"
        wait_until -w "who 443 to show the holder" 10 eval '[ "$(who_comm_uid_443 "$holder")" == "python3/0" ]' ||
                fail "$WAITED: who 443 shows '$(who_comm_uid_443 "$holder")', expected python3/0"
        status_json
        before=$(jq -r '.freshness.details_rereads' <<<"$STATUS")
        touch "$SA_IT_DIR/go"
        wait_for 5 "the holder to rename itself: DONE" grep -q '^DONE' "$SA_IT_DIR/holder.out"
        wait_until -w "who 443 to show the renamed holder" 10 eval \
                '[ "$(who_comm_uid_443 "$holder")" == "renamed/65534" ]' ||
                fail "$WAITED: who 443 shows '$(who_comm_uid_443 "$holder")', expected renamed/65534"
        status_json
        after=$(jq -r '.freshness.details_rereads' <<<"$STATUS")
        [ "$after" -gt "$before" ] || fail "details_rereads $before -> $after"
}

# comm of pid $2's hold on port $1 in `who PORT`.
who_comm() {
        sa who "$1" --json 2>/dev/null | jq -r --argjson ns "$(ns_inode)" --argjson pid "$2" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[] | select(.pid == $pid) | .comm] | first // ""'
}

# A change elsewhere does not read every holder again: a holder no event
# touched keeps the details it had (here a rename without exec, which the
# proc connector does not report) until the next full scan, while the new
# holder is read. The trade-off PERFORMANCE.md names, shown both ways.
test_fresh_details_kept() {
        need_cmd jq python3
        local a b n
        write_config 'ScanInterval=1h' 'Ports=all'
        DAEMON_ENV=(SOCKAUDIT_LOG_LEVEL=debug)
        start_daemon
        renaming_holder 127.0.0.1 7001 0
        a=$HOLDER_PID
        wait_until -w "who 7001 to show its holder" 10 eval '[ "$(who_comm 7001 "$a")" == python3 ]' ||
                fail "$WAITED: '$(who_comm 7001 "$a")'"
        sleep_scaled 3                          # its hot window over, its re-read done
        touch "$SA_IT_DIR/go"
        wait_for 5 "the holder to rename itself: DONE" grep -q '^DONE' "$SA_IT_DIR/holder.out"
        n=$(file_lines "$SA_IT_DIR/daemon.log")
        start_listen --tcp 127.0.0.1 7002
        b=$LISTEN_PID
        wait_until -w "who 7002 to show the new holder" 10 eval '[ "$(who_comm 7002 "$b")" == sa-listen ]' ||
                fail "$WAITED: '$(who_comm 7002 "$b")'"
        assert_eq python3 "$(who_comm 7001 "$a")" "7001's holder, described as before"
        tail -n "+$((n + 1))" "$SA_IT_DIR/daemon.log" | grep -qE 'Refresh \(.*\): .*, [1-9][0-9]* described as before' ||
                fail "no refresh kept details: $(tail -n "+$((n + 1))" "$SA_IT_DIR/daemon.log" | grep Refresh | head -3)"
        refresh
        assert_eq renamed "$(who_comm 7001 "$a")" "7001's holder after a full scan"
}

# The fds pid $1 holds 443 with in `who 443`, joined by commas.
who_fds_443() {
        sa who 443 --json 2>/dev/null | jq -r --argjson ns "$(ns_inode)" --argjson pid "$1" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[] | select(.pid == $pid) | .fds[]] | unique | join(",")'
}

# A holder that dup()s its listener after the daemon found it (the walk
# that found the listener saw one fd) has its fds walked again at the end
# of the hot window: `who` shows both without a resync (ScanInterval=1h).
test_fresh_dup_after_listen() {
        need_cmd jq python3
        write_config 'ScanInterval=1h' 'Ports=443'
        start_daemon
        "${NSX[@]}" python3 -c '
import os, socket, sys, time
s = socket.socket(); s.bind(("0.0.0.0", 443)); s.listen()
print("READY", s.fileno(), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
print("DUP", os.dup(s.fileno()), flush=True)
time.sleep(3600)' "$SA_IT_DIR/go" > "$SA_IT_DIR/dup.out" 2>&1 < /dev/null &
        local holder=$! fd1 fd2 rereads walks
        track_pid "$holder"
        wait_for 5 "the holder: READY" grep -q '^READY' "$SA_IT_DIR/dup.out"
        read -r _ fd1 < <(grep '^READY' "$SA_IT_DIR/dup.out")
        wait_until -w "who 443 to show fd $fd1" 10 eval '[ "$(who_fds_443 "$holder")" == "$fd1" ]' ||
                fail "$WAITED: who 443 shows fds '$(who_fds_443 "$holder")', expected $fd1"
        touch "$SA_IT_DIR/go"
        wait_for 5 "the holder to dup: DUP" grep -q '^DUP' "$SA_IT_DIR/dup.out"
        read -r _ fd2 < <(grep '^DUP' "$SA_IT_DIR/dup.out")
        status_json
        rereads=$(jq -r '.freshness.details_rereads' <<<"$STATUS")
        [ "$rereads" -eq 0 ] ||
                skip "the hot window ended before the holder's dup() (load?): details_rereads $rereads"
        wait_until -w "who 443 to show fds $fd1,$fd2" 20 eval '[ "$(who_fds_443 "$holder")" == "$fd1,$fd2" ]' ||
                fail "$WAITED: who 443 shows fds '$(who_fds_443 "$holder")', expected $fd1,$fd2"
        status_json
        walks=$(jq -r '.freshness.fd_rewalks' <<<"$STATUS")
        [ "$walks" -ge 1 ] || fail "fd_rewalks $walks after the hot window"
        note "details_rereads $(jq -r '.freshness.details_rereads' <<<"$STATUS"), fd_rewalks $walks"
}

# One program opening and closing 443 five times in a row (bench/sa-fresh's
# rounds): each close reaches watch like each open, none held back as
# flapping (the 2nd close used to wait ~9 s for the flapping window's end).
test_fresh_close_repeated() {
        need_cmd jq
        local i
        write_config 'Ports=443' 'ScanInterval=1h'
        start_daemon_mon
        start_watch --json
        for i in 1 2 3 4 5; do
                start_listen --tcp 0.0.0.0 443
                wait_until -w "listener_added $i in watch" 5 \
                        eval '[ "$(grep -c "\"listener_added\"" "$WATCH_OUT")" -ge '"$i"' ]' ||
                        fail "$WAITED: $(cat "$WATCH_OUT")"
                stop_listen "$LISTEN_PID"
                wait_until -w "listener_removed $i in watch (no refresh)" 5 \
                        eval '[ "$(grep -c "\"listener_removed\"" "$WATCH_OUT")" -ge '"$i"' ]' ||
                        fail "$WAITED: $(cat "$WATCH_OUT")"
        done
        stop_watch
        status_json
        note "flapping: $(jq -c .monitor.flapping <<<"$STATUS")"
        assert_json "$STATUS" '.monitor.flapping.events_suppressed == 0 and .monitor.events.listener_flapping == 0' \
                "no change held back as flapping"
        assert_json "$STATUS" '.freshness.requests.refresh.requested == 0' "no refresh asked"
}
