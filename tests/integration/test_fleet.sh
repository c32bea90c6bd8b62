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

# start_fleet_remote LISTEN_OPTION [ARGS...]: systemd-journal-remote
# (--listen-http= or --listen-https=, on 127.0.0.1:$FLEET_PORT) in the
# test's network namespace, writing what it receives to one file,
# $REMOTE_FILE. Sets REMOTE_PID.
start_fleet_remote() {
        mkdir -p "$SA_IT_DIR/remote"
        REMOTE_FILE=$SA_IT_DIR/remote/fleet.journal
        "${NSX[@]}" "$FLEET_REMOTE" "$1=127.0.0.1:$FLEET_PORT" "${@:2}" \
                --output="$REMOTE_FILE" --split-mode=none < /dev/null > "$SA_IT_DIR/remote.log" 2>&1 &
        REMOTE_PID=$!
        track_pid "$REMOTE_PID"
        wait_for 5 "systemd-journal-remote on 127.0.0.1:$FLEET_PORT" fleet_remote_ready
}

# fleet_upload URL [ARGS...]: Debian's systemd-journal-upload reads the
# private journal (its mount namespace) and posts it to URL on the test's
# loopback; --follow=no: it ends once everything is sent. UPLOAD_RC is its
# exit code, its output in upload.log.
fleet_upload() {
        _sa_bounded "$CMD_TIMEOUT" "systemd-journal-upload" "${MNTX[@]}" "${NSX[@]}" \
                "$FLEET_UPLOAD" --url="$1" "${@:2}" --directory=/run/log/journal --follow=no \
                < /dev/null > "$SA_IT_DIR/upload.log" 2>&1
        UPLOAD_RC=$?
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

# fleet_violation: a private journald, the daemon started in it, and a
# rogue owner of 443 it raises a policy violation for; ORIGINAL is that
# entry (JSON).
fleet_violation() {
        local real rogue=$SA_IT_DIR/rogue-listen bad
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
        ORIGINAL=$(journal_select "$JOURNAL" ".SOCKAUDIT_EVENT == \"policy_violation\"")
        [ "$(grep -c . <<<"$ORIGINAL")" -eq 1 ] || fail "$(grep -c . <<<"$ORIGINAL") policy_violation entries, expected 1"
        assert_json "$ORIGINAL" ".MESSAGE_ID == \"$FLEET_MID_VIOLATION\" and .SOCKAUDIT_VIOLATION != null" \
                "the original violation entry"
}

# fleet_received_same: the received journal holds the violation (found by
# its MESSAGE_ID and SOCKAUDIT_* matches, as docs/FLEET.md shows) with every
# field of ORIGINAL, each with the same value(s).
fleet_received_same() {
        local want got
        wait_until -w "the violation in the received journal" 5 _remote_has \
                "MESSAGE_ID=$FLEET_MID_VIOLATION" SOCKAUDIT_EVENT=policy_violation SOCKAUDIT_PORT=443 ||
                fail "$WAITED: $(remote_json | jq -r .MESSAGE 2> /dev/null | head -n 5 | tr '\n' '|')"
        [ "$(grep -c . <<<"$RECEIVED")" -eq 1 ] || fail "$(grep -c . <<<"$RECEIVED") violation entries received, expected 1"
        want=$(fleet_fields "$ORIGINAL")
        got=$(fleet_fields "$RECEIVED")
        if [ "$want" != "$got" ]; then
                diff <(jq -S . <<<"$want") <(jq -S . <<<"$got") >&2
                fail "the received entry differs from the original (diff in log)"
        fi
        note "received field for field: $(jq -r 'keys | map(select(startswith("SOCKAUDIT_"))) | join(" ")' <<<"$want")"
        assert_json "$got" "(keys | map(select(startswith(\"SOCKAUDIT_\"))) | length) >= 10" \
                "the received entry's SOCKAUDIT_* fields"
}

# The daemon raises a policy violation into a private journald; Debian's
# systemd-journal-upload reads that journal's directory and sends it over
# http to a systemd-journal-remote on loopback; the received journal holds
# the entry with every field of the original (fleet_received_same), and
# FLEET.md's matches for every sockauditd entry and for Fluent Bit's "And"
# example (SYSLOG_IDENTIFIER and SOCKAUDIT_EVENT) select what they say.
test_fleet_journal_upload() {
        fleet_need_remote
        need_cmd jq journalctl ss
        fleet_violation
        start_fleet_remote --listen-http
        fleet_upload "http://127.0.0.1:$FLEET_PORT"
        [ "$UPLOAD_RC" -eq 0 ] || fail "systemd-journal-upload exited $UPLOAD_RC: $(tail -n 3 "$SA_IT_DIR/upload.log" | tr '\n' ' ')"
        fleet_received_same
        _remote_has SYSLOG_IDENTIFIER=sockauditd || fail "no SYSLOG_IDENTIFIER=sockauditd entry received"
        assert_contains "$(jq -r .SOCKAUDIT_EVENT <<<"$RECEIVED" | sort -u | paste -sd' ')" "listener_added policy_violation" \
                "the received sockauditd entries"
        _remote_has SYSLOG_IDENTIFIER=sockauditd SOCKAUDIT_EVENT=policy_violation || fail "no violation received"
        assert_eq 1 "$(grep -c . <<<"$RECEIVED")" "entries with SYSLOG_IDENTIFIER=sockauditd and SOCKAUDIT_EVENT=policy_violation"
}

# fleet_cert NAME CA USAGE SAN: a key and a certificate NAME.pem signed by
# CA (CA.pem, CA.key) for USAGE (serverAuth, clientAuth) with SAN, in the
# test's directory.
fleet_cert() {
        local d=$SA_IT_DIR/pki
        openssl req -newkey rsa:2048 -nodes -keyout "$d/$1.key" -out "$d/$1.csr" -subj "/CN=$1" \
                > "$d/openssl.log" 2>&1 || fail "openssl req $1: $(tail -n 2 "$d/openssl.log")"
        openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" -CAkey "$d/$2.key" -CAcreateserial -days 2 \
                -out "$d/$1.pem" -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$4" "$3") \
                > "$d/openssl.log" 2>&1 || fail "openssl x509 $1: $(tail -n 2 "$d/openssl.log")"
}

