# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# The daemon's life: start-up (sd_notify, socket activation, config),
# freshness of its answers, SIGTERM, and a CLI with no daemon to talk to.

test_daemon_unreachable() {
        [ -x "$SA" ] || fail "$SA not built"
        run_cap OUT "$SA" --socket "$SA_IT_DIR/nonexistent/sock" who 443
        assert_eq 3 "$OUT_rc" "who 443 with no socket"
        assert_contains "$OUT $OUT_err" "--direct" "message names --direct"
        # A stale socket file: nobody listens (sa-activate binds it, then
        # execs true, which exits).
        "$SA_ACTIVATE" "$SA_IT_DIR/stale" true || fail "sa-activate"
        [ -S "$SA_IT_DIR/stale" ] || fail "no stale socket made"
        run_cap OUT "$SA" --socket "$SA_IT_DIR/stale" who 443
        assert_eq 3 "$OUT_rc" "who 443 with a stale socket"
        assert_contains "$OUT $OUT_err" "--direct" "message names --direct"
        run_cap OUT env SOCKAUDIT_SOCKET="$SA_IT_DIR/nonexistent/sock" "$SA" status
        assert_eq 3 "$OUT_rc" "status with SOCKAUDIT_SOCKET pointing nowhere"
}

test_socket_env_var() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT bounded 10 "sockaudit who 443 (SOCKAUDIT_SOCKET)" env SOCKAUDIT_SOCKET="$SOCK" "${NSX[@]}" "$SA" who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 with SOCKAUDIT_SOCKET"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] | index($LISTEN_PID) != null" "answer via SOCKAUDIT_SOCKET"
}

test_sigterm() {
        start_daemon
        [ -S "$SOCK" ] || fail "no socket at $SOCK"
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM"
        [ -e "$SOCK" ] && fail "the daemon left its socket $SOCK behind"
        grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$SA_IT_DIR/daemon.log" &&
                fail "sanitizer report at exit"
        return 0
}

# A stale socket file left by a crashed daemon does not stop a new one.
test_replaces_stale_socket() {
        "$SA_ACTIVATE" "$SOCK" true || fail "sa-activate"
        [ -S "$SOCK" ] || fail "no stale socket made"
        start_daemon
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM"
}

# Type=notify: READY=1 from the daemon's own pid, and once it is sent the
# daemon answers at once.
test_notify_ready() {
        local n=$SA_IT_DIR/notify
        "${NSX[@]}" "$SA_NOTIFY" --timeout-ms "$(scaled_ms 8)" "$n" > "$SA_IT_DIR/notify.out" 2>&1 &
        local npid=$!
        track_pid $npid
        wait_for 5 "sa-notify to bind $n" grep -q BOUND "$SA_IT_DIR/notify.out"
        [ -S "$n" ] || fail "sa-notify did not bind $n"
        DAEMON_ENV=(NOTIFY_SOCKET="$n")
        write_config
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF"
        wait_exit $npid 8 "READY=1 (sa-notify to exit)" || fail "$WAITED"
        cat "$SA_IT_DIR/notify.out" >&2
        assert_eq 0 "$WAIT_RC" "sa-notify: READY=1 received (2 = timeout)"
        run_cap OUT sa status
        assert_eq 0 "$OUT_rc" "status right after READY=1"
        assert_contains "$(grep READY=1 "$SA_IT_DIR/notify.out")" "pid=$DAEMON_PID " "READY=1 sent by the daemon's pid"
}

# Started with the socket on fd 3 (LISTEN_FDS), like sockauditd.socket.
test_socket_activation() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        write_config
        spawn_daemon "$SA_ACTIVATE" --mode 0660 "$SOCK" "$SAD" --foreground --config "$CONF" --socket "$SOCK" \
                --state-dir "$SA_IT_DIR/state"
        local ino
        wait_for 2 "sa-activate to bind $SOCK" test -S "$SOCK"
        ino=$(stat -c %i "$SOCK" 2>/dev/null)
        wait_daemon_ready
        assert_eq "$ino" "$(stat -c %i "$SOCK")" "inode of the passed socket (the daemon must not rebind it)"
        run_cap OUT sa status --json
        assert_json "$OUT" '(.status // .) | .socket_activated == true' "status socket_activated"
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 through the passed socket"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] | index($LISTEN_PID) != null" "who 443 answer"
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM"
        # The socket belongs to the service manager: left in place.
        [ -S "$SOCK" ] || fail "the daemon removed a socket it was passed"
}

# systemd's own tool: the daemon is exec'ed on the first connection.
test_socket_activation_lazy() {
        need_cmd jq systemd-socket-activate
        start_listen --tcp 0.0.0.0 443
        write_config
        spawn_daemon systemd-socket-activate -l "$SOCK" "$SAD" --foreground --config "$CONF" --socket "$SOCK" \
                --state-dir "$SA_IT_DIR/state"
        wait_for 5 "systemd-socket-activate to bind $SOCK" test -S "$SOCK"
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 as the first (activating) connection"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] | index($LISTEN_PID) != null" "who 443 answer"
        assert_eq "$(readlink -f "$SAD")" "$(readlink -f "/proc/$DAEMON_PID/exe")" "activated process"
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM"
}

