# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Which sockets are reported, and with which holders: every case compared
# with `ss -Hlnp` in the same namespace, via the daemon and --direct.

# The one listener record for PROTO ADDRESS 443 in D_JSON; fails if absent.
one_listener() {
        L=$(listener_json "$D_JSON" "$1" "$2" "${3:-443}")
        [ -n "$L" ] || fail "no single $1 $2:${3:-443} record in the daemon's answer"
}

test_tcp4() {
        need_cmd jq ss
        start_listen --tcp 0.0.0.0 443
        start_daemon
        check_against_ss 443
        one_listener tcp 0.0.0.0
        assert_json "$L" '.family == "ipv4" and .v6only == false and .interface == null
                and .owner_status == "ok" and .uid == 0 and (.inode | type) == "number"' "tcp4 record"
}

test_tcp6_v6only() {
        need_cmd jq ss
        start_daemon
        start_listen --tcp 0.0.0.0 443 --v6only 1 --tcp :: 443 --tcp ::1 8443
        check_against_ss 443
        one_listener tcp ::
        assert_json "$L" '.family == "ipv6" and .v6only == true' "[::]:443 v6only record"
        one_listener tcp 0.0.0.0
        assert_json "$L" '.family == "ipv4" and .v6only == false' "0.0.0.0:443 record"
}

test_tcp6_dualstack() {
        need_cmd jq ss
        start_daemon
        start_listen --v6only 0 --tcp :: 443
        check_against_ss 443
        one_listener tcp ::
        assert_json "$L" '.family == "ipv6" and .v6only == false and .address == "::"' "dual-stack record"
        # One socket, one record: no phantom IPv4 twin.
        assert_eq 1 "$(jq -r "$JQ_LS"' ls | length' <<<"$D_JSON")" "listeners for a dual-stack socket"
}

# Specific addresses: loopback in both families and a v4-mapped IPv6 one.
test_address_forms() {
        need_cmd jq ss
        start_listen --tcp 127.0.0.1 443 --v6only 1 --tcp ::1 443 --udp ::1 443 \
                --v6only 0 --tcp ::ffff:127.0.0.3 443
        start_daemon
        check_against_ss 443
        one_listener tcp ::1
        assert_json "$L" '.family == "ipv6" and .v6only == true' "[::1]:443 record"
        one_listener udp ::1
        one_listener tcp 127.0.0.1
        assert_json "$L" '.family == "ipv4"' "127.0.0.1:443 record"
        one_listener tcp ::ffff:127.0.0.3
        assert_json "$L" '.family == "ipv6"' "[::ffff:127.0.0.3]:443 record"
}

test_udp_v4_v6() {
        need_cmd jq ss
        start_listen --udp 0.0.0.0 443 --v6only 1 --udp :: 443 --tcp 127.0.0.1 443
        start_daemon
        check_against_ss 443
        one_listener udp 0.0.0.0
        assert_json "$L" '.family == "ipv4"' "udp4 record"
        one_listener udp ::
        assert_json "$L" '.family == "ipv6" and .v6only == true' "udp6 record"
        one_listener tcp 127.0.0.1
}

test_proto_filter() {
        need_cmd jq ss
        start_listen --udp 0.0.0.0 443 --tcp 0.0.0.0 443 --v6only 1 --udp :: 443
        start_daemon
        local want
        query_both 443 --udp
        want=$(ss_tuples "sport = :443" | grep '^udp ')
        assert_same_set ss "$want" daemon "$(sa_tuples "$D_JSON" 443)" "who 443 --udp"
        assert_same_set ss "$want" direct "$(sa_tuples "$X_JSON" 443)" "who 443 --udp --direct"
        query_both 443 --tcp
        want=$(ss_tuples "sport = :443" | grep '^tcp ')
        assert_same_set ss "$want" daemon "$(sa_tuples "$D_JSON" 443)" "who 443 --tcp"
        assert_same_set ss "$want" direct "$(sa_tuples "$X_JSON" 443)" "who 443 --tcp --direct"
}

