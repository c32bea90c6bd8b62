# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Issue 14, the daemon's side: it probes the TLS listeners itself
# (daemon/tlsprobes.c). openssl s_server on 443 in the test's namespace
# with certificates made here: the tls object of `who`, the TLS
# violations in `check` (exit 1) and in a private journald with their
# MESSAGE_IDs and SOCKAUDIT_TLS_* fields, a listener that never answers
# (the daemon keeps answering), a restart with another certificate
# (tls_changed in `watch`), a hostile subject (no forged journal field).

MID_CERT_EXPIRED=a3cbeab4702e486a8a7f9b552cf9caf2
MID_KEY_WEAK=3d301da7269142af8da57b205895c18d
MID_TLS_VERSION_WEAK=cb0452f103184a47b9b89bfaa16055f7
MID_CHAIN_UNVERIFIED=86634287f2814d54a29cfbe3a94a61b4
MID_CERT_EXPIRING=145fd446c5444b9685a5ca2ed732b70a
MID_CERT_STALE_ON_DISK=e823847c4e574d8f920e18214114b5ce

# The certificate makers and servers (mk_cert, mk_expired, serve, s_server,
# tls_json) are test_tls.sh's: one copy. Sourcing it only defines functions.
# shellcheck source=test_tls.sh
. "${BASH_SOURCE[0]%/*}/test_tls.sh"

# _tls_is STATUS: the daemon's who 443 has a tls object of STATUS; in WHO.
_tls_is() {
        WHO=$(sa who 443 --tcp --json 2>/dev/null)
        [ "$(jq -r '.listeners[0].tls.status' <<<"$WHO" 2>/dev/null)" == "$1" ]
}

# _check_has KIND: `sockaudit check --json` lists a KIND violation; in CHECK (exit CHECK_rc).
_check_has() {
        CHECK=$(sa check --json 2>/dev/null)
        CHECK_rc=$?
        jq -e --arg k "$1" '[.violations[] | select(.violation == $k)] | length > 0' <<<"$CHECK" > /dev/null 2>&1
}

# jfield ENTRY FIELD: a journal field's value(s), one per line.
jfield() { jq -r --arg f "$2" "$JQ_JV"' jv(.[$f])[]' <<<"$1"; }

