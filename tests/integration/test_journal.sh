# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Events in the journal: a private systemd-journald in a private mount
# namespace (lib.sh: start_journald), the daemon started in it
# (start_daemon_journal), entries read back with journalctl -o json.

MID_ADDED=5f7806d6600e481fb3bc2288fe1f7c04
MID_REMOVED=07f237e467ea4364a9fa159948dba1ba
MID_VIOLATION=8aabb5f5dc6b450db79ed1fe4a2edec8

# jq condition: entry of EVENT whose holders are exactly PID.
ev_pid() { printf '.SOCKAUDIT_EVENT == "%s" and jv(.SOCKAUDIT_PID) == ["%s"]' "$1" "$2"; }

# One entry (JSON) of $JOURNAL satisfying COND; fails unless exactly one.
one_entry() {
        local got n
        got=$(journal_select "$JOURNAL" "$1")
        n=$(grep -c . <<<"$got")
        if [ "$n" != 1 ]; then
                printf 'journal:\n%s\n' "$JOURNAL" | head -c 20000 >&2
                fail "$2: $n journal entries with $1, expected 1 (journal in log)"
        fi
        ENTRY=$got
}

# An allowed owner raises listener_added only; a copy of the same binary
# elsewhere raises listener_added and a policy_violation (warning), with
# the holder's facts in SOCKAUDIT_* fields; the closed one listener_removed.
test_journal_allowed_and_rogue() {
        need_cmd jq
        local real rogue=$SA_IT_DIR/rogue-listen good bad ns
        real=$(readlink -f "$SA_LISTEN")
        start_journald
        write_config 'Ports=443' '[Port 443/tcp]' "AllowExe=$real"
        start_daemon_journal
        ns=$(ns_inode)

        start_listen --tcp 0.0.0.0 443
        good=$LISTEN_PID
        refresh
        wait_journal 1 "$(ev_pid listener_added "$good")" || fail "$WAITED (the allowed $good)"
        assert_eq 0 "$(mon_get .monitor.events.policy_violation)" "policy violations counted for the allowed owner"
        one_entry "$(ev_pid listener_added "$good")" "allowed owner"
        assert_json "$ENTRY" "
                .MESSAGE_ID == \"$MID_ADDED\" and .PRIORITY == \"5\"
                and .SYSLOG_IDENTIFIER == \"sockauditd\" and ._PID == \"$DAEMON_PID\"
                and .SOCKAUDIT_PROTO == \"tcp\" and .SOCKAUDIT_ADDRESS == \"0.0.0.0\"
                and .SOCKAUDIT_PORT == \"443\" and .SOCKAUDIT_NETNS == \"$ns\"
                and .SOCKAUDIT_EXE == \"$real\" and .SOCKAUDIT_OWNERS == \"1\"
                and (.MESSAGE | startswith(\"443/tcp on 0.0.0.0 in netns $SA_IT_NS opened by sa-listen[$good] (root)\"))" \
                "listener_added entry of the allowed owner"

        stop_listen "$good"
        cp "$SA_LISTEN" "$rogue" || fail "cp sa-listen $rogue"
        SA_LISTEN=$rogue start_listen --tcp 0.0.0.0 443
        bad=$LISTEN_PID
        refresh
        wait_journal 1 "$(ev_pid policy_violation "$bad")" || fail "$WAITED (the rogue $bad)"
        wait_journal 1 "$(ev_pid listener_added "$bad")" || fail "$WAITED (the rogue $bad)"
        wait_journal 1 "$(ev_pid listener_removed "$good")" || fail "$WAITED (the stopped $good)"

        one_entry "$(ev_pid policy_violation "$bad")" "rogue owner"
        assert_json "$ENTRY" "$JQ_JV
                .MESSAGE_ID == \"$MID_VIOLATION\" and .PRIORITY == \"4\"
                and .SOCKAUDIT_EVENT == \"policy_violation\"
                and .SYSLOG_IDENTIFIER == \"sockauditd\" and ._PID == \"$DAEMON_PID\"
                and .SOCKAUDIT_PROTO == \"tcp\" and .SOCKAUDIT_ADDRESS == \"0.0.0.0\"
                and .SOCKAUDIT_PORT == \"443\" and .SOCKAUDIT_NETNS == \"$ns\"
                and jv(.SOCKAUDIT_EXE) == [\"$rogue\"]
                and (.SOCKAUDIT_REASON | contains(\"AllowExe\"))
                and .SOCKAUDIT_CONFIG == \"$CONF\"
                and (.MESSAGE | contains(\"policy violation\"))" \
                "policy_violation entry of the rogue owner (SOCKAUDIT_CONFIG: the --config file)"
        one_entry "$(ev_pid listener_added "$bad")" "rogue owner added"
        assert_json "$ENTRY" ".MESSAGE_ID == \"$MID_ADDED\" and .PRIORITY == \"5\" and .SOCKAUDIT_EXE == \"$rogue\"" \
                "listener_added entry of the rogue owner"
        one_entry "$(ev_pid listener_removed "$good")" "allowed owner removed"
        assert_json "$ENTRY" ".MESSAGE_ID == \"$MID_REMOVED\" and .PRIORITY == \"5\" and ._PID == \"$DAEMON_PID\"
                and (.MESSAGE | startswith(\"443/tcp on 0.0.0.0 in netns $SA_IT_NS closed\"))" \
                "listener_removed entry"
        # Nothing else: 2 added, 1 removed, 1 violation, and the daemon agrees.
        assert_eq 4 "$(jq -s length <<<"$JOURNAL")" "number of the daemon's journal entries"
        assert_eq '{"listener_added":2,"listener_removed":1,"owner_changed":0,"policy_violation":1,"listener_flapping":0,"listeners_short_lived":0,"tls_changed":0,"reachability_changed":0}' \
                "$(mon_events)" "event counters"
        assert_json "$(mon_get '.monitor.journal | tojson')" '.sent == 4 and .dropped == 0 and .failed == 0 and .stderr == 0' \
                "journal counters"
}

# Starts sa-listen like start_listen, without logging its (long) arguments.
start_listen_quiet() {
        local out=$SA_IT_DIR/listen.q
        "${NSX[@]}" "$SA_LISTEN" "$@" > "$out.out" 2> "$out.err" &
        LISTEN_PID=$!
        track_pid "$LISTEN_PID"
        wait_for 5 "sa-listen (hostile names): READY" listen_ready "$out" "$LISTEN_PID" sa-listen
}

# A comm with ESC, a newline and a would-be field, an exe path with
# newlines and "SOCKAUDIT_PID=1", a 100 KiB argument: one entry, one PID,
# no forged field, printable one-line values; watch --json stays JSON, the
# human watch and table stay one line per row.
test_journal_hostile_names() {
        need_cmd jq
        local comm=$'\e[1m\nPRIORITY=0' exe=$SA_IT_DIR/$'hostile\nSOCKAUDIT_PID=1\n\e[31mred'
        local comm_esc='\x1b[1m\nPRIORITY=0' exe_esc="$SA_IT_DIR/"'hostile\nSOCKAUDIT_PID=1\n\x1b[31mred'
        local big pid line n
        cp "$SA_LISTEN" "$exe" || fail "cp"
        big=$(head -c 102400 /dev/zero | tr '\0' A)
        start_journald
        start_daemon_journal
        start_watch --json
        local wjson=$WATCH_OUT wjson_pid=$WATCH_PID
        start_watch
        local whuman=$WATCH_OUT
        # --comm twice: the 100 KiB one stays in argv, the last one is set.
        SA_LISTEN=$exe start_listen_quiet --comm "$big" --comm "$comm" --tcp 0.0.0.0 443
        pid=$LISTEN_PID
        refresh
        wait_journal 1 ".SOCKAUDIT_EVENT == \"listener_added\"" || fail "$WAITED"
        one_entry '.SOCKAUDIT_EVENT == "listener_added"' "hostile names"
        assert_json "$ENTRY" "$JQ_JV jv(.SOCKAUDIT_PID) == [\"$pid\"]" "SOCKAUDIT_PID: exactly the real holder"
        assert_json "$ENTRY" "$JQ_JV"' jv(.PRIORITY) == ["5"] and jv(.MESSAGE_ID) == ["'"$MID_ADDED"'"]' "PRIORITY/MESSAGE_ID not forged"
        jq -e --arg c "$comm_esc" --arg e "$exe_esc" \
                '.SOCKAUDIT_COMM == $c and .SOCKAUDIT_EXE == $e' <<<"$ENTRY" > /dev/null ||
                fail "SOCKAUDIT_COMM/EXE not the escaped values: $(jq -c '[.SOCKAUDIT_COMM, .SOCKAUDIT_EXE]' <<<"$ENTRY")"
        # Every field journalctl shows: only known names, every value a
        # printable one-line string (no binary field, no control character).
        local extra
        extra=$(jq -r 'keys[] | select(startswith("_") | not)
                | select(IN("MESSAGE","MESSAGE_ID","PRIORITY","SYSLOG_IDENTIFIER","CODE_FILE","CODE_LINE","CODE_FUNC","SOCKAUDIT_EVENT",
                        "SOCKAUDIT_PROTO","SOCKAUDIT_ADDRESS","SOCKAUDIT_PORT","SOCKAUDIT_NETNS",
                        "SOCKAUDIT_INODE","SOCKAUDIT_OWNERS","SOCKAUDIT_PID","SOCKAUDIT_COMM",
                        "SOCKAUDIT_EXE","SOCKAUDIT_UNIT","SOCKAUDIT_USER_UNIT","SOCKAUDIT_USER",
                        "SOCKAUDIT_REASON","SOCKAUDIT_PREVIOUS_OWNERS","SOCKAUDIT_PACKAGE",
                        "SOCKAUDIT_PACKAGE_VERSION","SOCKAUDIT_PACKAGE_STATUS","SOCKAUDIT_EXE_SHA256") | not)' <<<"$ENTRY")
        [ -z "$extra" ] || fail "unexpected fields in the entry: $(tr '\n' ' ' <<<"$extra")"
        assert_json "$ENTRY" '[to_entries[] | select(.key | startswith("_") | not) | .value
                | (type == "string" and (explode | all(. >= 32 and . != 127)))] | all' \
                "every field a printable one-line string"
        jq -e --arg c "$comm_esc" '.MESSAGE | contains($c + "[")' <<<"$ENTRY" > /dev/null ||
                fail "MESSAGE does not name the escaped comm: $(jq -c .MESSAGE <<<"$ENTRY")"

        # watch --json: each line valid JSON, raw values exact.
        wait_for 5 "an event line from watch --json" lines_ge "$wjson" 1
        wait_for 5 "an event line from watch" lines_ge "$whuman" 1
        sleep_scaled 0.2
        n=0
        while IFS= read -r line; do
                n=$((n + 1))
                jq -e . > /dev/null 2>&1 <<<"$line" || fail "watch --json line $n is not JSON: $(head -c 200 <<<"$line")"
        done < "$wjson"
        assert_eq 1 "$n" "watch --json lines (one event)"
        jq -e --arg c "$comm" --arg e "$exe" --argjson pid "$pid" '
                .event == "listener_added" and .listener.owners[0].pid == $pid
                and .listener.owners[0].comm == $c and .listener.owners[0].exe == $e
                and (.listener.owners[0].cmdline | map(length) | max) >= 3500
                and .listener.owners[0].cmdline_truncated' < "$wjson" > /dev/null ||
                fail "watch --json event: $(jq -c '.listener.owners[0] | {pid, comm, exe, n: (.cmdline | map(length))}' < "$wjson")"
        kill -TERM "$wjson_pid"
        # Human watch: one line, no raw ESC, escaped values.
        assert_eq 1 "$(file_lines "$whuman")" "human watch: lines for one event"
        assert_not_contains "$(cat "$whuman")" $'\e' "human watch: raw ESC"
        assert_contains "$(cat "$whuman")" "listener_added" "human watch line"
        assert_contains "$(cat "$whuman")" "$pid" "human watch line names the pid"
        assert_contains "$(cat "$whuman")" "${comm_esc}[$pid]" "human watch line: escaped comm"
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443"
        assert_not_contains "$OUT" $'\e' "who 443 table: raw ESC"
        grep -q '^SOCKAUDIT_PID\|^PRIORITY\|^\[31mred' <<<"$OUT" && fail "who 443 table: a row begins with a forged part"
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM"
}

# journald stopped: the daemon keeps answering at once, queues then drops;
# once journald runs again the queue drains; SIGTERM still ends the daemon
# while journald is stopped.
test_journal_stalled() {
        need_cmd jq
        local n=1200 first=20000 last
        last=$((first + n - 1))
        start_journald
        write_config 'Ports=all' 'ScanInterval=1h'
        start_daemon_journal
        journald_stop
        start_listen --tcp-range 127.0.0.1 "$first" "$last"
        timed OUT sa refresh
        assert_eq 0 "$OUT_rc" "refresh while journald is stopped"
        note "refresh with $n events, journald stopped: $OUT_ms ms"
        timed OUT sa status --json
        assert_eq 0 "$OUT_rc" "status while journald is stopped"
        [ "$OUT_ms" -le "$(scaled_ms 1)" ] || fail "status took $OUT_ms ms while journald is stopped (limit $(scaled_ms 1) ms)"
        local j
        # The opens may still be held for their owner's package verdict (at most 2 s).
        wait_until 10 mon_is '.monitor.events.listener_added' "$n" ||
                fail "listener_added events: $(mon_get '.monitor.events.listener_added'), expected $n"
        j=$(mon_get '.monitor.journal | tojson')
        note "journal counters while stopped: $j"
        assert_json "$j" '.queued > 0 and .dropped > 0 and .max_queue == 1024' \
                "journal queued and dropped while journald is stopped ($n events, queue 1024)"
        timed OUT sa who "$first" --json
        assert_eq 0 "$OUT_rc" "who $first while journald is stopped"
        [ "$OUT_ms" -le "$(scaled_ms 1)" ] || fail "who took $OUT_ms ms while journald is stopped (limit $(scaled_ms 1) ms)"
        # Still blocked: nothing moves.
        sleep_scaled 0.3
        assert_json "$(mon_get '.monitor.journal | tojson')" ".queued == $(jq .queued <<<"$j")" "queue while still stopped"

        journald_cont
        wait_until -w "the journal queue to drain after SIGCONT" 10 mon_is .monitor.journal.queued 0 ||
                fail "$WAITED: $(mon_get '.monitor.journal | tojson')"
        j=$(mon_get '.monitor.journal | tojson')
        note "journal counters after SIGCONT: $j"
        assert_json "$j" ".sent + .dropped + .failed == $n and .stderr == 0" "every event sent, dropped or failed"
        local sent
        sent=$(jq .sent <<<"$j")
        wait_journal "$sent" '.SOCKAUDIT_EVENT == "listener_added"' 10 ||
                fail "$WAITED: journal has $(jq -s length <<<"$JOURNAL") entries, the daemon counts $sent sent"
        assert_eq "$sent" "$(jq -s length <<<"$JOURNAL")" "entries in the journal vs sent"

        # Stopped again with more to send: SIGTERM must still end the daemon.
        journald_stop
        stop_listen "$LISTEN_PID"
        refresh
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM with journald stopped"
        journald_cont
}

# No journal socket: events go to stderr as "sockauditd: MESSAGE".
test_journal_absent() {
        need_cmd jq
        start_no_journal
        start_daemon_journal
        start_listen --tcp 0.0.0.0 443
        refresh
        local pat="sockauditd: 443/tcp on 0.0.0.0 in netns $SA_IT_NS opened by sa-listen[$LISTEN_PID]"
        wait_until -w "'$pat' in the daemon log" 5 grep -qF "$pat" "$SA_IT_DIR/daemon.log" ||
                fail "$WAITED: $(tail -n 3 "$SA_IT_DIR/daemon.log" | tr '\n' ' ')"
        stop_listen "$LISTEN_PID"
        refresh
        wait_for 5 "a 'closed' line in the daemon log" \
                grep -qF "sockauditd: 443/tcp on 0.0.0.0 in netns $SA_IT_NS closed (was sa-listen[$LISTEN_PID]" "$SA_IT_DIR/daemon.log"
        assert_json "$(mon_get '.monitor.journal | tojson')" '.stderr == 2 and .sent == 0 and .failed == 0' \
                "journal counters with no journald"
}

# owner_changed in the journal: the new program's unit, the previous owners.
test_journal_owner_changed() {
        need_cmd jq
        [ -d "$SA_IT_CGROOT" ] || skip "no cgroup2 hierarchy at $SA_IT_CGROOT"
        local unit=sa-it-jowner-$$.service pid
        start_journald
        start_daemon_journal
        start_listen --tcp 0.0.0.0 443
        pid=$LISTEN_PID
        refresh
        # Its listener_added out first: one still held (for its owner's
        # package verdict) would show the new unit there, not as a change.
        wait_journal 1 "$(ev_pid listener_added "$pid")" || fail "$WAITED"
        make_cgroup "system.slice/$unit"
        echo "$pid" > "$SA_IT_CGROOT/system.slice/$unit/cgroup.procs" || fail "cannot move $pid into $unit"
        refresh
        wait_journal 1 "$(ev_pid owner_changed "$pid")" || fail "$WAITED"
        one_entry "$(ev_pid owner_changed "$pid")" "owner_changed"
        assert_json "$ENTRY" "$JQ_JV .MESSAGE_ID == \"372a7cc957ec44fc864669ef929c85df\" and .PRIORITY == \"5\"
                and jv(.SOCKAUDIT_UNIT) == [\"$unit\"]
                and .SOCKAUDIT_PREVIOUS_OWNERS == \"sa-listen[$pid] (root)\"
                and .MESSAGE == \"443/tcp on 0.0.0.0 in netns $SA_IT_NS now owned by sa-listen[$pid] (root, $unit) (was sa-listen[$pid] (root))\"" \
                "owner_changed entry"
}

# Many holders: at most 64 SOCKAUDIT_PID values, SOCKAUDIT_OWNERS counts
# them all, one SOCKAUDIT_COMM/EXE for the one program.
test_journal_many_holders() {
        need_cmd jq
        start_journald
        # All 71 holders exist before the daemon's first scan: a listener seen
        # mid-fork (the event path is that fast) would be added, then changed.
        # MESSAGE names the program once: "sa-listen (root) ×71".
        start_listen --children 70 --tcp 0.0.0.0 443
        start_daemon_journal
        refresh
        wait_journal 1 '.SOCKAUDIT_EVENT == "listener_added"' || fail "$WAITED"
        one_entry '.SOCKAUDIT_EVENT == "listener_added"' "71 holders"
        assert_json "$ENTRY" "$JQ_JV"' (jv(.SOCKAUDIT_PID) | length) == 64 and .SOCKAUDIT_OWNERS == "71"
                and (jv(.SOCKAUDIT_COMM) | length) == 1 and (jv(.SOCKAUDIT_EXE) | length) == 1
                and (.MESSAGE | endswith("opened by sa-listen (root) \u00d771"))' "entry of a listener with 71 holders"
        assert_json "$ENTRY" "$JQ_JV"' jv(.SOCKAUDIT_PID) | index("'"$LISTEN_PID"'") != null' "the parent's pid is among them"
}

journal_accounted() { [ "$(mon_get '.monitor.journal | .failed + .stderr')" -ge 1 ]; }

# journald gone (killed: its socket stays, nobody reads): each event is
# accounted for (failed, or to stderr) and the daemon runs on.
test_journal_dead() {
        need_cmd jq
        start_journald
        start_daemon_journal
        kill -KILL "$JOURNALD_PID"
        wait_exit "$JOURNALD_PID" 5 "journald to die of SIGKILL" || fail "$WAITED"
        start_listen --tcp 0.0.0.0 443
        refresh
        wait_until -w "the event to be accounted for with journald dead" 5 journal_accounted ||
                fail "$WAITED: $(mon_get '.monitor.journal | tojson')"
        note "journal counters: $(mon_get '.monitor.journal | tojson')"
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443 with journald dead"
        if ! grep -qF "sockauditd: 443/tcp on 0.0.0.0 in netns $SA_IT_NS opened by sa-listen[$LISTEN_PID]" "$SA_IT_DIR/daemon.log"; then
                note "the event is in neither the journal nor the daemon's stderr (journal.failed)"
        fi
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "exit status with journald dead"
}
