# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# `sockaudit tls PORT`: the TLS probe (lib/tlsprobe*.c) against real
# servers (openssl s_server, python's http.server, a listener that never
# answers) in the test's namespace, with certificates made here by
# openssl(1). The CLI runs in the host's namespace, so the probe enters
# the listener's with setns; --netns keeps it to the test's listeners.

# shellcheck source=webserver.sh
. "${BASH_SOURCE[0]%/*}/webserver.sh"
# shellcheck source=records.sh
. "${BASH_SOURCE[0]%/*}/records.sh"

# mk_cert NAME KEYOPT DAYS SUBJ SAN: NAME.key and NAME.pem, self-signed.
mk_cert() {
        openssl req -x509 -newkey "$2" -nodes -keyout "$1.key" -out "$1.pem" -days "$3" \
                -subj "$4" ${5:+-addext "subjectAltName=$5"} 2> "$1.err" ||
                fail "openssl req for $1: $(cat "$1.err")"
}

# mk_expired NAME KEYOPT SUBJ: a self-signed certificate valid in January 2025 only.
mk_expired() {
        mkdir -p ca && : > ca/index.txt && echo 1000 > ca/serial
        printf '%s\n' '[ca]' 'default_ca = d' '[d]' 'database = ca/index.txt' 'new_certs_dir = ca' \
                'serial = ca/serial' 'default_md = sha256' 'policy = p' 'unique_subject = no' \
                '[p]' 'commonName = supplied' > ca.cnf
        openssl req -new -newkey "$2" -nodes -keyout "$1.key" -out "$1.csr" -subj "$3" 2> "$1.err" &&
                openssl ca -batch -config ca.cnf -selfsign -keyfile "$1.key" -in "$1.csr" -out "$1.pem" \
                        -startdate 20250101000000Z -enddate 20250201000000Z -notext 2>> "$1.err" ||
                fail "openssl ca for $1: $(cat "$1.err")"
}

# ns_port_listening PORT: something listens on TCP PORT in the test's namespace.
ns_port_listening() { [ -n "$("${NSX[@]}" ss -Hltn "sport = :$1")" ]; }

# serve PORT CMD...: starts CMD in the test's namespace, waits for PORT.
serve() {
        local port=$1
        shift
        "${NSX[@]}" "$@" > "serve.$port.out" 2>&1 &
        track_pid $!
        wait_for 5 "$1 listening on $port" ns_port_listening "$port"
}

# s_server PORT ARGS...: openssl s_server answering HTTP on PORT.
s_server() {
        local port=$1
        shift
        need_cmd openssl
        serve "$port" openssl s_server -accept "$port" -quiet -www "$@"
}

# tls_json PORT: `sockaudit tls PORT --direct --json` of the test's namespace, from the host's (TLS_rc, TLS_ms).
tls_json() {
        local t0
        _sa_now_ms; t0=$_SA_NOW
        run_cap TLS _sa_bounded "$CMD_TIMEOUT" "sockaudit tls $1" "$SA" tls "$1" --direct --netns "$SA_IT_NS" --json
        _sa_now_ms; TLS_ms=$((_SA_NOW - t0))
        assert_eq 0 "$TLS_rc" "sockaudit tls $1 exit code"
        TLS_tls=$(jq -c '.listeners[0].tls' <<<"$TLS") || fail "tls $1: not JSON"
        assert_eq 1 "$(jq '.listeners | length' <<<"$TLS")" "listeners on $1 in the test's namespace"
}

# cert_of SNI: the certificate object whose sni is SNI ("null" for none).
cert_of() { jq -c --argjson s "$1" '.certificates[] | select(.sni == $s)' <<<"$TLS_tls"; }