# An expired self-signed RSA-1024 certificate, TLS 1.0 on: the daemon's
# tls object equals the direct probe's; cert_expired, key_weak and
# tls_version_weak in check (exit 1) and in the journal, each with its
# MESSAGE_ID and the certificate's fields.
test_tls_daemon_weak_certificate() {
        need_cmd openssl jq ss
        local entry daemon_tls k
        mk_expired old rsa:1024 "/CN=old.example"
        s_server 443 -cert old.pem -key old.key -tls1 -cipher DEFAULT:@SECLEVEL=0
        write_config '[Port 443/tcp]' 'MinTLSVersion=TLSv1.2' 'MinKeyBits=2048'
        start_journald
        STATE_DIR=$SA_IT_DIR/state start_daemon_journal
        wait_for 10 "the daemon's probe of 443" _tls_is ok
        daemon_tls=$(jq -c '.listeners[0].tls' <<<"$WHO")
        tls_json 443
        assert_eq "$(jq -cS 'del(.probed_at)' <<<"$TLS_tls")" "$(jq -cS 'del(.probed_at)' <<<"$daemon_tls")" \
                "the daemon's tls object (but probed_at) = the direct probe's"
        for k in cert_expired key_weak tls_version_weak chain_unverified; do
                wait_for 5 "check to list $k" _check_has "$k"
        done
        assert_eq 1 "$CHECK_rc" "check exit code"
        wait_journal 4 '.SOCKAUDIT_VIOLATION == "cert_expired" or .SOCKAUDIT_VIOLATION == "key_weak" or
                        .SOCKAUDIT_VIOLATION == "tls_version_weak" or .SOCKAUDIT_VIOLATION == "chain_unverified"' ||
                fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "cert_expired"' | head -n 1)
        assert_eq "$MID_CERT_EXPIRED" "$(jfield "$entry" MESSAGE_ID)" "cert_expired MESSAGE_ID"
        assert_eq CN=old.example "$(jfield "$entry" SOCKAUDIT_TLS_SUBJECT)" "SOCKAUDIT_TLS_SUBJECT"
        assert_eq CN=old.example "$(jfield "$entry" SOCKAUDIT_TLS_ISSUER)" "SOCKAUDIT_TLS_ISSUER"
        assert_eq 2025-02-01T00:00:00Z "$(jfield "$entry" SOCKAUDIT_TLS_NOT_AFTER)" "SOCKAUDIT_TLS_NOT_AFTER"
        assert_eq 1024 "$(jfield "$entry" SOCKAUDIT_TLS_KEY_BITS)" "SOCKAUDIT_TLS_KEY_BITS"
        assert_eq "$(jq -r '.certificates[0].days_left' <<<"$daemon_tls")" \
                "$(jfield "$entry" SOCKAUDIT_TLS_DAYS_LEFT)" "SOCKAUDIT_TLS_DAYS_LEFT"
        assert_eq "$(openssl x509 -in old.pem -outform DER | sha256sum | cut -d' ' -f1)" \
                "$(jfield "$entry" SOCKAUDIT_TLS_SHA256)" "SOCKAUDIT_TLS_SHA256"
        assert_eq 443 "$(jfield "$entry" SOCKAUDIT_PORT)" "SOCKAUDIT_PORT"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "key_weak"' | head -n 1)
        assert_eq "$MID_KEY_WEAK" "$(jfield "$entry" MESSAGE_ID)" "key_weak MESSAGE_ID"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "chain_unverified"' | head -n 1)
        assert_eq "$MID_CHAIN_UNVERIFIED" "$(jfield "$entry" MESSAGE_ID)" "chain_unverified MESSAGE_ID"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "tls_version_weak"' | head -n 1)
        assert_eq "$MID_TLS_VERSION_WEAK" "$(jfield "$entry" MESSAGE_ID)" "tls_version_weak MESSAGE_ID"
        assert_contains "$(jfield "$entry" SOCKAUDIT_TLS_VERSION | tr '\n' ' ')" "TLSv1 " "SOCKAUDIT_TLS_VERSION"
        assert_contains "$(jfield "$entry" MESSAGE)" "accepts TLSv1 (MinTLSVersion=TLSv1.2)" "MESSAGE"
}

# A listener that accepts and never answers: the probe times out after
# TLSTimeout= while `status` answers as usual; `sockaudit tls 443` waits for
# its own probe, bounded by the timeout.
test_tls_daemon_silent_listener() {
        need_cmd python3 jq ss
        local t0 ms
        serve 443 python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 443)); s.listen(8); held = []
while True: held.append(s.accept()[0])'
        write_config 'TLSTimeout=3s'
        start_daemon
        _tls_is pending || note "first who: $(jq -c '.listeners[0].tls' <<<"$WHO")"
        _sa_now_ms; t0=$_SA_NOW
        run_cap ST sa status --json
        _sa_now_ms; ms=$((_SA_NOW - t0))
        assert_eq 0 "$ST_rc" "status exit code during the probe"
        assert_eq child "$(jq -r '(.status // .).tls.runner' <<<"$ST")" "status.tls.runner outside systemd"
        note "status during the probe: $ms ms, tls $(jq -c "(.status // .).tls" <<<"$ST")"
        [ "$ms" -le "$(scaled_ms 1)" ] || fail "status took $ms ms while a probe hung"
        wait_for 8 "the probe to time out" _tls_is error
        assert_eq timeout "$(jq -r '.listeners[0].tls.error' <<<"$WHO")" "error"
        _sa_now_ms; t0=$_SA_NOW
        run_cap OUT sa tls 443 --json
        _sa_now_ms; ms=$((_SA_NOW - t0))
        assert_eq 0 "$OUT_rc" "tls 443 exit code"
        assert_eq timeout "$(jq -r '.listeners[0].tls.error' <<<"$OUT")" "tls 443: error"
        [ "$ms" -ge 2500 ] || fail "tls 443 answered in $ms ms: not its own probe"
        [ "$ms" -le $((3000 + $(scaled_ms 2))) ] || fail "tls 443 took $ms ms"
}