test_bound_device() {
        need_cmd jq ss
        start_listen --device lo --tcp 127.0.0.1 443
        start_daemon
        check_against_ss 443
        one_listener tcp 127.0.0.1
        assert_json "$L" '.interface == "lo"' "SO_BINDTODEVICE lo"
}

# An nginx-like master with 4 workers: every holder is listed.
test_shared_by_children() {
        need_cmd jq ss
        start_listen --children 4 --tcp 0.0.0.0 443
        start_daemon
        check_against_ss 443
        one_listener tcp 0.0.0.0
        local pids want p
        pids=$(jq -r '.owners[].pid' <<<"$L" | sort -n | tr '\n' ' ')
        want=$(tr ' ' '\n' <<<"$LISTEN_PIDS" | sort -n | tr '\n' ' ')
        assert_eq "$want" "$pids" "holders of the shared socket"
        assert_json "$L" '.owners | length == 5 and all(.fds | length >= 1)' "5 holders with fds"
        assert_json "$L" '[.owners[].exe] | unique | length == 1' "one exe for all holders"
        assert_json "$L" '[.owners[].comm] | unique == ["sa-listen"]' "comm of all holders"
        for p in $LISTEN_PIDS; do
                [ "$p" == "$LISTEN_PID" ] && continue
                assert_json "$L" ".owners[] | select(.pid == $p) | .ppid == $LISTEN_PID" "ppid of worker $p"
        done
        assert_json "$L" '.owner_status == "ok"' "owner_status"
}

# The same socket under two fds of one process: both fds reported.
test_two_fds_one_socket() {
        need_cmd jq ss
        start_listen --dup --tcp 0.0.0.0 443
        start_daemon
        check_against_ss 443
        one_listener tcp 0.0.0.0
        assert_json "$L" '.owners | length == 1 and (.[0].fds | length == 2)' "one owner, two fds"
}

# Two processes with their own SO_REUSEPORT sockets on one port.
test_reuseport_two_sockets() {
        need_cmd jq ss
        start_listen --reuseport 1 --tcp 0.0.0.0 443
        local first=$LISTEN_PID
        start_listen --reuseport 1 --tcp 0.0.0.0 443
        start_daemon
        check_against_ss 443
        assert_json "$D_JSON" "$JQ_LS"' [ls[] | select(.address == "0.0.0.0")] | length == 2
                and (map(.inode) | unique | length == 2)' "two distinct sockets"
        local owners
        owners=$(jq -r "$JQ_LS"' [ls[].owners[].pid] | sort | map(tostring) | join(" ")' <<<"$D_JSON")
        assert_eq "$(printf '%s\n' "$first" "$LISTEN_PID" | sort | tr '\n' ' ' | sed 's/ $//')" "$owners" "owners of the two sockets"
}

test_unused_port() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT sa who 4444
        assert_eq 1 "$OUT_rc" "daemon: who 4444 exit code"
        run_cap OUT sa who 4444 --json
        assert_eq 1 "$OUT_rc" "daemon: who 4444 --json exit code"
        if [ -n "$OUT" ]; then
                assert_json "$OUT" "$JQ_LS"' ls | length == 0' "who 4444 --json lists nothing"
        fi
        run_cap OUT sa_direct who 4444
        assert_eq 1 "$OUT_rc" "--direct: who 4444 exit code"
        run_cap OUT sa_direct who 4444 --json
        assert_eq 1 "$OUT_rc" "--direct: who 4444 --json exit code"
        # UDP asked, only TCP there.
        run_cap OUT sa who 443 --udp
        assert_eq 1 "$OUT_rc" "daemon: who 443 --udp with only TCP on 443"
}

test_usage_errors() {
        local a
        for a in "who" "who abc" "who 0" "who 65536" "who 443 --bogus" "frobnicate"; do
                # shellcheck disable=SC2086
                run_cap OUT sa_direct $a
                assert_eq 2 "$OUT_rc" "sockaudit $a --direct: usage error exit code"
        done
}