# same_as_openssl CERTJSON PEM: every fact of CERTJSON is what openssl x509 says of PEM.
same_as_openssl() {
        local c=$1 pem=$2 x text
        x=$(openssl x509 -in "$pem" -noout -nameopt RFC2253 -subject -issuer -serial -dates \
                -fingerprint -sha256 -ext subjectAltName)
        text=$(openssl x509 -in "$pem" -noout -text)
        assert_eq "$(sed -n 's/^subject=//p' <<<"$x")" "$(jq -r .subject <<<"$c")" "subject"
        assert_eq "$(sed -n 's/^issuer=//p' <<<"$x")" "$(jq -r .issuer <<<"$c")" "issuer"
        assert_eq "$(sed -n 's/^serial=//p' <<<"$x" | tr 'A-F' 'a-f')" \
                "$(jq -r .serial <<<"$c")" "serial"
        assert_eq "$(date -u -d "$(sed -n 's/^notBefore=//p' <<<"$x")" +%Y-%m-%dT%H:%M:%SZ)" \
                "$(jq -r .not_before <<<"$c")" "not_before"
        assert_eq "$(date -u -d "$(sed -n 's/^notAfter=//p' <<<"$x")" +%Y-%m-%dT%H:%M:%SZ)" \
                "$(jq -r .not_after <<<"$c")" "not_after"
        assert_eq "$(sed -n 's/^sha256 Fingerprint=//p' <<<"$x" | tr -d : | tr 'A-F' 'a-f')" \
                "$(jq -r .sha256 <<<"$c")" "sha256"
        assert_eq "$(grep -A1 'Subject Alternative Name' <<<"$x" | tail -n 1 |
                sed 's/^ *//; s/DNS://g; s/IP Address://g; s/, /,/g')" \
                "$(jq -r '.san | join(",")' <<<"$c")" "san"
        assert_eq "$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' <<<"$text" | head -n 1)" \
                "$(jq -r .key_bits <<<"$c")" "key_bits"
        assert_eq "$(sed -n 's/^ *Signature Algorithm: //p' <<<"$text" | head -n 1)" \
                "$(jq -r .signature_algorithm <<<"$c")" "signature_algorithm"
        local na now
        na=$(date -u -d "$(jq -r .not_after <<<"$c")" +%s)
        now=$(date -u -d "$(jq -r .probed_at <<<"$TLS_tls")" +%s)
        assert_eq "$(( (na - now) >= 0 ? (na - now) / 86400 : -((now - na + 86399) / 86400) ))" \
                "$(jq -r .days_left <<<"$c")" "days_left"
}

# (a) and (c): an RSA-2048 certificate valid 90 days by default and an EC
# P-256 one expiring in 5 days for SNI ec.example (named in the first's
# SAN, so the probe asks for it); TLS 1.2 and 1.3 only. Every fact is what
# openssl x509 prints of the certificate s_client is served.
test_tls_facts_rsa_and_ec() {
        need_cmd openssl jq ss
        mk_cert rsa rsa:2048 90 "/CN=a.example/O=Sockaudit Test" "DNS:a.example,DNS:ec.example,IP:127.0.0.1"
        mk_cert ec ec:<(openssl ecparam -name prime256v1) 5 "/CN=ec.example" "DNS:ec.example"
        s_server 4443 -cert rsa.pem -key rsa.key -servername ec.example -cert2 ec.pem -key2 ec.key \
                -no_tls1 -no_tls1_1 -alpn http/1.1
        tls_json 4443
        assert_eq ok "$(jq -r .status <<<"$TLS_tls")" "status"
        assert_eq '["TLSv1.2","TLSv1.3"]' "$(jq -c .versions <<<"$TLS_tls")" "versions"
        assert_eq http/1.1 "$(jq -r .alpn <<<"$TLS_tls")" "alpn"
        assert_eq 2 "$(jq '.certificates | length' <<<"$TLS_tls")" "distinct certificates"
        local sni pem c
        for sni in null '"ec.example"'; do
                local name=()
                pem=rsa.pem
                [ "$sni" == null ] || { pem=ec.pem; name=(-servername ec.example); }
                # What s_client is served for that name is the file's certificate.
                bounded 5 "s_client" "${NSX[@]}" openssl s_client -connect 127.0.0.1:4443 "${name[@]}" \
                        < /dev/null 2> /dev/null | openssl x509 > served.pem 2> /dev/null ||
                        fail "s_client for sni $sni"
                assert_eq "$(openssl x509 -in "$pem" -noout -fingerprint -sha256)" \
                        "$(openssl x509 -in served.pem -noout -fingerprint -sha256)" "s_client's certificate for $sni"
                c=$(cert_of "$sni")
                [ -n "$c" ] || fail "no certificate with sni $sni: $TLS_tls"
                same_as_openssl "$c" served.pem
                assert_eq true "$(jq .self_signed <<<"$c")" "self_signed ($sni)"
                assert_eq false "$(jq .chain_verified <<<"$c")" "chain_verified ($sni)"
                assert_eq "self-signed certificate" "$(jq -r .chain_error <<<"$c")" "chain_error ($sni)"
        done
        assert_eq RSA "$(jq -r .key_type <<<"$(cert_of null)")" "key_type of the default"
        assert_eq EC "$(jq -r .key_type <<<"$(cert_of '"ec.example"')")" "key_type for ec.example"
        assert_eq 256 "$(jq -r .key_bits <<<"$(cert_of '"ec.example"')")" "key_bits for ec.example"
        [[ "$(jq -r .days_left <<<"$(cert_of '"ec.example"')")" == [45] ]] ||
                fail "days_left for ec.example not 4 or 5 (5 days less a moment)"
        # The table: one row per certificate, both names, the versions once.
        run_cap TAB "$SA" tls 4443 --direct --netns "$SA_IT_NS" --wide
        assert_eq 0 "$TAB_rc" "tls table exit code"
        assert_eq 3 "$(wc -l <<<"$TAB")" "table lines (header, 2 certificates)"
        assert_contains "$TAB" "ec.example" "table"
        assert_contains "$TAB" "TLSv1.2 TLSv1.3" "table"
}

