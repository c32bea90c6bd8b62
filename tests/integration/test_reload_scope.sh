# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Reloads invent nothing (issue 17): a change of Namespaces= is not a
# change of the world, so no listener_added/removed and no violation raised
# again; a port watched only since a reload is reported once, as at first
# start; the reload says what changed, in its log line and in `status`.
# The daemon runs in the test's namespace with a private journald;
# assertions look only at the namespaces these tests create.

# rs_listen NS ARGS...: start_listen in namespace NS.
rs_listen() {
        local saved=("${NSX[@]}")
        NSX=(nsenter "--net=/run/netns/$1" --)
        shift
        start_listen "$@"
        NSX=("${saved[@]}")
}

# rs_config NAMESPACES [LINES...]: the config, rewritten in place.
rs_config() {
        local ns=$1
        shift
        SA_IT_NAMESPACES=$ns write_config "$@"
}

# rs_reload TEXT: SIGHUP, then wait (5 s) for the reload's line (in
# daemon.log: the daemon logs to stderr) containing TEXT after this point.
rs_reload() {
        local n
        n=$(file_lines "$SA_IT_DIR/daemon.log")
        kill -HUP "$DAEMON_PID" || fail "SIGHUP to the daemon"
        wait_for 5 "the reload line with '$1'" _rs_logged "$n" "Reloaded the configuration from $CONF: $1"
}

# _rs_logged N TEXT: daemon.log has TEXT after line N.
_rs_logged() { tail -n "+$(($1 + 1))" "$SA_IT_DIR/daemon.log" | grep -qF -- "$2"; }

# rs_count FILE EVENT INODE: watch --json lines of EVENT in namespace INODE.
rs_count() {
        jq -s --arg e "$2" --argjson ns "$3" '[.[] | select(.event == $e and .listener.netns == $ns)] | length' "$1"
}

# rs_journal_count EVENT INODE: journal entries of EVENT in namespace INODE.
rs_journal_count() {
        journal_json | jq -s --arg e "$1" --arg ns "$2" \
                '[.[] | select(.SOCKAUDIT_EVENT == $e and .SOCKAUDIT_NETNS == $ns)] | length'
}

# Namespaces=all -> self -> all by SIGHUP, with a violating listener in two
# other namespaces: each is journaled once (at start), never closed or
# opened again, its violation never raised again; a watch begun after the
# start sees nothing of them, but sees a listener opened afterwards.
test_reload_scope_toggle() {
        need_cmd jq
        local a=$SA_IT_NS-a b=$SA_IT_NS-b ns ino rule
        rule=('Ports=443' '[Port 443/tcp]' 'AllowExe=/nonexistent/only-this')
        add_netns "$a"
        add_netns "$b"
        start_journald
        rs_listen "$a" --tcp 0.0.0.0 443
        rs_listen "$b" --tcp :: 443
        rs_config all "${rule[@]}"
        start_daemon_journal
        start_watch --json
        refresh
        for ns in "$a" "$b"; do
                wait_journal 1 "(.SOCKAUDIT_EVENT == \"policy_violation\" and .SOCKAUDIT_NETNS == \"$(ns_inode "$ns")\")" ||
                        fail "$WAITED (start, $ns)"
        done

        rs_config self "${rule[@]}"
        rs_reload "scope all→self"
        refresh
        run_cap OUT sa who 443 --json
        assert_json "$OUT" "[.listeners[] | select(.netns == $(ns_inode "$a") or .netns == $(ns_inode "$b"))] == []" \
                "Namespaces=self: the other namespaces are out of sight"
        rs_config all "${rule[@]}"
        rs_reload "scope self→all"
        refresh
        run_cap OUT sa who 443 --json
        assert_json "$OUT" "[.listeners[] | select(.netns == $(ns_inode "$a"))] | length == 1" \
                "Namespaces=all again: $a in sight"
        # Whatever the reloads wrongly raised would be journaled by now: a later
        # probe (a listener opened after them) is journaled after them.
        start_listen --tcp 0.0.0.0 443
        refresh
        wait_journal 1 "(.SOCKAUDIT_EVENT == \"listener_added\" and .SOCKAUDIT_NETNS == \"$(ns_inode)\")" ||
                fail "$WAITED (the marker listener)"
        sleep_scaled 0.3
        stop_watch
        assert_eq 1 "$(rs_count "$WATCH_OUT" listener_added "$(ns_inode)")" "watch: the marker listener seen"
        for ns in "$a" "$b"; do
                ino=$(ns_inode "$ns")
                # The watch began after the first scan: it must have seen nothing there.
                assert_eq 0 "$(rs_count "$WATCH_OUT" listener_added "$ino")" "watch: listener_added in $ns"
                assert_eq 0 "$(rs_count "$WATCH_OUT" listener_removed "$ino")" "watch: listener_removed in $ns"
                assert_eq 0 "$(rs_count "$WATCH_OUT" policy_violation "$ino")" "watch: policy_violation in $ns"
                assert_eq 1 "$(rs_journal_count listener_added "$ino")" "journal: listener_added in $ns"
                assert_eq 0 "$(rs_journal_count listener_removed "$ino")" "journal: listener_removed in $ns"
                assert_eq 1 "$(rs_journal_count policy_violation "$ino")" "journal: policy_violation in $ns"
        done
        status_json
        assert_json "$STATUS" '.config.namespaces == "all" and .config.last_reload.result == "ok"
                and (.config.last_reload.changes | contains("scope self→all"))' "status: scope and last reload"
}