# _s_server443 NAME [ARGS...]: openssl s_server on 443 with NAME.pem (and ARGS); S_PID.
_s_server443() {
        local name=$1
        shift
        "${NSX[@]}" openssl s_server -accept 443 -quiet -www -cert "$name.pem" -key "$name.key" "$@" > "s.$name.out" 2>&1 &
        S_PID=$!
        track_pid "$S_PID"
        wait_for 5 "s_server ($name) listening on 443" ns_port_listening 443
}

# A server restarted with another certificate: `sockaudit tls 443` shows
# the new one and `watch` gets tls_changed with it.
test_tls_daemon_changed() {
        need_cmd openssl jq ss
        mk_cert a rsa:2048 30 "/CN=a.example"
        mk_cert b rsa:2048 30 "/CN=b.example"
        _s_server443 a
        start_daemon
        wait_for 10 "the daemon's probe of 443" _tls_is ok
        assert_eq CN=a.example "$(jq -r '.listeners[0].tls.certificates[0].subject' <<<"$WHO")" "first subject"
        start_watch --json
        kill -TERM "$S_PID"
        wait_exit "$S_PID" 5 "s_server a to exit" || fail "$WAITED"
        _s_server443 b
        run_cap OUT sa tls 443 --json
        assert_eq 0 "$OUT_rc" "tls 443 exit code"
        assert_eq CN=b.example "$(jq -r '.listeners[0].tls.certificates[0].subject' <<<"$OUT")" "new subject"
        wait_for 5 "tls_changed in watch" grep -q '"event":"tls_changed"' "$WATCH_OUT"
        assert_eq CN=b.example "$(jq -r 'select(.event == "tls_changed") | .tls.certificates[0].subject' "$WATCH_OUT")" \
                "tls_changed's certificate"
        stop_watch
}

# A subject made to look like journal fields and a terminal escape: the
# journal entry holds it in SOCKAUDIT_TLS_SUBJECT, escaped, and no entry
# has a field it tried to add.
test_tls_daemon_hostile_subject() {
        need_cmd openssl jq ss
        local entry
        printf '%s\n' '[req]' 'distinguished_name = dn' 'prompt = no' '[dn]' \
                'OU = x\nMESSAGE_ID=00000000000000000000000000000000' 'CN = evil\nSOCKAUDIT_FORGED=1\e[31m' > hostile.cnf
        openssl req -x509 -newkey rsa:2048 -nodes -keyout hostile.key -out hostile.pem -days 30 \
                -config hostile.cnf 2> hostile.err || fail "openssl req: $(cat hostile.err)"
        s_server 443 -cert hostile.pem -key hostile.key
        start_journald
        STATE_DIR=$SA_IT_DIR/state start_daemon_journal
        wait_journal 1 '.SOCKAUDIT_VIOLATION == "chain_unverified"' 10 || fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "chain_unverified"' | head -n 1)
        assert_contains "$(jfield "$entry" SOCKAUDIT_TLS_SUBJECT)" 'CN=evil' "SOCKAUDIT_TLS_SUBJECT"
        assert_not_contains "$(jfield "$entry" SOCKAUDIT_TLS_SUBJECT)" $'\n' "subject (no raw newline)"
        assert_not_contains "$(jfield "$entry" SOCKAUDIT_TLS_SUBJECT)" $'\e' "subject (no raw escape)"
        assert_eq 0 "$(journal_select "$JOURNAL" 'has("SOCKAUDIT_FORGED") or .MESSAGE_ID == "00000000000000000000000000000000"' |
                grep -c .)" "entries with a forged field"
}

