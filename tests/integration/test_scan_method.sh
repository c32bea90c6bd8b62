# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# How full scans walk fds (ScanMethod=, SOCKAUDIT_SCAN_METHOD): the eBPF
# iterator when it loads, procfs otherwise, the same answers either way,
# and status saying which one runs.

# daemon_ebpf_or_skip: skips when the harness runs daemons without eBPF
# (`make valgrind`: SOCKAUDITD_EBPF=0 in the wrapper).
daemon_ebpf_or_skip() {
        [[ "${SA_IT_DAEMON_WRAPPER:-}" != *SOCKAUDITD_EBPF=0* ]] ||
                skip "daemons run without eBPF here (SA_IT_DAEMON_WRAPPER sets SOCKAUDITD_EBPF=0)"
}

# ebpf_or_skip: skips unless this host can load the iterator (root, BTF, bpf()).
ebpf_or_skip() {
        run_cap EB env SOCKAUDIT_SCAN_METHOD=ebpf "${NSX[@]}" "$SA" --direct list --json
        ebpf_result_or_skip
}

# Started as root: the iterator is loaded before the capability drop and
# still read after it (full scans by `refresh`), status says so.
test_scan_method_ebpf_status() {
        need_cmd jq ss
        daemon_ebpf_or_skip
        ebpf_or_skip
        start_listen --children 3 --tcp 0.0.0.0 443
        start_daemon
        status_json
        assert_json "$STATUS" '.scan_method.method == "ebpf" and .scan_method.detail == "iter/task_file"' \
                "status.scan_method"
        check_against_ss 443
        status_json
        assert_json "$STATUS" '.scans >= 2 and .scan_method.ebpf_fallbacks == 0 and .last_scan.stats.fds > 0' \
                "full scans after the capability drop stayed on eBPF"
        run_cap OUT sa status
        assert_contains "$OUT" "Scan method:   ebpf (iter/task_file)" "status table"
        grep -q 'Scan method: ebpf' "$SA_IT_DIR/daemon.log" || fail "start-up log does not name the scan method"
}

# ScanMethod=procfs is honoured and gives the same holders.
test_scan_method_procfs_config() {
        need_cmd jq ss
        start_listen --children 3 --udp 0.0.0.0 443
        write_config 'ScanMethod=procfs'
        start_daemon
        status_json
        assert_json "$STATUS" '.scan_method.method == "procfs" and .scan_method.detail == "procfs was asked for"' \
                "status.scan_method"
        check_against_ss 443
}

# Without CAP_BPF/CAP_PERFMON: auto falls back to procfs, says why, and
# answers the same; ScanMethod=ebpf refuses to start, saying why.
test_scan_method_fallback_without_caps() {
        need_cmd jq ss setpriv
        daemon_ebpf_or_skip
        start_listen --children 2 --tcp 0.0.0.0 443
        write_config
        spawn_daemon setpriv --bounding-set=-bpf,-perfmon,-sys_admin "$SAD" --socket "$SOCK" --foreground \
                --config "$CONF" --state-dir "$SA_IT_DIR/state"
        wait_daemon_ready
        status_json
        assert_json "$STATUS" '.scan_method.method == "procfs"' "status.scan_method.method"
        assert_contains "$(jq -r .scan_method.detail <<<"$STATUS")" "CAP_BPF" "status.scan_method.detail"
        check_against_ss 443
        stop_daemon

        write_config 'ScanMethod=ebpf'
        spawn_daemon setpriv --bounding-set=-bpf,-perfmon,-sys_admin "$SAD" --socket "$SOCK" --foreground \
                --config "$CONF" --state-dir "$SA_IT_DIR/state"
        wait_exit "$DAEMON_PID" 10 "the daemon to refuse ScanMethod=ebpf without the capabilities" ||
                fail "$WAITED"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_ne 0 "$WAIT_RC" "exit status"
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "ScanMethod=ebpf, but the eBPF iterator is not usable" \
                "the daemon says why"
}

# --direct: both methods find the same holders (an fd moved to another
# number in a child included), ss agreeing.
test_scan_method_direct_both() {
        need_cmd jq ss
        ebpf_or_skip
        start_listen --children 3 --tcp 0.0.0.0 443
        local ss_set e p
        ss_set=$(ss_tuples "sport = :443")
        run_cap E env SOCKAUDIT_SCAN_METHOD=ebpf "${NSX[@]}" "$SA" who 443 --json --direct
        run_cap P env SOCKAUDIT_SCAN_METHOD=procfs "${NSX[@]}" "$SA" who 443 --json --direct
        assert_eq 0 "$E_rc" "ebpf exit code"
        assert_eq 0 "$P_rc" "procfs exit code"
        e=$(sa_tuples "$E" 443)
        p=$(sa_tuples "$P" 443)
        assert_same_set ss "$ss_set" ebpf "$e" "who 443 --direct (ebpf)"
        assert_same_set ebpf "$e" procfs "$p" "ebpf and procfs"
        run_cap B env SOCKAUDIT_SCAN_METHOD=sideways "${NSX[@]}" "$SA" who 443 --direct
        assert_eq 2 "$B_rc" "a bad SOCKAUDIT_SCAN_METHOD"
        assert_contains "$B_err" "not auto, ebpf or procfs" "the CLI says why"
}