# (b): an expired RSA-1024 self-signed certificate, TLS 1.0 enabled.
test_tls_old_expired() {
        need_cmd openssl jq ss
        mk_expired old rsa:1024 "/CN=old.example"
        s_server 4444 -cert old.pem -key old.key -tls1 -cipher DEFAULT:@SECLEVEL=0
        tls_json 4444
        local c
        c=$(cert_of null)
        assert_eq ok "$(jq -r .status <<<"$TLS_tls")" "status"
        assert_contains "$(jq -c .versions <<<"$TLS_tls")" '"TLSv1"' "versions"
        assert_eq 1024 "$(jq .key_bits <<<"$c")" "key_bits"
        assert_eq RSA "$(jq -r .key_type <<<"$c")" "key_type"
        [ "$(jq .days_left <<<"$c")" -lt 0 ] || fail "days_left not negative: $c"
        assert_eq true "$(jq .self_signed <<<"$c")" "self_signed"
        assert_eq false "$(jq .chain_verified <<<"$c")" "chain_verified"
        assert_eq 2025-02-01T00:00:00Z "$(jq -r .not_after <<<"$c")" "not_after"
        same_as_openssl "$c" old.pem
}

# (d): a plain HTTP server: not_tls, at once.
test_tls_plain_http() {
        need_cmd python3 jq ss
        serve 4445 python3 -m http.server 4445
        tls_json 4445
        assert_eq not_tls "$(jq -r .status <<<"$TLS_tls")" "status"
        assert_eq 0 "$(jq '.certificates | length' <<<"$TLS_tls")" "certificates"
        [ "$TLS_ms" -lt "$(scaled_ms 2)" ] || fail "not_tls took $TLS_ms ms"
}

