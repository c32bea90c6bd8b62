# shellcheck shell=bash
# Prometheus metrics (docs/METRICS.md): MetricsFile= and `sockaudit
# metrics` give the same text, Debian's promtool accepts it, a hostile
# program name cannot break it, and Debian's node exporter serves it
# through its textfile collector.

# The certificate makers and servers (mk_cert, s_server) are test_tls.sh's.
# shellcheck source=test_tls.sh
. "${BASH_SOURCE[0]%/*}/test_tls.sh"

METRICS_DIR=${SA_IT_DIR:-/nonexistent}/prom
METRICS_FILE=$METRICS_DIR/sockaudit.prom

# start_metrics_daemon: Ports=all, MetricsFile= in a private directory.
start_metrics_daemon() {
        mkdir -p "$METRICS_DIR"
        write_config 'Ports=all' "MetricsFile=$METRICS_FILE"
        start_daemon
}

# metrics_has PATTERN: the file exists and a line matches (grep -E).
metrics_has() { [ -f "$METRICS_FILE" ] && grep -qE -- "$1" "$METRICS_FILE"; }

# promtool_ok WHAT < TEXT: promtool check metrics finds no problem.
promtool_ok() {
        local out
        out=$(promtool check metrics 2>&1) || fail "promtool check metrics on $1: $out"
        note "promtool check metrics on $1: ok"
}

# The file is written after the first scan and again after a change; the
# verb prints the same metrics; promtool accepts both; every name the
# issue lists is there with HELP and TYPE.
test_metrics_file_and_verb() {
        need_cmd promtool
        local name text
        start_listen --tcp 127.0.0.1 31600
        start_metrics_daemon
        wait_for 5 "the metrics file with port 31600" metrics_has 'sockaudit_listener_info\{.*port="31600"'
        promtool_ok "$METRICS_FILE" < "$METRICS_FILE"
        text=$(sa metrics) || fail "sockaudit metrics failed"
        promtool_ok "sockaudit metrics" <<<"$text"
        for name in sockaudit_listener_info sockaudit_listeners sockaudit_policy_violations \
                    sockaudit_events_total sockaudit_scan_duration_seconds \
                    sockaudit_last_scan_timestamp_seconds sockaudit_tls_cert_not_after_timestamp_seconds \
                    sockaudit_journal_dropped_total sockaudit_build_info \
                    sockaudit_scans_total sockaudit_scan_errors_total; do
                assert_contains "$text" "# TYPE $name " "sockaudit metrics: TYPE of $name"
                assert_contains "$text" "# HELP $name " "sockaudit metrics: HELP of $name"
        done
        assert_contains "$text" 'sockaudit_listeners 1' "one listener"
        assert_contains "$text" 'sockaudit_events_total{type="listener_added"} 1' "one listener_added"
        # A new listener: the file follows (refresh installs the change).
        start_listen --udp 127.0.0.1 31601
        refresh
        wait_for 5 "the metrics file with 31601/udp" metrics_has 'proto="udp".*port="31601"'
        wait_for 5 "the metrics file's listener count" metrics_has '^sockaudit_listeners 2$'
        # Each full scan rewrites the file (through NAME.tmp): one may be in flight, none may stay.
        no_tmp() { [ -z "$(find "$METRICS_DIR" -name '*.tmp')" ]; }
        wait_for 5 "no temp file left in $METRICS_DIR" no_tmp
}

# metrics_scans_at_least N: the file counts at least N full scans.
metrics_scans_at_least() {
        local n
        n=$(sed -n 's/^sockaudit_scans_total \([0-9]*\)$/\1/p' "$METRICS_FILE" 2> /dev/null)
        [ "${n:-0}" -ge "$1" ]
}

# On a quiet host (nothing opens or closes) the file is written again
# after each full scan: sockaudit_scans_total grows, what a stale-scan
# alert (contrib/prometheus/sockaudit.rules.yml) looks at.
test_metrics_quiet_host_scans() {
        local first
        start_listen --tcp 127.0.0.1 31630
        mkdir -p "$METRICS_DIR"
        write_config 'Ports=all' 'ScanInterval=200ms' "MetricsFile=$METRICS_FILE"
        start_daemon
        wait_for 5 "the metrics file with port 31630" metrics_has 'port="31630"'
        first=$(sed -n 's/^sockaudit_scans_total //p' "$METRICS_FILE")
        wait_for 10 "the file to count 3 more full scans (from ${first:-none})" metrics_scans_at_least $((${first:-0} + 3))
        metrics_has '^sockaudit_scan_errors_total 0$' || fail "sockaudit_scan_errors_total is not 0: $(grep scan_errors "$METRICS_FILE")"
        metrics_has '^sockaudit_listeners 1$' || fail "the listener count changed on a quiet host"
}

