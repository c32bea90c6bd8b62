# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Issue 17: Namespace= scopes a [Port] section; AllowUser= matches by uid;
# what loads but names nothing (unknown users, missing executables) is a
# warning in the daemon's log, at start and on reload. The daemon here has
# Namespaces=all: only the namespaces this test creates are asserted on.

# check_json: `sockaudit check --json` in CHECK (exit code in CHECK_rc).
check_json() {
        run_cap CHECK sa check --json
        [ "$CHECK_rc" == 0 ] || [ "$CHECK_rc" == 1 ] || fail "sockaudit check --json: exit $CHECK_rc: $CHECK_err"
}

# violations_in NS: the reasons of the violations on 8443/tcp in namespace NS, sorted, one a line.
violations_in() {
        jq -r --arg ns "$1" '[.violations[] | select(.listener.port == 8443 and .listener.netns_name == $ns)
                | .reason | sub("\\[[0-9]+\\]"; "[PID]")] | sort | .[]' <<<"$CHECK"
}

# warnings_ge N: the daemon log has at least N load warnings about $CONF.
warnings_ge() { [ "$(grep -c "$CONF: \[Port" "$SA_IT_DIR/daemon.log")" -ge "$1" ]; }

# in_other_ns NS CMD...: CMD (a test helper starting processes) with NSX pointing at NS.
in_other_ns() {
        local saved=("${NSX[@]}")
        NSX=(nsenter "--net=/run/netns/$1" --)
        "${@:2}"
        NSX=("${saved[@]}")
}

test_namespace_scopes_a_section() {
        need_cmd jq
        local nsb=$SA_IT_NS-b listen_exe got
        listen_exe=$(readlink -f "$SA_LISTEN")
        add_netns "$nsb"
        start_listen --tcp 0.0.0.0 8443
        in_other_ns "$nsb" start_listen --tcp 0.0.0.0 8443

        # Scoped to this test's namespace: the same program on the same port
        # elsewhere is not judged by the section.
        SA_IT_NAMESPACES=all write_config 'Ports=443' '[Port 8443/tcp]' "Namespace=$SA_IT_NS" 'AllowExe=/usr/sbin/nginx'
        start_daemon
        refresh
        check_json
        got=$(violations_in "$SA_IT_NS")
        assert_eq "owner sa-listen[PID] not allowed: exe $listen_exe is not in AllowExe" "$got" \
                "the section applies in $SA_IT_NS"
        assert_eq "" "$(violations_in "$nsb")" "the section does not apply in $nsb"

        # A pattern naming both; then no Namespace= at all: everywhere.
        stop_daemon
        SA_IT_NAMESPACES=all write_config 'Ports=443' '[Port 8443/tcp]' "Namespace=host $SA_IT_NS-*" 'AllowExe=/usr/sbin/nginx'
        start_daemon
        refresh
        check_json
        assert_eq "" "$(violations_in "$SA_IT_NS")" "Namespace=$SA_IT_NS-*: not $SA_IT_NS"
        assert_eq "owner sa-listen[PID] not allowed: exe $listen_exe is not in AllowExe" "$(violations_in "$nsb")" \
                "Namespace=$SA_IT_NS-*: $nsb"
        stop_daemon
        SA_IT_NAMESPACES=all write_config 'Ports=443' '[Port 8443/tcp]' 'AllowExe=/usr/sbin/nginx'
        start_daemon
        refresh
        check_json
        assert_eq 1 "$(violations_in "$SA_IT_NS" | wc -l)" "no Namespace=: $SA_IT_NS"
        assert_eq 1 "$(violations_in "$nsb" | wc -l)" "no Namespace=: $nsb"
}

test_allow_user_by_uid_and_load_warnings() {
        need_cmd jq
        getent passwd www-data > /dev/null || skip "no user www-data"
        local uid=4242 got log
        getent passwd "$uid" > /dev/null && skip "uid $uid has a name here"
        start_listen --user www-data --tcp 0.0.0.0 8443
        start_listen --user "$uid" --tcp 0.0.0.0 8444
        start_listen --tcp 0.0.0.0 8445
        write_config 'Ports=443' \
                '[Port 8443/tcp]' 'AllowUser=www-data sa-no-such-user' 'AllowExe=/nonexistent/sa-no-such-exe' \
                '[Port 8444/tcp]' 'AllowUser=www-data' \
                '[Port 8445/tcp]' 'AllowUser=root'
        start_daemon
        refresh
        check_json
        assert_eq 1 "$CHECK_rc" "check: exit 1 with a violation"
        got=$(jq -r '[.violations[] | select(.listener.netns_name == "'"$SA_IT_NS"'") | "\(.listener.port) \(.reason | sub("\\[[0-9]+\\]"; "[PID]"))"] | sort | .[]' <<<"$CHECK")
        # 8443: www-data by uid (the AllowExe= path that does not exist
        # still refuses sa-listen); 8444: a uid with no name is refused;
        # 8445: root.
        assert_eq "8443 owner sa-listen[PID] not allowed: exe $(readlink -f "$SA_LISTEN") is not in AllowExe
8444 owner sa-listen[PID] not allowed: user $uid (uid $uid) is not in AllowUser" "$got" "violations by uid"

        log=$(cat "$SA_IT_DIR/daemon.log")
        assert_contains "$log" "$CONF: [Port 8443/tcp] AllowUser=: no user \"sa-no-such-user\" on this host" \
                "an unknown user is a load warning"
        assert_contains "$log" "$CONF: [Port 8443/tcp] AllowExe=: /nonexistent/sa-no-such-exe: No such file or directory" \
                "a missing executable is a load warning"
        assert_eq 2 "$(grep -c "$CONF: \[Port" <<<"$log")" "two warnings at start"
        # Reload: the file still loads, and the warnings are logged again.
        kill -HUP "$DAEMON_PID"
        wait_for 5 "the reload's warnings" warnings_ge 4
        assert_contains "$(cat "$SA_IT_DIR/daemon.log")" "Reloaded the configuration" "the reload succeeded"
        alive "$DAEMON_PID" || fail "the daemon died on reload"
}
