# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Facts about the holders: user, exe, cmdline, systemd unit.

# owner_json JSON PID: the owner record of PID on tcp 0.0.0.0:443.
owner_json() {
        jq -c --argjson pid "$2" "$JQ_LS"' [ls[] | select(.proto == "tcp" and .port == 443)
                | .owners[] | select(.pid == $pid)] | .[0] // empty' <<<"$1"
}

# Bound as root, then dropped to nobody (the usual daemon pattern).
test_owner_nobody() {
        need_cmd jq ss
        start_listen --user nobody --tcp 0.0.0.0 443
        start_daemon
        check_against_ss 443
        local o l
        for j in D_JSON X_JSON; do
                o=$(owner_json "${!j}" "$LISTEN_PID")
                [ -n "$o" ] || fail "$j: no owner record for pid $LISTEN_PID"
                assert_json "$o" '.uid == 65534 and .user == "nobody"' "$j: owner uid/user"
                l=$(listener_json "${!j}" tcp 0.0.0.0 443)
                assert_json "$l" '.uid == 0' "$j: socket uid (bound as root)"
        done
}

# Bound as nobody: the socket's own uid is nobody's too.
test_socket_uid_bind_as_user() {
        need_cmd jq ss sysctl
        in_ns sysctl -q -w net.ipv4.ip_unprivileged_port_start=0 || fail "sysctl in the namespace"
        start_listen --user nobody --bind-as-user --tcp 0.0.0.0 443
        start_daemon
        check_against_ss 443
        local l
        for j in D_JSON X_JSON; do
                l=$(listener_json "${!j}" tcp 0.0.0.0 443)
                assert_json "$l" '.uid == 65534 and (.owners[0] | .uid == 65534 and .user == "nobody")' \
                        "$j: socket and owner uid"
        done
}

# A uid with no passwd entry: no name, but the uid is there.
test_owner_uid_without_name() {
        need_cmd jq
        getent passwd 54321 >/dev/null && skip "uid 54321 has a passwd entry here"
        start_listen --user 54321 --tcp 0.0.0.0 443
        start_daemon
        query_both 443
        local o
        o=$(owner_json "$D_JSON" "$LISTEN_PID")
        assert_json "$o" '.uid == 54321 and (.user == null or .user == "54321")' "owner without a name"
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443 (table) exit code"
        assert_contains "$OUT" "54321" "table shows the bare uid"
}

test_exe_and_cmdline() {
        need_cmd jq
        local exe o
        exe=$(readlink -f "$SA_LISTEN")
        start_listen --children 1 --tcp 0.0.0.0 443
        start_daemon
        query_both 443
        for j in D_JSON X_JSON; do
                o=$(owner_json "${!j}" "$LISTEN_PID")
                [ -n "$o" ] || fail "$j: no owner record for pid $LISTEN_PID"
                assert_eq "$exe" "$(jq -r .exe <<<"$o")" "$j: exe"
                assert_eq false "$(jq -r .exe_deleted <<<"$o")" "$j: exe_deleted"
                assert_eq "[\"$SA_LISTEN\",\"--children\",\"1\",\"--tcp\",\"0.0.0.0\",\"443\"]" \
                        "$(jq -c .cmdline <<<"$o")" "$j: cmdline"
                assert_eq root "$(jq -r .user <<<"$o")" "$j: user"
        done
        run_cap OUT sa who 443
        assert_contains "$OUT" "$exe" "table shows the exe"
        assert_not_contains "$OUT" "(deleted)" "table of a present exe"
}

# The binary is removed while it runs: exe without the suffix, flag set,
# and " (deleted)" in the table.
test_exe_deleted() {
        need_cmd jq
        local copy=$SA_IT_DIR/sa-listen-copy o
        cp "$SA_LISTEN" "$copy" || fail "cp"
        SA_LISTEN=$copy start_listen --tcp 0.0.0.0 443
        rm -f "$copy"
        start_daemon
        query_both 443
        for j in D_JSON X_JSON; do
                o=$(owner_json "${!j}" "$LISTEN_PID")
                [ -n "$o" ] || fail "$j: no owner record for pid $LISTEN_PID"
                assert_eq "$copy" "$(jq -r .exe <<<"$o")" "$j: exe of a deleted binary"
                assert_eq true "$(jq -r .exe_deleted <<<"$o")" "$j: exe_deleted"
        done
        run_cap OUT sa who 443
        assert_contains "$OUT" "$copy (deleted)" "table row of a deleted exe"
}

# A holder in cgroup system.slice/X.service has unit X.service; its child,
# left in the root cgroup, has none.
test_unit_from_cgroup() {
        need_cmd jq
        [ "$(stat -f -c %T "$SA_IT_CGROOT" 2>/dev/null)" == cgroup2fs ] ||
                skip "$SA_IT_CGROOT is not a cgroup2 mount"
        local unit=sa-it-test-$$.service o child
        start_listen --children 1 --tcp 0.0.0.0 443
        child=${LISTEN_PIDS#* }
        make_cgroup "system.slice/$unit"
        echo "$LISTEN_PID" > "$SA_IT_CGROOT/system.slice/$unit/cgroup.procs" ||
                fail "cannot move $LISTEN_PID into $unit"
        start_daemon
        query_both 443
        for j in D_JSON X_JSON; do
                o=$(owner_json "${!j}" "$LISTEN_PID")
                [ -n "$o" ] || fail "$j: no owner record for pid $LISTEN_PID"
                assert_eq "$unit" "$(jq -r .unit <<<"$o")" "$j: unit of the moved process"
                assert_eq "/system.slice/$unit" "$(jq -r .cgroup <<<"$o")" "$j: cgroup of the moved process"
                o=$(owner_json "${!j}" "$child")
                assert_eq null "$(jq -r .unit <<<"$o")" "$j: unit of the child left in /"
        done
        run_cap OUT sa who 443
        assert_contains "$OUT" "$unit" "table shows the unit"
}

# An exe path with a space, a newline and an escape sequence: exact in
# JSON, escaped inside its row in the table.
test_hostile_exe_path() {
        need_cmd jq
        local dir=$SA_IT_DIR/'a dir' exe o how
        exe=$dir/$'evil\nbin\e[1m'
        mkdir -p "$dir" && cp "$SA_LISTEN" "$exe" || fail "cp"
        SA_LISTEN=$exe start_listen --children 1 --tcp 0.0.0.0 443
        start_daemon
        query_both 443
        for j in D_JSON X_JSON; do
                o=$(owner_json "${!j}" "$LISTEN_PID")
                [ -n "$o" ] || fail "$j: no owner record for pid $LISTEN_PID"
                [ "$(jq -j .exe <<<"$o")" == "$exe" ] || fail "$j: exe is $(jq .exe <<<"$o")"
        done
        for how in sa sa_direct; do
                run_cap OUT $how who 443
                assert_eq 0 "$OUT_rc" "$how who 443 exit code"
                assert_not_contains "$OUT" $'\e' "$how: raw ESC in the table"
                assert_eq 2 "$(grep -c 'evil' <<<"$OUT")" "$how: exe in each holder's row"
                grep -q '^bin' <<<"$OUT" && fail "$how: a row begins with the second half of the exe path"
                assert_contains "$OUT" 'a dir/evil\nbin' "$how: escaped exe path"
        done
        return 0
}
