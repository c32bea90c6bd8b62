# shellcheck shell=bash
# A fleet's tools on sockaudit's output (docs/FLEET.md): the daemon's
# journal entries carried by Debian's systemd-journal-upload to a
# systemd-journal-remote on loopback, field for field; the Prometheus alert
# rules (contrib/prometheus/) checked and unit-tested by Debian's promtool.

FLEET_MID_VIOLATION=8aabb5f5dc6b450db79ed1fe4a2edec8
FLEET_REMOTE=/lib/systemd/systemd-journal-remote
FLEET_UPLOAD=/lib/systemd/systemd-journal-upload
FLEET_PORT=19532
FLEET_RULES=$ROOT/contrib/prometheus/sockaudit.rules.yml
FLEET_RULES_TEST=$ROOT/contrib/prometheus/sockaudit.rules.test.yml

# fleet_need_remote: skips unless Debian's systemd-journal-remote is here.
fleet_need_remote() {
        if [ ! -x "$FLEET_REMOTE" ] || [ ! -x "$FLEET_UPLOAD" ]; then
                skip "systemd-journal-remote and -upload missing (Debian package systemd-journal-remote; make deps)"
        fi
}

# fleet_remote_ready: the receiver listens on 127.0.0.1:$FLEET_PORT in the
# test's namespace; fails the test if it exited.
fleet_remote_ready() {
        alive "$REMOTE_PID" || fail "systemd-journal-remote exited: $(tail -n 3 "$SA_IT_DIR/remote.log" | tr '\n' ' ')"
        in_ns ss -Htln "sport = :$FLEET_PORT" 2> /dev/null | grep -q .
}

# start_fleet_remote: systemd-journal-remote on http://127.0.0.1:$FLEET_PORT
# in the test's network namespace, writing what it receives to one file,
# $REMOTE_FILE. Sets REMOTE_PID.
start_fleet_remote() {
        mkdir -p "$SA_IT_DIR/remote"
        REMOTE_FILE=$SA_IT_DIR/remote/fleet.journal
        "${NSX[@]}" "$FLEET_REMOTE" --listen-http="127.0.0.1:$FLEET_PORT" \
                --output="$REMOTE_FILE" --split-mode=none < /dev/null > "$SA_IT_DIR/remote.log" 2>&1 &
        REMOTE_PID=$!
        track_pid "$REMOTE_PID"
        wait_for 5 "systemd-journal-remote on 127.0.0.1:$FLEET_PORT" fleet_remote_ready
}

# remote_json [MATCHES...]: the received journal's entries, one JSON object per line.
remote_json() {
        [ -s "$REMOTE_FILE" ] || return 0
        _sa_bounded "$CMD_TIMEOUT" "journalctl --file" journalctl --file="$REMOTE_FILE" -o json --no-pager "$@" 2> /dev/null
}

# _remote_has MATCH...: one entry in the received journal has the matches; sets RECEIVED.
_remote_has() {
        RECEIVED=$(remote_json "$@")
        [ "$(grep -c . <<<"$RECEIVED")" -ge 1 ]
}

# fleet_fields ENTRY: the entry's fields, those that travel with it: every
# field but the journal file's own (__CURSOR, __SEQNUM, __SEQNUM_ID, which
# each file numbers anew), sorted keys.
fleet_fields() {
        jq -cS 'with_entries(select(.key | IN("__CURSOR", "__SEQNUM", "__SEQNUM_ID") | not))' <<<"$1"
}