# --direct probes at most 32 listeners: 34 plain-HTTP listeners on 4446
# (127.0.0.1 to 127.0.0.34): 32 not_tls, 2 "not probed", and no wait
# for them.
test_tls_direct_bounded() {
        need_cmd python3 jq ss
        serve 4446 python3 -c 'import select, socket
ls = []
for i in range(1, 35):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.%d" % i, 4446)); s.listen(8); ls.append(s)
while True:
    for s in select.select(ls, [], [])[0]:
        c = s.accept()[0]; c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n"); c.close()'
        wait_for 5 "34 listeners on 4446" _n_listening 4446 34
        run_cap TLS _sa_bounded "$CMD_TIMEOUT" "sockaudit tls 4446" "$SA" tls 4446 --direct --netns "$SA_IT_NS" --json
        assert_eq 0 "$TLS_rc" "exit code"
        assert_eq 34 "$(jq '.listeners | length' <<<"$TLS")" "listeners"
        assert_eq 32 "$(jq '[.listeners[].tls | select(.status == "not_tls")] | length' <<<"$TLS")" "probed"
        assert_eq 2 "$(jq '[.listeners[].tls | select(.error == "not probed: more than 32 listeners to probe; narrow with --netns")] | length' \
                <<<"$TLS")" "not probed"
}

# _n_listening PORT N: N TCP listeners on PORT in the test's namespace.
_n_listening() { [ "$("${NSX[@]}" ss -Hltn "sport = :$1" | wc -l)" -eq "$2" ]; }

# child_status PID: the credential lines of /proc/PID/status, one line.
child_status() { grep -E '^(Uid|Gid|Groups|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$1/status" | tr -s '\t ' ' ' | tr '\n' ';'; }

# (e) and (g): a listener that accepts and never answers: error "timeout"
# after the probe's 5 s and before 6 s; meanwhile the probe's child runs
# the helper (a fresh image, exec'd) as nobody, with no capability,
# no_new_privs and a seccomp filter, in the listener's namespace, holding
# nothing of the CLI's but its report pipe.
test_tls_silent_listener() {
        need_cmd python3 jq ss
        serve 4446 python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 4446)); s.listen(8); held = []
while True: held.append(s.accept()[0])'
        local t0 cli child st fds
        _sa_now_ms; t0=$_SA_NOW
        "$SA" tls 4446 --direct --netns "$SA_IT_NS" --json > silent.json 2> silent.err &
        cli=$!
        track_pid "$cli"
        wait_for 3 "the probe's child" eval 'child=$(pgrep -P '"$cli"') && [ -n "$child" ] && grep -q "^Seccomp:.2" /proc/$child/status'
        [[ "$(readlink "/proc/$child/exe")" == */sockaudit-tlsprobe ]] ||
                fail "the child runs $(readlink "/proc/$child/exe"), not the helper"
        st=$(child_status "$child")
        note "child $child: $st"
        assert_contains "$st" "Uid: 65534 65534 65534 65534;" "child uid"
        assert_contains "$st" "Gid: 65534 65534 65534 65534;" "child gid"
        assert_contains "$st" "Groups: ;" "child groups"
        for f in CapPrm CapEff CapBnd CapAmb; do
                assert_contains "$st" "$f: 0000000000000000;" "child $f"
        done
        assert_contains "$st" "NoNewPrivs: 1;" "child no_new_privs"
        assert_contains "$st" "Seccomp: 2;" "child seccomp (filter)"
        assert_eq "$(readlink "/run/netns/$SA_IT_NS" >/dev/null; stat -L -c %i "/run/netns/$SA_IT_NS")" \
                "$(stat -L -c %i "/proc/$child/ns/net")" "child's network namespace"
        fds=$(ls -l "/proc/$child/fd" | awk 'NR > 1 { print $NF }' | sort | tr '\n' ' ')
        note "child fds: $fds"
        [ "$(grep -o 'pipe:' <<<"$fds" | wc -l)" -eq 1 ] || fail "child holds other pipes: $fds"
        [ "$(grep -o 'socket:' <<<"$fds" | wc -l)" -le 1 ] || fail "child holds other sockets: $fds"
        wait_exit "$cli" 8 "sockaudit tls on a silent listener" || fail "$WAITED"
        _sa_now_ms
        assert_eq 0 "$WAIT_RC" "exit code"
        assert_eq error "$(jq -r '.listeners[0].tls.status' silent.json)" "status"
        assert_eq timeout "$(jq -r '.listeners[0].tls.error' silent.json)" "error"
        [ $((_SA_NOW - t0)) -ge 4500 ] || fail "timed out early: $((_SA_NOW - t0)) ms"
        [ $((_SA_NOW - t0)) -le $((5000 + $(scaled_ms 1))) ] || fail "timeout took $((_SA_NOW - t0)) ms"
}

