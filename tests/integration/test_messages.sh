# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Every message says where (issue 17): the journal's MESSAGE, `watch` and
# `check` name the namespace when it is not the host's and bracket IPv6;
# one entry per program, not per pid; a uid without a name is its number
# in the journal, the table, explain and check alike. The daemon runs in
# the test's namespace (Namespaces=all) with a private journald; the
# listeners run as uid 4242 in a namespace this test creates, and only
# that namespace is looked at.

MSG_UID=4242

# msg_listen NS ARGS...: start_listen in namespace NS as uid MSG_UID.
msg_listen() {
        local saved=("${NSX[@]}")
        NSX=(nsenter "--net=/run/netns/$1" -- setpriv --reuid "$MSG_UID" --regid "$MSG_UID" --clear-groups --)
        shift
        start_listen "$@"
        NSX=("${saved[@]}")
}

test_messages_name_netns_and_uid() {
        need_cmd jq setpriv getent
        local w=$SA_IT_NS-web ino workers one times=$'\u00d7' out
        getent passwd "$MSG_UID" > /dev/null && skip "uid $MSG_UID has a name here"
        add_netns "$w"
        ino=$(ns_inode "$w")
        start_journald
        # Three holders of one program, all there before the first scan.
        msg_listen "$w" --children 2 --tcp :: 8443
        workers=$LISTEN_PIDS
        SA_IT_NAMESPACES=all write_config 'Ports=8443' '[Port 8443/tcp]' 'AllowUser=root'
        start_daemon_journal
        start_watch
        refresh

        # The journal: where (netns named, IPv6 bracketed), one program ×3, the uid as the user.
        wait_journal 1 "(.SOCKAUDIT_EVENT == \"listener_added\" and .SOCKAUDIT_NETNS == \"$ino\")" || fail "$WAITED"
        one=$(journal_select "$JOURNAL" ".SOCKAUDIT_EVENT == \"listener_added\" and .SOCKAUDIT_NETNS == \"$ino\"")
        assert_json "$one" ".MESSAGE == \"8443/tcp on [::] in netns $w opened by sa-listen ($MSG_UID) $times""3\"
                and .SOCKAUDIT_USER == \"$MSG_UID\"" "journal: listener_added MESSAGE and SOCKAUDIT_USER"
        wait_journal 1 "(.SOCKAUDIT_EVENT == \"policy_violation\" and .SOCKAUDIT_NETNS == \"$ino\")" || fail "$WAITED"
        assert_eq 1 "$(journal_select "$JOURNAL" ".SOCKAUDIT_EVENT == \"policy_violation\" and .SOCKAUDIT_NETNS == \"$ino\"" | grep -c .)" \
                "journal: one policy_violation for one program with 3 holders"
        one=$(journal_select "$JOURNAL" ".SOCKAUDIT_EVENT == \"policy_violation\" and .SOCKAUDIT_NETNS == \"$ino\"")
        assert_json "$one" "(.MESSAGE | startswith(\"8443/tcp on [::] in netns $w: policy violation: owner sa-listen[\"))
                and (.MESSAGE | endswith(\"not allowed: user $MSG_UID (uid $MSG_UID) is not in AllowUser\"))" \
                "journal: policy_violation MESSAGE"

        # watch: a listener opened now, one process.
        msg_listen "$w" --udp :: 8443
        refresh
        wait_for 5 "watch to show the UDP listener" grep -q "listener_added 8443/udp" "$WATCH_OUT"
        out=$(grep "listener_added 8443/udp" "$WATCH_OUT")
        assert_contains "$out" "listener_added 8443/udp on [::] in netns $w: sa-listen[$LISTEN_PID] ($MSG_UID)" \
                "watch: where and who"

        # check: one line per program, where and who as above.
        run_cap OUT sa check
        assert_eq 1 "$OUT_rc" "check exit code with a violation"
        out=$(grep -F " in netns $w:" <<<"$OUT")
        assert_eq 1 "$(grep -c . <<<"$out")" "check: one line for one program with 3 holders"
        assert_contains "$out" "violation 8443/tcp on [::] in netns $w: sa-listen ($MSG_UID) $times""3; owner sa-listen[" \
                "check: where, who, why"

        # The table's USER and explain's owners: the uid as its number, never "?".
        run_cap OUT sa who 8443
        out=$(grep -F "netns $w" <<<"$OUT" | grep "^tcp")
        assert_eq 3 "$(grep -c . <<<"$out")" "table: a row per holder in $w"
        for one in $workers; do
                assert_contains "$(grep -E "^tcp +\[::\]:8443 +$one " <<<"$out")" " $MSG_UID " "table: USER of $one"
        done
        run_cap OUT sa explain 8443
        out=$(awk -v n=" in netns $w: " 'BEGIN { RS = ""; ORS = "\n" } index($0, n) && /^tcp/ { print }' <<<"$OUT")
        for one in $workers; do
                assert_contains "$out" "sa-listen[$one] ($MSG_UID)" "explain: holder $one with its uid"
        done
        stop_watch
}