# fleet_ca NAME: a self-signed CA, NAME.pem and NAME.key.
fleet_ca() {
        local d=$SA_IT_DIR/pki
        mkdir -p "$d"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/$1.key" -out "$d/$1.pem" -days 2 \
                -subj "/CN=$1" > "$d/openssl.log" 2>&1 || fail "openssl: CA $1: $(tail -n 2 "$d/openssl.log")"
}

# FLEET.md's TLS set-up, for real: the receiver on https with a key and
# certificate from the fleet's CA; a sender that trusts another CA refuses
# it and sends nothing; the sender that trusts the fleet's CA, with its own
# certificate from it, delivers the violation, field for field. Whether
# the receiver checks its senders' certificates depends on its build:
# Debian 12's refuses --trust ("not available", no GnuTLS checking), as
# FLEET.md says; a build that takes it must refuse another CA's sender.
test_fleet_journal_upload_tls() {
        fleet_need_remote
        need_cmd jq journalctl ss openssl
        local d=$SA_IT_DIR/pki checks_senders=() out
        fleet_ca fleet-ca
        fleet_ca other-ca
        fleet_cert collector fleet-ca serverAuth 'DNS:localhost,IP:127.0.0.1'
        fleet_cert host1 fleet-ca clientAuth DNS:host1
        fleet_cert intruder other-ca clientAuth DNS:intruder
        fleet_violation
        # Options are taken in order: --trust fails at once where it is not
        # available, else --help ends it.
        out=$(bounded 10 "systemd-journal-remote --trust" "$FLEET_REMOTE" --trust="$d/fleet-ca.pem" --help 2>&1 < /dev/null | head -n 1)
        if [[ $out == *"--trust is not available"* ]]; then
                note "this systemd-journal-remote does not check senders' certificates: $out"
        else
                checks_senders=(--trust="$d/fleet-ca.pem")
        fi
        start_fleet_remote --listen-https --key="$d/collector.key" --cert="$d/collector.pem" "${checks_senders[@]}"

        fleet_upload "https://127.0.0.1:$FLEET_PORT" --key="$d/host1.key" --cert="$d/host1.pem" --trust="$d/other-ca.pem"
        [ "$UPLOAD_RC" -ne 0 ] || fail "a sender trusting another CA uploaded to the collector"
        note "a sender trusting another CA: exit $UPLOAD_RC: $(tail -n 1 "$SA_IT_DIR/upload.log")"
        if [ ${#checks_senders[@]} -gt 0 ]; then
                fleet_upload "https://127.0.0.1:$FLEET_PORT" --key="$d/intruder.key" --cert="$d/intruder.pem" \
                        --trust="$d/fleet-ca.pem"
                [ "$UPLOAD_RC" -ne 0 ] || fail "a sender with another CA's certificate uploaded to the collector"
        fi
        assert_eq "" "$(remote_json)" "entries received from refused uploads"

        fleet_upload "https://127.0.0.1:$FLEET_PORT" --key="$d/host1.key" --cert="$d/host1.pem" --trust="$d/fleet-ca.pem"
        [ "$UPLOAD_RC" -eq 0 ] || fail "systemd-journal-upload (https) exited $UPLOAD_RC: $(tail -n 3 "$SA_IT_DIR/upload.log" | tr '\n' ' ')"
        fleet_received_same
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
