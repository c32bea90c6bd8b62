# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Hostile local users, blinding (docs/SECURITY.md): any user can make
# network namespaces (`unshare -Urn`); a daemon with Namespaces=all must not
# run out of fds over them, nor keep them alive once their processes exit.

HOSTILE_NS=1050

# daemon_fds: how many fds the daemon has open.
daemon_fds() {
        local fds=(/proc/"$DAEMON_PID"/fd/*)
        printf '%s' "${#fds[@]}"
}

# scan_ms: the duration of a full scan (`refresh`), in ms.
scan_ms() {
        sa refresh --json 2>/dev/null | jq -r '.scan.duration_ms'
}

# fds_at_most N: the daemon holds at most N fds.
fds_at_most() { [ "$(daemon_fds)" -le "$1" ]; }

SA_NETNS_MANY=$BUILD/tests/helpers/sa-netns-many

# unshare_many N OUT: as nobody, what N `unshare -Urn sleep 600` leave
# behind (sa-netns-many: without an exec each, bounded to 120 s); their
# pids in OUT, killed by pid at the end.
unshare_many() {
        setpriv --reuid=65534 --regid=65534 --clear-groups -- "$SA_NETNS_MANY" "$1" 120 > "$2"
}

# still_ours PID: PID still runs sa-netns-many (no fork: read is a builtin).
still_ours() {
        local comm=
        read -r comm 2>/dev/null < "/proc/$1/comm"
        [ "$comm" == sa-netns-many ]
}

# kill_pids FILE: SIGKILL to each pid of FILE that is still ours.
kill_pids() {
        local pid
        [ -f "$1" ] || return 0
        while read -r pid; do
                still_ours "$pid" && kill -KILL "$pid" 2>/dev/null
        done < "$1"
        return 0
}

# gone_all FILE: none of FILE's pids runs (zombies aside: their namespaces are freed).
gone_all() {
        local pid st
        while read -r pid; do
                still_ours "$pid" || continue
                read -r _ _ st _ 2>/dev/null < "/proc/$pid/stat"
                [ "$st" == Z ] || return 1
        done < "$1"
        return 0
}

# 1,050 namespaces made by nobody, against a daemon whose soft fd limit is
# 1,024 (the unit's default before LimitNOFILE=): scans keep working, a new
# listener in the test namespace is seen by `who` (not stale), the daemon
# holds a bounded number of fds, and once the namespaces' processes exit
# the fds go back (their sockets are closed: nothing keeps them alive).
test_hostile_netns_exhaustion() {
        need_cmd jq setpriv prlimit
        local pids=$SA_IT_DIR/hostile.pids base t1 tn max n kept
        setpriv --reuid=65534 --regid=65534 --clear-groups -- "$SA_NETNS_MANY" 1 1 > /dev/null 2>&1 ||
                skip "unprivileged user namespaces are not allowed here"
        # MaxClients=64: the default (4,096) would raise the soft limit to fit.
        SA_IT_NAMESPACES=all write_config 'ScanInterval=60' 'MaxClients=64'
        spawn_daemon prlimit --nofile=1024:4096 -- "$SAD" --socket "$SOCK" --foreground --config "$CONF" \
                --state-dir "$SA_IT_DIR/state"
        wait_daemon_ready
        assert_eq 1024 "$(awk '/^Max open files/ { print $4 }' "/proc/$DAEMON_PID/limits")" "daemon's soft fd limit"
        t1=$(scan_ms)
        base=$(daemon_fds)
        note "before: $base fds, full scan $t1 ms"

        unshare_many "$HOSTILE_NS" "$pids"
        trap 'kill_pids "$pids"; _sa_it_teardown' EXIT
        n=$(grep -c . "$pids")
        assert_eq "$HOSTILE_NS" "$n" "unshare -Urn sleep started as nobody"
        sleep 0.5
        tn=$(scan_ms)
        if [ -z "$tn" ] || [ "$tn" == null ]; then
                fail "refresh failed with $n namespaces: $(sa refresh 2>&1)"
        fi
        status_json
        note "with $n namespaces: $(daemon_fds) fds, full scan $tn ms, $(jq -c .freshness.namespaces <<<"$STATUS")"
        assert_json "$STATUS" ".freshness.namespaces.found > $HOSTILE_NS" "status: every namespace found"
        assert_json "$STATUS" ".freshness.namespaces.sockets_kept <= .freshness.namespaces.sockets_kept_max
                and .freshness.namespaces.sockets_kept_max <= 256" "status: sockets kept, at most the cap"
        kept=$(jq .freshness.namespaces.sockets_kept_max <<<"$STATUS")
        max=$((base + kept + 16))
        fds_at_most "$max" || fail "the daemon holds $(daemon_fds) fds with $n namespaces (at most $max expected)"

        start_listen --tcp 127.0.0.1 8443
        run_cap OUT sa who 8443 --json
        assert_eq 0 "$OUT_rc" "who 8443 with $n hostile namespaces ($OUT_err)"
        assert_json "$OUT" "[.listeners[] | select(.port == 8443 and .netns == $(ns_inode)
                and ([.owners[].pid] | index($LISTEN_PID)))] | length == 1" "who 8443: the new listener and its owner"
        assert_json "$OUT" ".stale | not" "who 8443: not stale"
        status_json
        assert_json "$STATUS" ".freshness.stale == false and .freshness.degraded == null" "status: not degraded"
        fds_at_most "$max" || fail "the daemon holds $(daemon_fds) fds after who (at most $max expected)"

        kill_pids "$pids"
        wait_until 10 gone_all "$pids" || fail "the hostile sleeps did not end"
        refresh
        wait_until 5 fds_at_most "$((base + 2))" || fail "the daemon still holds $(daemon_fds) fds after the namespaces' processes exited (had $base)"
        status_json
        assert_json "$STATUS" ".freshness.namespaces.found < 10" "status: the namespaces gone are dropped"
        alive "$DAEMON_PID" || fail "daemon died"
}

# Out of fds, a who answered from the snapshot says it is stale (and why),
# status says degraded; once fds are back, answers are fresh again.
test_hostile_netns_stale_marker() {
        need_cmd jq prlimit
        local hard
        start_daemon
        refresh
        hard=$(awk '/^Max open files/ { print $5 }' "/proc/$DAEMON_PID/limits")
        fd_limit_one_free
        start_listen --tcp 127.0.0.1 8443
        run_cap OUT sa who 8443 --json
        prlimit --pid "$DAEMON_PID" --nofile="$hard:" || fail "prlimit --pid $DAEMON_PID (back)"
        [ -n "$OUT" ] || fail "who 8443 with no fd left: no answer (exit $OUT_rc: $OUT_err)"
        assert_json "$OUT" '.stale == true and (.stale_reason | contains("Too many open files"))' \
                "who with no fd left: stale, and why"
        status_json
        # Stale until a refresh works (a probe may have, by now); degraded for a minute.
        assert_json "$STATUS" '.freshness.degraded | contains("Too many open files")' "status: degraded, and why"
        grep -q "Too many open files" "$SA_IT_DIR/daemon.log" || fail "no log line for EMFILE"
        run_cap OUT sa who 8443 --json
        assert_json "$OUT" "(.stale | not) and ([.listeners[].owners[].pid] | index($LISTEN_PID))" \
                "who once fds are back: fresh, the new listener seen"
        status_json
        assert_json "$STATUS" '.freshness.stale == false and .freshness.stale_reason == null' "status: no longer stale"
}