# A listener that accepts and closes at once: the probe's alert write meets
# a closed socket (EPIPE); the helper still reports, every time (it died of
# SIGPIPE, "the probe ended without a report", about one run in two).
test_tls_peer_closes() {
        need_cmd python3 jq ss
        serve 4448 python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 4448)); s.listen(64)
while True: s.accept()[0].close()'
        local i
        for i in 1 2 3 4 5 6 7 8 9 10; do
                tls_json 4448
                assert_eq error "$(jq -r .status <<<"$TLS_tls")" "run $i: status"
                assert_contains "$(jq -r .error <<<"$TLS_tls")" "handshake: " "run $i: error"
        done
}

# A listener whose SYNs nftables drops on lo (as the reach lab's rulesets
# 05-jumps and 06-reject do for tcp/443): the probe's connect never
# completes; `tls` and `explain --direct` both end by the probe's 5 s
# (+ 2 s), with error "timeout".
test_tls_dropped_on_lo() {
        need_cmd python3 jq ss nft
        serve 443 python3 -m http.server 443
        in_ns nft 'add table inet h14; add chain inet h14 in { type filter hook input priority 0; policy accept; };
                add rule inet h14 in iifname "lo" tcp dport 443 drop' || fail "nft: the drop rule"
        local t0 out
        tls_json 443
        assert_eq timeout "$(jq -r .error <<<"$TLS_tls")" "tls: error"
        [ "$TLS_ms" -le $((5000 + $(scaled_ms 2))) ] || fail "tls took $TLS_ms ms"
        _sa_now_ms; t0=$_SA_NOW
        out=$(sa_direct explain 443 --tcp --netns "$SA_IT_NS" --json) || fail "explain failed"
        _sa_now_ms
        assert_eq timeout "$(jq -r '[.listeners[].listener.tls.error] | join(",")' <<<"$out")" "explain: error"
        [ $((_SA_NOW - t0)) -le $((5000 + $(scaled_ms 2))) ] || fail "explain took $((_SA_NOW - t0)) ms"
        note "tls $TLS_ms ms, explain $((_SA_NOW - t0)) ms"
}

# (f): hostile certificate fields: a newline, an escape sequence, quotes
# and backslashes in the CN, and a 10 KB subject (200 OUs of 50 bytes, from
# a config file): valid JSON, the subject cut at 1 KiB and marked, one
# table row, no raw control byte on the terminal.
test_tls_hostile_certificate() {
        need_cmd openssl jq ss
        local i x50 c subj
        x50=$(printf 'x%.0s' $(seq 1 50))
        {
                printf '%s\n' '[req]' 'distinguished_name = dn' 'prompt = no' '[dn]'
                # RFC 2253 writes the last name first: the CN comes last.
                for i in $(seq 1 200); do printf '%d.OU = %s\n' "$i" "$x50"; done
                printf 'CN = evil\\nFAKE 0.0.0.0:1 ok\e[31m\\"\\\\\n'
        } > hostile.cnf
        openssl req -x509 -newkey rsa:2048 -nodes -keyout hostile.key -out hostile.pem -days 30 \
                -config hostile.cnf -addext "subjectAltName=DNS:evil.example" 2> hostile.err ||
                fail "openssl req: $(cat hostile.err)"
        [ "$(openssl x509 -in hostile.pem -noout -nameopt RFC2253 -subject | wc -c)" -gt 10000 ] ||
                fail "the test's subject is not 10 KB"
        s_server 4447 -cert hostile.pem -key hostile.key
        tls_json 4447
        c=$(cert_of null)
        subj=$(jq -r .subject <<<"$c")
        assert_eq true "$(jq .subject_truncated <<<"$c")" "subject_truncated"
        assert_eq true "$(jq .issuer_truncated <<<"$c")" "issuer_truncated"
        [ "${#subj}" -le 1024 ] || fail "subject of ${#subj} bytes"
        assert_contains "$subj" 'CN=evil\0AFAKE 0.0.0.0:1 ok\1B[31m\"\\' "subject (escaped by RFC 2253)"
        assert_not_contains "$subj" $'\n' "subject (no raw newline)"
        assert_not_contains "$subj" $'\e' "subject (no raw escape)"
        run_cap TAB "$SA" tls 4447 --direct --netns "$SA_IT_NS" --wide
        assert_eq 0 "$TAB_rc" "tls table exit code"
        assert_eq 2 "$(wc -l <<<"$TAB")" "table lines (header, one certificate)"
        assert_not_contains "$TAB" $'\e' "table (no raw escape)"
}

