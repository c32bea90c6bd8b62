# shellcheck shell=bash
# shellcheck disable=SC2154  # run_cap sets VAR_rc and VAR_err by name
# Namespaces no process lives in (issue 12 §2): a process makes a network
# namespace, binds TCP and UDP 443 there, returns to the test's namespace
# and keeps only the sockets (or an nsfs fd, or a bind mount elsewhere).
# Namespaces=all finds them at a full scan, by the daemon and --direct,
# with eBPF and with procfs, names them by their holder, and lists the
# listeners. Assertions look only at the records of the namespaces made
# here (other tests have their own 443s).

SA_HIDDEN=$BUILD/tests/helpers/sa-hidden

# hidden_ready OUT PID: sa-hidden printed "ready"; fails if it exited first.
hidden_ready() {
        grep -q '^ready$' "$1.out" && return 0
        alive "$2" || fail "sa-hidden exited: $(head -c 300 "$1.err" | tr '\n' ' ')"
        return 1
}

# start_hidden [PREFIX...] -- MODE ARGS...: sa-hidden MODE 443 443 ARGS in the
# test's namespace (PREFIX: e.g. setpriv), ready; sets HIDDEN_PID.
start_hidden() {
        local pre=() out
        while [ "$1" != -- ]; do pre+=("$1"); shift; done
        shift
        _sa_n=$((_sa_n + 1))
        out=$SA_IT_DIR/hidden.$_sa_n
        "${NSX[@]}" "${pre[@]}" "$SA_HIDDEN" "$1" 443 443 "${@:2}" > "$out.out" 2> "$out.err" &
        HIDDEN_PID=$!
        track_pid "$HIDDEN_PID"
        wait_for 5 "sa-hidden $1: ready" hidden_ready "$out" "$HIDDEN_PID"
        note "sa-hidden $* -> pid $HIDDEN_PID"
}

# hidden_records JSON NAME_REGEX: the listener records whose netns_name matches, one per line.
hidden_records() {
        jq -c --arg re "$2" "$JQ_LS"' ls[] | select((.netns_name // "") | test($re))' <<<"$1"
}

# method_or_skip METHOD: ebpf only where the iterator loads (and daemons may use it).
method_or_skip() {
        [ "$1" == ebpf ] || return 0
        [[ "${SA_IT_DAEMON_WRAPPER:-}" != *SOCKAUDITD_EBPF=0* ]] ||
                skip "daemons run without eBPF here (SA_IT_DAEMON_WRAPPER sets SOCKAUDITD_EBPF=0)"
        run_cap EB env SOCKAUDIT_SCAN_METHOD=ebpf "${NSX[@]}" "$SA" --direct list --json
        ebpf_result_or_skip
}

# check_hidden METHOD NAME_REGEX OWNERS [SOURCES]: `who 443` from the daemon
# (D, after a refresh: a full scan) and --direct (X,
# SOCKAUDIT_SCAN_METHOD=METHOD) show TCP and UDP 443 of one namespace named
# NAME_REGEX, held by OWNERS (a pid, or "none"); SOURCES "D X" by default.
# Sets HIDDEN_JSON (the last source's reply).
check_hidden() {
        local m=$1 re=$2 owners=$3 srcs=${4:-D X} src recs want
        if [[ "$srcs" == *D* ]]; then
                refresh
                run_cap D sa who 443 --json
                assert_eq 0 "$D_rc" "who 443 ($m daemon)"
                run_cap T sa who 443
                assert_contains "$T" "netns held by" "the table names the namespace by its holder"
        fi
        run_cap X env SOCKAUDIT_SCAN_METHOD="$m" "${NSX[@]}" "$SA" who 443 --json --direct
        assert_eq 0 "$X_rc" "who 443 --direct ($m)"
        for src in $srcs; do
                recs=$(hidden_records "${!src}" "$re")
                assert_eq "tcp udp" "$(jq -r .proto <<<"$recs" | sort | tr '\n' ' ' | sed 's/ $//')" \
                        "$src ($m): TCP and UDP 443 in the namespace named /$re/"
                assert_eq 1 "$(jq -r .netns <<<"$recs" | sort -u | wc -l)" "$src ($m): one namespace"
                if [ "$owners" == none ]; then
                        want='.owners == [] and .owner_status == "unknown"'
                else
                        want="[.owners[].pid] == [$owners] and .owner_status == \"ok\""
                fi
                while read -r rec; do
                        assert_json "$rec" "$want" "$src ($m): $(jq -r .proto <<<"$rec") 443's holders"
                done <<<"$recs"
                HIDDEN_JSON=${!src}
        done
}

