# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Every network namespace (Namespaces=all): names (ip netns, containers),
# owners in another PID namespace, namespaces that come and go, and
# `sockaudit explain`. The daemon runs in the test's namespace; assertions
# look only at the namespaces these tests create (the host may have its own
# listeners on 443, and other tests theirs).

# ns_listen NS ARGS...: start_listen in namespace NS (LISTEN_PID, LISTEN_PIDS).
ns_listen() {
        local saved=("${NSX[@]}")
        NSX=(nsenter "--net=/run/netns/$1" --)
        shift
        start_listen "$@"
        NSX=("${saved[@]}")
}

# ss_in NS: the ss tuples of port 443 in namespace NS (`ss -Hltnp` there).
ss_in() {
        local saved=("${NSX[@]}")
        NSX=(nsenter "--net=/run/netns/$1" --)
        ss_tuples "sport = :443"
        NSX=("${saved[@]}")
}

# ns_listener JSON INODE: the listener records of namespace INODE, one per line.
ns_listener() {
        jq -c --argjson ns "$2" "$JQ_LS"' ls[] | select(.netns == $ns)' <<<"$1"
}

# explain_block TEXT NAME: the paragraph of `explain` output for netns NAME.
explain_block() {
        awk -v n=" in netns $2: " 'BEGIN { RS = ""; ORS = "\n" } index($0, n) { print }' <<<"$1"
}

# Three namespaces (the test's and two more), a listener on 443 in each:
# who finds each with its own inode, its `ip netns` name, its owners as ss
# sees them in that namespace, and its exposure.
test_ns_three_namespaces() {
        need_cmd jq ss
        local a=$SA_IT_NS-a b=$SA_IT_NS-b ns ino want got inos=() out
        add_netns "$a"
        add_netns "$b"
        start_listen --tcp 127.0.0.1 443
        ns_listen "$a" --children 2 --tcp 0.0.0.0 443
        ns_listen "$b" --v6only 1 --tcp :: 443
        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code"
        run_cap XOUT sa_direct who 443 --json
        assert_eq 0 "$XOUT_rc" "who 443 --direct exit code"
        for ns in "$SA_IT_NS" "$a" "$b"; do
                ino=$(ns_inode "$ns")
                inos+=("$ino")
                want=$(ss_in "$ns")
                [ -n "$want" ] || fail "ss sees nothing on 443 in $ns (test setup)"
                for out in OUT XOUT; do
                        got=$(SA_IT_NS=$ns sa_tuples "${!out}" 443)
                        assert_same_set "ss in $ns" "$want" "$out" "$got" "who 443 in $ns (netns $ino)"
                        assert_json "${!out}" "$JQ_LS"" [ls[] | select(.netns == $ino)]
                                | length == 1 and .[0].netns_name == \"$ns\" and .[0].owner_status == \"ok\"
                                  and .[0].exposure.namespace == \"other\"" \
                                "$out: one listener in $ns, named $ns"
                done
        done
        assert_eq 3 "$(printf '%s\n' "${inos[@]}" | sort -u | wc -l)" "distinct netns inodes"
        assert_json "$(ns_listener "$OUT" "${inos[0]}")" \
                '.address == "127.0.0.1" and .exposure.scope == "loopback" and .exposure.ipv4 and (.exposure.ipv6 | not)' \
                "loopback listener's exposure"
        assert_json "$(ns_listener "$OUT" "${inos[1]}")" \
                '.address == "0.0.0.0" and .exposure.scope == "wildcard" and .exposure.ipv4 and (.exposure.ipv6 | not)
                 and (.owners | length) == 3' \
                "wildcard listener's exposure and its 3 holders"
        assert_json "$(ns_listener "$OUT" "${inos[2]}")" \
                '.address == "::" and .v6only and .exposure.scope == "wildcard" and (.exposure.ipv4 | not) and .exposure.ipv6
                 and (.exposure.summary | contains("v6only"))' \
                "v6only listener's exposure"
        # The table names the other namespaces in NOTE.
        run_cap OUT sa who 443
        assert_contains "$OUT" "netns $a" "table note for $a"
        assert_contains "$OUT" "netns $b" "table note for $b"
}

# _pidns_listen_ready OUT PID: listen_ready, but an unshare (PID) that
# exited first skips the test (for wait_for).
_pidns_listen_ready() {
        _READY=$(head -n 1 "$1.out")
        [[ "$_READY" == READY* ]] && return 0
        alive "$2" || skip "unshare -p -f --mount-proc failed here: $(tr '\n' ' ' < "$1.err")"
        return 1
}