# Through the daemon: the listeners are the daemon's answer, the probe is
# the CLI's (a note on stderr says so); in the CLI's own namespace no
# setns is needed. A port where nothing listens exits 1.
test_tls_through_daemon() {
        need_cmd openssl jq ss
        mk_cert d rsa:2048 30 "/CN=d.example"
        s_server 4448 -cert d.pem -key d.key
        start_daemon
        refresh
        run_cap OUT sa tls 4448 --json
        assert_eq 0 "$OUT_rc" "exit code"
        assert_eq "" "$OUT_err" "stderr"
        assert_eq ok "$(jq -r '.listeners[0].tls.status' <<<"$OUT")" "status"
        assert_eq CN=d.example "$(jq -r '.listeners[0].tls.certificates[0].subject' <<<"$OUT")" "subject"
        run_cap NONE sa tls 4449
        assert_eq 1 "$NONE_rc" "exit code where nothing listens"
        assert_contains "$NONE" "nothing listens on 4449/tcp" "output"
        run_cap UDP sa tls 4448 --udp
        assert_eq 2 "$UDP_rc" "tls --udp is a usage error"
}

# The nginx config of test_tls_nginx_*: two TLS servers on 443 (a is the
# default), TLS 1.2 and 1.3; a's certificate path relative to the config.
NGINX_TLS_CONF='user root;
worker_processes 2;
pid /etc/nginx/sa-test.pid;
error_log /etc/nginx/error.log;
events { worker_connections 64; }
http {
        access_log off;
        ssl_protocols TLSv1.2 TLSv1.3;
        server {
                listen 443 ssl default_server;
                server_name a.sa-test.example;
                ssl_certificate certs/a.pem;
                ssl_certificate_key certs/a.key;
        }
        server {
                listen 443 ssl;
                server_name b.sa-test.example;
                ssl_certificate /etc/nginx/certs/b.pem;
                ssl_certificate_key /etc/nginx/certs/b.key;
        }
}'

# served_sha256 NAME: the SHA-256 of what s_client is served for SNI NAME
# (also left in served.pem).
served_sha256() {
        bounded 5 "s_client $1" "${NSX[@]}" openssl s_client -connect 127.0.0.1:443 -servername "$1" \
                < /dev/null 2> /dev/null | openssl x509 > served.pem 2> /dev/null || fail "s_client for $1"
        openssl x509 -in served.pem -outform DER | sha256sum | cut -d' ' -f1
}

# file_sha256 PEM: the SHA-256 of the certificate in PEM (DER), as sockaudit prints it.
file_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# cert_with SHA: the certificate object of $TLS_tls with that sha256.
cert_with() { jq -c --arg s "$1" '.certificates[] | select(.sha256 == $s)' <<<"$TLS_tls"; }

# nginx_serves NAME SHA: what nginx serves for NAME has that SHA-256 (after a reload).
nginx_serves() { [ "$(served_sha256 "$1")" == "$2" ]; }

# start_nginx_tls DIR: nginx with NGINX_TLS_CONF, certificates a (RSA-2048,
# 90 days) and b (EC P-256, 5 days) made in DIR/certs, the config copied
# into a tmpfs /etc/nginx of a private mount namespace; listening on 443.
start_nginx_tls() {
        mkdir -p "$1/certs" "$1/new"
        make_cert "$1/certs" a rsa 90 a.sa-test.example
        make_cert "$1/certs" b ec 5 b.sa-test.example
        printf '%s\n' "$NGINX_TLS_CONF" > "$1/sa-test.conf"
        start_mount_holder
        mnt_tmpfs /etc/nginx
        "${MNTX[@]}" cp -r "$1/." /etc/nginx/ || fail "cannot copy the config into the tmpfs"
        start_server "$SA_IT_DIR/nginx.log" /usr/sbin/nginx -c /etc/nginx/sa-test.conf -g 'daemon off;'
}

