# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Hostile local users (docs/SECURITY.md): what an unprivileged user can do
# to a process of their own must not silence, blind or flood the daemon.

# A violator whose comm and exe path are not valid UTF-8 (any user can set
# both) is reported like any other, and does not stop the report of a real
# violator that comes after it: not in check, not to watchers, not in the
# baseline.
test_hostile_names_no_evasion() {
        need_cmd jq
        local real odd=$SA_IT_DIR/$'rogue\xff\xfe' rogue=$SA_IT_DIR/rogue-listen hostile bad n
        real=$(readlink -f "$SA_LISTEN")
        cp "$SA_LISTEN" "$odd" || fail "cp"
        cp "$SA_LISTEN" "$rogue" || fail "cp"
        # Ports above 1024 and --bind-as-user: nobody from the first moment on, as
        # the attacker would be (bound as root, then dropped, the owner changes).
        write_config 'Ports=4443 8443' '[Port 4443/tcp]' "AllowExe=$real" '[Port 8443/tcp]' "AllowExe=$real"
        start_daemon_mon
        start_watch --json
        SA_LISTEN=$odd start_listen --user nobody --bind-as-user --comm $'\xff\xfe' --tcp 0.0.0.0 4443
        hostile=$LISTEN_PID
        refresh
        wait_until 5 lines_ge "$WATCH_OUT" 2 || fail "watch: no events for the hostile violator: $(cat "$WATCH_OUT")"
        SA_LISTEN=$rogue start_listen --user nobody --bind-as-user --tcp 0.0.0.0 8443
        bad=$LISTEN_PID
        refresh
        wait_until 5 lines_ge "$WATCH_OUT" 4 || fail "watch: the violator after the hostile one raised no events: $(cat "$WATCH_OUT")"

        run_cap OUT sa check --json
        assert_eq 1 "$OUT_rc" "check --json with two violators ($OUT_err)"
        assert_json "$OUT" ".violations | length == 2" "check --json: both violations"
        assert_json "$OUT" "[.violations[] | select(.listener.port == 4443 and [.listener.owners[].pid] == [$hostile]
                and (.reason | contains(\"AllowExe\")))] | length == 1" "the hostile violator, reason naming AllowExe"
        assert_json "$OUT" "[.violations[] | select(.listener.port == 8443 and [.listener.owners[].pid] == [$bad]
                and (.reason | contains(\"$rogue\")))] | length == 1" "the violator after it"
        run_cap OUT sa check
        assert_eq 1 "$OUT_rc" "check (text) with two violators ($OUT_err)"
        assert_eq 2 "$(grep -c . <<<"$OUT")" "check: one line per violation"
        assert_eq 2 "$(mon_get .monitor.events.policy_violation)" "policy_violation events"
        assert_eq 2 "$(mon_get .monitor.active_violations)" "status active_violations"
        n=$(jq -c 'select(.event == "policy_violation") | .listener.port' "$WATCH_OUT" | sort | tr '\n' ' ')
        assert_eq "4443 8443 " "$n" "watch: a policy_violation event for each violator"
        # The baseline holds both, as valid JSON, and a restart raises neither again.
        stop_daemon
        jq -e '.violations | length == 2' "$STATE_DIR/state.json" > /dev/null ||
                fail "baseline: not two violations: $(head -c 400 "$STATE_DIR/state.json")"
        start_daemon_mon
        assert_eq 0 "$(mon_get .monitor.events.policy_violation)" "policy_violation events after a restart"
        assert_eq 2 "$(mon_get .monitor.active_violations)" "active violations after a restart"
}
