# shellcheck shell=bash
# The baseline written by the saver's thread (daemon/saver.c): the loop
# keeps answering while saves run, and SIGTERM writes the last change.

# The listener ports in the saved baseline, sorted, one line.
saved_ports() {
        jq -r '[.listeners[].port] | sort | map(tostring) | join(" ")' "$STATE_DIR/state.json"
}

# Listeners opened and closed one after another, each change saved (a
# refresh rescans, the change is saved at once or within 2 s), `status`
# asked between every step: every answer comes, and counts the saves; at
# SIGTERM, the change made just before (held back by the 2 s spacing) is
# written, and the file names exactly the ports still listening.
test_saver_status_during_saves() {
        need_cmd jq
        local i pids=() saves errors
        write_config 'Ports=all'
        mkdir -p "$STATE_DIR"
        start_daemon_state
        for ((i = 0; i < 12; i++)); do
                start_listen --tcp 127.0.0.1 $((31000 + i))
                pids+=("$LISTEN_PID")
                if ((i % 3 == 2)); then
                        stop_listen "${pids[$((i - 1))]}"
                fi
                refresh
                status_json
                [ -n "$STATUS" ] || fail "no status answer at step $i"
                saves=$(jq -r '.monitor.state.saves' <<<"$STATUS")
                note "step $i: saves $saves, pending $(jq -r '.monitor.state.pending' <<<"$STATUS")"
        done
        wait_for 5 "the first save told back" mon_at_least .monitor.state.saves 1
        errors=$(mon_get .monitor.state.errors)
        assert_eq 0 "$errors" "state.errors"
        # The last change, at once before SIGTERM: written by the shutdown.
        start_listen --tcp 127.0.0.1 31999
        refresh
        stop_daemon
        assert_eq 0 "$DAEMON_RC" "daemon exit code"
        assert_eq "31000 31002 31003 31005 31006 31008 31009 31011 31999" "$(saved_ports)" \
                "the ports in state.json after SIGTERM"
        grep -q "Cannot save the baseline" "$SA_IT_DIR/daemon.log" && fail "a save failed"
        return 0
}

# The writer threads (journal, baseline saver) start after the daemon
# dropped its capabilities: capabilities are per thread, and one created
# before the drop would keep them all. After an event (journal) and a
# save, every thread has the main thread's effective set.
test_saver_threads_no_more_capabilities() {
        local main t n=0
        write_config 'Ports=all'
        mkdir -p "$STATE_DIR"
        start_daemon_state
        start_listen --tcp 127.0.0.1 31500
        refresh
        wait_for 5 "a save told back" mon_at_least .monitor.state.saves 1
        # listener_added waits (2 s at most) for its owners' package verdicts.
        wait_for 10 "a journal entry written" \
                mon_at_least '(.monitor.journal.sent + .monitor.journal.stderr + .monitor.journal.failed)' 1
        main=$(awk '/^CapEff/ { print $2 }' "/proc/$DAEMON_PID/status")
        for t in /proc/"$DAEMON_PID"/task/*; do
                n=$((n + 1))
                note "thread ${t##*/}: $(awk '/^CapEff/ { print $2 }' "$t/status")"
                assert_eq "$main" "$(awk '/^CapEff/ { print $2 }' "$t/status")" "CapEff of thread ${t##*/}"
        done
        [ "$n" -ge 3 ] || fail "expected the main thread, the journal's and the saver's: $n threads"
}
