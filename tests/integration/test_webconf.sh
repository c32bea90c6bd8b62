# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Which names and certificate files a running web server is configured with
# (lib/webconf*.c, through tests/helpers/sa-webconf): real nginx and Apache
# started in the test's network namespace and in a private mount namespace
# whose /etc/nginx (/srv) is a tmpfs the host does not see, so the config
# can only be read through /proc/PID/root. What the reader returns must be
# what the server itself shows: `nginx -T`, `apache2 -S`.

SA_WEBCONF=$BUILD/tests/helpers/sa-webconf

# shellcheck source=webserver.sh
. "${BASH_SOURCE[0]%/*}/webserver.sh"

# server_facts FILE: from `nginx -T`, the server_name and ssl_certificate(_key)
# of server blocks with a "listen ... 443 ... ssl", as "name N" / "cert P" / "key P"
# lines; relative paths under /etc/nginx/ (the -c file's directory).
nginx_t_facts() {
        awk '
        function flush() { if (tls) printf "%s", acc; acc = ""; tls = 0 }
        function path(p) { gsub(/[";]/, "", p); return p ~ /^\// ? p : "/etc/nginx/" p }
        /^# configuration file / || /^[ \t]*server[ \t]*\{/ { flush() }
        /^[ \t]*listen[ \t].*443.*[ \t]ssl/ { tls = 1 }
        /^[ \t]*server_name[ \t]/ { for (i = 2; i <= NF; i++) { n = $i; gsub(/[";]/, "", n); if (n != "") acc = acc "name " tolower(n) "\n" } }
        /^[ \t]*ssl_certificate[ \t]/ { acc = acc "cert " path($2) "\n" }
        /^[ \t]*ssl_certificate_key[ \t]/ { acc = acc "key " path($2) "\n" }
        END { flush() }' "$1"
}

test_webconf_nginx_two_servers_on_443() {
        need_cmd openssl ss unshare nsenter awk
        [ -x /usr/sbin/nginx ] || skip "nginx not installed (scripts/install-deps.sh installs it)"
        [ -x "$SA_WEBCONF" ] || fail "$SA_WEBCONF not built"
        local d=$SA_IT_DIR/nginx worker want
        mkdir -p "$d/certs" "$d/sites"
        make_cert "$d/certs" a rsa 90 a.sa-test.example
        make_cert "$d/certs" b ec 5 b.sa-test.example
        cat > "$d/sa-test.conf" <<'EOF'
# sockaudit test_webconf: two TLS servers on 443, one plain on 80
user root;
worker_processes 2;
pid /etc/nginx/sa-test.pid;
error_log /etc/nginx/error.log;
events { worker_connections 64; }
http {
        access_log off;
        include sites/*.conf;   # a glob, relative to this file's directory
}
EOF
        cat > "$d/sites/a.conf" <<'EOF'
server {
        listen 443 ssl default_server;
        listen [::]:443 ssl;
        server_name a.sa-test.example www.a.sa-test.example;
        ssl_certificate certs/a.pem;
        ssl_certificate_key certs/a.key;
}
EOF
        cat > "$d/sites/b.conf" <<'EOF'
server {
        listen 443 ssl;
        server_name "b.sa-test.example" *.b.sa-test.example;
        ssl_certificate /etc/nginx/certs/b.pem;
        ssl_certificate_key /etc/nginx/certs/b.key;
        ssl_protocols TLSv1.2 TLSv1.3;
}
server {
        listen 80;
        server_name plain.sa-test.example;
}
EOF
        start_mount_holder
        mnt_tmpfs /etc/nginx
        "${MNTX[@]}" cp -r "$d/." /etc/nginx/ || fail "cannot copy the config into the tmpfs"
        [ ! -e /etc/nginx/sa-test.conf ] || fail "the test config is visible on the host"
        start_server "$SA_IT_DIR/nginx.log" /usr/sbin/nginx -c /etc/nginx/sa-test.conf -g 'daemon off;'

        run_cap OUT "$SA_WEBCONF" "$SERVER_PID" 443
        assert_eq 0 "$OUT_rc" "sa-webconf exit code"
        want="config /etc/nginx/sa-test.conf
vhost /etc/nginx/sites/a.conf:1 default
addr *
addr ::
name a.sa-test.example
name www.a.sa-test.example
cert /etc/nginx/certs/a.pem
key /etc/nginx/certs/a.key
vhost /etc/nginx/sites/b.conf:1
addr *
name b.sa-test.example
name *.b.sa-test.example wildcard
cert /etc/nginx/certs/b.pem
key /etc/nginx/certs/b.key"
        assert_eq "$want" "$OUT" "what the reader found"

        # The same as nginx's own view of the configuration.
        in_mnt /usr/sbin/nginx -T -c /etc/nginx/sa-test.conf > "$SA_IT_DIR/nginx-T.txt" 2>&1 ||
                fail "nginx -T failed: $(tail -n 3 "$SA_IT_DIR/nginx-T.txt")"
        assert_same_set "nginx -T" "$(nginx_t_facts "$SA_IT_DIR/nginx-T.txt")" \
                "sa-webconf" "$(grep -E '^(name|cert|key) ' <<<"$OUT" | sed 's/ wildcard$//')" \
                "names and files of the TLS servers on 443"

        # A worker's title hides -c: its master's command line is used.
        worker=$(ps -o pid= --ppid "$SERVER_PID" | head -n 1 | tr -d ' ')
        [ -n "$worker" ] || fail "no nginx worker under $SERVER_PID"
        run_cap W "$SA_WEBCONF" "$worker" 443
        assert_eq "$OUT" "$W" "the same from worker $worker"

        # Port 80 has a server but no TLS.
        run_cap P80 "$SA_WEBCONF" "$SERVER_PID" 80
        assert_eq "config /etc/nginx/sa-test.conf" "$P80" "TLS servers on port 80"

        # The certificate files, read in the server's root, as openssl reads them.
        for c in a b; do
                run_cap FP "$SA_WEBCONF" --cert "$SERVER_PID" "/etc/nginx/certs/$c.pem"
                assert_eq "$(openssl x509 -in "$d/certs/$c.pem" -outform DER | sha256sum | cut -d' ' -f1)" \
                        "$FP" "SHA-256 of certs/$c.pem"
        done
}

# nginx run by nobody: a file of its config that nobody may not read is
# not read for it (the reader runs as root; the server's rights count).
test_webconf_nginx_as_nobody_reads_what_it_may() {
        need_cmd openssl ss setpriv
        [ -x /usr/sbin/nginx ] || skip "nginx not installed (scripts/install-deps.sh installs it)"
        [ -x "$SA_WEBCONF" ] || fail "$SA_WEBCONF not built"
        local d=${SA_IT_DIR:?}/user
        mkdir -p "$d/sites" "$d/run"
        make_cert "$d" c ec 5 user.sa-test.example
        cat > "$d/u.conf" <<CONF
pid $d/run/nginx.pid;
error_log $d/run/error.log;
worker_processes 1;
events { worker_connections 16; }
http {
        access_log off;
        client_body_temp_path $d/run/body;
        proxy_temp_path $d/run/proxy;
        fastcgi_temp_path $d/run/fastcgi;
        include sites/*.conf;
}
CONF
        printf 'server { listen 127.0.0.1:8443 ssl; server_name user.sa-test.example;\n ssl_certificate %s; ssl_certificate_key %s; }\n' \
                "$d/c.pem" "$d/c.key" > "$d/sites/a.conf"
        chmod -R a+rX "$d"
        chown -R nobody "$d/run"
        "${NSX[@]}" setpriv --reuid nobody --regid nogroup --clear-groups \
                /usr/sbin/nginx -c "$d/u.conf" -g 'daemon off;' > "$SA_IT_DIR/nginx.log" 2>&1 < /dev/null &
        SERVER_PID=$!
        track_pid "$SERVER_PID"
        wait_for 5 "nginx (nobody) to listen on 8443" _listens_8443
        [ "$(stat -c %u "/proc/$SERVER_PID")" == "$(id -u nobody)" ] || fail "nginx does not run as nobody"

        run_cap OUT "$SA_WEBCONF" "$SERVER_PID" 8443
        assert_contains "$OUT" "name user.sa-test.example" "the site nobody may read"
        chmod 0600 "$d/sites/a.conf"
        run_cap OUT "$SA_WEBCONF" "$SERVER_PID" 8443
        assert_eq "config $d/u.conf
error $d/u.conf:10: $d/sites/a.conf: not readable by the server's user (uid $(id -u nobody))" "$OUT" \
                "a site only root may read"
}

_listens_8443() {
        alive "$SERVER_PID" || fail "nginx exited: $(tail -n 5 "$SA_IT_DIR/nginx.log" | tr '\n' ' ')"
        [ -n "$(in_ns ss -Hltn 'sport = :8443')" ]
}

test_webconf_apache_vhosts_on_443() {
        need_cmd openssl ss unshare nsenter
        if [ ! -x /usr/sbin/apache2 ] || [ ! -f /usr/lib/apache2/modules/mod_ssl.so ]; then
                skip "apache2 (apache2-bin) not installed (scripts/install-deps.sh installs it)"
        fi
        [ -x "$SA_WEBCONF" ] || fail "$SA_WEBCONF not built"
        local d=$SA_IT_DIR/apache m=/usr/lib/apache2/modules want
        mkdir -p "$d/certs" "$d/sites" "$d/run"
        make_cert "$d/certs" a rsa 90 a.sa-test.example
        make_cert "$d/certs" b ec 5 b.sa-test.example
        cat > "$d/apache2.conf" <<EOF
# sockaudit test_webconf: Apache with two TLS virtual hosts on 443
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule ssl_module $m/mod_ssl.so
DefaultRuntimeDir /srv/run
PidFile /srv/run/httpd.pid
ErrorLog /srv/error.log
Mutex file:/srv/run
User www-data
Group www-data
ServerName localhost
Listen 443
IncludeOptional sites/*.conf
IncludeOptional conf-enabled/*.conf
EOF
        cat > "$d/sites/a.conf" <<'EOF'
<IfModule ssl_module>
<VirtualHost *:443>
	ServerName a.sa-test.example
	ServerAlias www.a.sa-test.example \
	            *.wild.sa-test.example
	SSLEngine on
	SSLCertificateFile certs/a.pem
	SSLCertificateKeyFile certs/a.key
</VirtualHost>
</IfModule>
EOF
        cat > "$d/sites/b.conf" <<'EOF'
<VirtualHost *:443>
	ServerName "b.sa-test.example"
	SSLEngine on
	SSLCertificateFile /srv/certs/b.pem
	SSLCertificateKeyFile /srv/certs/b.key
</VirtualHost>
<VirtualHost *:80>
	ServerName plain.sa-test.example
</VirtualHost>
EOF
        start_mount_holder
        mnt_tmpfs /srv
        "${MNTX[@]}" cp -r "$d/." /srv/ || fail "cannot copy the config into the tmpfs"
        start_server "$SA_IT_DIR/apache.log" /usr/sbin/apache2 -d /srv -f apache2.conf -DFOREGROUND

        run_cap OUT "$SA_WEBCONF" "$SERVER_PID" 443
        assert_eq 0 "$OUT_rc" "sa-webconf exit code"
        want="config /srv/apache2.conf
vhost /srv/sites/a.conf:2 default
addr *
name a.sa-test.example
name www.a.sa-test.example
name *.wild.sa-test.example wildcard
cert /srv/certs/a.pem
key /srv/certs/a.key
vhost /srv/sites/b.conf:1
addr *
name b.sa-test.example
cert /srv/certs/b.pem
key /srv/certs/b.key"
        assert_eq "$want" "$OUT" "what the reader found"

        # apache2 -S: every name vhost with its file:line, aliases under it.
        in_mnt /usr/sbin/apache2 -d /srv -f apache2.conf -S > "$SA_IT_DIR/apache-S.txt" 2>&1 ||
                fail "apache2 -S failed: $(tail -n 3 "$SA_IT_DIR/apache-S.txt")"
        assert_same_set "apache2 -S" \
                "$(sed -nE 's/^ *port 443 namevhost ([^ ]+) \((.*)\)$/vhost \2\nname \1/p; s/^ *(wild )?alias (.*)$/name \2/p' \
                        "$SA_IT_DIR/apache-S.txt")" \
                "sa-webconf" "$(grep -E '^(vhost|name) ' <<<"$OUT" | sed 's/ wildcard$//; s/ default$//')" \
                "TLS virtual hosts on 443 and their names"
        assert_eq "$(sed -nE 's/^ *default server [^ ]+ \((.*)\)$/vhost \1 default/p' "$SA_IT_DIR/apache-S.txt")" \
                "$(grep -E '^vhost .* default$' <<<"$OUT")" "the default virtual host (no SNI)"
}