# A port watched only since a reload: its listener (already there) is
# reported once, as a first start would; a later rescan adds nothing.
# The reload's line and status name the port; a bad file is refused and
# status says why.
test_reload_new_port_reported() {
        need_cmd jq
        local ino
        ino=$(ns_inode)
        start_journald
        start_listen --tcp 0.0.0.0 8081
        rs_config self 'Ports=443'
        start_daemon_journal
        start_watch --json
        refresh
        status_json
        assert_json "$STATUS" ".config.path == \"$CONF\" and .config.watched == [\"443/tcp\", \"443/udp\"]
                and .config.namespaces == \"self\" and .config.last_reload == null" "status before any reload"

        rs_config self 'Ports=443 8081' '[Port 443/tcp]' 'AllowUser=root'
        rs_reload "ports +8081/tcp +8081/udp; sections +[Port 443/tcp]"
        refresh
        refresh
        wait_for 5 "the 8081 listener reported in watch" \
                test "$(jq -s '[.[] | select(.event == "listener_added" and .listener.port == 8081)] | length' "$WATCH_OUT")" -ge 1
        wait_journal 1 "(.SOCKAUDIT_EVENT == \"listener_added\" and .SOCKAUDIT_PORT == \"8081\")" || fail "$WAITED"
        sleep_scaled 0.3
        assert_eq 1 "$(jq -s '[.[] | select(.event == "listener_added" and .listener.port == 8081)] | length' "$WATCH_OUT")" \
                "watch: 8081 reported once after the reload"
        assert_eq 1 "$(rs_journal_count listener_added "$ino" | tr -d '\n')" "journal: one listener_added (8081)"
        status_json
        assert_json "$STATUS" '.config.watched == ["443/tcp", "443/udp", "8081/tcp", "8081/udp"]
                and .config.last_reload.result == "ok"
                and .config.last_reload.changes == "ports +8081/tcp +8081/udp; sections +[Port 443/tcp]"' \
                "status after the reload"
        run_cap OUT sa status
        assert_contains "$OUT" "Watching:      443/tcp 443/udp 8081/tcp 8081/udp" "status text: watched ports"
        assert_contains "$OUT" "Last reload:   " "status text: the last reload"

        printf '[Daemon]\nPorts=nonsense\n' > "$CONF"
        kill -HUP "$DAEMON_PID" || fail "SIGHUP"
        wait_for 5 "status to show the refused reload" mon_is .config.last_reload.result error
        status_json
        assert_json "$STATUS" '(.config.last_reload.error | contains("Ports=")) and (.config.watched | length) == 4' \
                "status: why the reload was refused; the old ports still watched"
        stop_watch
}