# A listener whose only holder lives in another PID namespace (unshare -p):
# the owner is found under its host pid, with pid_in_namespace 1.
test_ns_pid_namespace_owner() {
        need_cmd jq ss unshare
        local c=$SA_IT_NS-c out=$SA_IT_DIR/pidns upid pid line ino want
        add_netns "$c"
        nsenter "--net=/run/netns/$c" unshare -p -f --mount-proc --kill-child \
                "$SA_LISTEN" --tcp 0.0.0.0 443 > "$out.out" 2> "$out.err" &
        upid=$!
        track_pid "$upid"
        wait_for 5 "sa-listen in a PID namespace: READY" _pidns_listen_ready "$out" "$upid"
        line=$_READY
        pid=$(tr -s ' ' '\n' < "/proc/$upid/task/$upid/children" | head -n 1)
        [ -n "$pid" ] || fail "no child of unshare $upid"
        track_pid "$pid"
        [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ] ||
                fail "sa-listen $pid is not in its own PID namespace (test setup)"
        assert_eq "READY 1" "$line" "sa-listen's pid inside its PID namespace"
        note "sa-listen: host pid $pid, pid 1 in its PID namespace"
        ino=$(ns_inode "$c")
        want=$(ss_in "$c")
        [ -n "$want" ] || fail "ss sees nothing in $c (test setup)"

        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code"
        assert_same_set "ss in $c" "$want" daemon "$(SA_IT_NS=$c sa_tuples "$OUT" 443)" "who 443 in $c"
        assert_json "$(ns_listener "$OUT" "$ino")" \
                ".owner_status == \"ok\" and (.owners | length) == 1
                 and .owners[0].pid == $pid and .owners[0].pid_in_namespace == 1
                 and .owners[0].comm == \"sa-listen\"" \
                "owner: host pid $pid, pid_in_namespace 1"
        run_cap XOUT sa_direct who 443 --json
        assert_json "$(ns_listener "$XOUT" "$ino")" \
                ".owners[0].pid == $pid and .owners[0].pid_in_namespace == 1" "--direct: the same owner"
        # Owners in our own PID namespace say null.
        start_listen --tcp 127.0.0.1 443
        refresh
        run_cap OUT sa who 443 --json
        assert_json "$(ns_listener "$OUT" "$(ns_inode)")" '.owners[0].pid_in_namespace == null' \
                "pid_in_namespace of an owner in our PID namespace"
        run_cap OUT sa who 443
        assert_contains "$OUT" "$pid (ns:1)" "table: host pid and pid inside"
        run_cap OUT sa explain 443
        assert_eq 0 "$OUT_rc" "explain 443 exit code"
        assert_contains "$(explain_block "$OUT" "$c")" "sa-listen[$pid] (root) (pid 1 in its PID namespace)" \
                "explain names the owner with both pids"
}

# A namespace created while the daemon runs is found at the next refresh;
# once its name is gone it is still listed (a process keeps it), unnamed;
# once that process is gone too, it disappears. The daemon answers throughout.
test_ns_created_and_deleted() {
        need_cmd jq
        local d=$SA_IT_NS-d ino lp
        start_listen --tcp 127.0.0.1 443
        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh
        add_netns "$d"
        ino=$(ns_inode "$d")
        ns_listen "$d" --tcp 0.0.0.0 443
        lp=$LISTEN_PID
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code"
        assert_json "$(ns_listener "$OUT" "$ino")" ".netns_name == \"$d\" and .owners[0].pid == $lp" \
                "new namespace $d found after refresh"

        ip netns del "$d" || fail "ip netns del $d"
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code (name deleted)"
        assert_json "$(ns_listener "$OUT" "$ino")" ".netns_name == null and .owners[0].pid == $lp" \
                "namespace kept alive by its process: listed, no longer named"

        stop_listen "$lp"
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code (namespace gone)"
        assert_eq "" "$(ns_listener "$OUT" "$ino")" "listener of the deleted namespace"
        assert_json "$(ns_listener "$OUT" "$(ns_inode)")" '.address == "127.0.0.1"' "own listener still there"
        run_cap OUT sa status
        assert_eq 0 "$OUT_rc" "status after the namespace went away"
        alive "$DAEMON_PID" || fail "daemon died"
}

