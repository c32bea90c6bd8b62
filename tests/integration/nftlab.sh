# shellcheck shell=bash
# The nftables lab shared by test_nft_verdicts.sh and test_explain_reach.sh:
# a server namespace (the test's) joined by veth pairs to two client
# namespaces, the listeners of sa-nfteval-peer.py, the rulesets of
# tests/integration/nft/, and the kernel's answers to real connects.

NFT_DIR=$ROOT/tests/integration/nft
NFT_EVAL=$BUILD/tests/helpers/sa-nfteval
NFT_PEER=$ROOT/tests/helpers/sa-nfteval-peer.py
NFT_TCP="22 80 443 8080"
NFT_UDP="53 5353"

# nft_topology: client namespaces A and B, veths va/vb in the server
# (10.15.1.1, fd15:1::1 / 10.15.2.1, fd15:2::1; clients .2 and ::2), static
# IPv6 neighbours (a policy-drop ruleset would drop neighbour discovery),
# no ICMP rate limit in the server, and the listeners.
nft_topology() {
        local c n s mac_s mac_c
        need_cmd nft python3 jq
        [ -x "$NFT_EVAL" ] || fail "$NFT_EVAL not built (make tests)"
        NFT_NS=$SA_IT_NS
        for c in a b; do
                n=${SA_IT_NS}$c s=1
                [ "$c" == b ] && s=2
                add_netns "$n"
                ip -n "$NFT_NS" link add "v$c" type veth peer name eth0 netns "$n" ||
                        fail "veth v$c: cannot create"
                ip -n "$NFT_NS" addr add "10.15.$s.1/24" dev "v$c"
                ip -n "$NFT_NS" addr add "fd15:$s::1/64" dev "v$c" nodad
                ip -n "$n" addr add "10.15.$s.2/24" dev eth0
                ip -n "$n" addr add "fd15:$s::2/64" dev eth0 nodad
                ip -n "$NFT_NS" link set "v$c" up
                ip -n "$n" link set eth0 up
                mac_s=$(ip -n "$NFT_NS" -j link show "v$c" | jq -r '.[0].address')
                mac_c=$(ip -n "$n" -j link show eth0 | jq -r '.[0].address')
                ip -n "$n" neigh replace "fd15:$s::1" lladdr "$mac_s" dev eth0 nud permanent
                ip -n "$NFT_NS" neigh replace "fd15:$s::2" lladdr "$mac_c" dev "v$c" nud permanent
        done
        # Per peer and per namespace (icmp_msgs_*: a burst of 50 a second, v4
        # and v6 together): a quick run's rejects must not turn into silence.
        in_ns sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
                net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000 ||
                fail "cannot lift the ICMP rate limits in the server namespace"
        "${NSX[@]}" python3 "$NFT_PEER" serve "${NFT_TCP// /,}" "${NFT_UDP// /,}" \
                > "$SA_IT_DIR/peer.out" 2> "$SA_IT_DIR/peer.err" &
        track_pid $!
        wait_for 5 "the listeners of sa-nfteval-peer.py" grep -q READY "$SA_IT_DIR/peer.out"
        NFT_CASES=0 NFT_UNKNOWN=0 NFT_MISMATCH=()
}

# nft_cases EXTRA...: "client family proto port" lines: the standard matrix and EXTRA ("tcp 2222").
nft_cases() {
        local c f p port extra=("$@")
        for c in a b; do
                for f in 4 6; do
                        for port in $NFT_TCP; do echo "$c $f tcp $port"; done
                        for port in $NFT_UDP; do echo "$c $f udp $port"; done
                        for ((p = 0; p + 1 < ${#extra[@]}; p += 2)); do
                                echo "$c $f ${extra[p]} ${extra[p + 1]}"
                        done
                done
        done
}

# nft_addr CLIENT FAMILY HOST: 10.15.1.HOST or fd15:1::HOST.
nft_addr() {
        local sub=1
        [ "$1" == b ] && sub=2
        if [ "$2" == 4 ]; then echo "10.15.$sub.$3"; else echo "fd15:$sub::$3"; fi
}

# nft_load FILE: the server namespace's ruleset replaced by FILE (.nft: nft -f;
# .rules/.rules6: iptables-nft-restore / ip6tables-nft-restore).
nft_load() {
        in_ns nft flush ruleset || fail "nft flush ruleset failed"
        case $1 in
        *.nft) in_ns nft -f "$1" || fail "nft -f $1 failed" ;;
        *.rules) in_ns iptables-nft-restore "$1" || fail "iptables-nft-restore $1 failed" ;;
        *.rules6) in_ns ip6tables-nft-restore "$1" || fail "ip6tables-nft-restore $1 failed" ;;
        esac
}

# nft_probe_kernel: the kernel's answer to every case of $SA_IT_DIR/cases,
# both clients probing at once, into $SA_IT_DIR/probe.{a,b} ("ID verdict",
# ID "client-family-proto-port").
nft_probe_kernel() {
        local c cc f p port pids=()
        for c in a b; do
                while read -r cc f p port; do
                        [ "$cc" == "$c" ] && echo "$c-$f-$p-$port $(nft_addr "$c" "$f" 1) $p $port"
                done < "$SA_IT_DIR/cases" > "$SA_IT_DIR/probe.$c.in"
                bounded 10 "probes from client $c" nsenter "--net=/run/netns/${SA_IT_NS}$c" -- \
                        python3 "$NFT_PEER" probe "$(scaled 1.5)" < "$SA_IT_DIR/probe.$c.in" > "$SA_IT_DIR/probe.$c" &
                pids+=($!)
        done
        for c in "${pids[@]}"; do wait "$c" || fail "the probes failed: $(cat "$SA_IT_DIR"/probe.*)"; done
}
