# shellcheck shell=bash
# A new listener the incremental refresh cannot attribute (its socket is
# older than the last full scan: only a full scan finds its holder). The
# probe leaves that scan to the resync's thread (the loop keeps serving;
# the resync's end raises the events); a request does it at once. Either
# way the holder named is the right one.

# old_socket_holder PORT DIR: python3 in the namespace binds a TCP socket
# on PORT now, listens once DIR/go exists, then writes DIR/listening.
# Sets HOLDER_PID.
old_socket_holder() {
        "${NSX[@]}" python3 -c '
import os, socket, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", port))
open(d + "/bound", "w").close()
while not os.path.exists(d + "/go"):
    time.sleep(0.01)
s.listen()
open(d + "/listening", "w").close()
time.sleep(3600)' "$1" "$2" < /dev/null > /dev/null 2>&1 &
        HOLDER_PID=$!
        track_pid "$HOLDER_PID"
        wait_for 5 "the holder to bind" test -e "$2/bound"
}

# The pids holding PORT in this namespace, sorted, as JSON.
holders_of() {
        sa who "$1" --json 2>/dev/null | jq -c --argjson ns "$(ns_inode)" "$JQ_LS"'
                [ls[] | select(.netns == $ns) | .owners[].pid] | unique'
}

# Bound, then a full scan (`refresh`), then listen(): the new listener's
# socket is older than that scan. ScanInterval=1h: no periodic resync finds
# it. watch gets listener_added with the holder; the daemon says the probe
# left the full scan to the background; who names the holder.
test_fresh_old_socket_probe_resync() {
        need_cmd jq python3
        local d=$SA_IT_DIR/holder
        mkdir -p "$d"
        write_config 'Ports=443' 'ScanInterval=1h'
        DAEMON_ENV=(SOCKAUDIT_LOG_LEVEL=debug)
        start_daemon_mon
        start_watch --json
        old_socket_holder 443 "$SA_IT_DIR/holder"
        refresh
        touch "$d/go"
        wait_for 5 "the holder to listen" test -e "$d/listening"
        wait_for 10 "listener_added in watch (no refresh)" grep -q '"listener_added"' "$WATCH_OUT"
        grep '"listener_added"' "$WATCH_OUT" |
                jq -e --argjson pid "$HOLDER_PID" 'select(.listener.port == 443)
                        | [.listener.owners[].pid] | index($pid) != null' > /dev/null ||
                fail "listener_added does not name the holder $HOLDER_PID: $(cat "$WATCH_OUT")"
        assert_eq "[$HOLDER_PID]" "$(holders_of 443)" "who 443 after the background resync"
        # Nothing else asked: the probe found it, through the resync's thread.
        grep -q 'Refresh (probe) needs a full scan, in the background' "$SA_IT_DIR/daemon.log" ||
                fail "the probe did not hand its full scan to the resync"
        assert_json "$(mon_get '.freshness | tojson')" '.refresh_full_scans >= 1' "a refresh needed a full scan"
        stop_watch
        kill "$HOLDER_PID"
}

# The same listener asked about at once, before any probe could look: the
# request's refresh needs the full scan and does it (or waits for the one
# the probe's lost index asks for): the answer names the holder.
test_fresh_old_socket_request_exact() {
        need_cmd jq python3
        local d=$SA_IT_DIR/holder
        mkdir -p "$d"
        write_config 'Ports=443' 'ScanInterval=1h'
        start_daemon
        old_socket_holder 443 "$d"
        refresh
        touch "$d/go"
        wait_for 5 "the holder to listen" test -e "$d/listening"
        assert_eq "[$HOLDER_PID]" "$(holders_of 443)" "who 443 at once after listen()"
        kill "$HOLDER_PID"
}
