#!/bin/bash
# `make bench-provenance`: what the owners' package verdicts cost a `list`
# (docs/PROVENANCE.md), on a namespace of its own whose every listener is
# nginx-sized. Needs root and /usr/sbin/nginx from Debian's package.
#
#   BENCH_PROV_SERVERS=20     nginx servers (a master and one worker each),
#                             every other one a copy of the binary in the
#                             bench's directory (an image of its own:
#                             hashed), the others /usr/sbin/nginx itself
#                             (one image, verified against the package)
#   BENCH_PROV_ROUNDS=20      rounds of the warm and --direct lists
#   BENCH_OUT=$BUILD/bench/provenance.txt
#   BENCH_PROV_BASELINE=PATH  a sockaudit from before provenance: its
#                             `list --direct --json` is timed too
#
# Measured: the daemon's first `list --json` after its start (cold: it
# waits for the job that builds the dpkg index and hashes every image),
# its job's time (status.provenance.last_job_ms), a warm `list --json`
# (median), and `list --direct --json` (every run is cold: a new process
# hashes each image again), against `list --direct --json` with no dpkg
# database (SOCKAUDIT_DPKG_ADMINDIR pointing nowhere: hashing, no lookup).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
N=${BENCH_PROV_SERVERS:-20}
ROUNDS=${BENCH_PROV_ROUNDS:-20}
OUT=${BENCH_OUT:-$BUILD/bench/provenance.txt}
SA=$PWD/$BUILD/sockaudit
SAD=$PWD/$BUILD/sockauditd
TIMEIT=$PWD/$BUILD/bench/sa-timeit

die() { echo "bench-provenance: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root (a network namespace, every process's image)"
for c in ip nsenter jq; do command -v $c >/dev/null || die "$c not installed"; done
[ -x /usr/sbin/nginx ] || die "no /usr/sbin/nginx (scripts/install-deps.sh installs nginx)"
for f in "$SA" "$SAD" "$TIMEIT"; do [ -x "$f" ] || die "$f not built (make bench-provenance builds it)"; done

NS=sa-bprov-$$
TMP=$(mktemp -d /tmp/sa-bprov.XXXXXX)
chmod 0755 "$TMP"
NSX=(nsenter "--net=/run/netns/$NS" --)
PIDS=
DAEMON_PID=

cleanup() {
        local p
        for p in $DAEMON_PID $PIDS; do kill -TERM "$p" 2>/dev/null; done
        for p in $DAEMON_PID $PIDS; do wait "$p" 2>/dev/null; done
        ip netns del "$NS" 2>/dev/null
        rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

ip netns add "$NS" || die "ip netns add"
ip -n "$NS" link set lo up

# Server i on port 9000+i from EXE, in the foreground (its pid is the master's).
start_server() {
        local i=$1 exe=$2 d=$TMP/s$1
        mkdir -p "$d/tmp"
        cat > "$d/nginx.conf" <<EOF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 16; }
http {
        access_log off;
        client_body_temp_path $d/tmp/body;
        proxy_temp_path $d/tmp/proxy;
        fastcgi_temp_path $d/tmp/fastcgi;
        uwsgi_temp_path $d/tmp/uwsgi;
        scgi_temp_path $d/tmp/scgi;
        server { listen $((9000 + i)); return 200; }
}
EOF
        "${NSX[@]}" "$exe" -c "$d/nginx.conf" -g 'daemon off;' > "$d/out" 2>&1 &
        PIDS="$PIDS $!"
}

for ((i = 0; i < N; i++)); do
        exe=/usr/sbin/nginx
        if ((i % 2)); then
                exe=$TMP/nginx.$i
                cp /usr/sbin/nginx "$exe" || die "copy nginx"
        fi
        start_server "$i" "$exe"
done
for ((t = 0; t < 100; t++)); do
        [ "$("${NSX[@]}" ss -Hltn | wc -l)" -ge "$N" ] && break
        sleep 0.1
done
[ "$("${NSX[@]}" ss -Hltn | wc -l)" -ge "$N" ] || die "the $N servers did not all listen"

printf '[Daemon]\nNamespaces=self\nPorts=all\n' > "$TMP/conf"
"${NSX[@]}" "$SAD" --socket "$TMP/sock" --foreground --config "$TMP/conf" --state-dir "$TMP/state" \
        > "$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
for ((t = 0; t < 200; t++)); do
        [ -S "$TMP/sock" ] && "$SA" --socket "$TMP/sock" status >/dev/null 2>&1 && break
        sleep 0.02
done
now_ms() { date +%s%3N; }
t0=$(now_ms)
first=$("$SA" --socket "$TMP/sock" list --json) || die "first list failed"
t1=$(now_ms)
owners=$(jq '[.listeners[].owners[]] | length' <<<"$first")
checked=$(jq '[.listeners[].owners[] | select(.package)] | length' <<<"$first")
images=$(jq '[.listeners[].owners[].exe] | unique | length' <<<"$first")
status=$("$SA" --socket "$TMP/sock" status --json | jq -c '.provenance // .status.provenance')

base=()
[ -n "${BENCH_PROV_BASELINE:-}" ] && base=(--- direct_list_baseline "${NSX[@]}" "$BENCH_PROV_BASELINE" list --direct --json)
timing=$("$TIMEIT" "$ROUNDS" warm_list "$SA" --socket "$TMP/sock" list --json \
        --- direct_list "${NSX[@]}" "$SA" list --direct --json \
        --- direct_list_no_dpkg env SOCKAUDIT_DPKG_ADMINDIR=/nonexistent "${NSX[@]}" "$SA" list --direct --json \
        "${base[@]}") || die "timing failed"

mkdir -p "$(dirname "$OUT")"
{
        echo "# bench-provenance $(date -u +%FT%TZ) $(uname -r) load $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "servers $N, owners $owners ($checked with a verdict in the first answer), distinct executables $images"
        echo "first list after start (cold, waits for the job): $((t1 - t0)) ms"
        echo "status.provenance after it: $status"
        echo "name median_ms min_ms max_ms runs"
        echo "$timing"
} | tee "$OUT"
