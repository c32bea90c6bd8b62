# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Monitoring: change events to watchers, owner changes, policy checks, the
# baseline across restarts, config errors, a watcher that does not read.
# Every daemon here gets a private --state-dir (start_daemon_mon) and never
# writes to the host's journal.

# Lines of the daemon log written since line N.
log_since() { tail -n +"$(($1 + 1))" "$SA_IT_DIR/daemon.log"; }
log_len() { file_lines "$SA_IT_DIR/daemon.log"; }

# check_rc_is RC: `sockaudit check` exits RC (for wait_until).
check_rc_is() {
        sa check > /dev/null 2>&1
        [ $? == "$1" ]
}

# log_has N TEXT: the daemon log has TEXT after line N.
log_has() { log_since "$1" | grep -qF -- "$2"; }

# Line N of FILE.
nth_line() { sed -n "$2p" "$1"; }

# watch --json and the human watch see a listener come and go, with its
# pid; unwatched ports raise nothing; a `who` whose probe sees the change
# raises the event without a refresh.
test_watch_stream() {
        need_cmd jq
        start_daemon_mon
        start_watch --json
        local wj=$WATCH_OUT wj_pid=$WATCH_PID
        start_watch
        local wh=$WATCH_OUT pid l
        start_listen --tcp 0.0.0.0 8080        # not watched (Ports=443)
        start_listen --tcp 0.0.0.0 443
        pid=$LISTEN_PID
        refresh
        wait_for 5 "an event in watch --json after a listener appeared" lines_ge "$wj" 1
        stop_listen "$pid"
        refresh
        wait_for 5 "a second event in watch --json after the listener closed" lines_ge "$wj" 2
        wait_until -w "2 lines from watch" 5 lines_ge "$wh" 2 || fail "$WAITED: $(cat "$wh")"
        sleep_scaled 0.2
        cat "$wj" "$wh" >&2
        assert_eq 2 "$(file_lines "$wj")" "watch --json: event lines"
        assert_json "$(nth_line "$wj" 1)" ".event == \"listener_added\" and .listener.proto == \"tcp\"
                and .listener.address == \"0.0.0.0\" and .listener.port == 443
                and [.listener.owners[].pid] == [$pid] and .previous_owners == [] and .reason == null
                and (.time | test(\"^[0-9-]+T[0-9:.]+Z$\"))" "first event"
        assert_json "$(nth_line "$wj" 2)" ".event == \"listener_removed\" and .listener.port == 443
                and [.listener.owners[].pid] == [$pid]" "second event"
        assert_eq 2 "$(file_lines "$wh")" "human watch: one line per event"
        l=$(nth_line "$wh" 1)
        assert_contains "$l" "listener_added 443/tcp on 0.0.0.0 in netns $SA_IT_NS: " "human watch, first line"
        assert_contains "$l" "[$pid]" "human watch, first line names the pid"
        l=$(nth_line "$wh" 2)
        assert_contains "$l" "listener_removed 443/tcp on 0.0.0.0 in netns $SA_IT_NS: " "human watch, second line"
        assert_contains "$l" "[$pid]" "human watch, second line names the pid"

        # No refresh: the cheap probe of `who` sees the new socket.
        start_listen --udp 0.0.0.0 443
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443 after a new listener"
        wait_for 3 "an event in watch --json after who saw a new listener (no refresh)" lines_ge "$wj" 3
        assert_json "$(nth_line "$wj" 3)" ".event == \"listener_added\" and .listener.proto == \"udp\"
                and [.listener.owners[].pid] == [$LISTEN_PID]" "event raised by who's probe"

        stop_watch
        assert_eq 0 "$WATCH_RC" "human watch: exit status on SIGTERM"
        WATCH_PID=$wj_pid
        stop_watch
        assert_eq 0 "$WATCH_RC" "watch --json: exit status on SIGTERM"
        assert_eq 0 "$(mon_get .watchers.connected)" "watchers after both ended"
}

# A new worker of the same program (pid churn) is no owner change; the
# same holder moved into a systemd unit (its program (exe, unit, user)
# changed) is, with previous_owners; moving it back is another one.
test_owner_change_not_pid_churn() {
        need_cmd jq
        [ -d "$SA_IT_CGROOT" ] || skip "no cgroup2 hierarchy at $SA_IT_CGROOT"
        local unit=sa-it-owner-$$.service pids
        start_daemon_mon
        start_watch --json
        local wj=$WATCH_OUT
        start_listen --late-child "$(scaled_ms 0.3)" --tcp 0.0.0.0 443
        refresh
        wait_late_child
        refresh
        run_cap OUT sa who 443 --json
        pids=$(jq -c "$JQ_LS"' [ls[].owners[].pid] | sort' <<<"$OUT")
        assert_eq "[$(printf '%s\n' "$LISTEN_PID" "$LATE_PID" | sort -n | paste -sd,)]" "$pids" "holders after the late fork"
        kill -TERM "$LATE_PID"
        wait_for 5 "the late child $LATE_PID to end on SIGTERM" not_alive "$LATE_PID"
        refresh
        run_cap OUT sa who 443 --json
        assert_eq "[$LISTEN_PID]" "$(jq -c "$JQ_LS"' [ls[].owners[].pid]' <<<"$OUT")" "holders after the late child ended"
        assert_eq '{"listener_added":1,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "events after pid churn only"

        make_cgroup "system.slice/$unit"
        echo "$LISTEN_PID" > "$SA_IT_CGROOT/system.slice/$unit/cgroup.procs" ||
                fail "cannot move $LISTEN_PID into $unit"
        refresh
        assert_eq 1 "$(mon_get .monitor.events.owner_changed)" "owner_changed after the holder moved into $unit"
        wait_for 5 "an owner_changed event in watch --json" lines_ge "$wj" 2
        assert_json "$(nth_line "$wj" 2)" ".event == \"owner_changed\" and .listener.port == 443
                and [.listener.owners[] | {pid, unit}] == [{\"pid\": $LISTEN_PID, \"unit\": \"$unit\"}]
                and [.previous_owners[] | {pid, unit}] == [{\"pid\": $LISTEN_PID, \"unit\": null}]" \
                "owner_changed event"
        echo "$LISTEN_PID" > "$SA_IT_CGROOT/cgroup.procs" || fail "cannot move $LISTEN_PID back"
        refresh
        assert_eq 2 "$(mon_get .monitor.events.owner_changed)" "owner_changed after the holder moved back"
        wait_for 5 "a second owner_changed event in watch --json" lines_ge "$wj" 3
        assert_json "$(nth_line "$wj" 3)" ".event == \"owner_changed\"
                and [.listener.owners[].unit] == [null] and [.previous_owners[].unit] == [\"$unit\"]" \
                "second owner_changed event"
        assert_eq 3 "$(file_lines "$wj")" "watch --json: events in all"
}

# check: exit 0 and "no policy violations" when clean; exit 1 with each
# violation (AllowExe, AllowAddress, deleted exe) otherwise; a listener on
# a port nobody watches is never one.
test_check_exit_codes() {
        need_cmd jq
        local real rogue=$SA_IT_DIR/rogue-listen gone=$SA_IT_DIR/gone-listen good lo bad wide del
        real=$(readlink -f "$SA_LISTEN")
        cp "$SA_LISTEN" "$rogue" || fail "cp"
        cp "$SA_LISTEN" "$gone" || fail "cp"
        write_config 'Ports=443' '[Port 443/tcp]' "AllowExe=$real" \
                '[Port 8443/tcp]' 'AllowAddress=127.0.0.1' '[Port 9443/tcp]'
        start_daemon_mon
        run_cap OUT sa check
        assert_eq 0 "$OUT_rc" "check with no listener"
        assert_contains "$OUT" "no policy violations" "check with no listener"
        run_cap OUT sa check --json
        assert_eq 0 "$OUT_rc" "check --json with no listener"
        assert_json "$OUT" '.violations == []' "check --json with no listener"

        start_listen --tcp 0.0.0.0 443;   good=$LISTEN_PID
        start_listen --tcp 127.0.0.1 8443; lo=$LISTEN_PID
        SA_LISTEN=$gone start_listen --tcp 0.0.0.0 9443; del=$LISTEN_PID
        SA_LISTEN=$rogue start_listen --tcp 0.0.0.0 9999       # not watched
        refresh
        run_cap OUT sa check
        assert_eq 0 "$OUT_rc" "check with allowed owners only"
        assert_contains "$OUT" "no policy violations" "check with allowed owners only"

        stop_listen "$good"
        SA_LISTEN=$rogue start_listen --tcp 0.0.0.0 443; bad=$LISTEN_PID
        stop_listen "$lo"
        start_listen --tcp 0.0.0.0 8443; wide=$LISTEN_PID
        rm -f "$gone"
        refresh
        run_cap OUT sa check
        assert_eq 1 "$OUT_rc" "check with violations"
        assert_eq 3 "$(grep -c . <<<"$OUT")" "check: one line per violation"
        assert_contains "$OUT" "AllowExe" "check names AllowExe"
        assert_contains "$OUT" "AllowAddress" "check names AllowAddress"
        assert_contains "$OUT" "deleted" "check names the deleted executable"
        run_cap OUT sa check --json
        assert_eq 1 "$OUT_rc" "check --json with violations"
        assert_json "$OUT" ".violations | length == 3" "check --json: 3 violations"
        assert_json "$OUT" "[.violations[] | select(.listener.port == 443 and .listener.proto == \"tcp\"
                and [.listener.owners[].pid] == [$bad]
                and (.reason | contains(\"AllowExe\") and contains(\"$rogue\")))] | length == 1" \
                "the rogue owner on 443, reason naming AllowExe and its exe"
        assert_json "$OUT" "[.violations[] | select(.listener.port == 8443 and .listener.address == \"0.0.0.0\"
                and (.reason | contains(\"0.0.0.0\") and contains(\"AllowAddress\")))] | length == 1" \
                "8443 on 0.0.0.0, reason naming the address and AllowAddress"
        assert_json "$OUT" "[.violations[] | select(.listener.port == 9443 and [.listener.owners[].pid] == [$del]
                and (.reason | contains(\"deleted\")))] | length == 1" \
                "9443 held by a deleted executable"
        assert_json "$OUT" '[.violations[] | select(.listener.port == 9999)] == []' "unwatched port 9999"
        assert_eq 3 "$(mon_get .monitor.active_violations)" "status active_violations"
        assert_eq 3 "$(mon_get .monitor.events.policy_violation)" "policy_violation events"
        # Still there on the next scan: no new event.
        refresh
        assert_eq 3 "$(mon_get .monitor.events.policy_violation)" "policy_violation events after a rescan"
        : "$wide"
}

# The baseline across a restart: known listeners and reported violations
# raise nothing again; a listener that appeared while the daemon was down
# does; check still lists the old violation.
test_restart_no_duplicates() {
        need_cmd jq
        local a v b n
        write_config 'Ports=443 444 8443' '[Port 8443/tcp]' 'AllowUser=nobody'
        start_listen --tcp 0.0.0.0 443;  a=$LISTEN_PID
        start_listen --tcp 0.0.0.0 8443; v=$LISTEN_PID
        start_daemon_mon
        assert_eq '{"listener_added":2,"listener_removed":0,"owner_changed":0,"policy_violation":1,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "run 1: events"
        assert_contains "$(mon_get .monitor.baseline)" "none" "run 1: baseline"
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "run 1: exit status"
        assert_json "$(cat "$STATE_DIR/state.json")" '.version == 1 and (.listeners | length) == 2
                and (.violations | length) == 1' "state.json after run 1"
        (( (8#$(stat -c %a "$STATE_DIR/state.json") & 8#022) == 0 )) ||
                fail "state.json is writable by others: mode $(stat -c %a "$STATE_DIR/state.json")"

        start_listen --tcp 0.0.0.0 444; b=$LISTEN_PID
        n=$(log_len)
        start_daemon_mon
        assert_eq '{"listener_added":1,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "run 2: events (only 444 is new)"
        assert_contains "$(mon_get .monitor.baseline)" "loaded" "run 2: baseline"
        assert_eq 1 "$(mon_get .monitor.active_violations)" "run 2: active violations"
        log_since "$n" >&2
        assert_eq 1 "$(log_since "$n" | grep -c 'opened by')" "run 2: 'opened by' lines in the log"
        assert_contains "$(log_since "$n")" "444/tcp on 0.0.0.0 in netns $SA_IT_NS opened by sa-listen[$b]" "run 2: the new listener"
        run_cap OUT sa check --json
        assert_eq 1 "$OUT_rc" "run 2: check still fails"
        assert_json "$OUT" "[.violations[] | .listener.port] == [8443] and (.violations[0].reason | contains(\"AllowUser\"))" \
                "run 2: check lists the old violation"
        start_watch --json
        refresh
        sleep_scaled 0.3
        assert_eq 0 "$(file_lines "$WATCH_OUT")" "run 2: events on a rescan"
        assert_eq '{"listener_added":1,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "run 2: events after a rescan"
        : "$a $v"
}

# A listener that closed while the daemon was down: listener_removed.
test_removed_while_down() {
        need_cmd jq
        local a n
        write_config 'Ports=443 444'
        start_listen --tcp 0.0.0.0 443; a=$LISTEN_PID
        start_listen --tcp 0.0.0.0 444
        start_daemon_mon
        assert_eq 2 "$(mon_get .monitor.events.listener_added)" "run 1: listener_added"
        stop_daemon
        stop_listen "$a"
        n=$(log_len)
        start_daemon_mon
        assert_eq '{"listener_added":0,"listener_removed":1,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "run 2: events"
        assert_contains "$(log_since "$n")" "443/tcp on 0.0.0.0 in netns $SA_IT_NS closed (was sa-listen[$a]" "run 2: the removal in the log"
        assert_json "$(cat "$STATE_DIR/state.json")" '[.listeners[].port] == [444]' "state.json after run 2"
}

# A corrupt, truncated, empty or ill-shaped state.json: logged, rebuilt,
# every watched listener reported again, a valid file written.
test_corrupt_state() {
        need_cmd jq
        local n size how
        write_config 'Ports=443 444'
        start_listen --tcp 0.0.0.0 443
        start_listen --tcp 0.0.0.0 444
        mkdir -p "$STATE_DIR"
        start_daemon_mon
        stop_daemon
        jq -e . "$STATE_DIR/state.json" > /dev/null || fail "no valid state.json after a first run"
        size=$(stat -c %s "$STATE_DIR/state.json")
        for how in truncated garbage empty shape; do
                case $how in
                truncated) truncate -s $((size / 2)) "$STATE_DIR/state.json" ;;
                garbage) printf 'garbage\001{{\n' > "$STATE_DIR/state.json" ;;
                empty) : > "$STATE_DIR/state.json" ;;
                shape) printf '{"version":1,"listeners":"x","violations":[]}\n' > "$STATE_DIR/state.json" ;;
                esac
                n=$(log_len)
                start_daemon_mon
                log_since "$n" >&2
                assert_contains "$(log_since "$n")" "Ignoring a corrupt state file" "$how state.json: log"
                assert_contains "$(mon_get .monitor.baseline)" "rebuilt" "$how state.json: status baseline"
                assert_eq '{"listener_added":2,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                        "$(mon_events)" "$how state.json: events"
                assert_json "$(cat "$STATE_DIR/state.json")" '.version == 1 and ([.listeners[].port] | sort) == [443, 444]' \
                        "$how state.json: rewritten"
                stop_daemon
                assert_eq 0 "$DAEMON_RC" "$how state.json: exit status"
        done
}

# bad_config_start LINE CONFIG_LINES...: the daemon refuses to start,
# naming FILE:LINE.
bad_config_start() {
        local line=$1 n
        shift
        write_config "$@"
        n=$(log_len)
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF" --state-dir "$STATE_DIR"
        wait_exit "$DAEMON_PID" 5 "the daemon to refuse: $*" || fail "$WAITED"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_ne 0 "$WAIT_RC" "exit status with: $*"
        assert_contains "$(log_since "$n")" "$CONF:$line:" "message for: $*"
}

# Each bad file stops the daemon at start; on SIGHUP a bad file is refused
# and the old policy still applies; a good one then applies.
test_config_errors() {
        need_cmd jq
        bad_config_start 3 '[Bogus]'
        bad_config_start 3 'Bogus=1'
        bad_config_start 3 'Ports=seventeen'
        bad_config_start 3 'Ports=70000'
        bad_config_start 3 'ScanInterval=0'
        bad_config_start 3 'Protocols=sctp'
        bad_config_start 3 '[Port 99999/tcp]'
        bad_config_start 3 '[Port 443/sctp]'
        bad_config_start 4 '[Port 443/tcp]' 'AllowAddress=notanip'
        bad_config_start 4 '[Port 443/tcp]' 'AllowBogus=x'

        local real rogue=$SA_IT_DIR/rogue-listen n before
        real=$(readlink -f "$SA_LISTEN")
        cp "$SA_LISTEN" "$rogue" || fail "cp"
        write_config 'Ports=443' '[Port 443/tcp]' "AllowExe=$real"
        start_daemon_mon
        SA_LISTEN=$rogue start_listen --tcp 0.0.0.0 443
        refresh
        run_cap OUT sa check --json
        assert_eq 1 "$OUT_rc" "check before the reload"
        before=$(jq -c '[.violations[].reason]' <<<"$OUT")
        # Applied even in part, this file would allow the rogue.
        printf '[Daemon]\nNamespaces=self\nPorts=443\n[Port 443/tcp]\nAllowExe=*\nAllowAddress=notanip\n' > "$CONF"
        n=$(log_len)
        kill -HUP "$DAEMON_PID"
        wait_until -w "a log line naming $CONF:6: after SIGHUP with a bad file" 5 log_has "$n" "$CONF:6:" ||
                fail "$WAITED: $(log_since "$n" | tr '\n' ' ')"
        alive "$DAEMON_PID" || fail "the daemon died on a bad reload"
        refresh
        run_cap OUT sa check --json
        assert_eq 1 "$OUT_rc" "check after a refused reload"
        assert_eq "$before" "$(jq -c '[.violations[].reason]' <<<"$OUT")" "violations after a refused reload"
        printf '[Daemon]\nNamespaces=self\nPorts=443\n[Port 443/tcp]\nAllowExe=*\n' > "$CONF"
        kill -HUP "$DAEMON_PID"
        wait_for 5 "check to pass after a good reload (AllowExe=*)" check_rc_is 0
}

# A watcher that does not read: events beyond its 256 KiB queue are lost
# (counted), the daemon keeps answering, and once the watcher reads it gets
# what was queued, then {"event":"events_lost","count":N}, then new events.
test_slow_watcher() {
        need_cmd jq python3
        local n=2000 first=20000 out=$SA_IT_DIR/stuck lost added marker
        write_config 'Ports=all' 'ScanInterval=1h'
        start_daemon_mon
        start_stuck_watcher "$out"
        start_listen --tcp-range 127.0.0.1 "$first" "$((first + n - 1))"
        timed OUT sa refresh
        assert_eq 0 "$OUT_rc" "refresh with a stuck watcher"
        note "refresh with $n events and a stuck watcher: $OUT_ms ms"
        timed OUT sa status --json
        assert_eq 0 "$OUT_rc" "status with a stuck watcher"
        [ "$OUT_ms" -le "$(scaled_ms 1)" ] || fail "status took $OUT_ms ms with a stuck watcher (limit $(scaled_ms 1) ms)"
        # The opens may still be held for their owner's package verdict (at most 2 s).
        wait_until 10 mon_is '.monitor.events.listener_added' "$n" ||
                fail "listener_added events: $(mon_get '.monitor.events.listener_added'), expected $n"
        OUT=$(sa status --json)
        assert_json "$OUT" '(.status // .) | .watchers.connected == 1 and .watchers.events_lost > 0' \
                "watchers: the stuck one still connected, events lost"
        lost=$(jq '(.status // .).watchers.events_lost' <<<"$OUT")
        note "events lost: $lost of $n"

        touch "$out.go"
        wait_for 10 "the events_lost line once the watcher reads on" grep -qs '"events_lost"' "$out"
        start_listen --tcp 0.0.0.0 443         # a new event after the catch-up
        refresh
        wait_for 5 "the event of 443 after the events_lost line" \
                eval 'jq -e "select(.listener.port? == 443)" "$out" > /dev/null 2>&1'
        sleep_scaled 0.5                        # anything else the daemon would send
        touch "$out.stop"
        wait_exit "$STUCK_PID" 10 "the stuck watcher to finish reading" || fail "$WAITED"
        assert_eq 0 "$WAIT_RC" "stuck watcher: exit status (1 = no events_lost line)"
        assert_eq '{"ok":true}' "$(head -n 1 "$out")" "first line of the watch"
        local bad
        bad=$(tail -n +2 "$out" | jq -c . 2>&1 > /dev/null | head -n 3)
        [ -z "$bad" ] || fail "watch lines not JSON: $bad"
        marker=$(grep '"events_lost"' "$out")
        assert_eq 1 "$(grep -c . <<<"$marker")" "events_lost lines"
        assert_json "$marker" ".count == $lost" "events_lost count vs status watchers.events_lost"
        added=$(tail -n +2 "$out" | jq -r 'select(.event == "listener_added" and .listener.port >= '"$first"') | .listener.port' | sort -un | wc -l)
        assert_eq "$n" "$((added + lost))" "events received + lost"
        # After the marker: the new listener's event, nothing else.
        assert_json "$(sed -n '/"events_lost"/,$p' "$out" | tail -n +2 | jq -sc .)" \
                "[.[] | {event, port: .listener.port}] == [{\"event\": \"listener_added\", \"port\": 443}]" \
                "events after the events_lost line"
        assert_json "$(sed -n '1,/"events_lost"/p' "$out" | tail -n +2 | head -n -1 | jq -sc '[.[].listener.port]')" \
                "(unique | length) == length and length == $added" "events before the marker: no duplicate"
}

# A rogue program is one violation per listener, journaled once: its
# workers (several holders, a new one forked later) raise no further
# policy_violation events, as pid churn raises no owner_changed.
test_violation_not_per_worker() {
        need_cmd jq
        local real rogue=$SA_IT_DIR/rogue-listen
        real=$(readlink -f "$SA_LISTEN")
        cp "$SA_LISTEN" "$rogue" || fail "cp"
        write_config 'Ports=443' '[Port 443/tcp]' "AllowExe=$real"
        start_daemon_mon
        SA_LISTEN=$rogue start_listen --children 2 --late-child "$(scaled_ms 0.3)" --tcp 0.0.0.0 443
        refresh
        run_cap OUT sa check --json
        assert_eq 1 "$OUT_rc" "check with a rogue program (3 holders)"
        assert_eq 1 "$(mon_get .monitor.events.policy_violation)" \
                "policy_violation events for one rogue program with 3 holders"
        wait_late_child
        refresh
        assert_eq 1 "$(mon_get .monitor.events.policy_violation)" \
                "policy_violation events after the rogue program forked one more worker"
}

# A port added by a reload: its listener (already there, nothing wrong
# with it) becomes known to the baseline, so a restart reports nothing.
test_reload_new_port_baseline() {
        need_cmd jq
        local n
        write_config 'Ports=443'
        start_listen --tcp 0.0.0.0 8081
        start_daemon_mon
        assert_eq '{"listener_added":0,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "events with 8081 not watched"
        printf '[Daemon]\nNamespaces=self\nPorts=443 8081\n' > "$CONF"
        n=$(log_len)
        kill -HUP "$DAEMON_PID"
        wait_for 5 "the reload to be logged" log_has "$n" "Reloaded the configuration"
        note "events after the reload: $(mon_events)"
        refresh
        stop_daemon
        note "state.json listeners: $(jq -c '[.listeners[].port]' "$STATE_DIR/state.json" 2>&1)"
        start_daemon_mon
        assert_eq '{"listener_added":0,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "events after a restart: 8081 was watched (since the reload) and unchanged"
}

# An owner change while the daemon was down (same socket, the holder
# moved into a unit): owner_changed at start.
test_owner_changed_while_down() {
        need_cmd jq
        [ -d "$SA_IT_CGROOT" ] || skip "no cgroup2 hierarchy at $SA_IT_CGROOT"
        local unit=sa-it-down-$$.service
        start_listen --tcp 0.0.0.0 443
        start_daemon_mon
        stop_daemon
        make_cgroup "system.slice/$unit"
        echo "$LISTEN_PID" > "$SA_IT_CGROOT/system.slice/$unit/cgroup.procs" ||
                fail "cannot move $LISTEN_PID into $unit"
        start_daemon_mon
        assert_eq '{"listener_added":0,"listener_removed":0,"owner_changed":1,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "events after the holder moved into $unit while the daemon was down"
}

# A baseline from an earlier boot (boot_id differs) is matched by address
# and program: nothing unchanged is reported, a new listener is.
test_baseline_earlier_boot() {
        need_cmd jq
        write_config 'Ports=443 444'
        start_listen --tcp 0.0.0.0 443
        start_daemon_mon
        stop_daemon
        local t=$STATE_DIR/state.json.edit
        jq -c '.boot_id = "00000000-0000-0000-0000-000000000000"' "$STATE_DIR/state.json" > "$t" ||
                fail "cannot edit state.json"
        mv "$t" "$STATE_DIR/state.json" || fail "cannot replace state.json"
        start_listen --tcp 0.0.0.0 444
        start_daemon_mon
        assert_contains "$(mon_get .monitor.baseline)" "earlier boot" "baseline"
        assert_eq '{"listener_added":1,"listener_removed":0,"owner_changed":0,"policy_violation":0,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "events with a baseline from an earlier boot"
}

# state.json cannot be written: logged once, counted, the daemon runs on;
# once it can again, the next change saves it.
test_state_write_error() {
        need_cmd jq
        local n
        mkdir -p "$STATE_DIR/state.json.tmp"      # open(O_CREAT) of the temp file fails
        start_daemon_mon
        start_listen --tcp 0.0.0.0 443
        refresh
        [ "$(mon_get .monitor.state.errors)" -ge 1 ] || fail "state.errors after a failed save: $(mon_get .monitor.state.errors)"
        [ -e "$STATE_DIR/state.json" ] && fail "state.json written although the temp file cannot be"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "Cannot save the baseline" "log of the failed save"
        start_listen --udp 0.0.0.0 443
        refresh
        n=$(grep -c "Cannot save the baseline" "$SA_IT_DIR/daemon.log")
        assert_eq 1 "$n" "failed saves logged once"
        rmdir "$STATE_DIR/state.json.tmp"
        stop_listen "$LISTEN_PID"
        refresh
        wait_for 2 "state.json to be written once it can be" test -f "$STATE_DIR/state.json"
        assert_json "$(cat "$STATE_DIR/state.json")" '.version == 1' "state.json after the retry"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "again" "log of the successful retry"
        alive "$DAEMON_PID" || fail "daemon died"
}

# Protocols= limits Ports=, a [Port N/udp] section watches udp anyway;
# periodic scans (no refresh, no query) raise events too.
test_protocols_and_periodic() {
        need_cmd jq
        write_config 'Ports=443 53' 'Protocols=tcp' 'ScanInterval=200ms' '[Port 53/udp]'
        start_daemon_mon
        start_watch --json
        local wj=$WATCH_OUT
        start_listen --udp 0.0.0.0 443 --tcp 0.0.0.0 443 --udp 0.0.0.0 53
        wait_until -w "2 events from the periodic scan (ScanInterval=200ms)" 3 lines_ge "$wj" 2 ||
                fail "$WAITED: $(file_lines "$wj") events"
        sleep_scaled 0.5
        assert_eq 2 "$(file_lines "$wj")" "events (443/udp is not watched)"
        assert_eq '["tcp/443","udp/53"]' "$(jq -sc '[.[] | "\(.listener.proto)/\(.listener.port)"] | sort' < "$wj")" \
                "watched listeners reported"
}
