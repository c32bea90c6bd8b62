# shellcheck shell=bash
# Sourced together with the test files, so some names look unused or unset
# to shellcheck here; run_cap sets VAR_rc and VAR_err by name.
# shellcheck disable=SC2034,SC2154,SC2119,SC2120
# Integration-test harness for sockaudit, sourced by run.sh and by each test
# process. A test is a shell function test_NAME in tests/integration/
# test_*.sh. run.sh runs each one in its own bash process (under timeout)
# with a fresh network namespace and temp dir:
#
#   SA_IT_NS    name of the namespace (created by sa_it_main, deleted after)
#   SA_IT_DIR   private temp dir (mode 0755 so setpriv'd clients reach it)
#
# In a test: start_listen/start_daemon start real processes in the
# namespace; every pid is recorded (with its start time, so a recycled pid
# is never hit) and ended in the teardown; fail/skip end the test. The
# teardown also fails a test whose daemon died on its own or whose log shows
# a sanitizer report.
#
# Time: every wait is written as the seconds it takes on an idle machine
# and scaled by SA_IT_SLOW (tests/waits.sh): wait_for/wait_until poll,
# bounded/sa/in_ns bound a command, sleep_scaled lets things settle. Each
# records what it waits for in $SA_IT_DIR/.waiting, which run.sh prints
# when it has to kill a test that ran out of time.
#
# Commands run in the namespace with `nsenter --net=/run/netns/NS`, not
# `ip netns exec`: the latter remounts /sys, which hides the cgroup mounts
# that libsystemd's unit lookup needs.

: "${BUILD:=build}"
SAD=$BUILD/sockauditd
SA=$BUILD/sockaudit
SA_LISTEN=$BUILD/tests/helpers/sa-listen
SA_SEND=$BUILD/tests/helpers/sa-send
SA_NOTIFY=$BUILD/tests/helpers/sa-notify
SA_ACTIVATE=$BUILD/tests/helpers/sa-activate
SA_IT_CGROOT=/sys/fs/cgroup/unified
# Seconds (idle machine) one command of a test may take: scaled in CMD_TIMEOUT.
: "${SA_IT_CMD_TIMEOUT:=10}"
# shellcheck source=../waits.sh
. "$(dirname "${BASH_SOURCE[0]}")/../waits.sh"
: "${SA_IT_SLOW:=1}"
SA_WAIT_FILE=${SA_IT_DIR:+$SA_IT_DIR/.waiting}
CMD_TIMEOUT=$(scaled "$SA_IT_CMD_TIMEOUT")

NSX=(nsenter "--net=/run/netns/${SA_IT_NS:-none}" --)
SOCK=${SA_IT_DIR:-/nonexistent}/sock
DAEMON_PID=
DAEMON_RC=
LISTEN_PID=
LISTEN_PIDS=
_sa_n=0

# ------------------------------------------------------------------ waits
# (wait_until, bounded, sleep_scaled and the scaling: tests/waits.sh)

# wait_for SECONDS WHAT CMD...: wait_until, failing the test on timeout
# with "timed out after N s waiting for WHAT".
wait_for() {
        wait_until -w "$2" "$1" "${@:3}" || fail "$WAITED"
}

# ---------------------------------------------------------------- results

# fail MESSAGE...: ends the test as failed. The first line of MESSAGE is
# the reason run.sh prints; call it from the test's own shell (not in $()).
fail() {
        printf '%s\n' "$*" | head -n 1 > "$SA_IT_DIR/.reason"
        printf 'FAIL: %s\n' "$*" >&2
        exit 1
}

# skip REASON: the test cannot run here; counted as skipped.
skip() {
        printf '%s\n' "$*" > "$SA_IT_DIR/.reason"
        exit 77
}

note() { printf '# %s\n' "$*" >&2; }

# need_cmd CMD...: skip unless every CMD is on PATH.
need_cmd() {
        local c
        for c in "$@"; do
                command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
        done
}

# ------------------------------------------------------------- assertions

assert_eq() { # EXPECTED ACTUAL WHAT
        [ "$1" == "$2" ] && return 0
        # An exit status 124 of the last run_cap that ran out of time says so.
        [ "$2" == 124 ] && [ -n "${_SA_RAN_OUT:-}" ] && fail "$3: expected '$1', got '$2': $_SA_RAN_OUT"
        fail "$3: expected '$1', got '$2'"
}

assert_ne() { # UNEXPECTED ACTUAL WHAT
        [ "$1" != "$2" ] || fail "$3: got '$2', expected something else"
}

assert_contains() { # HAYSTACK NEEDLE WHAT
        if [[ "$1" != *"$2"* ]]; then
                printf '%s\n--- does not contain: %s\n' "$1" "$2" >&2
                fail "$3: output does not contain '$2' (output in log)"
        fi
}

assert_not_contains() { # HAYSTACK NEEDLE WHAT
        if [[ "$1" == *"$2"* ]]; then
                printf '%s\n--- contains: %s\n' "$1" "$2" >&2
                fail "$3: output contains '$2' (output in log)"
        fi
}

