# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# The CLI's options: service names as ports, a value option given twice,
# --socket naming a non-socket, --netns, JSON numbers without float noise,
# and --direct without root saying which namespaces it could not scan.

# as_nobody CMD...: CMD in the namespace as nobody, no groups (bounded).
as_nobody() {
        _sa_bounded "$CMD_TIMEOUT" "as nobody: $*" "${NSX[@]}" setpriv --reuid=65534 --regid=65534 \
                --clear-groups "$@"
}

# who https is who 443, through the daemon and --direct; list --port https too.
test_cli_options_service_names() {
        need_cmd jq
        grep -qE '^https[[:space:]]+443/tcp' /etc/services 2>/dev/null || skip "/etc/services has no https 443/tcp"
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        local how
        for how in sa sa_direct; do
                run_cap OUT $how who https --json
                assert_eq 0 "$OUT_rc" "$how who https: exit code"
                assert_json "$OUT" ".port == 443 and ([.listeners[].owners[].pid] | index($LISTEN_PID))" \
                        "$how who https: port 443 and our listener"
        done
        run_cap OUT sa list --port https --tcp
        assert_eq 0 "$OUT_rc" "list --port https: exit code"
        assert_contains "$OUT" "0.0.0.0:443" "list --port https: the 443 row"
        run_cap OUT sa who no-such-service
        assert_eq 2 "$OUT_rc" "who no-such-service: exit code"
        assert_contains "$OUT_err" "unknown port or service 'no-such-service'" "who no-such-service: message"
        run_cap OUT sa who 70000
        assert_eq 2 "$OUT_rc" "who 70000: exit code"
}

# An option with a value, given twice, is a usage error; a flag twice is not.
test_cli_options_given_twice() {
        start_daemon
        local args
        for args in "list --port 80 --port 443" "status --timeout 1 --timeout 2" \
                    "list --netns a --netns b" "status --socket $SOCK"; do
                # shellcheck disable=SC2086  # one string, split into the words of the command line
                run_cap OUT sa $args
                assert_eq 2 "$OUT_rc" "sockaudit $args: exit code"
                assert_contains "$OUT_err" "given twice (it takes one value)" "sockaudit $args: message"
                assert_eq "" "$OUT" "sockaudit $args: stdout"
        done
        run_cap OUT sa status --json --json
        assert_eq 0 "$OUT_rc" "status --json --json: exit code"
}

# --socket naming a regular file or a directory says "not a socket".
test_cli_options_not_a_socket() {
        local f=$SA_IT_DIR/plain
        : > "$f"
        run_cap OUT "$SA" --socket "$f" status
        assert_eq 3 "$OUT_rc" "--socket FILE: exit code"
        assert_contains "$OUT_err" "cannot reach sockauditd at $f: not a socket (a regular file)" "--socket FILE: message"
        run_cap OUT "$SA" --socket "$SA_IT_DIR" status
        assert_eq 3 "$OUT_rc" "--socket DIR: exit code"
        assert_contains "$OUT_err" "not a socket (a directory)" "--socket DIR: message"
        run_cap OUT "$SA" --socket "$SA_IT_DIR/none" status
        assert_eq 3 "$OUT_rc" "--socket MISSING: exit code"
        assert_contains "$OUT_err" "No such file or directory" "--socket MISSING: message"
}

# --netns by ip-netns name, inode and net:[inode]; another name leaves
# nothing (who: exit 1 and says where); check filters its violations too.
test_cli_options_netns() {
        need_cmd jq
        local ino other=${SA_IT_NS}-o
        ino=$(ns_inode)
        write_config '[Port 443/tcp]' 'AllowUser=nobody'
        start_listen --tcp 0.0.0.0 443
        add_netns "$other"
        start_daemon
        refresh
        local want
        for want in "$SA_IT_NS" "$ino" "net:[$ino]"; do
                run_cap OUT sa who 443 --netns "$want" --json
                assert_eq 0 "$OUT_rc" "who 443 --netns $want: exit code"
                assert_json "$OUT" "(.listeners | length) > 0 and all(.listeners[]; .netns == $ino)" \
                        "who 443 --netns $want: only this namespace's listeners"
        done
        run_cap OUT sa who 443 --netns "$other"
        assert_eq 1 "$OUT_rc" "who 443 --netns $other (the daemon scans only its own): exit code"
        assert_eq "nothing listens on 443/tcp or 443/udp in netns $other" "$OUT" "who 443 --netns $other: stdout"
        run_cap OUT sa explain 443 --netns "$other"
        assert_eq 1 "$OUT_rc" "explain 443 --netns $other: exit code"
        run_cap OUT sa check --netns "$SA_IT_NS" --json
        assert_eq 1 "$OUT_rc" "check --netns $SA_IT_NS: exit code (root's listener, AllowUser=nobody)"
        assert_json "$OUT" "(.violations | length) > 0 and all(.violations[]; .listener.netns == $ino)" \
                "check --netns $SA_IT_NS: this namespace's violations"
        run_cap OUT sa check --netns "$other"
        assert_eq 0 "$OUT_rc" "check --netns $other: exit code"
        assert_eq "no policy violations" "$OUT" "check --netns $other: stdout"
        # --direct scans every namespace: the other one's listener is there by name only.
        nsenter "--net=/run/netns/$other" -- "$SA_LISTEN" --tcp 0.0.0.0 443 > "$SA_IT_DIR/other.out" 2>&1 &
        local opid=$!
        track_pid "$opid"
        wait_for 5 "sa-listen in $other: READY" grep -q '^READY' "$SA_IT_DIR/other.out"
        run_cap OUT sa_direct who 443 --netns "$other" --json
        assert_eq 0 "$OUT_rc" "--direct who 443 --netns $other: exit code"
        assert_json "$OUT" "([.listeners[].owners[].pid] == [$opid]) and all(.listeners[]; .netns_name == \"$other\")" \
                "--direct who 443 --netns $other: only that namespace's listener"
        run_cap OUT sa_direct list --netns list-no-such-namespace
        assert_eq 0 "$OUT_rc" "--direct list --netns (no such namespace): exit code"
        assert_eq "1" "$(grep -c . <<<"$OUT")" "--direct list --netns (no such namespace): the header alone"
}

