# shellcheck shell=bash
# Namespace events (issue 12 §1): with eBPF listen and close events, a
# refresh dumps only the namespaces that changed; the answers must still be
# exact. The oracle: `ss` entered into each namespace (nsenter --net), kept
# alive by an fd while compared (an inode names a namespace only while it lives).

SA_NETNS_LISTEN=$BUILD/tests/helpers/sa-netns-listen
# Namespaces made: 60 by default, for the per-test time limit on a shared
# 2-core host (each costs an nsenter + ss per comparison, 40-300 ms here
# under load); SA_IT_NETNS_EVENTS_N=500 SA_IT_TIMEOUT=600 for the issue's 500.
NETNS_EVENTS_N=${SA_IT_NETNS_EVENTS_N:-60}

# netns_ready FILE: sa-netns-listen printed READY.
netns_ready() { grep -qx READY "$1"; }

# A namespace is compared through a way in: "INO PATH" lines in $SA_IT_DIR/ways,
# PATH an nsfs file (a pin, below) or a live holder's /proc/PID/ns/net.
# An inode names a namespace only while it lives: the kernel hands a freed
# one to the next namespace made (another test's, say).

# pin_netns PID: an fd of PID's namespace, held by this shell until the test
# ends, so the namespace (and its inode) outlives PID; its way in is added.
pin_netns() {
        local fd ino
        ino=$(stat -L -c %i "/proc/$1/ns/net") || fail "pid $1 gone before its namespace was pinned"
        exec {fd}< "/proc/$1/ns/net" || fail "cannot open pid $1's namespace"
        [ "$(stat -L -c %i "/proc/$BASHPID/fd/$fd")" == "$ino" ] || fail "pid $1 left namespace $ino"
        echo "$ino /proc/$BASHPID/fd/$fd" >> "$SA_IT_DIR/ways"
}

# ss_all: "netns port inode pid fd" of every holder of TCP 443 and 8080, by
# ss inside each namespace of ways (one nsenter + ss a namespace; one awk for all).
ss_all() {
        local ino path
        while read -r ino path; do
                echo "NETNS $ino"
                nsenter --net="$path" ss -Hltnpe '( sport = :443 or sport = :8080 )' < /dev/null
        done < "$SA_IT_DIR/ways" |
                awk '$1 == "NETNS" { ino = $2; next }
                     { n = split($4, a, ":"); port = a[n]; inode = ""
                       if (match($0, /ino:[0-9]+/)) inode = substr($0, RSTART + 4, RLENGTH - 4)
                       while (match($0, /pid=[0-9]+,fd=[0-9]+/)) {
                               split(substr($0, RSTART + 4, RLENGTH - 4), pf, ",fd=")
                               print ino, port, inode, pf[1], pf[2]
                               $0 = substr($0, RSTART + RLENGTH) } }' | sort -u
}

