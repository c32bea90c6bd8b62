# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# The systemd units: systemd-analyze finds nothing to say, and the
# hardening rates 2.5 or better. (Booting them under real systemd is
# tests/systemd/, `make check-systemd`.)

# units_copy DIR: the units with ExecStart pointing at this build.
units_copy() {
        sed "s|/usr/sbin/sockauditd|$SAD|" "$ROOT/systemd/sockauditd.service" > "$1/sockauditd.service"
        cp "$ROOT/systemd/sockauditd.socket" "$1/"
}

test_units_verify() {
        need_cmd systemd-analyze
        local d=$SA_IT_DIR/units
        mkdir -p "$d"
        units_copy "$d"
        run_cap OUT bash -c "cd '$d' && systemd-analyze verify --man=no sockauditd.service sockauditd.socket 2>&1"
        assert_eq 0 "$OUT_rc" "systemd-analyze verify exit code"
        assert_eq "" "$OUT" "systemd-analyze verify output"
}

test_units_security() {
        need_cmd systemd-analyze
        local d=$SA_IT_DIR/units level
        mkdir -p "$d"
        units_copy "$d"
        run_cap OUT bash -c "cd '$d' && systemd-analyze security --offline=yes sockauditd.service 2>&1"
        level=$(sed -nE 's/.*Overall exposure level for sockauditd.service: ([0-9.]+).*/\1/p' <<<"$OUT")
        [ -n "$level" ] || fail "no exposure level in: $(tail -n 2 <<<"$OUT")"
        note "exposure level $level"
        awk -v l="$level" 'BEGIN { exit !(l <= 2.5) }' || fail "exposure level $level is above 2.5"
}

# After start-up the daemon holds exactly the capabilities docs/SECURITY.md
# lists ("Privileges"): permitted, effective and bounding alike, nothing
# inheritable or ambient, no_new_privs.
test_capabilities_dropped() {
        need_cmd jq
        start_daemon
        # CAP_DAC_READ_SEARCH (2), CAP_SETGID (6), CAP_SETUID (7: the TLS probe's child
        # becomes nobody), CAP_SYS_PTRACE (19); Namespaces=self: no CAP_SYS_ADMIN.
        assert_eq "0000000000000000 00000000000800c4 00000000000800c4 00000000000800c4 0000000000000000 1" \
                "$(cap_sets "$DAEMON_PID")" "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs with Namespaces=self"
        run_cap OUT sa status --json
        assert_json "$OUT" '.capabilities == ["cap_dac_read_search","cap_setgid","cap_setuid","cap_sys_ptrace"]' \
                "status capabilities"
        stop_daemon
        CONF=
        SA_IT_NAMESPACES=all write_config
        start_daemon
        # Plus CAP_SYS_ADMIN (21) for setns.
        assert_eq "0000000000000000 00000000002800c4 00000000002800c4 00000000002800c4 0000000000000000 1" \
                "$(cap_sets "$DAEMON_PID")" "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs with Namespaces=all"
}

# cap_sets PID: "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs" of PID.
cap_sets() {
        awk '/^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):/ { v[$1] = $2 }
             END { print v["CapInh:"], v["CapPrm:"], v["CapEff:"], v["CapBnd:"], v["CapAmb:"], v["NoNewPrivs:"] }' \
                "/proc/$1/status"
}

# expect_refused SETPRIV_ARGS...: the daemon, started through setpriv with
# these arguments and a stand-in for systemd's notification socket, exits 1
# within 5 s without ever answering or binding its socket. Sets REFUSAL (its
# log) and NOTIFIED (what it told the service manager).
expect_refused() {
        local n=$SA_IT_DIR/notify npid i
        need_cmd setpriv
        "${NSX[@]}" "$SA_NOTIFY" --until ERRNO=1 --timeout-ms 8000 "$n" > "$SA_IT_DIR/notify.out" 2>&1 &
        npid=$!
        track_pid $npid
        for ((i = 0; i < 100; i++)); do [ -S "$n" ] && break; sleep 0.05; done
        [ -S "$n" ] || fail "sa-notify did not bind $n"
        chmod 0666 "$n"      # as systemd's: any uid may send
        : > "$SA_IT_DIR/daemon.log"
        # shellcheck disable=SC2034  # spawn_daemon's environment
        DAEMON_ENV=(NOTIFY_SOCKET="$n")
        spawn_daemon setpriv "$@" "$SAD" --socket "$SOCK" --foreground --config "$CONF" \
                --state-dir "$SA_IT_DIR/state"
        wait_exit "$DAEMON_PID" 5 || fail "started with setpriv $*: still running after 5 s"
        sed -i "/^$DAEMON_PID\$/d" "$SA_IT_DIR/.daemons"
        assert_eq 1 "$WAIT_RC" "exit status of the daemon started with setpriv $*"
        [ -e "$SOCK" ] && fail "the refused daemon bound its socket $SOCK"
        run_cap OUT sa status
        assert_ne 0 "$OUT_rc" "sockaudit status with the daemon refused"
        wait_exit $npid 5
        REFUSAL=$(cat "$SA_IT_DIR/daemon.log")
        NOTIFIED=$(grep '^MSG' "$SA_IT_DIR/notify.out")
        note "daemon: $REFUSAL"
        note "notify: $NOTIFIED"
        assert_contains "$NOTIFIED" "STATUS=Refusing to start: " "STATUS= to the service manager"
        assert_contains "$NOTIFIED" "ERRNO=1" "ERRNO= to the service manager"
}

