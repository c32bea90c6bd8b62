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

# _s_server443 NAME: openssl s_server on 443 with NAME.pem; S_PID.
_s_server443() {
        "${NSX[@]}" openssl s_server -accept 443 -quiet -www -cert "$1.pem" -key "$1.key" > "s.$1.out" 2>&1 &
        S_PID=$!
        track_pid "$S_PID"
        wait_for 5 "s_server ($1) listening on 443" ns_port_listening 443
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
# cert_stale_on_disk.
test_tls_daemon_nginx_stale_on_disk() {
        need_cmd openssl jq ss unshare nsenter sha256sum
        [ -x /usr/sbin/nginx ] || skip "nginx not installed (scripts/install-deps.sh installs it)"
        local d=$SA_IT_DIR/nginx b_sha
        start_nginx_tls "$d"
        b_sha=$(file_sha256 "$d/certs/b.pem")
        start_daemon
        wait_for 10 "the daemon's probe of 443" _tls_is ok
        assert_eq 2 "$(jq '.listeners[0].tls.certificates | length' <<<"$WHO")" "distinct certificates"
        assert_eq true "$(jq --arg s "$b_sha" '.listeners[0].tls.certificates[] | select(.sha256 == $s) | .config.matches' \
                <<<"$WHO")" "b matches its file"
        wait_for 5 "check to list cert_expiring" _check_has cert_expiring
        _check_has cert_stale_on_disk && fail "cert_stale_on_disk before any renewal: $CHECK"

        make_cert "$d/new" b ec 30 b.sa-test.example
        "${MNTX[@]}" cp "$d/new/b.pem" "$d/new/b.key" /etc/nginx/certs/ || fail "cannot renew b.pem"
        run_cap OUT sa tls 443 --json
        assert_eq 0 "$OUT_rc" "tls 443 exit code"
        assert_eq false "$(jq --arg s "$b_sha" '.listeners[0].tls.certificates[] | select(.sha256 == $s) | .config.matches' \
                <<<"$OUT")" "b matches after renewal without reload"
        wait_for 5 "check to list cert_stale_on_disk" _check_has cert_stale_on_disk
        assert_eq 1 "$CHECK_rc" "check exit code"
        assert_contains "$(jq -r '.violations[] | select(.violation == "cert_stale_on_disk") | .reason' <<<"$CHECK")" \
                "the certificate for b.sa-test.example differs from its file on disk" "reason"
}