# explain in words, per case: loopback, wildcard, v6only, dual-stack, bound
# device, other namespace; --json, --direct, exit codes, escaping.
test_ns_explain() {
        need_cmd jq
        local a=$SA_IT_NS-a b=$SA_IT_NS-b e=$SA_IT_NS-e f=$SA_IT_NS-f blk ns item
        for ns in "$a" "$b" "$e" "$f"; do add_netns "$ns"; done
        start_listen --comm $'evil\n\e[2J' --tcp 127.0.0.1 443
        ns_listen "$a" --tcp 0.0.0.0 443
        ns_listen "$b" --v6only 1 --tcp :: 443
        ns_listen "$e" --device lo --tcp 0.0.0.0 443
        ns_listen "$f" --v6only 0 --tcp :: 443
        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh

        run_cap OUT sa explain 443
        assert_eq 0 "$OUT_rc" "explain 443 exit code"
        assert_not_contains "$OUT" $'\e' "explain output: no raw escape byte"
        blk=$(explain_block "$OUT" "$SA_IT_NS")
        assert_contains "$blk" "tcp 127.0.0.1:443 in netns $SA_IT_NS: held by evil\\n\\x1b[2J[" "loopback: header, escaped comm"
        assert_contains "$blk" "bound to 127.0.0.1 only: reachable only from inside its network namespace" "loopback"
        assert_contains "$blk" "IPv4 only: IPv6 clients cannot connect" "loopback: family"
        assert_contains "$blk" "inside network namespace $SA_IT_NS (not the host's): reachable only through that namespace's interfaces (e.g. port forwarding/NAT)" \
                "loopback: other namespace"
        blk=$(explain_block "$OUT" "$a")
        assert_contains "$blk" "all IPv4 addresses (0.0.0.0): reachable from any network its namespace's interfaces are on (firewall permitting)" \
                "wildcard"
        assert_contains "$blk" "inside network namespace $a (not the host's)" "wildcard: other namespace"
        blk=$(explain_block "$OUT" "$b")
        assert_contains "$blk" "IPv6 only (v6only): IPv4 clients cannot connect" "v6only"
        assert_contains "$blk" "all IPv6 addresses (::)" "v6only: scope"
        blk=$(explain_block "$OUT" "$e")
        assert_contains "$blk" "tcp 0.0.0.0%lo:443 in netns $e" "device: header"
        assert_contains "$blk" "bound to device lo: only via that interface" "device"
        assert_not_contains "$blk" "reachable from any network" "device: not reachable from any network"
        blk=$(explain_block "$OUT" "$f")
        assert_contains "$blk" "all addresses, IPv4 and IPv6: reachable from any network its namespace's interfaces are on (firewall permitting)" \
                "dual-stack"
        assert_contains "$blk" "dual-stack (v6only off)" "dual-stack: family"

        run_cap OUT sa explain 443 --json
        assert_eq 0 "$OUT_rc" "explain 443 --json exit code"
        assert_json "$OUT" '.port == 443 and (.listeners | length) >= 5 and
                (.listeners | all(has("listener") and has("exposure") and (.explanation | type == "array" and length > 0
                                  and all(type == "string"))) )' "explain --json shape"
        # Not its TLS probes (test_tls.sh's): five silent listeners, four probes at once,
        # 5 s each, would take 10 s, the command's whole bound on a quiet machine.
        SOCKAUDIT_TLSPROBE=/bin/true run_cap XOUT sa_direct explain 443 --json
        assert_eq 0 "$XOUT_rc" "explain 443 --direct --json exit code"
        for ns in "$SA_IT_NS" "$a" "$b" "$e" "$f"; do
                local ino q
                ino=$(ns_inode "$ns")
                q="[.listeners[] | select(.listener.netns == $ino) | {exposure, explanation}]"
                item=$(jq -c "$q" <<<"$OUT")
                assert_eq 1 "$(jq length <<<"$item")" "explain --json: one listener in $ns"
                assert_eq "$item" "$(jq -c "$q" <<<"$XOUT")" "explain: daemon and --direct agree for $ns"
        done
        ino=$(ns_inode "$e")
        assert_json "$OUT" ".listeners[] | select(.listener.netns == $ino) | .exposure |
                .scope == \"device\" and .namespace == \"other\" and .ipv4 and (.ipv6 | not)" "device exposure"
        ino=$(ns_inode "$f")
        assert_json "$OUT" ".listeners[] | select(.listener.netns == $ino) | .exposure |
                .scope == \"wildcard\" and .ipv4 and .ipv6" "dual-stack exposure"
        ino=$(ns_inode)
        assert_json "$OUT" ".listeners[] | select(.listener.netns == $ino) |
                .exposure.scope == \"loopback\" and (.explanation | any(contains(\"bound to 127.0.0.1 only\")))" \
                "loopback exposure and explanation"

        run_cap OUT sa explain 1 --tcp
        assert_eq 1 "$OUT_rc" "explain of an unused port"
        assert_contains "$OUT" "nothing listens on 1/tcp" "explain of an unused port: message"
        run_cap OUT sa explain
        assert_eq 2 "$OUT_rc" "explain without a port"
        run_cap OUT sa explain 443 --port 443
        assert_eq 2 "$OUT_rc" "explain with --port"
        run_cap OUT bounded "$SA_IT_CMD_TIMEOUT" "sockaudit explain 443 (no daemon)" \
                "${NSX[@]}" "$SA" --socket "$SA_IT_DIR/nosuch.sock" explain 443
        assert_eq 3 "$OUT_rc" "explain with no daemon"
        assert_contains "$OUT_err" "--direct" "explain with no daemon: hint"
}