# nginx with two TLS servers on 443 (test_tls.sh's config: a, RSA-2048
# valid 90 days, the default; b, EC P-256 expiring in 5 days, asked for by
# the name its server block gives): the daemon finds both certificates,
# b is cert_expiring; b's file renewed on disk without a reload:
# `sockaudit tls 443` marks it (config.matches false) and check has
# cert_stale_on_disk; both journaled (a private journald) with their
# MESSAGE_IDs.
test_tls_daemon_nginx_stale_on_disk() {
        need_cmd openssl jq ss unshare nsenter sha256sum
        [ -x /usr/sbin/nginx ] || skip "nginx not installed (scripts/install-deps.sh installs it)"
        local d=$SA_IT_DIR/nginx b_sha ngx entry
        start_nginx_tls "$d"
        ngx=("${MNTX[@]}")    # nginx's mount namespace; start_journald makes another
        b_sha=$(file_sha256 "$d/certs/b.pem")
        start_journald
        STATE_DIR=$SA_IT_DIR/state start_daemon_journal
        wait_for 10 "the daemon's probe of 443" _tls_is ok
        assert_eq 2 "$(jq '.listeners[0].tls.certificates | length' <<<"$WHO")" "distinct certificates"
        assert_eq true "$(jq --arg s "$b_sha" '.listeners[0].tls.certificates[] | select(.sha256 == $s) | .config.matches' \
                <<<"$WHO")" "b matches its file"
        wait_for 5 "check to list cert_expiring" _check_has cert_expiring
        _check_has cert_stale_on_disk && fail "cert_stale_on_disk before any renewal: $CHECK"
        wait_journal 1 '.SOCKAUDIT_VIOLATION == "cert_expiring"' || fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "cert_expiring"' | head -n 1)
        assert_eq "$MID_CERT_EXPIRING" "$(jfield "$entry" MESSAGE_ID)" "cert_expiring MESSAGE_ID"
        assert_eq b.sa-test.example "$(jfield "$entry" SOCKAUDIT_TLS_SNI)" "cert_expiring SOCKAUDIT_TLS_SNI"
        assert_eq "$b_sha" "$(jfield "$entry" SOCKAUDIT_TLS_SHA256)" "cert_expiring SOCKAUDIT_TLS_SHA256"

        make_cert "$d/new" b ec 30 b.sa-test.example
        "${ngx[@]}" cp "$d/new/b.pem" "$d/new/b.key" /etc/nginx/certs/ || fail "cannot renew b.pem"
        run_cap OUT sa tls 443 --json
        assert_eq 0 "$OUT_rc" "tls 443 exit code"
        assert_eq false "$(jq --arg s "$b_sha" '.listeners[0].tls.certificates[] | select(.sha256 == $s) | .config.matches' \
                <<<"$OUT")" "b matches after renewal without reload"
        wait_for 5 "check to list cert_stale_on_disk" _check_has cert_stale_on_disk
        assert_eq 1 "$CHECK_rc" "check exit code"
        assert_contains "$(jq -r '.violations[] | select(.violation == "cert_stale_on_disk") | .reason' <<<"$CHECK")" \
                "the certificate for b.sa-test.example differs from its file on disk" "reason"
        wait_journal 1 '.SOCKAUDIT_VIOLATION == "cert_stale_on_disk"' || fail "$WAITED"
        entry=$(journal_select "$JOURNAL" '.SOCKAUDIT_VIOLATION == "cert_stale_on_disk"' | head -n 1)
        assert_eq "$MID_CERT_STALE_ON_DISK" "$(jfield "$entry" MESSAGE_ID)" "cert_stale_on_disk MESSAGE_ID"
}

# _sha PEM: its certificate's SHA-256 (DER), lowercase hex.
_sha() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# _served_sha_is SHA: who 443's first certificate has SHA (in WHO).
_served_sha_is() {
        WHO=$(sa who 443 --tcp --json 2>/dev/null)
        [ "$(jq -r '.listeners[0].tls.certificates[0].sha256' <<<"$WHO" 2>/dev/null)" == "$1" ]
}