# `refresh` makes new and closed listeners visible.
test_refresh_sees_changes() {
        need_cmd jq
        start_daemon
        refresh
        run_cap OUT sa who 443
        assert_eq 1 "$OUT_rc" "who 443 before any listener"
        start_listen --tcp 0.0.0.0 443
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 after a listener appeared"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] == [$LISTEN_PID]" "the new holder"
        stop_listen "$LISTEN_PID"
        refresh
        run_cap OUT sa who 443
        assert_eq 1 "$OUT_rc" "who 443 after the listener closed"
}

# Without an explicit refresh: the daemon's cheap probe notices that the
# set of sockets changed and rescans before answering.
test_fresh_without_refresh() {
        need_cmd jq
        start_daemon
        run_cap OUT sa who 443
        assert_eq 1 "$OUT_rc" "who 443 before any listener"
        start_listen --udp 0.0.0.0 443 --tcp 0.0.0.0 443
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 right after a listener appeared (no refresh)"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] == [$LISTEN_PID, $LISTEN_PID]" "the new holder (no refresh)"
        stop_listen "$LISTEN_PID"
        run_cap OUT sa who 443
        assert_eq 1 "$OUT_rc" "who 443 right after the listener closed (no refresh)"
}

test_bad_config_at_start() {
        write_config 'ScanInterval=banana'
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF"
        wait_exit "$DAEMON_PID" 5 "the daemon to refuse a bad config" || fail "$WAITED"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_ne 0 "$WAIT_RC" "exit status with a bad config"
        local log
        log=$(cat "$SA_IT_DIR/daemon.log")
        assert_contains "$log" "$CONF" "message names the file"
        grep -qE '(:3([^0-9]|$)|line 3)' <<<"$log" || fail "message does not name the line (3): $(tail -n 1 <<<"$log")"
}

test_bad_config_on_reload() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        printf '[Daemon]\nNamespaces=self\nPorts=seventeen\n' > "$CONF"
        kill -HUP "$DAEMON_PID"
        sleep_scaled 0.5
        alive "$DAEMON_PID" || fail "the daemon died on SIGHUP with a bad config"
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 after a refused reload"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] == [$LISTEN_PID]" "answer after a refused reload"
}

# holders_443_are JSON: `who 443` names exactly these pids (a sorted JSON
# array); the answer in HOLDERS (for wait_until).
holders_443_are() {
        HOLDERS=$(sa who 443 --json 2>/dev/null | jq -c "$JQ_LS"' [ls[].owners[].pid] | sort')
        [ "$HOLDERS" == "$1" ]
}

# Holders change while the sockets stay the same (a worker is forked): no
# cheap probe sees that, the ScanInterval rescan must.
test_periodic_rescan() {
        need_cmd jq
        write_config 'ScanInterval=500ms'
        start_listen --late-child "$(scaled_ms 1.5)" --tcp 0.0.0.0 443
        start_daemon
        run_cap OUT sa who 443 --json
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] == [$LISTEN_PID]" "holders before the fork"
        wait_late_child
        local want
        want=$(printf '[%s]' "$(printf '%s\n' "$LISTEN_PID" "$LATE_PID" | sort -n | paste -sd,)")
        wait_until -w "a rescan to find the worker forked (ScanInterval=500ms, no refresh)" 3 holders_443_are "$want"
        assert_eq "$want" "$HOLDERS" "holders 3 s after a worker was forked (ScanInterval=500ms, no refresh)"
        run_cap OUT sa status --json
        assert_json "$OUT" '(.status // .) | .scan_interval_sec == 0.5' "status scan_interval_sec"
}

# A second daemon on the socket of a live one must not steal it.
test_second_daemon_refused() {
        start_daemon
        local first=$DAEMON_PID ino
        ino=$(stat -c %i "$SOCK")
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF"
        local second=$DAEMON_PID
        if wait_exit "$second" 3 "the second daemon to give up"; then
                sed -i "/^$second\$/d" "$SA_IT_DIR/.daemons"
                assert_ne 0 "$WAIT_RC" "exit status of a second daemon on a live socket"
        else
                fail "a second daemon on the same socket keeps running"
        fi
        DAEMON_PID=$first
        assert_eq "$ino" "$(stat -c %i "$SOCK" 2>/dev/null)" "the live daemon's socket file (replaced or removed)"
        run_cap OUT sa status --json
        assert_eq 0 "$OUT_rc" "status from the first daemon"
        assert_json "$OUT" "(.status // .) | .pid == $first" "the answering daemon"
}

# SIGHUP with a good file applies it.
test_reload_applies_config() {
        need_cmd jq
        write_config 'ScanInterval=5s'
        start_daemon
        printf '[Daemon]\nNamespaces=self\nScanInterval=2s\n' > "$CONF"
        kill -HUP "$DAEMON_PID"
        wait_until -w "scan_interval_sec 2 after SIGHUP with ScanInterval=2s" 2 mon_is .scan_interval_sec 2 ||
                fail "$WAITED: scan_interval_sec $(mon_get .scan_interval_sec)"
}