# A program whose file name (and so its comm and exe) holds a newline, a
# double quote and a backslash: its labels are escaped, promtool parses
# the text.
test_metrics_hostile_name() {
        need_cmd promtool
        local dir=$SA_IT_DIR/bin hostile text
        hostile=$(printf 'x"q\\b\nn')
        mkdir -p "$dir"
        cp "$SA_LISTEN" "$dir/$hostile" || fail "cannot copy sa-listen to a hostile name"
        SA_LISTEN="$dir/$hostile" start_listen --tcp 127.0.0.1 31610
        start_metrics_daemon
        wait_for 5 "the metrics file with port 31610" metrics_has 'port="31610"'
        promtool_ok "$METRICS_FILE" < "$METRICS_FILE"
        text=$(sa metrics) || fail "sockaudit metrics failed"
        promtool_ok "sockaudit metrics" <<<"$text"
        assert_contains "$text" 'exe="'"$dir"'/x\"q\\b\nn"' "the hostile exe, escaped"
}

# node_ready PORT: the exporter answers /metrics on 127.0.0.1:PORT.
node_ready() {
        alive "$NODE_PID" || fail "prometheus-node-exporter exited: $(tail -n 3 "$SA_IT_DIR/node.log" | tr '\n' ' ')"
        in_ns python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
                "http://127.0.0.1:$1/metrics" > /dev/null 2>&1
}

# Scraped for real: Debian's prometheus-node-exporter, on loopback in the
# test's namespace with only its textfile collector, serves the file.
test_metrics_node_exporter() {
        need_cmd prometheus-node-exporter python3
        local port=9100 scraped
        start_listen --tcp 127.0.0.1 31620
        start_metrics_daemon
        wait_for 5 "the metrics file with port 31620" metrics_has 'port="31620"'
        "${NSX[@]}" prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
                --collector.disable-defaults --collector.textfile \
                --collector.textfile.directory="$METRICS_DIR" > "$SA_IT_DIR/node.log" 2>&1 &
        NODE_PID=$!
        track_pid "$NODE_PID"
        wait_for 10 "prometheus-node-exporter to answer on $port" node_ready "$port"
        scraped=$(in_ns python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
                "http://127.0.0.1:$port/metrics") || fail "cannot read the exporter's /metrics"
        # 1, or 2 once a scan has seen the exporter's own 9100.
        grep -qxE 'sockaudit_listeners [12]' <<<"$scraped" ||
                fail "the exporter's sockaudit_listeners: $(grep '^sockaudit_listeners' <<<"$scraped")"
        assert_contains "$scraped" 'port="31620"' "the exporter's sockaudit_listener_info"
        assert_contains "$scraped" 'node_textfile_scrape_error 0' "the textfile collector read the file"
}

# A TLS listener on 443 (watched by default) whose certificate's subject
# holds a quote and a backslash: its not_after, to the second, in
# sockaudit_tls_cert_not_after_timestamp_seconds; promtool parses it.
test_metrics_tls_certificate() {
        need_cmd openssl promtool
        local end
        mk_cert q rsa:2048 30 '/CN=q"uo\\te.example'
        end=$(date -d "$(openssl x509 -in q.pem -noout -enddate | cut -d= -f2)" +%s) || fail "the certificate's end"
        s_server 443 -cert q.pem -key q.key
        mkdir -p "$METRICS_DIR"
        write_config "MetricsFile=$METRICS_FILE"
        start_daemon
        wait_until -w "the certificate in the metrics file" 10 metrics_has \
                '^sockaudit_tls_cert_not_after_timestamp_seconds\{port="443",sni="",subject=".*uo.*"\} '"$end"'$' ||
                fail "$WAITED (want $end): $(grep tls_cert "$METRICS_FILE")"
        promtool_ok "$METRICS_FILE" < "$METRICS_FILE"
        promtool_ok "sockaudit metrics" <<<"$(sa metrics)"
}