# sa_all [ways]: the same from the daemon (who 443, who 8080): the
# namespaces of ways, or with no argument every namespace it knows.
sa_all() {
        local inos=null port
        [ $# -eq 0 ] || inos=$(cut -d' ' -f1 "$SA_IT_DIR/ways" | jq -s .)
        for port in 443 8080; do
                sa who "$port" --json |
                        jq -r --argjson inos "$inos" '.listeners[] | select(.proto == "tcp") |
                                select($inos == null or (.netns as $n | $inos | index($n))) | . as $l |
                                .owners[] | "\($l.netns) \($l.port) \($l.inode) \(.pid) \(.fds[])"'
        done | sort -u
}

# same_as_ss WHAT: the daemon's holders equal ss's, namespace by namespace.
# Every way in must still lead to its namespace (no answer is skipped).
same_as_ss() {
        local ino path
        while read -r ino path; do
                [ "$(stat -L -c %i "$path" 2>/dev/null)" == "$ino" ] ||
                        fail "$1: $path no longer leads to namespace $ino"
        done < "$SA_IT_DIR/ways"
        ss_all > "$SA_IT_DIR/ss.txt"
        sa_all ways > "$SA_IT_DIR/sa.txt"
        cmp -s "$SA_IT_DIR/ss.txt" "$SA_IT_DIR/sa.txt" ||
                fail "$1: daemon differs from per-namespace ss: $(diff "$SA_IT_DIR/ss.txt" "$SA_IT_DIR/sa.txt" | head -6 | tr '\n' ' ')"
        note "$1: equal ($(wc -l < "$SA_IT_DIR/ss.txt") holders)"
}

# assert_forgotten PID SOCKET...: in no namespace does the daemon name PID
# (killed) as a holder, nor list one of its sockets.
assert_forgotten() {
        local pid=$1 sock
        shift
        sa_all > "$SA_IT_DIR/sa_every.txt"
        ! awk -v p="$pid" '$4 == p { found = 1 } END { exit !found }' "$SA_IT_DIR/sa_every.txt" ||
                fail "the daemon still names pid $pid (killed) as a holder: $(grep -m 1 " $pid " "$SA_IT_DIR/sa_every.txt")"
        for sock in "$@"; do
                ! awk -v s="$sock" '$3 == s { found = 1 } END { exit !found }' "$SA_IT_DIR/sa_every.txt" ||
                        fail "the daemon still lists socket $sock of pid $pid (killed): $(grep -m 1 " $sock " "$SA_IT_DIR/sa_every.txt")"
        done
}

# ss_443_ino PID: inode of the TCP 443 listener in PID's namespace ("" if none).
ss_443_ino() {
        nsenter -t "$1" -n ss -Hltne 'sport = :443' | grep -o 'ino:[0-9]*' | head -n 1 | cut -d: -f2
}
ino_differs() { [ "$(ss_443_ino "$1")" != "$2" ]; }
no_443() { [ -z "$(ss_443_ino "$1")" ]; }

# N namespaces, each a process holding TCP 443 (IPv4) and 8080 (IPv6); the
# daemon (Namespaces=all) answers as ss inside each does: at start, after
# 443 was closed in some and replaced (a new socket, same fd) in others,
# and after some holders were killed. With events on, a `who` after nothing
# changed dumps fewer namespaces than there are.
test_netns_events_exact() {
        need_cmd jq nsenter ss
        local n=$NETNS_EVENTS_N lp st i gone_ino gone_socks pids=() olds=()
        "$SA_NETNS_LISTEN" "$n" > "$SA_IT_DIR/nl.out" 2> "$SA_IT_DIR/nl.err" &
        lp=$!
        track_pid "$lp"
        wait_for 20 "sa-netns-listen to make $n namespaces" netns_ready "$SA_IT_DIR/nl.out"
        grep -x '[0-9]*' "$SA_IT_DIR/nl.out" > "$SA_IT_DIR/pids"
        mapfile -t pids < "$SA_IT_DIR/pids"
        assert_eq "$n" "${#pids[@]}" "processes made"
        [ "$n" -ge 10 ] || fail "SA_IT_NETNS_EVENTS_N=$n: at least 10 (holders 1-9 are signalled)"
        # Every namespace pinned but holder 9's: that one is left to vanish.
        for i in "${!pids[@]}"; do
                [ "$i" -eq 9 ] || pin_netns "${pids[$i]}"
        done
        gone_ino=$(stat -L -c %i "/proc/${pids[9]}/ns/net") || fail "pid ${pids[9]} gone early"
        echo "$gone_ino /proc/${pids[9]}/ns/net" >> "$SA_IT_DIR/ways"
        SA_IT_NAMESPACES=all write_config
        start_daemon
        st=$(sa status --json) || fail "status failed"
        note "namespaces: $(jq -c '.freshness.namespaces' <<<"$st")"
        same_as_ss "at start"
        if [ "$(jq -r '.freshness.namespaces.event_driven' <<<"$st")" == true ]; then
                sa who 443 > /dev/null || fail "who 443 failed"
                st=$(sa status --json)
                [ "$(jq -r '.freshness.namespaces.dumped_last' <<<"$st")" -lt \
                  "$(jq -r '.freshness.namespaces.found' <<<"$st")" ] ||
                        fail "events on, yet a who dumped every namespace: $(jq -c '.freshness.namespaces' <<<"$st")"
        else
                note "no namespace events here ($(jq -r '.freshness.namespaces.reason' <<<"$st")): polling, still exact"
        fi

        # 443 closed in three namespaces, replaced in three others.
        for i in 1 2 3; do kill -USR2 "${pids[$i]}"; done
        for i in 4 5 6; do
                olds[i]=$(ss_443_ino "${pids[$i]}")
                kill -USR1 "${pids[$i]}"
        done
        for i in 1 2 3; do wait_for 5 "443 closed in pid ${pids[$i]}'s namespace" no_443 "${pids[$i]}"; done
        for i in 4 5 6; do wait_for 5 "443 replaced in pid ${pids[$i]}'s namespace" ino_differs "${pids[$i]}" "${olds[$i]}"; done
        same_as_ss "after closing and replacing"

        # Holders killed. 7's and 8's namespaces live on (pinned), now without
        # a listener. 9's vanished: its inode may already be another
        # namespace's, so it leaves the comparison; but nothing of its holder
        # (pid, sockets) may remain in any namespace.
        gone_socks=$(awk -v n="$gone_ino" '$1 == n { print $3 }' "$SA_IT_DIR/ss.txt" | sort -u)
        [ -n "$gone_socks" ] || fail "no socket of pid ${pids[9]} seen in namespace $gone_ino"
        for i in 7 8 9; do kill -KILL "${pids[$i]}"; done
        for i in 7 8 9; do wait_for 5 "pid ${pids[$i]} to die" not_alive "${pids[$i]}"; done
        sed -i "/^$gone_ino /d" "$SA_IT_DIR/ways"
        same_as_ss "after killing holders"
        for i in 7 8; do assert_forgotten "${pids[$i]}"; done
        # shellcheck disable=SC2086 # socket inodes, one word each
        assert_forgotten "${pids[9]}" $gone_socks
}

# A namespace's inode handed on (what made netns_events_exact flaky when its
# oracle took an inode for a namespace that had ended): holder A's namespace
# ends, then a new namespace, holding 443 under another program, gets its
# inode. The daemon names the new holder there and nothing of A's.
test_netns_events_ino_reused() {
        need_cmd jq nsenter ss unshare
        local lp x socks i p tries=40 pids=()
        "$SA_NETNS_LISTEN" 2 > "$SA_IT_DIR/nl.out" 2> "$SA_IT_DIR/nl.err" &
        lp=$!
        track_pid "$lp"
        wait_for 20 "sa-netns-listen to make 2 namespaces" netns_ready "$SA_IT_DIR/nl.out"
        mapfile -t pids < <(grep -x '[0-9]*' "$SA_IT_DIR/nl.out")
        assert_eq 2 "${#pids[@]}" "processes made"
        pin_netns "${pids[1]}"
        x=$(stat -L -c %i "/proc/${pids[0]}/ns/net") || fail "pid ${pids[0]} gone early"
        echo "$x /proc/${pids[0]}/ns/net" >> "$SA_IT_DIR/ways"
        SA_IT_NAMESPACES=all write_config
        start_daemon
        same_as_ss "at start"
        socks=$(awk -v n="$x" '$1 == n { print $3 }' "$SA_IT_DIR/ss.txt" | sort -u)

        kill -KILL "${pids[0]}"
        wait_for 5 "pid ${pids[0]} to die" not_alive "${pids[0]}"
        sed -i "/^$x /d" "$SA_IT_DIR/ways"
        refresh # a full scan: the daemon lets go of the namespace (its netlink socket there)
        # shellcheck disable=SC2086 # socket inodes, one word each
        assert_forgotten "${pids[0]}" $socks
        # New namespaces holding 443 until one has inode x (free once the
        # daemon let go of it). The kernel hands out the lowest free inode
        # number, to a namespace and then to its /proc/net files: one that
        # gets x for a file ends at once (x free again), others are kept
        # (they fill the free numbers below x).
        for ((i = 0; i < tries; i++)); do
                unshare -n "$SA_LISTEN" --tcp 0.0.0.0 443 > "$SA_IT_DIR/re.$i.out" 2> "$SA_IT_DIR/re.$i.err" &
                p=$!
                track_pid "$p"
                wait_for 5 "sa-listen in a new namespace" listen_ready "$SA_IT_DIR/re.$i" "$p" "sa-listen"
                [ "$(stat -L -c %i "/proc/$p/ns/net")" != "$x" ] || break
                if [ -n "$(find "/proc/$p/net/" -inum "$x" -print -quit 2> /dev/null)" ]; then
                        kill -KILL "$p"
                        wait_for 5 "pid $p to die" not_alive "$p"
                fi
                sleep_scaled 0.1
        done
        [ "$i" -lt "$tries" ] || skip "inode $x not handed out again in $tries new namespaces (others took it)"
        note "inode $x reused by namespace number $((i + 1)) (pid $p)"
        pin_netns "$p"
        same_as_ss "inode reused"
        grep -q "^$x 443 [0-9]* $p " "$SA_IT_DIR/sa.txt" || fail "the daemon does not name pid $p in namespace $x"
        # shellcheck disable=SC2086 # socket inodes, one word each
        assert_forgotten "${pids[0]}" $socks
}