# A socket no process holds (in flight in an SCM_RIGHTS message): still
# listed, owner unknown.
test_unknown_owner() {
        need_cmd jq ss
        start_listen --orphan --tcp 0.0.0.0 443
        start_daemon
        [ -z "$(ss_tuples "sport = :443")" ] || fail "ss still sees a holder of the orphaned socket"
        [ -n "$(in_ns ss -Hlnt 'sport = :443')" ] || fail "ss does not see the orphaned socket"
        query_both 443
        one_listener tcp 0.0.0.0
        assert_json "$L" '.owner_status == "unknown" and (.owners | length == 0)' "orphaned socket record"
        L=$(listener_json "$X_JSON" tcp 0.0.0.0 443)
        assert_json "$L" '.owner_status == "unknown" and (.owners | length == 0)' "orphaned socket record (--direct)"
        run_cap OUT sa who 443
        assert_eq 0 "$OUT_rc" "who 443 (table) exit code with an ownerless listener"
        assert_contains "$OUT" "?" "table row of an ownerless listener"
}

# 1500 listeners held by two processes: `list` (a reply far over a socket
# buffer) agrees with ss, through the daemon and --direct.
test_many_listeners() {
        need_cmd jq ss
        start_listen --children 1 --tcp-range 0.0.0.0 20000 21499 --tcp 0.0.0.0 443
        start_daemon
        refresh
        local ss_set
        ss_set=$(ss_tuples)
        assert_eq 3002 "$(grep -c . <<<"$ss_set")" "ss tuples (test setup)"
        run_cap OUT sa list --json
        assert_eq 0 "$OUT_rc" "daemon: list --json exit code"
        assert_same_set ss "$ss_set" daemon "$(sa_tuples "$OUT")" "list of 1501 listeners"
        run_cap OUT sa_direct list --json
        assert_eq 0 "$OUT_rc" "--direct: list --json exit code"
        assert_same_set ss "$ss_set" direct "$(sa_tuples "$OUT")" "list --direct of 1501 listeners"
        run_cap OUT sa who 21499 --json
        assert_eq 0 "$OUT_rc" "daemon: who 21499 exit code"
        assert_same_set ss "$(grep ' 21499 ' <<<"$ss_set")" daemon "$(sa_tuples "$OUT")" "who 21499"
        run_cap OUT sa list
        assert_eq 3002 "$(grep -c "0.0.0.0:" <<<"$OUT")" "daemon: list table rows"
}

# Namespaces=all (the default): a listener in another network namespace is
# found, with that namespace's inode, its holders as ss sees them there.
test_other_namespace() {
        need_cmd jq ss
        local nsb=$SA_IT_NS-b saved=("${NSX[@]}") ino_b want got
        add_netns "$nsb"
        ino_b=$(ns_inode "$nsb")
        NSX=(nsenter "--net=/run/netns/$nsb" --)
        start_listen --children 1 --tcp 0.0.0.0 443 --v6only 1 --udp :: 443
        want=$(ss_tuples "sport = :443")
        NSX=("${saved[@]}")
        [ -n "$want" ] || fail "ss sees nothing in $nsb (test setup)"
        start_listen --tcp 127.0.0.1 443
        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code"
        got=$(SA_IT_NS=$nsb sa_tuples "$OUT" 443)
        assert_same_set "ss in $nsb" "$want" daemon "$got" "who 443 in the other namespace (netns $ino_b)"
        assert_json "$OUT" "$JQ_LS"" [ls[] | select(.netns == $ino_b) | .netns_name] | all(. == null or . == \"$nsb\")" \
                "netns_name of the other namespace"
        got=$(sa_tuples "$OUT" 443)
        assert_same_set ss "$(ss_tuples "sport = :443")" daemon "$got" "who 443 in the daemon's own namespace"
}