# _tls_idle: the daemon has no TLS probe queued or running (status in ST).
_tls_idle() {
        ST=$(mon_get '.tls | tojson')
        [ "$(jq '.queued + .running' <<<"$ST" 2>/dev/null)" == 0 ]
}

# `sockaudit refresh` asks for TLS probes: a server that renews its
# certificate on the same socket (python's ssl, the files read again at
# each connection: same pid, same socket, so nothing else makes the daemon
# probe again) serves the new one; after a refresh, who (not `tls`, which
# would force a probe) shows it, and watch gets tls_changed. A second
# refresh while the probe is queued or runs adds at most one probe.
test_tls_daemon_refresh_probes() {
        need_cmd openssl jq ss python3
        local a_sha b_sha probes
        mk_cert a rsa:2048 30 "/CN=a.example"
        mk_cert b rsa:2048 30 "/CN=b.example"
        a_sha=$(_sha a.pem) b_sha=$(_sha b.pem)
        cp a.pem cur.pem && cp a.key cur.key || fail "cannot copy a's files"
        serve 443 python3 -c 'import socket, ssl, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 443)); s.listen(16)
while True:
    c = s.accept()[0]; c.settimeout(5)
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[1] + "/cur.pem", sys.argv[1] + "/cur.key")
        ctx.wrap_socket(c, server_side=True).close()
    except Exception:
        c.close()' "$PWD"
        start_daemon
        wait_for 10 "the daemon's probe of 443" _served_sha_is "$a_sha"
        start_watch --json
        wait_for 5 "the first probe to end" _tls_idle
        probes=$(jq .probes <<<"$ST")
        cp b.pem cur.pem.new && mv cur.pem.new cur.pem && cp b.key cur.key.new && mv cur.key.new cur.key ||
                fail "cannot renew the files"
        _served_sha_is "$a_sha" || fail "the daemon probed again before refresh: $WHO"

        run_cap OUT sa refresh --json
        assert_eq 0 "$OUT_rc" "refresh exit code"
        assert_eq 1 "$(jq .tls_probes_queued <<<"$OUT")" "refresh: tls_probes_queued"
        run_cap OUT sa refresh
        assert_eq 0 "$OUT_rc" "second refresh exit code"
        assert_contains "$OUT" "TLS probes queued: 1" "refresh's text"
        wait_for 10 "who 443 to show the renewed certificate" _served_sha_is "$b_sha"
        assert_eq CN=b.example "$(jq -r '.listeners[0].tls.certificates[0].subject' <<<"$WHO")" "subject after refresh"
        wait_for 10 "the probes to end" _tls_idle
        probes=$(( $(jq .probes <<<"$ST") - probes ))
        [ "$probes" -ge 1 ] && [ "$probes" -le 2 ] || fail "two refreshes made $probes probes (1 or 2 expected)"
        wait_for 5 "tls_changed in watch" grep -q '"event":"tls_changed"' "$WATCH_OUT"
        assert_eq "$b_sha" "$(jq -r 'select(.event == "tls_changed") | .tls.certificates[0].sha256' "$WATCH_OUT")" \
                "tls_changed's certificate"
        stop_watch
}

# _state_has_tls SHA: the baseline file holds a TLS record with SHA.
_state_has_tls() {
        jq -e --arg s "$1" '[.tls[]? | select(.port == 443 and (.sha256 | index($s)))] | length == 1' \
                "$STATE_DIR/state.json" > /dev/null 2>&1
}

# _probed N: the daemon made N probes or more, none queued or running (status in ST).
_probed() { _tls_idle && [ "$(jq .probes <<<"$ST")" -ge "$1" ]; }

# _count_journal JQ_COND: how many of the daemon's journal entries satisfy it.
_count_journal() { journal_json | jq -s "$JQ_JV"" [.[] | select($1)] | length"; }

