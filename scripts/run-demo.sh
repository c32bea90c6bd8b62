#!/bin/bash
# `make run`: starts sockauditd on a private socket (host namespace), asks
# it who owns 443, lists every listener, shows its status, stops it.
# Touches nothing but its own temp dir and the daemon it started.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
SAD=$BUILD/sockauditd
SA=$BUILD/sockaudit

for b in "$SAD" "$SA"; do
        [ -x "$b" ] || { echo "run-demo: $b is not built (run make)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/sockaudit-demo.XXXXXX) || exit 1
sock=$tmp/sockaudit.sock
log=$tmp/sockauditd.log
pid=

# alive PID: running, not a zombie (kill -0 succeeds on an unreaped child).
alive() {
        local s
        s=$(tr '\n' ' ' 2>/dev/null < "/proc/$1/stat") || return 1
        s=${s##*) }
        case ${s%% *} in Z|X|"") return 1 ;; esac
        return 0
}

cleanup() {
        if [ -n "$pid" ] && alive "$pid"; then
                kill -TERM "$pid" 2>/dev/null
                for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
                alive "$pid" && kill -KILL "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
        echo "run-demo: not root: the daemon will only see your own processes" >&2
fi

echo "== starting $SAD --socket $sock --foreground --state-dir $tmp/state"
# No --config: the built-in defaults (or /etc/sockaudit/sockauditd.conf).
# A private baseline: the demo must not read or write /var/lib/sockaudit.
"$SAD" --socket "$sock" --foreground --state-dir "$tmp/state" > "$log" 2>&1 &
pid=$!

ready=0
for _ in $(seq 100); do
        if ! alive "$pid"; then
                wait "$pid"; rc=$?
                echo "run-demo: sockauditd exited at start (status $rc):" >&2
                sed 's/^/  /' "$log" >&2
                pid=
                exit 1
        fi
        if [ -S "$sock" ] && "$SA" --socket "$sock" status > /dev/null 2>&1; then
                ready=1
                break
        fi
        sleep 0.05
done
if [ $ready -ne 1 ]; then
        echo "run-demo: sockauditd (pid $pid) not answering after 5 s:" >&2
        sed 's/^/  /' "$log" >&2
        exit 1
fi
echo "== sockauditd ready (pid $pid)"

status=0
echo
echo "== sockaudit who 443"
out=$("$SA" --socket "$sock" who 443)
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
case $rc in
0) ;;
1) [ -n "$out" ] || echo "(nothing listens on port 443 here)" ;;
*) echo "run-demo: sockaudit who 443 failed (exit $rc)" >&2; status=1 ;;
esac

echo
echo "== sockaudit list"
"$SA" --socket "$sock" list
rc=$?
[ $rc -le 1 ] || { echo "run-demo: sockaudit list failed (exit $rc)" >&2; status=1; }

echo
echo "== sockaudit status"
"$SA" --socket "$sock" status || { echo "run-demo: sockaudit status failed" >&2; status=1; }

echo
echo "== stopping sockauditd (pid $pid)"
kill -TERM "$pid"
for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
if alive "$pid"; then
        echo "run-demo: sockauditd did not stop within 5 s of SIGTERM" >&2
        status=1
else
        wait "$pid"; rc=$?
        pid=
        [ $rc -eq 0 ] || { echo "run-demo: sockauditd exited with status $rc" >&2; status=1; }
fi
if [ -s "$log" ]; then
        echo "== daemon log"
        sed 's/^/  /' "$log"
fi
exit $status
