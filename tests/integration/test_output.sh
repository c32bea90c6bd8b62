# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Human output (tables) and the other read verbs: list, status.

# rows_443 TEXT: the table rows that show port 443.
# Rows of other network namespaces (--direct scans them all) say "netns" in NOTE.
rows_443() { grep -E '(^|[^0-9])443([^0-9]|$)' <<<"$1" | grep -vE '^[[:space:]]*(PROTO|Proto|proto|NETID|Netid)' | grep -v 'netns '; }

# Every holder gets a row, in both protocols, from the daemon and --direct.
test_table_rows() {
        need_cmd jq
        start_listen --children 2 --tcp 0.0.0.0 443 --udp 0.0.0.0 443
        start_daemon
        refresh
        local how p rows
        for how in sa sa_direct; do
                run_cap OUT $how who 443
                assert_eq 0 "$OUT_rc" "$how who 443 exit code"
                rows=$(rows_443 "$OUT")
                assert_eq 6 "$(grep -c . <<<"$rows")" "$how: rows for 3 holders x 2 sockets"
                for p in $LISTEN_PIDS; do
                        assert_eq 2 "$(grep -cw "$p" <<<"$rows")" "$how: rows showing pid $p"
                done
                assert_eq 3 "$(grep -ciw tcp <<<"$rows")" "$how: tcp rows"
                assert_eq 3 "$(grep -ciw udp <<<"$rows")" "$how: udp rows"
                assert_contains "$rows" "0.0.0.0:443" "$how: local address column"
                assert_contains "$rows" "root" "$how: user column"
                assert_contains "$rows" "sa-listen" "$how: command column"
        done
}

# A process name with a newline and an escape sequence stays inside its
# row, escaped; JSON carries it exactly.
test_hostile_comm() {
        need_cmd jq
        local comm=$'evil\nname\e[2J' how rows
        start_listen --children 1 --comm "$comm" --tcp 0.0.0.0 443
        start_daemon
        refresh
        for how in sa sa_direct; do
                run_cap OUT $how who 443
                assert_eq 0 "$OUT_rc" "$how who 443 exit code"
                assert_not_contains "$OUT" $'\e' "$how: raw ESC in the table"
                rows=$(rows_443 "$OUT")
                assert_eq 2 "$(grep -c . <<<"$rows")" "$how: one row per holder (a raw newline splits rows)"
                assert_eq 2 "$(grep -c 'evil' <<<"$rows")" "$how: comm in each row"
                grep -q '^name' <<<"$OUT" && fail "$how: a row begins with the second half of the comm"
                assert_contains "$rows" 'evil\nname' "$how: escaped newline"
                run_cap OUT $how who 443 --json
                assert_json "$OUT" "$JQ_LS"' [ls[] | select(.netns == '"$(ns_inode)"') | .owners[].comm] | unique == ["evil\nname\u001b[2J"]' \
                        "$how: JSON comm"
        done
        run_cap OUT sa list
        assert_not_contains "$OUT" $'\e' "list: raw ESC in the table"
        grep -q '^name' <<<"$OUT" && fail "list: a row begins with the second half of the comm"
        return 0
}

test_list() {
        need_cmd jq ss
        start_listen --tcp 0.0.0.0 443 --udp :: 443
        start_daemon
        refresh
        local ss_set
        ss_set=$(ss_tuples "sport = :443")
        run_cap OUT sa list --json
        assert_eq 0 "$OUT_rc" "list --json exit code"
        assert_same_set ss "$ss_set" "daemon list" "$(sa_tuples "$OUT" 443)" "list"
        run_cap OUT sa list --port 443 --json
        assert_eq 0 "$OUT_rc" "list --port 443 --json exit code"
        assert_same_set ss "$ss_set" "daemon list --port" "$(sa_tuples "$OUT" 443)" "list --port 443"
        assert_json "$OUT" "$JQ_LS"' all(ls[]; .port == 443)' "list --port 443 only lists 443"
        run_cap OUT sa list --port 443 --udp --json
        assert_same_set ss "$(grep '^udp ' <<<"$ss_set")" "daemon list --udp" "$(sa_tuples "$OUT" 443)" "list --port 443 --udp"
        run_cap OUT sa_direct list --json
        assert_eq 0 "$OUT_rc" "list --direct exit code"
        assert_same_set ss "$ss_set" "direct list" "$(sa_tuples "$OUT" 443)" "list --direct"
        run_cap OUT sa list
        assert_eq 0 "$OUT_rc" "list (table) exit code"
        assert_eq 2 "$(rows_443 "$OUT" | grep -c "$LISTEN_PID")" "list table rows for the holder"
}

test_status() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT sa status --json
        assert_eq 0 "$OUT_rc" "status --json exit code"
        local st
        st=$(jq -c '.status // .' <<<"$OUT")
        assert_json "$st" ".pid == $DAEMON_PID" "status pid"
        assert_json "$st" '.version == "0.1.0"' "status version"
        assert_eq "$SOCK" "$(jq -r .socket <<<"$st")" "status socket"
        assert_json "$st" '.socket_activated == false' "status socket_activated"
        assert_json "$st" '.scans >= 1 and (.last_scan.listeners | type) == "number"
                and (.last_scan.duration_ms | type) == "number" and (.uptime_sec | type) == "number"' \
                "status scan figures"
        assert_json "$st" '.clients.max == 4096 and .clients.max_per_user == 1024 and .clients.connected >= 1' "status clients"
        run_cap OUT sa status
        assert_eq 0 "$OUT_rc" "status (text) exit code"
        assert_contains "$OUT" "$DAEMON_PID" "status text shows the pid"
}

# `list --json` and `who --json` from the daemon pass its reply through
# (no --netns, not a terminal): byte for byte what the parsing path prints
# (--netns naming this namespace, the only one the daemon scans, filters
# nothing out), hostile text included; who's exit code for nothing.
test_json_passthrough() {
        need_cmd jq
        start_listen --children 1 --comm $'evil\nname\e[2J"\\' --tcp 0.0.0.0 443 --udp :: 443
        start_listen --comm $'caf\xc3\xa9 \xe2\x80\xa8\xff' --tcp 127.0.0.1 8443
        start_daemon
        refresh
        local args parsed
        for args in "list" "who 443" "who 443 --udp" "list --tcp"; do
                # shellcheck disable=SC2086  # args are words
                run_cap OUT sa $args --json
                assert_eq 0 "$OUT_rc" "$args --json: exit code"
                # shellcheck disable=SC2086
                run_cap parsed sa $args --json --netns "$SA_IT_NS"
                assert_eq 0 "$parsed_rc" "$args --json --netns: exit code"
                assert_json "$OUT" '(.listeners | length) > 0 and has("ok") == false' "$args --json: listeners, no ok"
                [ "$OUT" == "$parsed" ] || fail "$args --json passed through differs from the parsed output:
$(diff <(echo "$OUT") <(echo "$parsed") | head -c 600)"
        done
        run_cap OUT sa who 4444 --json
        assert_eq 1 "$OUT_rc" "who 4444 --json (nothing listens): exit code"
        assert_json "$OUT" '.listeners == [] and .port == 4444' "who 4444 --json: empty listeners"
}
