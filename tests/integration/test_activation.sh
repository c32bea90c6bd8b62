# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Socket activation in the data: a supervisor that holds a listener together
# with the different program it started is marked "activator". (systemd as
# the activator, with its .socket unit named, is booted for real in
# tests/systemd/; unit-file matching is unit-tested in check_activation.c.)

test_supervisor_marked_activator() {
        need_cmd jq
        local sleep_exe
        sleep_exe=$(readlink -f /bin/sleep)
        start_listen --children 1 --exec-child "$sleep_exe" --tcp 0.0.0.0 8443
        local parent=$LISTEN_PID child=${LISTEN_PIDS#* }
        # The child has exec'd once /proc/CHILD/exe is sleep.
        wait_for 5 "the child $child to exec $sleep_exe" eval '[ "$(readlink "/proc/$child/exe")" = "$sleep_exe" ]'
        start_daemon
        refresh
        local how
        for how in sa sa_direct; do
                run_cap OUT $how who 8443 --json
                assert_eq 0 "$OUT_rc" "$how who 8443"
                assert_json "$OUT" "[.listeners[].owners[] | select(.pid == $parent) | .role] == [\"activator\"]" \
                        "$how: the supervisor is the activator"
                assert_json "$OUT" "[.listeners[].owners[] | select(.pid == $child) | .role, .exe] == [\"service\", \"$sleep_exe\"]" \
                        "$how: the program it started is the service"
        done
        run_cap OUT sa who 8443
        assert_contains "$OUT" "activator" "table notes the activator"
}

test_workers_have_no_role() {
        need_cmd jq
        start_listen --children 2 --tcp 0.0.0.0 443
        start_daemon
        refresh
        run_cap OUT sa who 443 --json
        assert_json "$OUT" '[.listeners[].owners[].role] | all(. == null)' "no roles among workers of one program"
}

# Issue 17: a process that leaked its listening fd to a child running
# another program (no LISTEN_FDS/LISTEN_PID in the child's environment) is
# not an activator, nor the child a service.
test_leaked_fd_is_no_activation() {
        need_cmd jq
        local sleep_exe
        sleep_exe=$(readlink -f /bin/sleep)
        start_listen --children 1 --leak-child "$sleep_exe" --tcp 0.0.0.0 8443
        local parent=$LISTEN_PID child=${LISTEN_PIDS#* }
        wait_for 5 "the child $child to exec $sleep_exe" eval '[ "$(readlink "/proc/$child/exe")" = "$sleep_exe" ]'
        ! grep -qz '^LISTEN_FDS=' "/proc/$child/environ" || fail "the leaked-to child has LISTEN_FDS"
        start_daemon
        refresh
        local how
        for how in sa sa_direct; do
                run_cap OUT $how who 8443 --json
                assert_eq 0 "$OUT_rc" "$how who 8443"
                # Only this test's namespace: --direct sees every namespace's 8443.
                OUT=$(jq -c --arg ns "$SA_IT_NS" '.listeners |= map(select(.netns_name == $ns))' <<<"$OUT")
                assert_json "$OUT" "[.listeners[].owners[] | .pid] | sort == ([$parent, $child] | sort)" \
                        "$how: both hold it"
                assert_json "$OUT" '[.listeners[].owners[].role] | all(. == null)' \
                        "$how: no activator, no service"
        done
        run_cap OUT sa who 8443
        assert_not_contains "$OUT" "activator" "table notes no activator"
}
