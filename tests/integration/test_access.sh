# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Who may talk to the daemon: root and group sockaudit; the control socket's
# mode; the daemon's own SO_PEERCRED check (tested with the socket chmod'ed
# 0666, so the kernel lets everybody connect).

# as_user SETPRIV_ARGS... -- CMD...: runs CMD in the namespace via setpriv.
as_user() {
        local args=()
        while [ "$1" != -- ]; do args+=("$1"); shift; done
        shift
        bounded "$SA_IT_CMD_TIMEOUT" "setpriv ${args[*]} $*" "${NSX[@]}" setpriv "${args[@]}" "$@"
}

test_socket_mode_and_group() {
        need_cmd getent groupadd
        ensure_group sockaudit > /dev/null || fail "cannot create group sockaudit"
        start_daemon
        assert_eq 660 "$(stat -c %a "$SOCK")" "mode of the control socket"
        assert_eq sockaudit "$(stat -c %G "$SOCK")" "group of the control socket"
        assert_eq root "$(stat -c %U "$SOCK")" "owner of the control socket"
}

test_denied_other_user() {
        need_cmd setpriv jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        chmod 0666 "$SOCK" || fail "chmod"
        run_cap OUT as_user --reuid=65534 --regid=65534 --clear-groups -- "$SA" --socket "$SOCK" who 443
        assert_eq 4 "$OUT_rc" "exit code of a client outside root/group"
        assert_contains "$OUT $OUT_err" "denied" "message to a denied client"
        # Raw: one "denied" reply, then the daemon closes the connection.
        run_cap R as_user --reuid=65534 --regid=65534 --clear-groups -- "$SA_SEND" --count 2 "$SOCK" \
                < <(printf '{"cmd":"status"}\n{"cmd":"status"}\n')
        assert_eq 4 "$R_rc" "sa-send: connection closed after the denial (exit 4 = closed early)"
        assert_json "$R" '.ok == false and .error.code == "denied"' "raw reply to a denied client"
        # Root still served; the denial is counted.
        run_cap OUT sa status --json
        assert_eq 0 "$OUT_rc" "status as root after a denial"
        assert_json "$OUT" '(.status // .) | .clients.denied >= 1' "clients.denied counter"
}

# A client whose primary gid is sockaudit, through the daemon-made socket
# (0660 root:sockaudit).
test_group_member_allowed() {
        need_cmd setpriv jq getent groupadd
        local gid
        gid=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT as_user --reuid=65534 --regid="$gid" --clear-groups -- "$SA" --socket "$SOCK" who 443 --json
        assert_eq 0 "$OUT_rc" "exit code for a client with gid sockaudit"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] | index($LISTEN_PID) != null" "answer to the group member"
}

# The usual way to grant access: sockaudit as a supplementary group.
test_supplementary_group_allowed() {
        need_cmd setpriv jq getent groupadd
        local gid
        gid=$(ensure_group sockaudit) || fail "cannot create group sockaudit"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT as_user --reuid=65534 --regid=65534 --groups="$gid" -- "$SA" --socket "$SOCK" who 443 --json
        assert_eq 0 "$OUT_rc" "exit code for a client with supplementary group sockaudit"
        assert_json "$OUT" "$JQ_LS"" [ls[].owners[].pid] | index($LISTEN_PID) != null" "answer to the group member"
}

# The socket is 0660 whatever umask the daemon was started with.
test_socket_mode_any_umask() {
        local m old
        old=$(umask)
        for m in 000 077; do
                umask "$m"
                start_daemon
                umask "$old"
                [ -S "$SOCK" ] || fail "no socket (umask $m)"
                assert_eq 660 "$(stat -c %a "$SOCK")" "mode of the control socket (umask $m)"
                stop_daemon
                assert_eq 0 "$DAEMON_RC" "exit status after SIGTERM"
        done
}