# The name's fd of pid really is what it says: LINK_PREFIX (socket:[, net:[).
check_holder_fd() {
        local rec name fd link
        rec=$(hidden_records "$1" "^held by pid $2 fd " | head -n 1)
        name=$(jq -r .netns_name <<<"$rec")
        [[ "$name" =~ ^held\ by\ pid\ $2\ fd\ ([0-9]+)$ ]] || fail "netns_name '$name' is not 'held by pid $2 fd N'"
        fd=${BASH_REMATCH[1]}
        link=$(readlink "/proc/$2/fd/$fd")
        case $3 in
        net) assert_eq "net:[$(jq -r .netns <<<"$rec")]" "$link" "pid $2 fd $fd is the namespace" ;;
        socket) [[ "$link" == socket:\[* ]] || fail "pid $2 fd $fd is $link, not a socket"
                assert_contains "$(hidden_records "$1" "^held by pid $2 fd " | jq -r .inode)" \
                        "$(tr -dc 0-9 <<<"$link")" "pid $2 fd $fd is one of the listeners" ;;
        esac
}

# hidden_socket METHOD [SOURCES]: the namespace held by root's socket fds.
hidden_socket() {
        need_cmd jq
        method_or_skip "$1"
        start_hidden -- socket
        SA_IT_NAMESPACES=all write_config "ScanMethod=$1"
        [[ "${2:-D X}" == *D* ]] && start_daemon
        check_hidden "$1" "^held by pid $HIDDEN_PID fd [0-9]+\$" "$HIDDEN_PID" "${2:-D X}"
        check_holder_fd "$HIDDEN_JSON" "$HIDDEN_PID" socket
}
test_hidden_netns_socket_ebpf() { hidden_socket ebpf; }
# Without eBPF a socket's namespace is asked with SIOCGSKNS, which takes
# CAP_NET_ADMIN: the CLI as root has it, the daemon asks its broker
# (docs/ARCHITECTURE.md, "Namespaces no process lives in").
test_hidden_netns_socket_procfs() { hidden_socket procfs; }

# hidden_user METHOD [SOURCES]: as nobody, a child made user and network
# namespaces (`unshare -Urn`), bound there, passed the sockets up and exited.
hidden_user() {
        need_cmd jq setpriv
        method_or_skip "$1"
        start_hidden setpriv --reuid nobody --regid nogroup --clear-groups -- user
        SA_IT_NAMESPACES=all write_config "ScanMethod=$1"
        [[ "${2:-D X}" == *D* ]] && start_daemon
        check_hidden "$1" "^held by pid $HIDDEN_PID fd [0-9]+\$" "$HIDDEN_PID" "${2:-D X}"
        check_holder_fd "$HIDDEN_JSON" "$HIDDEN_PID" socket
}
test_hidden_netns_user_ebpf() { hidden_user ebpf; }
test_hidden_netns_user_procfs() { hidden_user procfs; }

# Held by an nsfs fd only: the sockets are in flight (sent, never
# received), so no process holds them: listed with no holder.
hidden_nsfd() {
        need_cmd jq
        method_or_skip "$1"
        start_hidden -- nsfd
        SA_IT_NAMESPACES=all write_config "ScanMethod=$1"
        start_daemon
        check_hidden "$1" "^held by pid $HIDDEN_PID fd [0-9]+\$" none
        check_holder_fd "$HIDDEN_JSON" "$HIDDEN_PID" net
}
test_hidden_netns_nsfd_ebpf() { hidden_nsfd ebpf; }
test_hidden_netns_nsfd_procfs() { hidden_nsfd procfs; }

# Held by a bind mount in the helper's private mount namespace only.
test_hidden_netns_mount() {
        need_cmd jq
        local mp=$SA_IT_DIR/held-net
        start_hidden -- mount "$mp"
        grep -q " $mp " /proc/$$/mountinfo && fail "the bind mount leaked into our mount namespace"
        SA_IT_NAMESPACES=all write_config "ScanMethod=procfs"
        start_daemon
        check_hidden procfs "^held by mount $mp\$" none
}

# Namespaces=self: nothing changes, the hidden namespace is not looked for.
test_hidden_netns_self_mode() {
        need_cmd jq
        start_hidden -- socket
        start_listen --tcp 0.0.0.0 443
        SA_IT_NAMESPACES=self write_config
        start_daemon
        refresh
        run_cap D sa who 443 --json
        assert_eq 0 "$D_rc" "who 443"
        assert_eq "" "$(hidden_records "$D" '^held by ')" "no hidden namespace in Namespaces=self"
        assert_json "$D" "[$JQ_LS ls[] | .owners[].pid] == [$LISTEN_PID]" "only the test namespace's listener"
}
