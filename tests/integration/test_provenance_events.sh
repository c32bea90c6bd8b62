# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Issue 13, the events' side (docs/PROVENANCE.md): a new listener whose
# owner runs an image the daemon never hashed (a fresh copy of python3, so
# its cache misses and a job makes the verdict) has its listener_added in
# `watch --json` and its journal entry (a private journald) carry the
# verdict: the event waits for the job, at most 2 s.

# pick_python, start_py: test_provenance.sh's (sourcing only defines functions).
# shellcheck source=test_provenance.sh
. "$(dirname "${BASH_SOURCE[0]}")/test_provenance.sh"

# _added_on PORT: watch --json's listener_added of PORT/tcp, in ADDED.
_added_on() {
        ADDED=$(jq -c --argjson port "$1" 'select(.event == "listener_added" and .listener.port == $port)' \
                "$WATCH_OUT" 2>/dev/null | head -n 1)
        [ -n "$ADDED" ]
}

test_provenance_events_fresh_image() {
        need_cmd jq ss sha256sum
        pick_python
        local copy=$SA_IT_DIR/fresh-httpd sha entry t0 t1
        cp "$PY" "$copy" || fail "cp $PY"
        printf 'x' >> "$copy"     # an image of its own: hashed by the job, never inline
        sha=$(sha256sum < "$copy" | cut -d' ' -f1)
        start_journald
        write_config 'Ports=443'
        start_daemon_journal
        start_watch --json
        t0=$(date +%s%N)
        start_py "$copy" 443
        refresh
        wait_until 10 _added_on 443 || fail "no listener_added of 443 in watch: $(cat "$WATCH_OUT")"
        t1=$(date +%s%N)
        note "listener_added $(( (t1 - t0) / 1000000 )) ms after the server's start: $ADDED"
        assert_json "$ADDED" "(.listener.owners | length > 0) and all(.listener.owners[];
                .package.status == \"not_packaged\" and .exe_sha256 == \"$sha\")" \
                "listener_added carries the fresh image's verdict"
        wait_journal 1 '.SOCKAUDIT_EVENT == "listener_added"' 10 || fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_EVENT == "listener_added"' | head -n 1)
        assert_json "$entry" "$JQ_JV jv(.SOCKAUDIT_EXE_SHA256) == [\"$sha\"]
                and jv(.SOCKAUDIT_PACKAGE_STATUS) == [\"not_packaged\"]" \
                "the listener_added journal entry carries the verdict"
        status_json
        note "status.monitor.short_lived: $(jq -c .monitor.short_lived <<<"$STATUS")"
        assert_json "$STATUS" '.monitor.short_lived.verdict_waits >= 1 and .monitor.short_lived.verdicts_landed >= 1' \
                "the event waited for the job, which landed within the bound"
        assert_eq 1 "$(mon_get .monitor.events.listener_added)" "listener_added events (no second one when the verdict landed)"
}