# TLS violations across daemon restarts (issue 14 with issue 17's rule):
# the baseline keeps what was reported per place, so a routine restart
# journals no second cert_expired (nor any other) for the same unchanged
# certificate and no tls_changed; a certificate changed while the daemon
# was down raises tls_changed, and its own violations, once.
test_tls_daemon_restart_no_realert() {
        need_cmd openssl jq ss
        local viol='.SOCKAUDIT_VIOLATION == "cert_expired" or .SOCKAUDIT_VIOLATION == "key_weak" or
                    .SOCKAUDIT_VIOLATION == "tls_version_weak" or .SOCKAUDIT_VIOLATION == "chain_unverified"'
        local old_sha new_sha k
        mk_expired old rsa:1024 "/CN=old.example"
        mk_cert new rsa:2048 30 "/CN=new.example"
        old_sha=$(_sha old.pem) new_sha=$(_sha new.pem)
        _s_server443 old -tls1 -cipher DEFAULT:@SECLEVEL=0
        write_config '[Port 443/tcp]' 'MinTLSVersion=TLSv1.2' 'MinKeyBits=2048'
        start_journald
        STATE_DIR=$SA_IT_DIR/state
        start_daemon_journal
        wait_journal 4 "$viol" 10 || fail "$WAITED"
        wait_for 5 "the baseline to hold old's TLS record" _state_has_tls "$old_sha"

        # A routine restart: the same certificate, nothing raised again.
        stop_daemon
        start_daemon_journal
        wait_for 10 "the restarted daemon's probe" _probed 1
        _tls_is ok || fail "the probe after the restart: $WHO"
        assert_eq '{"policy_violation":0,"tls_changed":0}' \
                "$(mon_get '.monitor.events | {policy_violation, tls_changed} | tojson')" "events after a restart"
        for k in cert_expired key_weak tls_version_weak chain_unverified; do
                assert_eq 1 "$(_count_journal ".SOCKAUDIT_VIOLATION == \"$k\"")" "$k entries after a restart"
        done
        _check_has cert_expired || fail "check lost cert_expired after the restart: $CHECK"

        # Another certificate while the daemon is down: tls_changed, and the new one's own violation.
        stop_daemon
        kill -TERM "$S_PID"
        wait_exit "$S_PID" 5 "s_server old to exit" || fail "$WAITED"
        _s_server443 new
        start_daemon_journal
        wait_journal 1 '.SOCKAUDIT_EVENT == "tls_changed"' 10 || fail "$WAITED"
        assert_contains "$(journal_select "$JOURNAL" '.SOCKAUDIT_EVENT == "tls_changed"' | jq -r .SOCKAUDIT_TLS_SHA256)" \
                "$new_sha" "tls_changed's SOCKAUDIT_TLS_SHA256"
        wait_journal 2 '.SOCKAUDIT_VIOLATION == "chain_unverified"' 5 || fail "$WAITED"
        wait_for 5 "the probe to end" _probed 1
        assert_eq 1 "$(mon_get '.monitor.events.tls_changed')" "tls_changed events"
        assert_eq 1 "$(_count_journal '.SOCKAUDIT_VIOLATION == "cert_expired"')" "cert_expired entries"
        wait_for 5 "the baseline to hold new's TLS record" _state_has_tls "$new_sha"
}

# _tls_of PORT: who PORT's first listener's tls object ("null" when none), in TLS_OF.
_tls_of() { TLS_OF=$(sa who "$1" --tcp --json 2>/dev/null | jq -c '.listeners[0].tls'); }

# _tls_ok_on PORT: who PORT's listener has an ok answer (in TLS_OF).
_tls_ok_on() { _tls_of "$1" && [ "$(jq -r .status <<<"$TLS_OF")" == ok ]; }