# assert_same_set NAME_A SET_A NAME_B SET_B WHAT: two newline-separated sets
# (sorted here) must be equal; the diff goes to the log.
assert_same_set() {
        local a b d
        a=$(printf '%s\n' "$2" | sed '/^$/d' | sort)
        b=$(printf '%s\n' "$4" | sed '/^$/d' | sort)
        [ "$a" == "$b" ] && return 0
        d=$(diff <([ -n "$a" ] && printf '%s\n' "$a") <([ -n "$b" ] && printf '%s\n' "$b"))
        printf '%s: %s (<) vs %s (>):\n%s\n' "$5" "$1" "$3" "$d" >&2
        fail "$5: $1 and $3 differ: only in $1: $(grep -c '^<' <<<"$d"), only in $3: $(grep -c '^>' <<<"$d") (diff in log)"
}

# assert_json JSON JQ_FILTER WHAT: jq -e must succeed on JSON.
assert_json() {
        if ! jq -e "$2" >/dev/null 2>&1 <<<"$1"; then
                printf '%s\n--- fails: %s\n' "$1" "$2" >&2
                fail "$3: JSON does not satisfy $2 (JSON in log)"
        fi
}

# ---------------------------------------------------------------- processes

# Start time of PID (field 22 of /proc/PID/stat), "" if gone. The comm
# field may hold spaces, ')' or newlines: cut after the last ") ".
pid_start() {
        local s
        s=$(tr '\n' ' ' 2>/dev/null < "/proc/$1/stat") || return 0
        s=${s##*) }
        set -- $s
        printf '%s' "${20:-}"
}

pid_state() { # "" when gone
        local s
        s=$(tr '\n' ' ' 2>/dev/null < "/proc/$1/stat") || return 0
        s=${s##*) }
        printf '%s' "${s%% *}"
}

# track_pid PID: ended in the teardown (if it is still the same process).
track_pid() {
        printf '%s %s\n' "$1" "$(pid_start "$1")" >> "$SA_IT_DIR/.pids"
}

# alive PID: running (not gone, not a zombie).
alive() {
        local st
        st=$(pid_state "$1")
        [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# kill_tracked: SIGTERM to every tracked process still alive, SIGKILL after
# 3 s (scaled: a daemon under valgrind checks for leaks as it exits). Runs
# from the teardown and from run.sh (leftovers after a timeout).
kill_tracked() {
        local f=$1/.pids pid st left=() limit t0
        [ -f "$f" ] || return 0
        while read -r pid st; do
                if [ -z "$pid" ] || [ -z "$st" ]; then continue; fi
                [ "$(pid_start "$pid")" == "$st" ] || continue
                kill -TERM "$pid" 2>/dev/null && left+=("$pid $st")
        done < "$f"
        limit=$(scaled_ms 3)
        _sa_now_ms; t0=$_SA_NOW
        while [ ${#left[@]} -gt 0 ]; do
                local still=() e
                for e in "${left[@]}"; do
                        set -- $e
                        [ "$(pid_start "$1")" == "$2" ] && alive "$1" && still+=("$e")
                done
                left=("${still[@]}")
                _sa_now_ms
                [ ${#left[@]} -gt 0 ] && ((_SA_NOW - t0 < limit)) || break
                sleep 0.1
        done
        for e in "${left[@]}"; do
                set -- $e
                [ "$(pid_start "$1")" == "$2" ] && kill -KILL "$1" 2>/dev/null
        done
        return 0
}

# wait_exit PID SECONDS [WHAT]: waits (wait_until) for our child PID to
# end; sets WAIT_RC to its exit status, or returns 1 (WAIT_RC empty, WAITED
# set) if it is still running.
wait_exit() {
        WAIT_RC=
        wait_until -w "${3:-pid $1 to exit}" "$2" not_alive "$1" || return 1
        wait "$1" 2>/dev/null
        WAIT_RC=$?
        return 0
}

not_alive() { ! alive "$1"; }

# ------------------------------------------------------------ the namespace

# in_ns CMD...: runs CMD in the test's network namespace (bounded by CMD_TIMEOUT).
in_ns() { _sa_bounded "$CMD_TIMEOUT" "$*" "${NSX[@]}" "$@"; }

# Inode of the test namespace, or of namespace $1 (what records call "netns").
ns_inode() { stat -L -c %i "/run/netns/${1:-$SA_IT_NS}"; }

# add_netns NAME: one more namespace (lo up), deleted at teardown.
add_netns() {
        printf '%s\n' "$1" >> "$SA_IT_DIR/.netns"
        ip netns add "$1" || fail "ip netns add $1 failed"
        ip -n "$1" link set lo up || fail "cannot bring lo up in $1"
}

# ------------------------------------------------------------------ helpers

# listen_ready OUT PID WHAT: sa-listen (PID, output OUT.out) printed its
# READY line, now in _READY; fails the test if it exited first (for wait_for).
listen_ready() {
        _READY=$(head -n 1 "$1.out")
        [[ "$_READY" == READY* ]] && return 0
        alive "$2" || fail "$3 exited: $(head -c 300 "$1.err" | tr '\n' ' ')"
        return 1
}

# start_listen ARGS...: starts sa-listen ARGS in the namespace and waits for
# its READY line. Sets LISTEN_PID (the parent) and LISTEN_PIDS (parent and
# children, space separated). Every pid is tracked.
start_listen() {
        local out i line
        _sa_n=$((_sa_n + 1))
        out=$SA_IT_DIR/listen.$_sa_n
        "${NSX[@]}" "$SA_LISTEN" "$@" > "$out.out" 2> "$out.err" &
        LISTEN_PID=$!
        track_pid "$LISTEN_PID"
        wait_for 5 "sa-listen $*: READY" listen_ready "$out" "$LISTEN_PID" "sa-listen $*"
        line=$_READY
        read -r -a _w <<<"$line"
        [ "${_w[1]}" == "$LISTEN_PID" ] || fail "sa-listen reported pid ${_w[1]}, started $LISTEN_PID"
        LISTEN_PIDS="${_w[*]:1}"
        for i in "${_w[@]:2}"; do track_pid "$i"; done
        note "sa-listen $(printf "%q " "$@")-> pids $LISTEN_PIDS"
}

# wait_late_child: waits (5 s) for the "CHILD <pid>" line of the last
# sa-listen started with --late-child; sets LATE_PID and tracks it.
wait_late_child() {
        local out=$SA_IT_DIR/listen.$_sa_n.out
        wait_for 5 "sa-listen --late-child: its CHILD line" grep -q '^CHILD ' "$out"
        LATE_PID=$(grep -m 1 '^CHILD ' "$out")
        LATE_PID=${LATE_PID#CHILD }
        track_pid "$LATE_PID"
}

# stop_listen PID: SIGTERM, wait for it.
stop_listen() {
        kill -TERM "$1" 2>/dev/null
        wait_exit "$1" 5 "sa-listen $1 to end on SIGTERM" || fail "$WAITED"
}

# write_config [EXTRA LINES...]: a private config; Namespaces=self (this
# namespace only) unless SA_IT_NAMESPACES says otherwise.
write_config() {
        CONF=$SA_IT_DIR/sockauditd.conf
        {
                printf '[Daemon]\nNamespaces=%s\n' "${SA_IT_NAMESPACES:-self}"
                local l
                for l in "$@"; do printf '%s\n' "$l"; done
        } > "$CONF"
}

# start_daemon [ARGS...]: starts the real daemon in the namespace on $SOCK
# with $CONF (written by write_config when unset) and waits until `status`
# answers (5 s). Sets DAEMON_PID. Environment for the daemon: DAEMON_ENV
# (array of VAR=VALUE).
start_daemon() {
        [ -n "${CONF:-}" ] || write_config
        # A private baseline: never the host's /var/lib/sockaudit (a later
        # --state-dir in "$@" wins).
        spawn_daemon "$SAD" --socket "$SOCK" --foreground --config "$CONF" \
                --state-dir "$SA_IT_DIR/state" "$@"
        wait_daemon_ready
}
DAEMON_ENV=()

# spawn_daemon CMD...: starts CMD (the daemon, or a wrapper that execs it)
# in the namespace with DAEMON_ENV, output to daemon.log; no waiting.
# Sets DAEMON_PID. $CONF is written first when unset. When CMD is the
# daemon itself and SA_IT_DAEMON_WRAPPER is set (e.g. "valgrind ..."), it
# runs under that wrapper (`make valgrind`).
spawn_daemon() {
        [ -x "$SAD" ] || fail "$SAD not built"
        [ -n "${CONF:-}" ] || write_config
        local _wrap=()
        [ "$1" == "$SAD" ] && read -r -a _wrap <<<"${SA_IT_DAEMON_WRAPPER:-}"
        env STATE_DIRECTORY="$SA_IT_DIR/state" "${DAEMON_ENV[@]}" "${NSX[@]}" "${_wrap[@]}" "$@" >> "$SA_IT_DIR/daemon.log" 2>&1 &
        DAEMON_PID=$!
        track_pid "$DAEMON_PID"
        echo "$DAEMON_PID" >> "$SA_IT_DIR/.daemons"
        note "daemon pid $DAEMON_PID: $*"
}

# daemon_answers: $DAEMON_PID answers `status` on $SOCK; fails the test if
# the daemon exited (for wait_until).
daemon_answers() {
        alive "$DAEMON_PID" || { wait "$DAEMON_PID"; fail "daemon exited (rc $?) at start: $(tail -n 3 "$SA_IT_DIR/daemon.log" | tr '\n' ' ')"; }
        [ -S "$SOCK" ] && bounded 2 "sockaudit status (is the daemon up?)" \
                "${NSX[@]}" "$SA" --socket "$SOCK" status >/dev/null 2>&1
}

# wait_daemon_ready: polls `sockaudit status` for up to 5 s.
wait_daemon_ready() {
        local t0
        _sa_now_ms; t0=$_SA_NOW
        wait_until -w "daemon $DAEMON_PID to answer status" 5 daemon_answers ||
                fail "$WAITED: $(tail -n 3 "$SA_IT_DIR/daemon.log" | tr '\n' ' ')"
        _sa_now_ms
        note "daemon $DAEMON_PID ready after $((_SA_NOW - t0)) ms"
}

# stop_daemon: SIGTERM, wait (5 s); sets DAEMON_RC; the daemon is then no
# longer expected to be alive at teardown.
stop_daemon() {
        local pid=$DAEMON_PID
        kill -TERM "$pid" 2>/dev/null || fail "daemon $pid already gone before SIGTERM"
        wait_exit "$pid" 5 "the daemon to exit on SIGTERM" || fail "$WAITED"
        DAEMON_RC=$WAIT_RC
        sed -i "/^$pid\$/d" "$SA_IT_DIR/.daemons"
        DAEMON_PID=
}

# fd_limit_one_free: (test_hostile_netns, test_cli_options) lowers the daemon's soft fd limit so that exactly one
# fd number is free (for the client's connection): the refresh behind the
# next request then finds no fd for what it must open.
fd_limit_one_free() {
        local n=0 free=0
        while :; do
                if [ ! -e "/proc/$DAEMON_PID/fd/$n" ]; then
                        free=$((free + 1))
                        [ "$free" -eq 2 ] && break
                fi
                n=$((n + 1))
        done
        prlimit --pid "$DAEMON_PID" --nofile="$n:" || fail "prlimit --pid $DAEMON_PID"
}

# sa ARGS...: the CLI against the test daemon, in the namespace. Output and
# exit code are the CLI's (124 when it ran out of CMD_TIMEOUT).
sa() { _sa_bounded "$CMD_TIMEOUT" "sockaudit $*" "${NSX[@]}" "$SA" --socket "$SOCK" "$@"; }

# sa_direct VERB ARGS...: the CLI gathering in-process.
sa_direct() { _sa_bounded "$CMD_TIMEOUT" "sockaudit $* --direct" "${NSX[@]}" "$SA" "$@" --direct; }

# refresh: forces a full rescan in the daemon.
refresh() {
        local out rc
        out=$(sa refresh 2>&1); rc=$?
        [ $rc -eq 0 ] || fail "sockaudit refresh: exit $rc: $out"
}

# run_cap VAR CMD...: runs CMD, stdout in VAR, stderr in VAR_err, exit code
# in VAR_rc; everything is logged.
run_cap() {
        local __v=$1; shift
        local __o __e __rc
        __e=$SA_IT_DIR/.stderr
        __o=$("$@" 2> "$__e"); __rc=$?
        _SA_RAN_OUT=
        [ "$__rc" == 124 ] && _SA_RAN_OUT=$(grep -m 1 '^timed out after ' "$__e")
        printf -v "$__v" '%s' "$__o"
        printf -v "${__v}_err" '%s' "$(cat "$__e")"
        printf -v "${__v}_rc" '%s' "$__rc"
        {
                printf '$ %q' "$1"; shift; printf ' %q' "$@"; printf '  -> exit %s\n' "$__rc"
                [ -n "$__o" ] && printf '%s\n' "$__o" | head -n 60
                [ -s "$__e" ] && sed 's/^/stderr: /' "$__e" | head -n 20
        } >&2
        return 0
}

# ebpf_result_or_skip: after run_cap EB ... SOCKAUDIT_SCAN_METHOD=ebpf: skips
# only when the CLI said the iterator is not usable; any other failure
# (a crash, a sanitizer report) fails the test.
ebpf_result_or_skip() {
        [ "$EB_rc" == 0 ] && return 0
        [[ "$EB_err" == *"the eBPF iterator is not usable"* ]] &&
                skip "the eBPF iterator does not load here: $EB_err"
        fail "--direct with SOCKAUDIT_SCAN_METHOD=ebpf: exit $EB_rc: $EB_err"
}

# ------------------------------------------------------- comparing results

# ss_tuples [FILTER...]: "proto address port pid fd" for each holder fd of
# each TCP/UDP listener that ss sees in the namespace. A dual-stack IPv6
# socket shows as "*" in ss: it becomes "::".
ss_tuples() {
        in_ns ss -Hlnp -tu "$@" 2>/dev/null | awk '
        {
                proto = $1; loc = $5
                n = split(loc, a, ":"); port = a[n]
                addr = substr(loc, 1, length(loc) - length(port) - 1)
                sub(/%.*/, "", addr); gsub(/[][]/, "", addr)
                if (addr == "*") addr = "::"
                rest = $0
                while (match(rest, /pid=[0-9]+,fd=[0-9]+/)) {
                        s = substr(rest, RSTART, RLENGTH); split(s, b, /[=,]/)
                        print proto, addr, port, b[2], b[4]
                        rest = substr(rest, RSTART + RLENGTH)
                }
        }' | sort
}

# The listener array of a CLI --json answer, whatever its wrapping.
JQ_LS='def ls: if type == "array" then . elif type == "object" then (.listeners // []) else [] end;'

# sa_tuples JSON [PORT]: the same tuples from a sockaudit --json answer,
# listeners of this namespace only.
sa_tuples() {
        jq -r --argjson ns "$(ns_inode)" --arg port "${2:-}" "$JQ_LS"'
                ls[] | select(.netns == $ns) | select($port == "" or (.port | tostring) == $port)
                | . as $l | (.owners // [])[] | . as $o | (.fds // [])[]
                | "\($l.proto) \($l.address) \($l.port) \($o.pid) \(.)"' <<<"$1" | sort
}

# sa_facts JSON: one line per (listener, owner) with everything that must
# agree between the daemon and --direct.
sa_facts() {
        jq -r --argjson ns "$(ns_inode)" "$JQ_LS"'
                ls[] | select(.netns == $ns) | . as $l
                | ((.owners // []) | if length == 0 then [null] else . end)[] as $o
                | [$l.proto, $l.family, $l.address, $l.port, $l.v6only, $l.interface,
                   $l.inode, $l.uid, $l.owner_status,
                   $o.pid, $o.ppid, $o.comm, $o.exe, $o.exe_deleted, $o.uid, $o.user,
                   $o.unit, $o.cgroup, ($o.fds // [] | sort), $o.cmdline]
                | tojson' <<<"$1" | sort
}

# query_both PORT [CLI ARGS...]: who PORT --json from the daemon (after a
# refresh) and --direct; both must exit 0 and parse. Sets D_JSON, X_JSON.
query_both() {
        local port=$1; shift
        refresh
        run_cap D_JSON sa who "$port" --json "$@"
        [ "$D_JSON_rc" == 0 ] || fail "daemon: who $port $* --json: exit $D_JSON_rc: $D_JSON_err"
        jq -e . >/dev/null 2>&1 <<<"$D_JSON" || fail "daemon: who $port --json: not JSON"
        run_cap X_JSON sa_direct who "$port" --json "$@"
        [ "$X_JSON_rc" == 0 ] || fail "--direct: who $port $* --json: exit $X_JSON_rc: $X_JSON_err"
        jq -e . >/dev/null 2>&1 <<<"$X_JSON" || fail "--direct: who $port --json: not JSON"
}

# check_against_ss PORT [CLI ARGS...]: daemon and --direct agree with ss on
# (proto, address, port, pid, fd) and with each other on every fact.
check_against_ss() {
        local port=$1 ss_set d_set x_set
        query_both "$@"
        ss_set=$(ss_tuples "sport = :$port")
        [ -n "$ss_set" ] || fail "ss sees no listener on port $port (test setup?)"
        d_set=$(sa_tuples "$D_JSON" "$port")
        x_set=$(sa_tuples "$X_JSON" "$port")
        printf 'ss tuples:\n%s\n' "$ss_set" >&2
        assert_same_set ss "$ss_set" daemon "$d_set" "who $port"
        assert_same_set ss "$ss_set" direct "$x_set" "who $port --direct"
        assert_same_set daemon "$(sa_facts "$D_JSON")" direct "$(sa_facts "$X_JSON")" "who $port facts"
}

# listener_json JSON PROTO ADDRESS PORT: the one matching record ("" if none).
listener_json() {
        jq -c --argjson ns "$(ns_inode)" --arg p "$2" --arg a "$3" --argjson port "$4" "$JQ_LS"'
                [ls[] | select(.netns == $ns and .proto == $p and .address == $a and .port == $port)]
                | if length == 1 then .[0] else empty end' <<<"$1"
}

# ------------------------------------------------------------ cgroups, groups

# make_cgroup REL: creates $SA_IT_CGROOT/REL (and missing parents), recorded
# so the teardown (or run.sh) moves any process back to the root and rmdirs.
make_cgroup() {
        local rel=$1 path=$SA_IT_CGROOT p=
        local IFS=/
        for p in $rel; do
                path=$path/$p
                if [ ! -d "$path" ]; then
                        mkdir "$path" || fail "mkdir $path"
                        printf '%s\n' "$path" >> "$SA_IT_DIR/.cgroups"
                fi
        done
}

# cleanup_cgroups DIR: for each cgroup recorded in DIR/.cgroups (deepest
# first): move its processes to the root cgroup, rmdir it.
cleanup_cgroups() {
        local f=$1/.cgroups cg pid
        [ -f "$f" ] || return 0
        while read -r cg; do
                [ -d "$cg" ] || continue
                while read -r pid; do
                        [ -n "$pid" ] && echo "$pid" > "$SA_IT_CGROOT/cgroup.procs" 2>/dev/null
                done < "$cg/cgroup.procs"
                rmdir "$cg" 2>/dev/null || echo "cleanup: cannot rmdir $cg" >&2
        done < <(tac "$f")
        rm -f "$f"
}

# ensure_group NAME: creates the group if missing (removed at teardown).
# Prints its gid.
ensure_group() {
        if ! getent group "$1" >/dev/null; then
                groupadd --system "$1" >&2 || return 1
                printf '%s\n' "$1" >> "$SA_IT_DIR/.groups"
        fi
        getent group "$1" | cut -d: -f3
}

cleanup_groups() {
        local f=$1/.groups g
        [ -f "$f" ] || return 0
        while read -r g; do
                groupdel "$g" 2>/dev/null || echo "cleanup: cannot groupdel $g" >&2
        done < "$f"
        rm -f "$f"
}

# ------------------------------------------------------------------ driver

# sa_it_cleanup DIR NS: everything a test may leave (used twice: by the
# test's own teardown and by run.sh after the test process is gone).
sa_it_cleanup() {
        kill_tracked "$1"
        cleanup_cgroups "$1"
        cleanup_groups "$1"
        if [ -f "$1/.netns" ]; then
                local extra
                while read -r extra; do
                        [ -e "/run/netns/$extra" ] && ip netns del "$extra" 2>/dev/null
                done < "$1/.netns"
                rm -f "$1/.netns"
        fi
        if [ -n "$2" ] && [ -e "/run/netns/$2" ]; then
                ip netns del "$2" 2>/dev/null || echo "cleanup: cannot delete netns $2" >&2
        fi
}

_sa_it_teardown() {
        local rc=$? pid why=
        trap - EXIT TERM INT
        # A daemon that the test did not stop must still be running.
        if [ -f "$SA_IT_DIR/.daemons" ]; then
                while read -r pid; do
                        [ -n "$pid" ] || continue
                        if ! alive "$pid"; then
                                wait "$pid" 2>/dev/null
                                why="daemon $pid died during the test (exit $?)"
                        fi
                done < "$SA_IT_DIR/.daemons"
        fi
        sa_it_cleanup "$SA_IT_DIR" "$SA_IT_NS"
        if [ -f "$SA_IT_DIR/daemon.log" ] &&
           grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$SA_IT_DIR/daemon.log"; then
                why="sanitizer report in the daemon log"
        fi
        # SA_IT_DAEMON_WRAPPER=valgrind --log-file=$SA_IT_DIR/valgrind.%p.log
        if compgen -G "$SA_IT_DIR/valgrind.*.log" > /dev/null &&
           grep -qE 'Invalid (read|write|free)|uninitialised|Syscall param|Mismatched free|overlap|are (definitely|indirectly) lost|ERROR SUMMARY: [1-9]' \
                "$SA_IT_DIR"/valgrind.*.log; then
                why="valgrind report (valgrind.*.log)"
                grep -hE -A12 'Invalid|uninitialised|Syscall param|Mismatched|overlap|lost in' \
                        "$SA_IT_DIR"/valgrind.*.log | head -n 60 >&2
        fi
        if [ -f "$SA_IT_DIR/daemon.log" ]; then
                echo "--- daemon log (tail)" >&2
                tail -n 20 "$SA_IT_DIR/daemon.log" >&2
        fi
        if [ $rc -eq 0 ] && [ -n "$why" ]; then
                printf '%s\n' "$why" > "$SA_IT_DIR/.reason"
                rc=1
        fi
        exit $rc
}

# sa_it_main TEST_FUNCTION: in the test process: namespace, traps, run.
sa_it_main() {
        trap _sa_it_teardown EXIT
        trap 'exit 143' TERM INT
        cd "$SA_IT_DIR" || exit 1
        ip netns add "$SA_IT_NS" || fail "ip netns add $SA_IT_NS failed"
        ip -n "$SA_IT_NS" link set lo up || fail "cannot bring lo up in $SA_IT_NS"
        "$1"
        exit 0
}

# --------------------------------------------- monitoring: journald, watch
# Helpers for test_monitor.sh and test_journal.sh. Nothing above uses them.

# The daemon's baseline directory in these tests (never the host's).
STATE_DIR=${SA_IT_DIR:-/nonexistent}/state
MNT_HOLDER=
JOURNALD_PID=
# Prefix that runs a command in the private mount namespace (empty: none).
MNTX=()
# jq: the values of a journalctl -o json field as an array. journalctl shows
# a field given several times as an array, a binary value as an array of
# byte numbers (kept as one value here).
JQ_JV='def jv(f): (f // null) | if . == null then [] elif type == "array" and (length == 0 or (.[0] | type) != "number") then . else [.] end;'

# start_mount_holder: a tracked process (sleep) in a private mount
# namespace (`unshare -m --propagation private`); mounts made in it with
# "${MNTX[@]}" vanish with it. Returns only once the holder runs sleep in a
# mount namespace other than ours (unshare has set private propagation by
# then), so that no mount can land on the host's. Sets MNT_HOLDER, MNTX.
start_mount_holder() {
        need_cmd unshare nsenter
        local mine
        mine=$(readlink /proc/$$/ns/mnt)
        [ -n "$mine" ] || fail "cannot read our mount namespace"
        unshare -m --propagation private sleep infinity < /dev/null > /dev/null 2>&1 &
        MNT_HOLDER=$!
        track_pid "$MNT_HOLDER"
        wait_for 2 "unshare -m: holder $MNT_HOLDER in its own mount namespace" \
                _mount_holder_ready "$mine"
        MNTX=(nsenter -t "$MNT_HOLDER" -m --)
}

# _mount_holder_ready OUR_MNT_NS: $MNT_HOLDER runs sleep in another mount
# namespace; skips the test if it died (for wait_for).
_mount_holder_ready() {
        local ns
        ns=$(readlink "/proc/$MNT_HOLDER/ns/mnt" 2>/dev/null)
        [ -n "$ns" ] && [ "$ns" != "$1" ] &&
                [ "$(cat "/proc/$MNT_HOLDER/comm" 2>/dev/null)" == sleep ] && return 0
        alive "$MNT_HOLDER" || skip "unshare -m does not work here"
        return 1
}

# mnt_tmpfs DIR: an empty tmpfs on DIR in the holder's mount namespace.
# A missing DIR is made on the host first, as an empty mount point (under
# /run on a host without systemd as PID 1: an empty directory changes nothing).
mnt_tmpfs() {
        [ -d "$1" ] || mkdir -p "$1" || fail "cannot make the mount point $1"
        "${MNTX[@]}" mount -t tmpfs -o mode=0755 tmpfs "$1" || fail "mount tmpfs on $1 (mount namespace)"
        if grep -q " $1 " /proc/$$/mountinfo; then
                fail "tmpfs on $1 leaked into the host's mount namespace"
        fi
}

# start_no_journal: a mount namespace where /run/systemd/journal is an
# empty tmpfs, so a daemon started there with start_daemon_journal sees no
# journal socket, whatever the host has.
start_no_journal() {
        start_mount_holder
        mnt_tmpfs /run/systemd/journal
}

# start_journald: a private systemd-journald (volatile storage, no kmsg,
# no rate limit) in a private mount namespace, tracked; skips when journald
# or unshare is missing. Waits (5 s) for its socket. Sets JOURNALD_PID,
# MNT_HOLDER, MNTX; daemons started with start_daemon_journal log to it.
start_journald() {
        local jd=/lib/systemd/systemd-journald
        [ -x "$jd" ] || skip "$jd not installed"
        need_cmd journalctl jq
        start_mount_holder
        mnt_tmpfs /run/systemd/journal
        mnt_tmpfs /run/log
        printf '[Journal]\nStorage=volatile\nReadKMsg=no\nRateLimitBurst=0\nForwardToSyslog=no\nForwardToWall=no\n' \
                > "$SA_IT_DIR/journald.conf"
        if [ -f /etc/systemd/journald.conf ]; then
                "${MNTX[@]}" mount --bind "$SA_IT_DIR/journald.conf" /etc/systemd/journald.conf ||
                        fail "bind journald.conf (mount namespace)"
        fi
        "${MNTX[@]}" "$jd" < /dev/null > "$SA_IT_DIR/journald.log" 2>&1 &
        JOURNALD_PID=$!
        track_pid "$JOURNALD_PID"
        wait_for 5 "systemd-journald's socket" _journald_ready
        note "journald $JOURNALD_PID in the mount namespace of $MNT_HOLDER"
}

# _journald_ready: our journald has its socket; fails the test if it exited.
_journald_ready() {
        "${MNTX[@]}" test -S /run/systemd/journal/socket && return 0
        alive "$JOURNALD_PID" || fail "systemd-journald exited: $(tail -n 3 "$SA_IT_DIR/journald.log" | tr '\n' ' ')"
        return 1
}

# journald_stop / journald_cont: SIGSTOP / SIGCONT to our journald.
journald_stop() { kill -STOP "$JOURNALD_PID" || fail "SIGSTOP journald"; }
journald_cont() { kill -CONT "$JOURNALD_PID" || fail "SIGCONT journald"; }

# journal_json [JOURNALCTL ARGS...]: the daemon's entries in our journal,
# one JSON object per line.
journal_json() {
        _sa_bounded "$CMD_TIMEOUT" "journalctl" "${MNTX[@]}" journalctl -D /run/log/journal -o json --no-pager \
                SYSLOG_IDENTIFIER=sockauditd "$@" 2>/dev/null
}

# wait_journal N JQ_COND [SECONDS]: waits (wait_until, default 5 s) until
# at least N of the daemon's entries satisfy the jq condition (JQ_JV's jv()
# may be used). JOURNAL is then every entry (one per line); returns 1 on
# timeout (WAITED says so).
wait_journal() {
        wait_until -w "$1 journal entries with $2" "${3:-5}" _journal_has "$1" "$2"
}

# _journal_has N JQ_COND: one look for wait_journal; sets JOURNAL.
_journal_has() {
        local c
        JOURNAL=$(journal_json)
        c=$(jq -s "$JQ_JV"" [.[] | select($2)] | length" <<<"$JOURNAL")
        [ "${c:-0}" -ge "$1" ]
}

# journal_select JQ_COND: the entries of $JOURNAL satisfying it, one per line.
journal_select() {
        jq -c "$JQ_JV"" select($2)" <<<"$1"
}

# spawn_daemon_mnt CMD...: as spawn_daemon, in the mount namespace of
# MNTX (set by start_journald or start_no_journal) as well.
spawn_daemon_mnt() {
        [ -x "$SAD" ] || fail "$SAD not built"
        [ ${#MNTX[@]} -gt 0 ] || fail "spawn_daemon_mnt: no mount namespace (start_journald first)"
        [ -n "${CONF:-}" ] || write_config
        env STATE_DIRECTORY="$SA_IT_DIR/state" "${DAEMON_ENV[@]}" "${MNTX[@]}" "${NSX[@]}" "$@" >> "$SA_IT_DIR/daemon.log" 2>&1 &
        DAEMON_PID=$!
        track_pid "$DAEMON_PID"
        echo "$DAEMON_PID" >> "$SA_IT_DIR/.daemons"
        note "daemon pid $DAEMON_PID (mount namespace of $MNT_HOLDER): $*"
}

# start_daemon_journal [ARGS...]: start_daemon in the private mount
# namespace (so it talks to our journald, or to none), with
# --state-dir $STATE_DIR.
start_daemon_journal() {
        [ -n "${CONF:-}" ] || write_config
        spawn_daemon_mnt "$SAD" --socket "$SOCK" --foreground --config "$CONF" \
                --state-dir "$STATE_DIR" "$@"
        wait_daemon_ready
}

# start_daemon_state [ARGS...]: start_daemon with --state-dir $STATE_DIR.
start_daemon_state() {
        start_daemon --state-dir "$STATE_DIR" "$@"
}

# status_json: `sockaudit status --json` (its status object) in STATUS.
status_json() {
        STATUS=$(sa status --json 2>/dev/null | jq -c '.status // .' 2>/dev/null)
        [ -n "$STATUS" ] || fail "sockaudit status --json: no answer"
}

# mon_get JQ_PATH: one value from status --json (e.g. .monitor.events.listener_added).
mon_get() {
        sa status --json 2>/dev/null | jq -r "(.status // .) | $1"
}

# mon_at_least PATH N: status's PATH (a number) is N or more (for wait_for).
mon_at_least() {
        [ "$(mon_get "$1")" -ge "$2" ] 2>/dev/null
}

# mon_events: the event counters, e.g. {"listener_added":1,...}.
mon_events() {
        mon_get '.monitor.events | tojson'
}

# start_watch [ARGS...]: `sockaudit watch ARGS` in the background (tracked,
# no timeout), output in WATCH_OUT, stderr in WATCH_OUT.err; waits (5 s)
# until the daemon counts one more watcher. Sets WATCH_PID.
start_watch() {
        local before
        before=$(mon_get '.watchers.connected')
        _sa_n=$((_sa_n + 1))
        WATCH_OUT=$SA_IT_DIR/watch.$_sa_n
        "${NSX[@]}" "$SA" --socket "$SOCK" watch "$@" > "$WATCH_OUT" 2> "$WATCH_OUT.err" < /dev/null &
        WATCH_PID=$!
        track_pid "$WATCH_PID"
        wait_for 5 "the daemon to count the watcher of 'sockaudit watch $*'" \
                _watcher_counted "$before" "$WATCH_PID" "sockaudit watch $*" "$WATCH_OUT.err"
}

# _watcher_counted BEFORE PID WHAT ERR: the daemon counts more watchers than
# BEFORE; fails the test if PID (WHAT, stderr in ERR) exited (for wait_for).
_watcher_counted() {
        [ "$(mon_get '.watchers.connected')" -gt "${1:-0}" ] 2>/dev/null && return 0
        alive "$2" || fail "$3 exited: $(head -c 300 "$4")"
        return 1
}

# stop_watch: SIGTERM to the watch (it exits 0 on SIGTERM); WATCH_RC.
stop_watch() {
        kill -TERM "$WATCH_PID" 2>/dev/null
        wait_exit "$WATCH_PID" 5 "sockaudit watch to end on SIGTERM" || fail "$WAITED"
        WATCH_RC=$WAIT_RC
}

# file_lines FILE: its number of lines (0 if missing).
file_lines() {
        local n=0
        [ -f "$1" ] && n=$(wc -l < "$1")
        printf '%s' "${n:-0}"
}

# start_stuck_watcher OUT: a raw client (python3) that sends {"cmd":"watch"}
# and reads nothing until the file OUT.go exists (for 25 s at most: exit 2);
# then it reads and copies every line to OUT until the file OUT.stop exists
# and what was sent by then is read, or 15 s passed (both times scaled);
# exit 0 if it saw an "events_lost" line, 1 if not. Waits until the daemon
# counts it as a watcher. Sets STUCK_PID.
start_stuck_watcher() {
        need_cmd python3
        local out=$1 before
        before=$(mon_get '.watchers.connected')
        "${NSX[@]}" python3 -c '
import os, socket, sys, time
path, out, wait_go, read_for = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.sendall(b"{\"cmd\":\"watch\"}\n")
end = time.monotonic() + wait_go
while not os.path.exists(out + ".go"):
    if time.monotonic() > end:
        sys.exit(2)
    time.sleep(0.05)
s.settimeout(0.2)
buf, seen, stop = b"", False, time.monotonic() + read_for
with open(out, "wb") as f:
    while time.monotonic() < stop:
        last = os.path.exists(out + ".stop")
        try:
            d = s.recv(1 << 16)
        except socket.timeout:
            if last:
                break       # nothing more came after the test said stop
            continue
        if not d:
            break
        buf += d
        *lines, buf = buf.split(b"\n")
        for l in lines:
            f.write(l + b"\n")
            seen = seen or b"\"events_lost\"" in l
        f.flush()
sys.exit(0 if seen else 1)
'       "$SOCK" "$out" "$(scaled 25)" "$(scaled 15)" < /dev/null 2> "$out.err" &
        STUCK_PID=$!
        track_pid "$STUCK_PID"
        wait_for 5 "the daemon to count the stuck watcher" \
                _watcher_counted "$before" "$STUCK_PID" "stuck watcher" "$out.err"
}

# timed VAR CMD...: run_cap, plus VAR_ms = wall time in milliseconds.
timed() {
        local __v=$1 __t
        shift
        __t=$(date +%s%N)
        run_cap "$__v" "$@"
        printf -v "${__v}_ms" '%s' "$((($(date +%s%N) - __t) / 1000000))"
}

# mon_is JQ_PATH VALUE: status --json has VALUE at JQ_PATH (for wait_until).
mon_is() { [ "$(mon_get "$1")" == "$2" ]; }

# lines_ge FILE N: FILE has at least N lines (for wait_until).
lines_ge() { [ "$(file_lines "$1")" -ge "$2" ]; }

# start_daemon_mon [ARGS...]: the daemon with --state-dir $STATE_DIR, kept
# away from the host's journal: when the host has a journal socket, in a
# mount namespace without one (start_no_journal), so its events go to
# daemon.log instead.
start_daemon_mon() {
        if [ -S /run/systemd/journal/socket ] || [ ${#MNTX[@]} -gt 0 ]; then
                [ ${#MNTX[@]} -gt 0 ] || start_no_journal
                start_daemon_journal "$@"
        else
                start_daemon_state "$@"
        fi
}
