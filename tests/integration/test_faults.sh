# shellcheck shell=bash
# Hostile input and faults: the daemon keeps serving, reports a fault once
# with context, and loses nothing it accepted. (journald stalled/absent:
# test_journal.sh; a state dir that cannot be written: test_monitor.sh
# state_write_error; netlink ENOBUFS/EINTR/NLM_F_DUMP_INTR: the unit suite
# sockdiag_faults.) docs/SECURITY.md says what each one shows.
# shellcheck disable=SC2154

# ---------------------------------------------------------- hostile metadata

# Names a process can choose: newline, ANSI escapes, invalid UTF-8, a bidi
# override, and an argv beyond the 128 KiB read bound. Tables stay one row
# per holder with nothing raw; JSON parses and carries the (sanitized)
# text; the cut argv says cmdline_truncated (a record shows its first
# 4,096 bytes: RECORDS.md, "Bounds on records").
test_faults_hostile_metadata() {
        need_cmd jq python3
        local comm=$'\xff\xfeA\e]0;t\a\n\xe2\x80\xae' big a1 a2 out rows
        start_listen --comm "$comm" --tcp 0.0.0.0 443
        a1=$(head -c 70000 /dev/zero | tr '\0' a)
        a2=$(head -c 70000 /dev/zero | tr '\0' b)
        # 140 KiB of argv (each argument < MAX_ARG_STRLEN): a listener on 444.
        "${NSX[@]}" python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 444)); s.listen()
print("READY", flush=True); time.sleep(3600)' "$a1" "$a2" > "$SA_IT_DIR/big.out" 2>&1 &
        big=$!
        track_pid "$big"
        wait_for 5 "the python listener with a 140 KiB argv: READY" grep -q READY "$SA_IT_DIR/big.out"
        write_config 'Ports=443 444'
        start_daemon
        refresh
        for how in sa sa_direct; do
                run_cap OUT $how list
                assert_eq 0 "$OUT_rc" "$how list"
                assert_not_contains "$OUT" $'\e' "$how list: raw ESC"
                assert_not_contains "$OUT" $'\a' "$how list: raw BEL"
                assert_not_contains "$OUT" $'\xe2\x80\xae' "$how list: raw bidi override"
                rows=$(grep -E ':443 ' <<<"$OUT" | grep -v 'netns ')
                assert_eq 1 "$(grep -c . <<<"$rows")" "$how: one row for 443 (a raw newline would split it)"
                # The daemon's JSON already turned \xff\xfe into U+FFFD; --direct escapes them.
                assert_contains "$rows" 'A\x1b]0;t\x07\n\u202e' "$how: escaped comm"
                iconv -f UTF-8 -t UTF-8 <<<"$OUT" > /dev/null 2>&1 || fail "$how list: output is not valid UTF-8"
                run_cap OUT $how list --json
                assert_eq 0 "$OUT_rc" "$how list --json"
                jq -e . >/dev/null <<<"$OUT" || fail "$how list --json: not JSON"
                # Invalid bytes became U+FFFD; the rest is carried exactly.
                assert_json "$OUT" "$JQ_LS"' [ls[] | select(.netns == '"$(ns_inode)"' and .port == 443) | .owners[].comm] == ["\ufffd\ufffdA\u001b]0;t\u0007\n\u202e"]' \
                        "$how: JSON comm"
                assert_json "$OUT" "$JQ_LS"' [ls[] | select(.netns == '"$(ns_inode)"' and .port == 444) | .owners[]
                        | select(.cmdline_truncated == true and (.cmdline | map(utf8bytelength + 1) | add) <= 4096
                                 and (.cmdline | map(length + 1) | add) > 4000
                                 and (.cmdline | length) == 4 and (.cmdline[3] | test("^a+$")))] | length == 1' \
                        "$how: 140 KiB argv shown as its first 4,096 bytes, marked cmdline_truncated"
        done
}

# ------------------------------------------------------------ access checks