# Reals in JSON carry at most 15 significant digits (7.092, never 7.0919999999999996).
test_cli_options_json_numbers() {
        need_cmd jq
        start_daemon
        refresh
        local out n digits verb
        for verb in status refresh; do
                run_cap OUT sa "$verb" --json
                assert_eq 0 "$OUT_rc" "$verb --json: exit code"
                out+=$OUT
        done
        while read -r n; do
                [ -n "$n" ] || continue
                digits=${n/./}
                digits=${digits#"${digits%%[!0]*}"}     # leading zeros are not significant
                [ "${#digits}" -le 15 ] || fail "a JSON number with ${#digits} significant digits: $n"
        done < <(grep -oE '[0-9]+\.[0-9]+' <<<"$out")
        assert_json "$(sa status --json)" '.last_scan.duration_ms | type == "number"' "status: duration_ms a number"
}

# --direct as nobody: namespaces it could not enter are named on stderr, so
# "nothing listens" is not taken for the whole truth; as root, no such line.
test_cli_options_direct_nonroot_netns() {
        need_cmd setpriv
        add_netns "${SA_IT_NS}-x"
        run_cap OUT as_nobody "$SA" who 9 --direct
        assert_eq 1 "$OUT_rc" "who 9 --direct as nobody: exit code"
        grep -qE '^sockaudit: [0-9]+ namespaces? not scanned: permission denied; query the daemon or run as root$' \
                <<<"$OUT_err" || fail "who 9 --direct as nobody: no 'namespaces not scanned' line on stderr"
        run_cap OUT sa_direct who 9
        assert_eq 1 "$OUT_rc" "who 9 --direct as root: exit code"
        assert_not_contains "$OUT_err" "not scanned" "who 9 --direct as root: stderr"
}

# A stale answer (the daemon out of fds, so its refresh failed) prints the
# table as it is and a warning with the reason on stderr.
test_cli_options_stale_warning() {
        need_cmd prlimit
        local hard
        start_daemon
        refresh
        hard=$(awk '/^Max open files/ { print $5 }' "/proc/$DAEMON_PID/limits")
        fd_limit_one_free
        start_listen --tcp 127.0.0.1 8443
        run_cap OUT sa list
        # --json passes the reply through (test_json_passthrough): warned all the same.
        run_cap JOUT sa list --json
        prlimit --pid "$DAEMON_PID" --nofile="$hard:" || fail "prlimit --pid $DAEMON_PID (back)"
        # (The first list's failure may have made this one a full scan that worked.)
        if jq -e '.stale == true' <<<"$JOUT" > /dev/null; then
                grep -q "^sockaudit: warning: the daemon's answer may be out of date (.*Too many open files" \
                        <<<"$JOUT_err" || fail "list --json, stale: no stale warning on stderr"
        else
                assert_not_contains "$JOUT_err" "out of date" "list --json, not stale: a stale warning"
        fi
        assert_eq 0 "$OUT_rc" "list with no fd left in the daemon: exit code"
        grep -qE "^sockaudit: warning: the daemon's answer may be out of date \(.*Too many open files.*\); listeners as of [0-9-]+T" \
                <<<"$OUT_err" || fail "list with no fd left: no stale warning on stderr"
        assert_contains "$OUT" "PROTO" "list with no fd left: the table still printed"
        run_cap OUT sa list
        assert_not_contains "$OUT_err" "out of date" "list once fds are back: a stale warning"
}
