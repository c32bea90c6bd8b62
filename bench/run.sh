#!/bin/bash
# `make bench`: sockaudit against ss (and lsof) on a loaded host built for
# the purpose in a network namespace of its own. Needs root.
#
#   BENCH_SIZES="500x100 4000x250"  PROCSxFDS per size (default: both; "none": skip them)
#   BENCH_ROUNDS=5                  rounds of the full-scan comparisons
#   BENCH_WHO_ROUNDS=50             rounds of `who 443` through the daemon
#   BENCH_REST_SEC=20               how long the daemon's CPU at rest is measured
#   BENCH_LSOF=auto                 run lsof too (auto: sizes up to 100k fds)
#   BENCH_LISTENERS=38000           TCP listeners of the many-listeners case (0: skip)
#   BENCH_LIST_ROUNDS=5             rounds of `list --json` against `ss -Hltnp` there
#   BENCH_OUT=$BUILD/bench/results.txt
#   BENCH_DEBUG=1                   the daemon logs at debug level; its logs are
#                                   kept as $BUILD/bench/daemon-SIZE.log
#   BENCH_NETNS=500                 namespaces of the namespaces size (0: skip it)
#   BENCH_NETNS_ROUNDS=30           rounds of each `who` round trip there
#   BENCH_FRESH_ROUNDS=20           new listeners timed to `watch`, at each size (proc connector; polling: 3)
#                                   and in the namespaces size (a new netns each batch); batches of 4, 11 s apart
#   BENCH_LOCKOUT_N=2000            connections of the lock-out case (0: skip)
#   BENCH_LOCKOUT_ROUNDS=5          its rounds
#
# Each size: sa-loadhost forks PROCS idle processes holding FDS fds each
# (files, pipes, socket pairs, unbound sockets; 100 of them also hold a
# noise listener) and an nginx-like master with 8 workers sharing TCP and
# UDP 443 on IPv4 and IPv6. Then, interleaved: `sockaudit who 443` (the
# daemon, warm), `ss -Hltnp 'sport = :443'`, `sockaudit list --direct`
# and `ss -Hltunp`; the holders of 443 found by ss, the daemon, --direct
# and lsof must be the same set of (pid, fd). Then the daemon's CPU at rest
# and RSS, and how long a new listener on a watched port takes to reach a
# `watch` client (proc connector, then polling). Timings are medians; no
# figure is a pass/fail threshold, but a holder mismatch fails the run.
#
# Many listeners (issue 17 §6): BENCH_LISTENERS TCP listeners in the
# namespace, held by two processes (sa-listen, half each); the daemon's
# `list --json` and `list` (the table, from the compact form) end to end
# (CLI included) against `ss -Hltnp`, the replies' sizes (full and compact
# form), and the daemon's RSS: at rest before, its peak over the lists,
# and a few seconds after them; then how long root's status waits while
# one client asks check (or refresh) back to back (bench/sa-loopwait.py):
# what of their work still runs on the event loop.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
SIZES=${BENCH_SIZES:-500x100 4000x250}
[ "$SIZES" == none ] && SIZES=
ROUNDS=${BENCH_ROUNDS:-5}
WHO_ROUNDS=${BENCH_WHO_ROUNDS:-50}
REST=${BENCH_REST_SEC:-20}
LSOF=${BENCH_LSOF:-auto}
OUT=${BENCH_OUT:-$BUILD/bench/results.txt}
SA=$PWD/$BUILD/sockaudit
SAD=$PWD/$BUILD/sockauditd
B=$PWD/$BUILD/bench
SA_LISTEN=$PWD/$BUILD/tests/helpers/sa-listen
LISTENERS=${BENCH_LISTENERS:-38000}
LIST_ROUNDS=${BENCH_LIST_ROUNDS:-5}

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (network namespace, every process's fds)"
for c in ip ss nsenter jq; do command -v $c >/dev/null || die "$c not installed"; done
for f in "$SA" "$SAD" "$B/sa-loadhost" "$B/sa-timeit" "$B/sa-fresh" "$B/sa-noop" "$SA_LISTEN"; do
        [ -x "$f" ] || die "$f not built (make bench builds it)"
done

NS=sa-bench-$$
TMP=$(mktemp -d /tmp/sa-bench.XXXXXX)
chmod 0755 "$TMP"
NSX=(nsenter "--net=/run/netns/$NS" --)
LH_PID=
DAEMON_PID=
LISTEN_PIDS=

# stop_pids VAR: ends (TERM) and reaps the processes VAR lists, then empties it.
stop_pids() {
        local p
        for p in ${!1}; do
                kill -TERM "$p" 2>/dev/null
                wait "$p" 2>/dev/null
        done
        printf -v "$1" '%s' ''
}
stop_daemon() { stop_pids DAEMON_PID; }
stop_loadhost() { stop_pids LH_PID; }
stop_listeners() { stop_pids LISTEN_PIDS; }
cleanup() {
        stop_daemon
        declare -F stop_netns_listen >/dev/null && stop_netns_listen
        stop_loadhost
        stop_listeners
        ip netns del "$NS" 2>/dev/null
        rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" || die "cannot create a network namespace"
ip -n "$NS" link set lo up
# Room for the big size: fds per process are few, the total is what grows.
ulimit -n 65536 2>/dev/null || true

# fresh_rounds N SOCKET PORT [PREFIX...]: sa-fresh's new listener on PORT
# -> watch, N rounds in batches of 4, each run through PREFIX (e.g.
# `unshare -n`: a namespace of its own per batch) and 11 s after the last:
# more rounds in 10 s would be told as flapping, and more than 4
# short-lived listeners in 10 s put the monitor in churn mode (each new one
# held 1 s: docs/PERFORMANCE.md). "added MEDIAN MAX removed MEDIAN MAX"
# over every round.
FRESH_ROUNDS=${BENCH_FRESH_ROUNDS:-20}
fresh_rounds() {
        local left=$1 sock=$2 port=$3 k
        shift 3
        : > "$TMP/fresh.txt"
        while [ "$left" -gt 0 ]; do
                k=$((left < 4 ? left : 4))
                "$@" "$B/sa-fresh" "$sock" "$port" "$k" 2>> "$TMP/fresh.txt" >/dev/null || return 1
                left=$((left - k))
                [ "$left" -gt 0 ] && sleep 11
        done
        med_max() { sort -n | awk '{ v[NR] = $1 } END { printf "%s %s", v[int((NR + 1) / 2)], v[NR] }'; }
        echo "added $(awk '/sa-fresh round/ { print $5 }' "$TMP/fresh.txt" | med_max)" \
             "removed $(awk '/sa-fresh round/ { print $8 }' "$TMP/fresh.txt" | med_max)"
}

# start_daemon [ENV...]: the daemon on $TMP/sock, watching 443 and 8443;
# returns once it answers (its first scan done). EXTRA_CONF: more [Daemon] lines.
start_daemon() {
        printf '[Daemon]\nNamespaces=self\nPorts=443 8443\n%s' "${EXTRA_CONF:-}" > "$TMP/conf"
        rm -rf "$TMP/state"
        env ${BENCH_DEBUG:+SOCKAUDIT_LOG_LEVEL=debug} "$@" "${NSX[@]}" "$SAD" --socket "$TMP/sock" --foreground --config "$TMP/conf" \
                --state-dir "$TMP/state" >> "$TMP/daemon.log" 2>&1 &
        DAEMON_PID=$!
        local i
        for ((i = 0; i < 1200; i++)); do
                "$SA" --socket "$TMP/sock" status >/dev/null 2>&1 && return 0
                kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon exited: $(tail -n 3 "$TMP/daemon.log")"
                sleep 0.1
        done
        die "the daemon did not answer within 120 s"
}

# CPU time (ns) of every thread of a process so far.
cpu_ns() {
        local t s=0
        for t in /proc/"$1"/task/*/schedstat; do
                read -r a _ < "$t" && s=$((s + a))
        done
        echo "$s"
}

# Holder sets of port 443, "pid fd" per line, sorted.
ss_holders() {
        "${NSX[@]}" ss -Hltunp 'sport = :443' | grep -o 'pid=[0-9]*,fd=[0-9]*' |
                sed -E 's/pid=([0-9]+),fd=([0-9]+)/\1 \2/' | sort -u
}
sa_holders() { # JSON NETNS_INODE
        jq -r --argjson ns "$2" '.listeners[] | select(.netns == $ns) | .owners[] | "\(.pid) \(.fds[])"' <<<"$1" |
                sort -u
}
lsof_holders() {
        "${NSX[@]}" lsof -nP -i :443 -F pf 2>/dev/null |
                awk '/^p/ { pid = substr($0, 2) } /^f[0-9]/ { print pid, substr($0, 2) }' | sort -u
}

median_of() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

machine="$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), kernel $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
mkdir -p "$(dirname "$OUT")"
{
        echo "# sockaudit bench, $(date -u +%Y-%m-%dT%H:%MZ)"
        echo "# machine: $machine; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "# command: make bench BENCH_SIZES=\"$SIZES\" (rounds $ROUNDS, who rounds $WHO_ROUNDS)"
} > "$OUT"
fail=0

for size in $SIZES; do
        P=${size%x*}
        F=${size#*x}
        echo "== size $size: $P processes x $F fds" >&2
        "${NSX[@]}" "$B/sa-loadhost" --procs "$P" --fds "$F" --workers 8 --noise 100 > "$TMP/lh.out" 2> "$TMP/lh.err" &
        LH_PID=$!
        for ((i = 0; i < 3000; i++)); do
                grep -q READY "$TMP/lh.out" && break
                kill -0 "$LH_PID" 2>/dev/null || die "sa-loadhost exited: $(cat "$TMP/lh.err")"
                sleep 0.1
        done
        grep -q READY "$TMP/lh.out" || die "sa-loadhost not ready after 300 s"
        nsino=$(stat -L -c %i "/run/netns/$NS")

        t0=$(date +%s%N)
        start_daemon
        start_ms=$((($(date +%s%N) - t0) / 1000000))
        st=$("$SA" --socket "$TMP/sock" status --json)
        first_ms=$(jq -r '.last_scan.duration_ms | floor' <<<"$st")
        fds=$(jq -r '.last_scan.stats.fds' <<<"$st")
        procs=$(jq -r '.last_scan.stats.procs' <<<"$st")
        mode=$(jq -r '.freshness.mode // .freshness // "?"' <<<"$st")
        method=$(jq -r '.scan_method | "\(.method) (\(.detail))"' <<<"$st")
        [ "$mode" == "?" ] && mode=$(grep -o 'freshness: [a-z-]*' "$TMP/daemon.log" | tail -n 1 | cut -d' ' -f2)
        echo "   host: $procs processes, $fds fds; daemon ready in $start_ms ms (first scan $first_ms ms), freshness $mode, scan method $method" >&2

        # Exactness: the same holders of 443 from every tool.
        want=$(ss_holders)
        got_d=$(sa_holders "$("$SA" --socket "$TMP/sock" who 443 --json)" "$nsino")
        got_x=$(sa_holders "$("${NSX[@]}" "$SA" who 443 --json --direct)" "$nsino")
        check="ss=$(wc -l <<<"$want") daemon=$(wc -l <<<"$got_d") direct=$(wc -l <<<"$got_x")"
        [ "$want" == "$got_d" ] || { echo "   MISMATCH ss vs daemon: $(diff <(echo "$want") <(echo "$got_d") | head -5 | tr '\n' ' ')" >&2; fail=1; }
        [ "$want" == "$got_x" ] || { echo "   MISMATCH ss vs --direct" >&2; fail=1; }
        if command -v lsof >/dev/null && { [ "$LSOF" == 1 ] || { [ "$LSOF" == auto ] && [ $((P * F)) -le 100000 ]; }; }; then
                t1=$(date +%s%N)
                got_l=$(lsof_holders)
                lsof_ms=$((($(date +%s%N) - t1) / 1000000))
                check+=" lsof=$(wc -l <<<"$got_l") (lsof took $lsof_ms ms)"
                [ "$want" == "$got_l" ] || { echo "   MISMATCH ss vs lsof" >&2; fail=1; }
        fi
        echo "   holders of 443 (pid, fd): $check" >&2

        # Timings, interleaved, every command run inside the namespace.
        "${NSX[@]}" "$B/sa-timeit" "$ROUNDS" \
                ss443 ss -Hltnp 'sport = :443' --- \
                who "$SA" --socket "$TMP/sock" who 443 --- \
                direct "$SA" list --direct --- \
                ssall ss -Hltunp --- \
                directproc env SOCKAUDIT_SCAN_METHOD=procfs "$SA" list --direct > "$TMP/t1" || die "timing failed"
        "${NSX[@]}" "$B/sa-timeit" "$WHO_ROUNDS" \
                who "$SA" --socket "$TMP/sock" who 443 --- \
                whojson "$SA" --socket "$TMP/sock" who 443 --json --- \
                version "$SA" --version --- \
                noop "$B/sa-noop" > "$TMP/t2" || die "timing failed"
        ss443=$(awk '$1 == "ss443" { print $2 }' "$TMP/t1")
        ssall=$(awk '$1 == "ssall" { print $2 }' "$TMP/t1")
        direct=$(awk '$1 == "direct" { print $2 }' "$TMP/t1")
        directproc=$(awk '$1 == "directproc" { print $2 }' "$TMP/t1")
        who=$(awk '$1 == "who" { print $2 }' "$TMP/t2")
        cli=$(awk '$1 == "version" { print $2 }' "$TMP/t2")
        whojson=$(awk '$1 == "whojson" { print $2 }' "$TMP/t2")
        noop=$(awk '$1 == "noop" { print $2 }' "$TMP/t2")

        # At rest: nothing asked, nothing changing.
        sleep 2
        c0=$(cpu_ns "$DAEMON_PID")
        sleep "$REST"
        c1=$(cpu_ns "$DAEMON_PID")
        rest_pct=$(awk -v d=$((c1 - c0)) -v s="$REST" 'BEGIN { printf "%.2f", d / (s * 1e9) * 100 }')
        rss=$(awk '/VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status")
        hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$DAEMON_PID/status")

        fresh_c=$(fresh_rounds "$FRESH_ROUNDS" "$TMP/sock" 8443 "${NSX[@]}") || fresh_c="failed"
        stop_daemon
        start_daemon SOCKAUDITD_FRESHNESS=polling
        fresh_p=$("${NSX[@]}" "$B/sa-fresh" "$TMP/sock" 8443 3) || fresh_p="failed"
        stop_daemon
        stop_loadhost
        [ -n "${BENCH_DEBUG:-}" ] && cp "$TMP/daemon.log" "$(dirname "$OUT")/daemon-$size.log"
        : > "$TMP/daemon.log"

        {
                echo
                echo "## $P processes x $F fds ($fds fds walked, $procs processes)"
                printf '%-44s %12s\n' "who 443, daemon, warm (CLI start incl.)" "$who ms"
                printf '%-44s %12s\n' "  CLI start alone (sockaudit --version)" "$cli ms"
                printf '%-44s %12s\n' "  a static no-op (bench/sa-noop)" "$noop ms"
                printf '%-44s %12s\n' "  ratio who / no-op" "$(awk -v a="$who" -v b="$noop" 'BEGIN { printf "%.2fx", a / b }')"
                printf '%-44s %12s\n' "who 443 --json (bytes passed through)" "$whojson ms"
                printf '%-44s %12s\n' "ss -Hltnp 'sport = :443'" "$ss443 ms"
                printf '%-44s %12s\n' "  ratio ss443 / who" "$(awk -v a="$ss443" -v b="$who" 'BEGIN { printf "%.0fx", a / b }')"
                printf '%-44s %s\n' "scan method (daemon; --direct the same)" "$method"
                printf '%-44s %12s\n' "sockaudit list --direct (cold, all netns)" "$direct ms"
                printf '%-44s %12s\n' "  the same with SOCKAUDIT_SCAN_METHOD=procfs" "$directproc ms"
                printf '%-44s %12s\n' "daemon first scan" "$first_ms ms"
                printf '%-44s %12s\n' "ss -Hltunp" "$ssall ms"
                printf '%-44s %12s\n' "  ratio direct / ss" "$(awk -v a="$direct" -v b="$ssall" 'BEGIN { printf "%.2f", a / b }')"
                printf '%-44s %12s\n' "  ratio daemon first scan / ss" "$(awk -v a="$first_ms" -v b="$ssall" 'BEGIN { printf "%.2f", a / b }')"
                printf '%-44s %12s\n' "  ratio direct (procfs) / ss" "$(awk -v a="$directproc" -v b="$ssall" 'BEGIN { printf "%.2f", a / b }')"
                printf '%-44s %12s\n' "daemon CPU at rest ($mode, ${REST}s)" "$rest_pct %"
                printf '%-44s %12s\n' "daemon RSS now / peak" "$((rss / 1024)) / $((hwm / 1024)) MiB"
                printf '%-44s %s\n' "new listener -> watch, proc connector" "$fresh_c (median, max ms; $FRESH_ROUNDS rounds)"
                printf '%-44s %s\n' "new listener -> watch, polling" "$fresh_p (median, max ms)"
                printf '%-44s %s\n' "holders of 443 equal" "$([ $fail -eq 0 ] && echo yes || echo NO): $check"
        } >> "$OUT"
done
# Many listeners: two processes holding LISTENERS TCP listeners between them.
kib() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$DAEMON_PID/status"; }
if [ "$LISTENERS" -gt 0 ]; then
        echo "== many listeners: $LISTENERS TCP listeners, two processes" >&2
        first=20000
        half=$(((LISTENERS + 1) / 2))
        [ $((first + LISTENERS - 1)) -le 65535 ] || die "BENCH_LISTENERS=$LISTENERS: more ports than there are from $first"
        for range in "$first $((first + half - 1))" "$((first + half)) $((first + LISTENERS - 1))"; do
                read -r lo hi <<<"$range"
                [ "$hi" -ge "$lo" ] || continue
                "${NSX[@]}" "$SA_LISTEN" --tcp-range 0.0.0.0 "$lo" "$hi" > "$TMP/listen.$lo" 2>&1 &
                LISTEN_PIDS+=" $!"
                for ((i = 0; i < 600; i++)); do
                        grep -q READY "$TMP/listen.$lo" && break
                        kill -0 "$!" 2>/dev/null || die "sa-listen exited: $(cat "$TMP/listen.$lo")"
                        sleep 0.1
                done
                grep -q READY "$TMP/listen.$lo" || die "sa-listen not ready after 60 s"
        done
        n_ss=$("${NSX[@]}" ss -Hltn | wc -l)
        start_daemon
        rss0=$(kib VmRSS)
        n_sa=$("$SA" --socket "$TMP/sock" list --json | tee "$TMP/list.json" | jq '.listeners | length')
        list_bytes=$(wc -c < "$TMP/list.json")
        rm -f "$TMP/list.json"
        # The compact form the table asks for (docs/PROTOCOL.md): its size.
        compact_bytes=$(python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"{\"cmd\":\"list\",\"form\":\"compact\"}\n")
n, last = 0, b""
while not last.endswith(b"\n"):
    last = s.recv(1 << 20)
    if not last: break
    n += len(last)
print(n)' "$TMP/sock" 2>/dev/null || echo 0)
        "${NSX[@]}" "$B/sa-timeit" "$LIST_ROUNDS" \
                ss ss -Hltnp --- \
                list "$SA" --socket "$TMP/sock" list --json --- \
                table "$SA" --socket "$TMP/sock" list > "$TMP/t3" || die "timing failed"
        hwm=$(kib VmHWM)
        sleep 3
        rss1=$(kib VmRSS)
        # How long root's status waits while one client asks check / refresh back to back.
        for c in check refresh; do
                "${NSX[@]}" python3 bench/sa-loopwait.py "$TMP/sock" "$c" 8 > "$TMP/lw.$c" || echo '{}' > "$TMP/lw.$c"
        done
        stop_daemon
        stop_listeners
        t_ss=$(awk '$1 == "ss" { print $2 }' "$TMP/t3")
        t_list=$(awk '$1 == "list" { print $2 }' "$TMP/t3")
        t_table=$(awk '$1 == "table" { print $2 }' "$TMP/t3")
        {
                echo
                echo "## many listeners: $LISTENERS TCP listeners, two processes (ss sees $n_ss, list --json $n_sa)"
                printf '%-44s %12s\n' "ss -Hltnp" "$t_ss ms"
                printf '%-44s %12s\n' "sockaudit list --json, daemon (end to end)" "$t_list ms"
                printf '%-44s %12s\n' "  ratio list --json / ss" "$(awk -v a="$t_list" -v b="$t_ss" 'BEGIN { printf "%.2f", a / b }')"
                printf '%-44s %12s\n' "sockaudit list (table), daemon" "$t_table ms"
                printf '%-44s %12s\n' "  ratio list / ss" "$(awk -v a="$t_table" -v b="$t_ss" 'BEGIN { printf "%.2f", a / b }')"
                printf '%-44s %12s\n' "list --json output" "$((list_bytes / 1024)) KiB"
                printf '%-44s %12s\n' "list reply, compact form (the table's)" "$((compact_bytes / 1024)) KiB"
                printf '%-44s %s\n' "daemon RSS at rest / peak / 3 s after" \
                        "$((rss0 / 1024)) / $((hwm / 1024)) / $((rss1 / 1024)) MiB"
                for c in check refresh; do
                        printf '%-44s %s\n' "status while $c back to back: p50 / max" \
                                "$(jq -r '"\(.status_p50_ms) / \(.status_max_ms) ms (\(.'"$c"'_n) '"$c"'s, median \(.'"$c"'_median_ms) ms)"' "$TMP/lw.$c")"
                done
        } >> "$OUT"
fi

# Load: 1000 concurrent clients asking who/status/list while 500 more are
# connected idle (400) or sending a byte every 20 ms (100); their latency.
if [ "${BENCH_LOAD:-1}" == 1 ] && command -v python3 >/dev/null; then
        echo "== load: 1000 active + 500 idle/trickling clients" >&2
        ulimit -n 8192 2>/dev/null || true
        EXTRA_CONF=$'MaxClients=2000\nScanInterval=1h\n' start_daemon
        fds0=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
        load=$("${NSX[@]}" python3 tests/helpers/sa-load.py "$TMP/sock" --active 1000 --idle 400 \
                --trickle 100 --timeout 60) || load_fail=1
        sleep 1
        fds1=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
        rss=$(awk '/VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status")
        stop_daemon
        {
                echo
                echo "## load: 1000 active clients (who 443 / status / list) + 400 idle + 100 byte-at-a-time"
                printf '%-44s %s\n' "active clients' latency p50 / p99 / max" \
                        "$(jq -r '"\(.p50_ms) / \(.p99_ms) / \(.max_ms) ms"' <<<"$load" 2>/dev/null || echo "failed")"
                printf '%-44s %s\n' "replies ok / errors / missing" \
                        "$(jq -r '"\(.active_ok) / \(.active_error) / \(.active_missing) (trickling ok: \(.trickle_ok))"' <<<"$load" 2>/dev/null)"
                printf '%-44s %s\n' "daemon fds before / after, RSS after" "$fds0 / $fds1, $((rss / 1024)) MiB"
        } >> "$OUT"
        [ -z "${load_fail:-}" ] || { echo "   load: not every client was answered: $load" >&2; fail=1; }
fi

# Lock-out (issue 12 §3): one group member opens BENCH_LOCKOUT_N connections
# (half idle, half a byte every 0.1 s) while root and a second member ask
# on fresh connections (bench/sa-lockout.py), BENCH_LOCKOUT_ROUNDS times;
# default configuration but ScanInterval=1h. 0: skip.
LOCKOUT_N=${BENCH_LOCKOUT_N:-2000}
if [ "$LOCKOUT_N" -gt 0 ] && command -v python3 setpriv >/dev/null; then
        echo "== lock-out: $LOCKOUT_N connections from one member" >&2
        made_group=
        getent group sockaudit >/dev/null || { groupadd --system sockaudit && made_group=1; }
        gid=$(getent group sockaudit | cut -d: -f3)
        ulimit -n 8192 2>/dev/null || true
        EXTRA_CONF=$'ScanInterval=1h\n' start_daemon
        fds0=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
        lock=$(python3 bench/sa-lockout.py "$TMP/sock" "$LOCKOUT_N" "$gid" "${BENCH_LOCKOUT_ROUNDS:-5}") || lock='{}'
        sleep 2
        fds1=$(ls "/proc/$DAEMON_PID/fd" | wc -l)
        stop_daemon
        [ -n "$made_group" ] && groupdel sockaudit
        {
                echo
                echo "## lock-out: $LOCKOUT_N connections from one member (half idle, half a byte every 0.1 s)"
                printf '%-44s %s\n' "root status / who 443, fresh connection" \
                        "$(jq -r '"p50 \(.root.p50_ms) / max \(.root.max_ms) ms (\(.root.n) asked, \(.root.not_ok) not ok)"' <<<"$lock")"
                printf '%-44s %s\n' "second member status, fresh connection" \
                        "$(jq -r '"p50 \(.member.p50_ms) / max \(.member.max_ms) ms (\(.member.n) asked, \(.member.not_ok) not ok)"' <<<"$lock")"
                printf '%-44s %s\n' "  max per round (root, member)" \
                        "$(jq -r '[.per_round[] | "\(.root_max_ms)/\(.member_max_ms)"] | join(" ")' <<<"$lock") ms"
                printf '%-44s %s\n' "  connects took (s, per round)" "$(jq -r '[.per_round[].connects_s] | join(" ")' <<<"$lock")"
                printf '%-44s %s\n' "daemon fds before / after" "$fds0 / $fds1"
        } >> "$OUT"
        jq -e '.root.not_ok == 0 and .member.not_ok == 0' <<<"$lock" >/dev/null ||
                { echo "   lock-out: a reply was not ok: $lock" >&2; fail=1; }
fi

# Namespaces (issue 12): BENCH_NETNS processes, each alone in a network
# namespace of its own holding TCP 443 (IPv4) and 8080 (IPv6); the first also
# holds 7443 (a port of one namespace). The daemon on the host, default
# configuration (Namespaces=all, Ports=443). Its CPU at rest; `who 443` and
# `who 7443` round trips on the socket (sa-rtt: no CLI); a new listener in
# a new namespace -> watch; and the per-namespace `ss` oracle: `nsenter -n ss`
# in each namespace must give the daemon's holders (pid, fd) of 443 and 8080.
NETNS=${BENCH_NETNS:-500}
NETNS_ROUNDS=${BENCH_NETNS_ROUNDS:-30}
NL_PID=
stop_netns_listen() { stop_pids NL_PID; }
# "netns port pid fd" of every holder of 443 and 8080, by `ss` entered into each namespace.
netns_ss_holders() {
        local p ino
        for p in $(grep -x '[0-9]*' "$TMP/nl.out"); do
                ino=$(stat -L -c %i "/proc/$p/ns/net") || continue
                nsenter -t "$p" -n ss -Hltnp '( sport = :443 or sport = :8080 )' |
                        awk -v ino="$ino" '{ n = split($4, a, ":"); port = a[n]
                                             while (match($0, /pid=[0-9]+,fd=[0-9]+/)) {
                                                     split(substr($0, RSTART + 4, RLENGTH - 4), pf, ",fd=")
                                                     print ino, port, pf[1], pf[2]
                                                     $0 = substr($0, RSTART + RLENGTH) } }'
        done | sort -u
}
netns_sa_holders() { # the same from the daemon, our namespaces only
        local inos port
        inos=$(for p in $(grep -x '[0-9]*' "$TMP/nl.out"); do stat -L -c %i "/proc/$p/ns/net"; done | jq -s .)
        for port in 443 8080; do
                "$SA" --socket "$TMP/nsock" who "$port" --json |
                        jq -r --argjson inos "$inos" '.listeners[] | select(.netns as $n | $inos | index($n)) |
                                                       .netns as $n | .port as $p | .owners[] | "\($n) \($p) \(.pid) \(.fds[])"'
        done | sort -u
}
bench_netns() {
        local n=$1 i st ok=yes rtt rest_pct c0 c1 fresh dumps ev0 ev1 l0 l1 p0 p1 r0 r1 rest_events
        echo "== namespaces: $n, each a process holding TCP 443/v4 and 8080/v6" >&2
        "$PWD/$BUILD/tests/helpers/sa-netns-listen" "$n" 7443 > "$TMP/nl.out" 2> "$TMP/nl.err" &
        NL_PID=$!
        for ((i = 0; i < 3000; i++)); do
                grep -q READY "$TMP/nl.out" && break
                kill -0 "$NL_PID" 2>/dev/null || die "sa-netns-listen exited: $(cat "$TMP/nl.err")"
                sleep 0.1
        done
        grep -q READY "$TMP/nl.out" || die "sa-netns-listen not ready after 300 s"
        printf '[Daemon]\n' > "$TMP/nconf"
        rm -rf "$TMP/nstate"
        env ${BENCH_DEBUG:+SOCKAUDIT_LOG_LEVEL=debug} "$SAD" --socket "$TMP/nsock" --foreground \
                --config "$TMP/nconf" --state-dir "$TMP/nstate" >> "$TMP/daemon.log" 2>&1 &
        DAEMON_PID=$!
        for ((i = 0; i < 1200; i++)); do
                "$SA" --socket "$TMP/nsock" status >/dev/null 2>&1 && break
                kill -0 "$DAEMON_PID" 2>/dev/null || die "the daemon exited: $(tail -n 3 "$TMP/daemon.log")"
                sleep 0.1
        done
        st=$("$SA" --socket "$TMP/nsock" status --json) || die "the daemon did not answer within 120 s"
        # The oracle: every namespace's holders of 443 and 8080, as ss sees them inside it.
        netns_ss_holders > "$TMP/ss.txt"
        netns_sa_holders > "$TMP/sa.txt"
        if ! cmp -s "$TMP/ss.txt" "$TMP/sa.txt"; then
                ok=NO
                fail=1
                echo "   MISMATCH per-namespace ss vs daemon: $(diff "$TMP/ss.txt" "$TMP/sa.txt" | head -4 | tr '\n' ' ')" >&2
        fi
        check="holders of 443 and 8080: ss $(wc -l < "$TMP/ss.txt"), daemon $(wc -l < "$TMP/sa.txt")"
        echo "   equal: $ok ($check)" >&2
        # Start-up's TLS probes of the 500 listeners on 443 each change the records: timed once they are done.
        for ((i = 0; i < 1200; i++)); do
                "$SA" --socket "$TMP/nsock" status --json | jq -e '.tls | .running == 0 and .queued == 0' >/dev/null && break
                sleep 0.1
        done
        rtt=$("$B/sa-rtt" "$TMP/nsock" "$NETNS_ROUNDS" '{"cmd":"who","port":443}' '{"cmd":"who","port":7443}') ||
                die "who round trips failed"
        dumps=$("$SA" --socket "$TMP/nsock" status --json | jq -r '.freshness.namespaces | select(.event_driven != null) |
                "\(.event_driven) (\(.reason)); the last refresh dumped \(.dumped_last)"')
        sleep 2
        # Events from other jobs on the host during the rest window (they heat the probes).
        ev0=$("$SA" --socket "$TMP/nsock" status --json | jq -r '.freshness | "\(.listen_events.events) \(.process_events.handled) \(.refreshes)"')
        c0=$(cpu_ns "$DAEMON_PID")
        sleep "$REST"
        c1=$(cpu_ns "$DAEMON_PID")
        ev1=$("$SA" --socket "$TMP/nsock" status --json | jq -r '.freshness | "\(.listen_events.events) \(.process_events.handled) \(.refreshes)"')
        read -r l0 p0 r0 <<<"$ev0"
        read -r l1 p1 r1 <<<"$ev1"
        rest_events="$((l1 - l0)) listen/close events, $((p1 - p0)) process events, $((r1 - r0)) refreshes"
        rest_pct=$(awk -v d=$((c1 - c0)) -v s="$REST" 'BEGIN { printf "%.2f", d / (s * 1e9) * 100 }')
        rss=$(awk '/VmRSS/ { print $2 }' "/proc/$DAEMON_PID/status")
        fresh=$(fresh_rounds "$FRESH_ROUNDS" "$TMP/nsock" 443 unshare -n) || fresh=failed
        stop_daemon
        [ -n "${BENCH_DEBUG:-}" ] && cp "$TMP/daemon.log" "$(dirname "$OUT")/daemon-netns.log"
        stop_netns_listen
        {
                echo
                echo "## namespaces: $n, each a process holding TCP 443 (IPv4) and 8080 (IPv6); daemon on the host, default config"
                printf '%-44s %s\n' "who 443 round trip (socket; median / max)" "$(awk 'NR == 1 { printf "%s / %s ms, %d KiB", $1, $2, $3 / 1024 }' <<<"$rtt")"
                printf '%-44s %s\n' "who 7443 (one namespace; median / max)" "$(awk 'NR == 2 { printf "%s / %s ms", $1, $2 }' <<<"$rtt")"
                printf '%-44s %12s\n' "daemon CPU at rest (${REST}s)" "$rest_pct %"
                printf '%-44s %s\n' "  meanwhile, from other jobs on the host" "$rest_events"
                printf '%-44s %12s\n' "daemon RSS" "$((rss / 1024)) MiB"
                printf '%-44s %s\n' "new listener (new netns) -> watch" "$fresh (median, max ms; $FRESH_ROUNDS rounds)"
                [ -n "$dumps" ] && printf '%-44s %s\n' "namespaces event-driven" "$dumps"
                printf '%-44s %s\n' "holders equal per-namespace ss" "$ok: $check"
        } >> "$OUT"
}
if [ "$NETNS" -gt 0 ]; then
        bench_netns "$NETNS"
fi

cat "$OUT"
[ $fail -eq 0 ] || die "tools disagree on the holders, or clients went unanswered (see above)"