# No request makes the daemon open a file the client names: path-like
# fields are unknown fields (bad_request). A FIFO is the bait: opening it
# would block the daemon, and it would show in /proc/PID/fd.
test_faults_no_client_paths() {
        need_cmd jq
        local fifo=$SA_IT_DIR/bait r
        mkfifo "$fifo" && chmod 0666 "$fifo"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        {
                for f in path file config socket state_dir proc_root output log; do
                        printf '{"cmd":"who","port":443,"%s":"%s"}\n' "$f" "$fifo"
                        printf '{"cmd":"status","%s":"%s"}\n' "$f" "$fifo"
                done
                printf '{"cmd":"%s"}\n' "$fifo"
                printf '{"cmd":"who","port":"%s"}\n' "$fifo"
                printf '{"cmd":"list","proto":"%s"}\n' "$fifo"
        } > "$SA_IT_DIR/req"
        run_cap R "${NSX[@]}" "$SA_SEND" --count 19 --timeout-ms "$(scaled_ms 5)" "$SOCK" < "$SA_IT_DIR/req"
        assert_eq 0 "$R_rc" "sa-send: 19 replies"
        r=$(jq -sc '[.[] | .error.code] | group_by(.) | map({(.[0]): length}) | add' <<<"$R")
        assert_eq '{"bad_request":18,"unknown_cmd":1}' "$r" "error codes"
        assert_eq 16 "$(grep -c 'unknown field' <<<"$R")" "path-like fields refused as unknown"
        ls -l "/proc/$DAEMON_PID/fd" | grep -q bait && fail "the daemon holds the bait FIFO open"
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443 after the path requests"
}

# Deep nesting and huge arrays in a request are refused without a big
# allocation (the line is at most 64 KiB; jansson stops at depth 2048); a
# long but valid line (60 KiB of blanks) is still served.
test_faults_nesting_and_long_lines() {
        need_cmd jq python3
        # 7443: no TLS probe runs meanwhile (on 443 its work would count).
        start_listen --tcp 0.0.0.0 7443
        start_daemon
        refresh
        local hwm0 hwm1
        # Measured once the daemon is settled: the owner's package verdict in,
        # and its buffers grown by one valid 60 KiB request.
        settled() { sa who 7443 --json | jq -e '.listeners[0] | .owners[0].package.status != "pending" and (.reachability.entries | length) > 0' >/dev/null; }
        wait_for 10 "the listener's package verdict" settled
        python3 -c 'print("{\"cmd\":\"who\"," + " " * 60000 + "\"port\":7443}")' > "$SA_IT_DIR/warm"
        run_cap R "${NSX[@]}" "$SA_SEND" --count 1 --timeout-ms "$(scaled_ms 5)" "$SOCK" < "$SA_IT_DIR/warm"
        assert_eq 0 "$R_rc" "sa-send: the warm-up request"
        hwm0=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON_PID/status")
        python3 - > "$SA_IT_DIR/req" <<'EOF'
n = 30000
print('{"cmd":"who","port":' + "[" * n + "]" * n + "}")
print('{"cmd":"who","port":' + "{\"a\":" * 6000 + "1" + "}" * 6000 + "}")
print('{"cmd":"who","port":[' + ",".join(["7443"] * 13000) + "]}")
print('{"cmd":"who","port":7443,' + '"x":1,' * 9000 + '"proto":"tcp"}')
print('{"cmd":"who",' + " " * 60000 + '"port":7443}')
EOF
        run_cap R "${NSX[@]}" "$SA_SEND" --count 5 --timeout-ms "$(scaled_ms 5)" "$SOCK" < "$SA_IT_DIR/req"
        assert_eq 0 "$R_rc" "sa-send: 5 replies"
        assert_eq '["bad_request","bad_request","bad_request","bad_request",null]' \
                "$(jq -sc '[.[] | .error.code]' <<<"$R")" "nesting, arrays, many fields refused; long valid line served"
        assert_json "$(tail -n 1 <<<"$R")" '.ok == true and (.listeners | length) >= 1' "who 7443 in a 60 KiB line"
        hwm1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$DAEMON_PID/status")
        note "peak RSS $hwm0 kB -> $hwm1 kB"
        [ "$hwm1" -le $((hwm0 + 16384)) ] || fail "peak RSS grew by $((hwm1 - hwm0)) kB for 5 requests of 64 KiB"
}

# ------------------------------------------------------------------ faults