# Namespaces without an `ip netns` name take their container's name from
# the cgroup of a process in them: docker's short id, a machine's name.
test_ns_container_names() {
        need_cmd jq unshare
        [ -w "$SA_IT_CGROOT/cgroup.procs" ] || skip "no writable cgroup v2 at $SA_IT_CGROOT"
        local id tag docker_cg machine_cg p1 p2
        id=$(printf '%064x' "$$")
        tag=sa-it-$$
        make_cgroup "system.slice/docker-$id.scope"     # where the runtimes put them
        make_cgroup "machine.slice/machine-${tag//-/\\x2d}.scope"
        docker_cg=$SA_IT_CGROOT/system.slice/docker-$id.scope
        machine_cg=$SA_IT_CGROOT/machine.slice/machine-${tag//-/\\x2d}.scope
        # Into the cgroup first, then a new network namespace: as runtimes do.
        for cg in "$docker_cg" "$machine_cg"; do
                _sa_n=$((_sa_n + 1))
                sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec unshare -n "$@"' sh "$cg" \
                        "$SA_LISTEN" --tcp 0.0.0.0 443 > "$SA_IT_DIR/listen.$_sa_n.out" 2>&1 &
                track_pid $!
                [ "$cg" == "$docker_cg" ] && p1=$! || p2=$!
                wait_until -w "sa-listen in cgroup $cg: READY" 5 grep -q '^READY' "$SA_IT_DIR/listen.$_sa_n.out"
                grep -q "^READY $!\$" "$SA_IT_DIR/listen.$_sa_n.out" ||
                        fail "sa-listen in cgroup $cg: $(cat "$SA_IT_DIR/listen.$_sa_n.out")"
        done
        SA_IT_NAMESPACES=all write_config
        start_daemon
        refresh
        run_cap OUT sa who 443 --json
        assert_eq 0 "$OUT_rc" "who 443 exit code"
        assert_json "$OUT" "$JQ_LS"" [ls[] | select(.owners | any(.pid == $p1))] | length == 1
                and .[0].netns_name == \"docker:${id:0:12}\" and .[0].exposure.namespace == \"other\"" \
                "docker container's namespace named docker:${id:0:12}"
        assert_json "$OUT" "$JQ_LS"" [ls[] | select(.owners | any(.pid == $p2))] | length == 1
                and .[0].netns_name == \"$tag\"" \
                "machine's namespace named $tag"
        run_cap OUT sa explain 443
        assert_contains "$OUT" "inside network namespace docker:${id:0:12} (not the host's)" "explain names the container"
}

# A listener in a namespace made after the daemon's last full scan: no
# probe dumps that namespace, so only its listen event (eBPF) can bring it
# to watch before the resync (an hour away here).
test_ns_new_namespace_listen_event() {
        need_cmd jq
        local d=$SA_IT_NS-e ino lp
        SA_IT_NAMESPACES=all write_config 'Ports=443' 'ScanInterval=1h'
        start_daemon_mon
        status_json
        [ "$(jq -r '.freshness.listen_events.source' <<<"$STATUS")" == ebpf ] ||
                skip "no eBPF listen events here: $(jq -r '.freshness.listen_events.detail' <<<"$STATUS")"
        start_watch --json
        add_netns "$d"
        ino=$(ns_inode "$d")
        ns_listen "$d" --tcp 0.0.0.0 443
        lp=$LISTEN_PID
        wait_until -w "listener_added for namespace $d in watch (no refresh)" 5 \
                eval "jq -e --argjson ns $ino 'select(.event == \"listener_added\" and .listener.netns == \$ns)' \
                \"\$WATCH_OUT\" > /dev/null" ||
                fail "$WAITED: $(cat "$WATCH_OUT")"
        grep '"listener_added"' "$WATCH_OUT" | jq -e --argjson ns "$ino" --argjson pid "$lp" \
                'select(.listener.netns == $ns) | .listener.netns_name == "'"$d"'" and
                 ([.listener.owners[].pid] | index($pid) != null)' > /dev/null ||
                fail "listener_added does not name $d and holder $lp: $(cat "$WATCH_OUT")"
        stop_watch
}