# The unit's bounding set, which has no CAP_SETPCAP: the daemon starts, and
# keeps cap_net_admin (12), cap_perfmon (38) and cap_bpf (39) only in its
# bounding set, which cannot shrink; permitted and effective are exactly
# the scan capabilities Namespaces= needs (docs/SECURITY.md, "Privileges").
test_privileges_without_setpcap() {
        SA_IT_NAMESPACES=all write_config
        start_daemon_setpriv --bounding-set=-all,+sys_ptrace,+dac_read_search,+sys_admin,+net_admin,+bpf,+perfmon
        assert_eq "0000000000000000 0000000000280004 0000000000280004 000000c000281004 0000000000000000 1" \
                "$(cap_sets "$DAEMON_PID")" "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs without CAP_SETPCAP"
        stop_daemon
        # Namespaces=self does not keep cap_sys_admin (21), but it stays in the
        # bounding set; of the start-up ones only what was there at start.
        CONF=
        write_config
        start_daemon_setpriv --bounding-set=-all,+sys_ptrace,+dac_read_search,+sys_admin,+net_admin
        assert_eq "0000000000000000 0000000000080004 0000000000080004 0000000000281004 0000000000000000 1" \
                "$(cap_sets "$DAEMON_PID")" "CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs with Namespaces=self, no cap_bpf, cap_perfmon"
}

# start_daemon_setpriv SETPRIV_ARGS...: start_daemon through setpriv.
start_daemon_setpriv() {
        need_cmd setpriv
        [ -n "${CONF:-}" ] || write_config
        spawn_daemon setpriv "$@" "$SAD" --socket "$SOCK" --foreground --config "$CONF" \
                --state-dir "$SA_IT_DIR/state"
        wait_daemon_ready
}

# Without CAP_SETPCAP, anything in the bounding set but the scan and
# start-up capabilities could not be dropped: refused, naming it.
test_privileges_refused_without_setpcap() {
        SA_IT_NAMESPACES=all write_config
        expect_refused --bounding-set=-all,+sys_ptrace,+dac_read_search,+sys_admin,+net_admin,+bpf,+perfmon,+chown
        assert_contains "$REFUSAL" "Refusing to start: cannot drop cap_chown from the bounding set: that needs cap_setpcap" \
                "the daemon says which capability and why"
}

# Without CAP_SYS_PTRACE a scan would see none of other users' sockets.
test_privileges_refused_without_ptrace() {
        write_config
        expect_refused --bounding-set=-sys_ptrace
        assert_contains "$REFUSAL" "Refusing to start: this process lacks cap_sys_ptrace (without it a scan sees none of other users' fds" \
                "the daemon says which capability and why"
        assert_not_contains "$REFUSAL" "cap_dac_read_search" "only the missing capability is named"
}

# Namespaces=all needs CAP_SYS_ADMIN (Namespaces=self does without: see
# test_scan_method_fallback_without_caps).
test_privileges_refused_all_namespaces_without_sys_admin() {
        SA_IT_NAMESPACES=all write_config
        expect_refused --bounding-set=-sys_admin
        assert_contains "$REFUSAL" "this process lacks cap_sys_admin (without it a scan sees none of other network namespaces; only Namespaces=all needs it)" \
                "the daemon says which capability and why"
}

# Started by nobody: no capabilities at all, refused before touching anything.
test_privileges_refused_as_nobody() {
        write_config
        expect_refused --reuid=65534 --regid=65534 --clear-groups
        assert_contains "$REFUSAL" "this process lacks cap_sys_ptrace" "the daemon says why"
        assert_contains "$REFUSAL" "cap_dac_read_search" "the daemon names every missing capability"
        [ -e "$SA_IT_DIR/state" ] && fail "the refused daemon created its state directory"
        return 0
}