# Processes come and go during every scan: scans never fail, the
# vanished ones are counted.
test_faults_process_churn() {
        need_cmd jq
        start_listen --children 2 --tcp 0.0.0.0 443
        start_daemon
        # ~100 short-lived processes alive at any time, for 4 s at most.
        "${NSX[@]}" bash -c 'end=$((SECONDS + 4)) n=0
                while [ $SECONDS -lt $end ]; do
                        while [ $n -lt 60 ]; do sleep 0.0$((RANDOM % 9 + 1)) & n=$((n + 1)); done
                        wait -n; n=$((n - 1))
                done; wait' > /dev/null 2>&1 &
        local churn=$! i vanished=0 v
        track_pid "$churn"
        for ((i = 0; i < 6; i++)); do
                run_cap R sa refresh --json
                assert_eq 0 "$R_rc" "refresh $i during churn"
                v=$(jq -r '(.scan // .).stats.procs_vanished // 0' <<<"$R")
                vanished=$((vanished + ${v:-0}))
        done
        wait_exit "$churn" 10 "the churn loop to end" || fail "$WAITED"
        note "procs_vanished over 6 refreshes: $vanished"
        assert_eq 0 "$(mon_get .scan_errors)" "scan errors during churn"
        [ "$vanished" -gt 0 ] || note "no process vanished mid-walk in 6 scans (timing): not asserted"
        run_cap OUT sa who 443 --json
        assert_json "$OUT" "$JQ_LS"' [ls[] | select(.netns == '"$(ns_inode)"') | .owners[]] | length == 3' \
                "all 3 holders still reported"
        grep -q "owned by no process" "$SA_IT_DIR/daemon.log" && fail "a scan during churn lost the holders"
        return 0
}

# The state dir is a full tmpfs (private mount namespace): saving fails
# with ENOSPC, the daemon keeps serving, logs once, counts the errors, and
# saves again once there is room.
test_faults_state_enospc() {
        need_cmd jq
        start_mount_holder
        [ -d /run/systemd/journal ] && mnt_tmpfs /run/systemd/journal   # no journal: log to daemon.log
        mkdir -p "$STATE_DIR"
        "${MNTX[@]}" mount -t tmpfs -o size=64k,mode=0755 tmpfs "$STATE_DIR" || fail "mount tmpfs on $STATE_DIR"
        "${MNTX[@]}" dd if=/dev/zero of="$STATE_DIR/fill" bs=4k status=none 2>/dev/null
        "${MNTX[@]}" sh -c "head -c 4096 /dev/zero > '$STATE_DIR/x'" 2>/dev/null && fail "the tmpfs is not full"
        start_daemon_journal
        start_listen --tcp 0.0.0.0 443
        refresh
        # The saver's thread writes; its result reaches the loop just after.
        wait_for 3 "state.errors after ENOSPC" mon_at_least .monitor.state.errors 1
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "No space left on device" "log names ENOSPC"
        start_listen --udp 0.0.0.0 443
        refresh
        assert_eq 1 "$(grep -c 'Cannot save the baseline' "$SA_IT_DIR/daemon.log")" "failed saves logged once"
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443 with a full state dir"
        "${MNTX[@]}" test -e "$STATE_DIR/state.json.tmp" && fail "a partial state.json.tmp was left behind"
        "${MNTX[@]}" rm -f "$STATE_DIR/fill"
        stop_listen "$LISTEN_PID"
        refresh
        wait_for 3 "state.json to be written once there is room" "${MNTX[@]}" test -s "$STATE_DIR/state.json"
        assert_json "$("${MNTX[@]}" cat "$STATE_DIR/state.json")" '.version == 1 and (.listeners | length) == 1' \
                "state.json after the retry"
        alive "$DAEMON_PID" || fail "daemon died"
}

# SIGKILL while the baseline is rewritten many times a second: the file
# on disk is always a whole one (temp file + rename), and a restart loads
# it (or rebuilds) without a crash.
test_faults_sigkill_during_save() {
        need_cmd jq
        local i st churn rp
        write_config 'Ports=all'
        mkdir -p "$STATE_DIR"
        start_listen --tcp-range 127.0.0.1 20000 20200
        # Listeners that come and go: every scan has something to save.
        "${NSX[@]}" bash -c 'p=; trap "kill \$p 2>/dev/null; exit 0" TERM
                while :; do "$1" --tcp 127.0.0.1 30000 --udp 127.0.0.1 30001 > /dev/null & p=$!
                sleep 0.07; kill $p; wait $p; sleep 0.03; done' churn "$SA_LISTEN" > /dev/null 2>&1 &
        churn=$!
        track_pid "$churn"
        for ((i = 0; i < 4; i++)); do
                start_daemon_state
                # Refreshes in a row: each sees the churn, each saves.
                ( for _ in 1 2 3 4 5 6; do sa refresh > /dev/null 2>&1; done ) &
                rp=$!
                sleep_scaled "0.$((RANDOM % 6 + 2))"
                st=$(bounded 2 "sockaudit status" "${NSX[@]}" "$SA" --socket "$SOCK" status --json 2>/dev/null |
                        jq -r '(.status // .).monitor.state.saves')
                kill -KILL "$DAEMON_PID"
                wait_exit "$DAEMON_PID" 5 "the daemon to die of SIGKILL" || fail "$WAITED"
                sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
                wait "$rp" 2>/dev/null
                note "round $i: killed after $st saves"
                if [ -e "$STATE_DIR/state.json" ]; then
                        jq -e '.version == 1 and (.listeners | length) > 200' "$STATE_DIR/state.json" > /dev/null ||
                                fail "state.json is not a whole baseline after SIGKILL (round $i)"
                fi
        done
        [ -e "$STATE_DIR/state.json" ] || fail "no state.json written in 4 runs"
        start_daemon_state
        assert_contains "$(mon_get .monitor.baseline)" "loaded" "baseline after SIGKILLs"
        note "baseline after the last restart: $(mon_get .monitor.baseline)"
        grep -q "Ignoring a corrupt state file" "$SA_IT_DIR/daemon.log" && fail "a restart found a corrupt state file"
        kill "$churn"
        wait_exit "$churn" 5 "the churn loop to end"
        alive "$DAEMON_PID" || fail "daemon died after restart"
}