# _probes_ge N: status counts N probes or more, never more than one running (status in ST).
_probes_ge() {
        ST=$(mon_get '.tls | tojson')
        [ "$(jq .running <<<"$ST")" -le 1 ] || fail "TLSProbesMax=1, yet $(jq .running <<<"$ST") probes run"
        [ "$(jq .probes <<<"$ST")" -ge "$1" ]
}

# Which listeners are probed, and when: TLS=yes on 8443 (IPv6, bound to
# ::, so probed at ::1) and 9443, TLS=no on 443 (no tls object); with
# TLSInterval=1s each is probed again and again without any request, and
# with TLSProbesMax=1 never two at once.
test_tls_daemon_watched_interval_limit() {
        need_cmd openssl jq ss
        mk_cert a rsa:2048 30 "/CN=a.example"
        mk_cert b rsa:2048 30 "/CN=b.example"
        s_server 8443 -6 -cert a.pem -key a.key
        s_server 9443 -cert b.pem -key b.key
        s_server 443 -cert b.pem -key b.key
        write_config 'TLSInterval=1s' 'TLSProbesMax=1' '[Port 8443/tcp]' 'TLS=yes' '[Port 9443/tcp]' 'TLS=yes' \
                '[Port 443/tcp]' 'TLS=no'
        start_daemon
        wait_for 10 "the probe of 8443" _tls_ok_on 8443
        assert_eq ipv6 "$(sa who 8443 --tcp --json | jq -r '.listeners[0].family')" "8443's family"
        assert_eq CN=a.example "$(jq -r '.certificates[0].subject' <<<"$TLS_OF")" "8443's subject (over ::1)"
        wait_for 10 "the probe of 9443" _tls_ok_on 9443
        assert_eq CN=b.example "$(jq -r '.certificates[0].subject' <<<"$TLS_OF")" "9443's subject"
        assert_eq '"ok"' "$(sa list --json | jq -c '[.listeners[] | select(.port == 9443) | .tls.status] | unique[]')" \
                "list --json: 9443's tls.status"
        # Two listeners every second: 8 probes without a request within a few seconds.
        wait_for 15 "8 probes, one at a time" _probes_ge 8
        assert_eq 2 "$(jq .tracked <<<"$ST")" "listeners tracked"
        _tls_of 443
        assert_eq null "$TLS_OF" "443's tls object with TLS=no"
}

# _holders PORT N: who PORT's listener has N holders.
_holders() { [ "$(sa who "$1" --tcp --json 2>/dev/null | jq '.listeners[0].owners | length')" == "$2" ]; }

# A listener whose owners change (its server forks a child that keeps the
# socket) is probed again, with no request and TLSInterval= far away.
test_tls_daemon_owner_change() {
        need_cmd openssl jq ss python3
        local probes pid
        mk_cert a rsa:2048 30 "/CN=a.example"
        serve 443 python3 -c 'import os, signal, socket, ssl, sys
def fork(*_):
    r, w = os.pipe()
    if os.fork() == 0:
        os.close(w); os.read(r, 1); os._exit(0)   # holds the socket until the parent exits
    os.close(r); keep.append(w)
keep = []; signal.signal(signal.SIGUSR1, fork)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1] + "/a.pem", sys.argv[1] + "/a.key")
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 443)); s.listen(16)
while True:
    try:
        c = s.accept()[0]
    except InterruptedError:
        continue
    c.settimeout(5)
    try:
        ctx.wrap_socket(c, server_side=True).close()
    except Exception:
        c.close()' "$PWD"
        start_daemon
        wait_for 10 "the first probe" _tls_is ok
        wait_for 5 "the first probe to end" _tls_idle
        probes=$(jq .probes <<<"$ST")
        pid=$(in_ns ss -Hltnp 'sport = :443' | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
        [ -n "$pid" ] && kill -USR1 "$pid" || fail "cannot signal the server (pid '$pid')"
        wait_for 10 "who 443 to show two holders" _holders 443 2
        wait_for 10 "a probe after the owner change" _probed $((probes + 1))
        _tls_is ok || fail "the probe after the owner change: $WHO"
}