# The daemon raises a policy violation into a private journald; Debian's
# systemd-journal-upload reads that journal's directory and sends it to a
# systemd-journal-remote on loopback; the received journal holds the entry
# (found by its MESSAGE_ID and SOCKAUDIT_* matches, as docs/FLEET.md shows)
# with every field of the original, each with the same value(s).
test_fleet_journal_upload() {
        fleet_need_remote
        need_cmd jq journalctl ss
        local real rogue=$SA_IT_DIR/rogue-listen original got want bad upload_rc
        real=$(readlink -f "$SA_LISTEN")
        start_journald
        write_config 'Ports=443' '[Port 443/tcp]' "AllowExe=$real"
        start_daemon_journal
        cp "$SA_LISTEN" "$rogue" || fail "cp sa-listen $rogue"
        SA_LISTEN=$rogue start_listen --tcp 0.0.0.0 443
        bad=$LISTEN_PID
        refresh
        wait_journal 1 ".SOCKAUDIT_EVENT == \"policy_violation\" and jv(.SOCKAUDIT_PID) == [\"$bad\"]" ||
                fail "$WAITED (the rogue $bad)"
        original=$(journal_select "$JOURNAL" ".SOCKAUDIT_EVENT == \"policy_violation\"")
        [ "$(grep -c . <<<"$original")" -eq 1 ] || fail "$(grep -c . <<<"$original") policy_violation entries, expected 1"
        assert_json "$original" ".MESSAGE_ID == \"$FLEET_MID_VIOLATION\" and .SOCKAUDIT_VIOLATION != null" \
                "the original violation entry"

        start_fleet_remote
        # The sender reads the private journal (its mount namespace) and
        # reaches the receiver on the test's loopback; --follow=no: it ends
        # once everything is sent.
        _sa_bounded "$CMD_TIMEOUT" "systemd-journal-upload" "${MNTX[@]}" "${NSX[@]}" \
                "$FLEET_UPLOAD" --url="http://127.0.0.1:$FLEET_PORT" --directory=/run/log/journal \
                --follow=no < /dev/null > "$SA_IT_DIR/upload.log" 2>&1
        upload_rc=$?
        [ "$upload_rc" -eq 0 ] || fail "systemd-journal-upload exited $upload_rc: $(tail -n 3 "$SA_IT_DIR/upload.log" | tr '\n' ' ')"

        wait_until -w "the violation in the received journal" 5 _remote_has \
                "MESSAGE_ID=$FLEET_MID_VIOLATION" SOCKAUDIT_EVENT=policy_violation SOCKAUDIT_PORT=443 ||
                fail "$WAITED: $(remote_json | jq -r .MESSAGE 2> /dev/null | head -n 5 | tr '\n' '|')"
        [ "$(grep -c . <<<"$RECEIVED")" -eq 1 ] || fail "$(grep -c . <<<"$RECEIVED") violation entries received, expected 1"
        want=$(fleet_fields "$original")
        got=$(fleet_fields "$RECEIVED")
        if [ "$want" != "$got" ]; then
                diff <(jq -S . <<<"$want") <(jq -S . <<<"$got") >&2
                fail "the received entry differs from the original (diff in log)"
        fi
        note "received field for field: $(jq -r 'keys | map(select(startswith("SOCKAUDIT_"))) | join(" ")' <<<"$want")"
        assert_json "$got" "(keys | map(select(startswith(\"SOCKAUDIT_\"))) | length) >= 10" \
                "the received entry's SOCKAUDIT_* fields"
        # FLEET.md's match for the package checks' and every sockauditd entry.
        _remote_has SYSLOG_IDENTIFIER=sockauditd || fail "no SYSLOG_IDENTIFIER=sockauditd entry received"
        assert_contains "$(jq -r .SOCKAUDIT_EVENT <<<"$RECEIVED" | sort -u | paste -sd' ')" listener_added \
                "the received sockauditd entries"
}

# The alert rules: promtool accepts the file, and its unit tests (series in,
# alerts out: a new listener, a violation, an expiring certificate, a stale
# scan, journal drops, each firing when it should and not before) pass.
test_fleet_alert_rules() {
        need_cmd promtool
        local out
        [ -f "$FLEET_RULES" ] || fail "$FLEET_RULES missing"
        out=$(promtool check rules "$FLEET_RULES" 2>&1) || fail "promtool check rules: $out"
        note "$(tail -n 1 <<<"$out")"
        out=$(cd "${FLEET_RULES_TEST%/*}" && promtool test rules "${FLEET_RULES_TEST##*/}" 2>&1) ||
                fail "promtool test rules: $out"
        note "promtool test rules: $(tail -n 1 <<<"$out")"
}

# docs/FLEET.md's table of matches names every MESSAGE_ID the daemon sends
# (daemon/event.h) and a SOCKAUDIT_EVENT= match for every event type
# (daemon/event.c), and no MESSAGE_ID the daemon does not send.
test_fleet_doc_matches() {
        local doc=$ROOT/docs/FLEET.md code types documented id t missing=
        [ -f "$doc" ] || fail "$doc missing"
        code=$(sed -nE 's/^#define SA_MESSAGE_ID_[A-Z_]+ +"([0-9a-f]{32})"$/\1/p' "$ROOT/daemon/event.h" | sort -u)
        types=$(sed -nE 's/^ *\[EVENT_[A-Z_]+\] = \{ "([a-z_]+)", SA_MESSAGE_ID_[A-Z_]+ \},$/\1/p' "$ROOT/daemon/event.c")
        [ "$(grep -c . <<<"$code")" -ge 6 ] || fail "daemon/event.h: fewer than 6 MESSAGE_IDs found"
        [ "$(grep -c . <<<"$types")" -ge 6 ] || fail "daemon/event.c: fewer than 6 event types found"
        documented=$(grep -oE 'MESSAGE_ID=[0-9a-f]{32}' "$doc" | cut -d= -f2 | sort -u)
        for id in $code; do
                grep -qx "$id" <<<"$documented" || missing+=" MESSAGE_ID=$id"
        done
        for t in $types; do
                grep -qF "\`SOCKAUDIT_EVENT=$t\`" "$doc" || missing+=" SOCKAUDIT_EVENT=$t"
        done
        [ -z "$missing" ] || fail "docs/FLEET.md lacks the matches:$missing"
        for id in $documented; do
                grep -qx "$id" <<<"$code" || fail "docs/FLEET.md names MESSAGE_ID=$id, which daemon/event.h does not send"
        done
        note "$(grep -c . <<<"$code") MESSAGE_IDs and $(grep -c . <<<"$types") event types in docs/FLEET.md"
}
