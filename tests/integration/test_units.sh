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

# After start-up the daemon holds only the capabilities docs/SECURITY.md lists.
test_capabilities_dropped() {
        need_cmd jq
        start_daemon
        local eff
        eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$DAEMON_PID/status")
        # CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19); Namespaces=self: no CAP_SYS_ADMIN.
        assert_eq 0000000000080004 "$eff" "CapEff with Namespaces=self"
        assert_eq 0000000000080004 "$(awk '/^CapBnd:/ { print $2 }' "/proc/$DAEMON_PID/status")" "CapBnd"
        assert_eq 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$DAEMON_PID/status")" "NoNewPrivs"
        run_cap OUT sa status --json
        assert_json "$OUT" '.capabilities == ["cap_dac_read_search","cap_sys_ptrace"]' "status capabilities"
        stop_daemon
        CONF=
        SA_IT_NAMESPACES=all write_config
        start_daemon
        assert_eq 0000000000280004 "$(awk '/^CapEff:/ { print $2 }' "/proc/$DAEMON_PID/status")" \
                "CapEff with Namespaces=all (plus CAP_SYS_ADMIN for setns)"
}