# The config file is renamed over (old and new alternately) while the
# daemon reloads again and again: it always runs one whole config or the
# other, never a mix, never refuses one, never crashes.
test_faults_config_replaced_during_reload() {
        need_cmd jq
        local a=$SA_IT_DIR/a.conf b=$SA_IT_DIR/b.conf i iv rc pair seen='' loop
        start_listen --tcp 0.0.0.0 443
        # Head and tail of each file both differ: a torn read would mix them.
        { printf '[Daemon]\nNamespaces=self\nScanInterval=1h\n'; for ((i = 0; i < 3000; i++)); do echo "; padding $i"; done
          printf '[Port 443/tcp]\nAllowUser=root\n'; } > "$a"
        { printf '[Daemon]\nNamespaces=self\nScanInterval=30min\n'; for ((i = 0; i < 3000; i++)); do echo "; padding $i"; done
          printf '[Port 443/tcp]\nAllowUser=nobody\n'; } > "$b"
        CONF=$SA_IT_DIR/sockauditd.conf
        cp "$a" "$CONF"
        start_daemon
        bash -c 'while :; do cp "$1" "$3.new"; mv -f "$3.new" "$3"; cp "$2" "$3.new"; mv -f "$3.new" "$3"; done' \
                swap "$a" "$b" "$CONF" > /dev/null 2>&1 &
        loop=$!
        track_pid "$loop"
        for ((i = 0; i < 12; i++)); do
                kill -HUP "$DAEMON_PID"
                sleep_scaled 0.1
                iv=$(mon_get .scan_interval_sec)
                sa check > /dev/null 2>&1; rc=$?
                pair="$iv/$rc"
                case $pair in
                3600/0|1800/1) seen="$seen $pair" ;;
                *) fail "after reload $i: scan interval $iv s with check exit $rc: a mix of both configs" ;;
                esac
        done
        kill "$loop"; wait "$loop" 2>/dev/null
        note "configs seen: $seen"
        grep -q "Reload refused" "$SA_IT_DIR/daemon.log" && fail "a reload was refused: $(grep -m1 'Reload refused' "$SA_IT_DIR/daemon.log")"
        alive "$DAEMON_PID" || fail "daemon died during reloads"
        return 0
}

# A scan that takes longer than ScanInterval (a busy host: 50k fds to
# read take ~600 ms here) must not starve the clients: with
# ScanInterval=100ms, status and who still answer within 5 s (scaled: a
# starved client is never answered).
test_faults_scan_overrun() {
        need_cmd jq
        local limit
        limit=$(scaled 5)
        start_listen --tcp 0.0.0.0 443
        write_config 'ScanInterval=100ms'
        start_daemon
        sleep_scaled 1
        note "last scan: $(bounded 5 "sockaudit status" "${NSX[@]}" "$SA" --socket "$SOCK" status --json 2>/dev/null | jq -c '(.status // .).last_scan.duration_ms')"
        run_cap OUT bounded 5 "sockaudit status" "${NSX[@]}" "$SA" --socket "$SOCK" status --json
        [ "$OUT_rc" == 0 ] || fail "status not answered in $limit s with ScanInterval=100ms (rc $OUT_rc): scans starve the clients"
        run_cap OUT bounded 5 "sockaudit who 443" "${NSX[@]}" "$SA" --socket "$SOCK" who 443
        [ "$OUT_rc" == 0 ] || fail "who 443 not answered in $limit s with ScanInterval=100ms (rc $OUT_rc)"
}