# nginx from Debian's archive, its config in a tmpfs of a private mount
# namespace (read through /proc/PID/root only), two servers on 443: an
# RSA-2048 certificate valid 90 days (the default, a.sa-test.example)
# and an EC P-256 one expiring in 5 days (b.sa-test.example, in no SAN:
# the probe asks for it because the config names it). Every fact is what
# openssl prints of what s_client is served. Then b's file is renewed on
# disk without a reload: stale (matches false, the new file's sha256),
# a still matches; after `nginx -s reload` both match.
test_tls_nginx_served_vs_on_disk() {
        need_cmd openssl jq ss unshare nsenter sha256sum
        [ -x /usr/sbin/nginx ] || skip "nginx not installed (scripts/install-deps.sh installs it)"
        local d=$SA_IT_DIR/nginx name sha c a_sha b_sha new_sha
        start_nginx_tls "$d"
        a_sha=$(file_sha256 "$d/certs/a.pem")
        b_sha=$(file_sha256 "$d/certs/b.pem")

        tls_json 443
        note "tls 443 --direct: $TLS_ms ms"
        assert_eq ok "$(jq -r .status <<<"$TLS_tls")" "status"
        assert_eq '["TLSv1.2","TLSv1.3"]' "$(jq -c .versions <<<"$TLS_tls")" "versions"
        assert_eq 2 "$(jq '.certificates | length' <<<"$TLS_tls")" "distinct certificates"
        assert_eq "$a_sha" "$(jq -r '.certificates[0].sha256' <<<"$TLS_tls")" "the default certificate is a's"
        assert_eq null "$(jq -r '.certificates[0].sni' <<<"$TLS_tls")" "the default's sni"
        for name in a.sa-test.example b.sa-test.example; do
                sha=$(served_sha256 "$name")
                c=$(cert_with "$sha")
                [ -n "$c" ] || fail "the certificate served for $name is not reported: $TLS_tls"
                same_as_openssl "$c" served.pem
                assert_eq true "$(jq .config.matches <<<"$c")" "config.matches for $name"
                assert_eq "$sha" "$(jq -r .config.on_disk_sha256 <<<"$c")" "on_disk_sha256 for $name"
                assert_eq /etc/nginx/sa-test.conf "$(jq -r .config.server_file <<<"$c")" "server_file for $name"
        done
        assert_eq b.sa-test.example "$(jq -r .sni <<<"$(cert_with "$b_sha")")" "b's sni"
        assert_eq "RSA 2048" "$(jq -r '"\(.key_type) \(.key_bits)"' <<<"$(cert_with "$a_sha")")" "a's key"
        assert_eq "EC 256" "$(jq -r '"\(.key_type) \(.key_bits)"' <<<"$(cert_with "$b_sha")")" "b's key"
        assert_eq "/etc/nginx/certs/a.pem 9" "$(jq -r '"\(.config.file) \(.config.line)"' <<<"$(cert_with "$a_sha")")" \
                "a's file and server block"
        assert_eq "/etc/nginx/certs/b.pem 15" "$(jq -r '"\(.config.file) \(.config.line)"' <<<"$(cert_with "$b_sha")")" \
                "b's file and server block"
        assert_eq '[]' "$(jq -c .stale_on_disk <<<"$TLS_tls")" "stale_on_disk"
        assert_eq null "$(jq -c .config_errors <<<"$TLS_tls")" "config_errors"
        # Files are fingerprinted by the provenance helper: without it, each one says so.
        SOCKAUDIT_PROVENANCE=/nonexistent tls_json 443
        assert_eq ok "$(jq -r .status <<<"$TLS_tls")" "status without the provenance helper"
        assert_contains "$(jq -r '.config_errors[0].reason' <<<"$TLS_tls")" \
                "the helper sockaudit-provenance did not fingerprint it" "a file's error without the helper"

        # b renewed on disk (a new key and certificate at the same paths), not reloaded.
        make_cert "$d/new" b ec 30 b.sa-test.example
        new_sha=$(file_sha256 "$d/new/b.pem")
        "${MNTX[@]}" cp "$d/new/b.pem" "$d/new/b.key" /etc/nginx/certs/ || fail "cannot renew b.pem"
        tls_json 443
        c=$(cert_with "$b_sha")
        [ -n "$c" ] || fail "b's old certificate is no longer served: $TLS_tls"
        assert_eq false "$(jq .config.matches <<<"$c")" "b matches after renewal without reload"
        assert_eq "$new_sha" "$(jq -r .config.on_disk_sha256 <<<"$c")" "b's on_disk_sha256"
        assert_eq true "$(jq .config.matches <<<"$(cert_with "$a_sha")")" "a still matches"
        assert_eq "[{\"sni\":\"b.sa-test.example\",\"file\":\"/etc/nginx/certs/b.pem\",\"served_sha256\":\"$b_sha\",\"on_disk_sha256\":\"$new_sha\"}]" \
                "$(jq -c .stale_on_disk <<<"$TLS_tls")" "stale_on_disk"
        run_cap TAB "$SA" tls 443 --direct --netns "$SA_IT_NS" --wide
        assert_eq 0 "$TAB_rc" "tls table exit code"
        assert_eq 1 "$(grep -c 'STALE: renewed on disk, reload' <<<"$TAB")" "STALE rows in the table"
        assert_contains "$(grep STALE <<<"$TAB")" b.sa-test.example "the STALE row"
        # Every field is documented (config, stale_on_disk; explain carries the same record).
        # shellcheck disable=SC2034  # read by records_check
        RECORDS_MAP=$(records_map "$ROOT/docs/RECORDS.md")
        : > "$SA_IT_DIR/records.out"
        printf '%s\n' "$TLS" > stale.json
        records_check "tls 443 --json" query-reply stale.json
        "$SA" explain 443 --direct --netns "$SA_IT_NS" --json > explain.json || fail "explain --json"
        assert_eq false "$(jq '.listeners[0].listener.tls.certificates[] | select(.sni == "b.sa-test.example") | .config.matches' explain.json)" \
                "explain --json: b's config.matches"
        records_check "explain 443 --direct --json" explain-reply explain.json
        assert_eq "" "$(grep '^MISSING' "$SA_IT_DIR/records.out")" "fields missing from docs/RECORDS.md"
        run_cap EXP "$SA" explain 443 --direct --netns "$SA_IT_NS"
        assert_eq 0 "$EXP_rc" "explain exit code"
        assert_contains "$EXP" "TLS (TCP only; QUIC is not probed): ok, versions TLSv1.2 TLSv1.3" "explain"
        assert_contains "$EXP" "for b.sa-test.example: CN=b.sa-test.example" "explain"
        assert_contains "$EXP" "/etc/nginx/certs/b.pem (/etc/nginx/sa-test.conf:15) differs: STALE, the file was renewed but the server still serves the old certificate — reload it" "explain"
        assert_contains "$EXP" "/etc/nginx/certs/a.pem (/etc/nginx/sa-test.conf:9) is what is served" "explain"

        in_mnt /usr/sbin/nginx -c /etc/nginx/sa-test.conf -s reload || fail "nginx -s reload"
        wait_for 5 "nginx to serve b's new certificate" nginx_serves b.sa-test.example "$new_sha"
        tls_json 443
        assert_eq true "$(jq .config.matches <<<"$(cert_with "$new_sha")")" "b matches after the reload"
        assert_eq true "$(jq .config.matches <<<"$(cert_with "$a_sha")")" "a matches after the reload"
        assert_eq '[]' "$(jq -c .stale_on_disk <<<"$TLS_tls")" "stale_on_disk after the reload"
}
