# shellcheck shell=bash
# The Docker-shaped lab shared by test_nft_dnat.sh and test_reach_fwd.sh:
# the test's namespace is the "host" (never the real host's: every rule
# goes into the test's namespace) with a bridge br15 (172.31.15.1/24) and
# a veth to a "container" namespace (172.31.15.2) holding TCP 8080 and a
# UDP echo on 53, and veths va/vb to two client namespaces (10.15.1.2,
# 10.15.2.2, routed through the host). tests/integration/nft/13-publish.rules
# (iptables-nft-restore, in the test's namespace) publishes them as
# 8443/tcp and 8053/udp.

# shellcheck source=nftlab.sh
. "${BASH_SOURCE[0]%/*}/nftlab.sh"

# dnat_lab: the host, the container with its listeners, the two clients.
dnat_lab() {
        local c s n
        need_cmd iptables-nft-restore nft python3 jq
        [ -x "$NFT_EVAL" ] || fail "$NFT_EVAL not built (make tests)"
        DNAT_C=${SA_IT_NS}c
        add_netns "$DNAT_C"
        in_ns ip link add br15 type bridge || fail "cannot create a bridge"
        in_ns ip addr add 172.31.15.1/24 dev br15
        in_ns ip link set br15 up
        in_ns ip link add vc type veth peer name eth0 netns "$DNAT_C" || fail "veth vc: cannot create"
        in_ns ip link set vc master br15 up
        ip -n "$DNAT_C" addr add 172.31.15.2/24 dev eth0
        ip -n "$DNAT_C" link set eth0 up
        ip -n "$DNAT_C" route add default via 172.31.15.1 || fail "container: no default route"
        for c in a b; do
                n=${SA_IT_NS}$c s=1
                [ "$c" == b ] && s=2
                add_netns "$n"
                in_ns ip link add "v$c" type veth peer name eth0 netns "$n" || fail "veth v$c: cannot create"
                in_ns ip addr add "10.15.$s.1/24" dev "v$c"
                ip -n "$n" addr add "10.15.$s.2/24" dev eth0
                in_ns ip link set "v$c" up
                ip -n "$n" link set eth0 up
                ip -n "$n" route add default via "10.15.$s.1" || fail "client $c: no default route"
        done
        in_ns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot turn forwarding on in the test's namespace"
        nsenter "--net=/run/netns/$DNAT_C" -- python3 "$NFT_PEER" serve 8080 53 \
                > "$SA_IT_DIR/peer.out" 2> "$SA_IT_DIR/peer.err" &
        track_pid $!
        wait_for 5 "the container's listeners" grep -q READY "$SA_IT_DIR/peer.out"
}

# dnat_verdict CLIENT PROTO PORT: ours for the published PORT from CLIENT:
# the host's (forwarded), then the container's when the host accepts.
dnat_verdict() {
        local s=1 host v
        [ "$1" == b ] && s=2
        host=$(bounded 10 "sa-nfteval --follow" "$NFT_EVAL" --netns "/run/netns/$SA_IT_NS" --follow \
                --iface "v$1" --from "10.15.$s.2" --to "10.15.$s.1" --proto "$2" --port "$3") ||
                fail "sa-nfteval --follow failed"
        printf '%s\n' "$host" >> "$SA_IT_DIR/ours"
        assert_eq "172.31.15.2 br15" "$(jq -r '"\(.forwarded_to) \(.oif)"' <<<"$host")" "$1 $2/$3: where the DNAT sends it"
        assert_contains "$(jq -r .via <<<"$host")" "DNAT" "$1 $2/$3: via names the DNAT"
        v=$(jq -r .verdict <<<"$host")
        if [ "$v" == accept ]; then
                v=$(bounded 10 "sa-nfteval (container)" "$NFT_EVAL" --netns "/run/netns/$DNAT_C" --iface eth0 \
                        --from "10.15.$s.2" --to 172.31.15.2 --proto "$2" --port "$(jq -r .port <<<"$host")" |
                        jq -r .verdict) || fail "sa-nfteval (container) failed"
        fi
        echo "$v"
}

# dnat_probe CLIENT "ID ADDRESS PROTO PORT"...: the kernel's answers to a
# real connect() or datagram from CLIENT, "ID verdict" lines in $SA_IT_DIR/probe.CLIENT.
dnat_probe() {
        local c=$1
        shift
        printf '%s\n' "$@" > "$SA_IT_DIR/probe.$c.in"
        bounded 10 "probes from client $c" nsenter "--net=/run/netns/${SA_IT_NS}$c" -- \
                python3 "$NFT_PEER" probe "$(scaled 1.5)" < "$SA_IT_DIR/probe.$c.in" > "$SA_IT_DIR/probe.$c" ||
                fail "the probes failed"
}

# dnat_kernel CLIENT ADDRESS PROTO PORT: the kernel's answer (accept, reject, drop).
dnat_kernel() {
        dnat_probe "$1" "k $2 $3 $4"
        awk '$1 == "k" { print $2 }' "$SA_IT_DIR/probe.$1"
}

# dnat_against_kernel FN: the kernel's answers to each client's published
# ports (tcp 8443, udp 8053, to the host's address on its side), then
# FN CLIENT PROTO PORT KERNEL_VERDICT for each.
dnat_against_kernel() {
        local c s p port
        for c in a b; do
                s=1
                [ "$c" == b ] && s=2
                dnat_probe "$c" "$c-tcp 10.15.$s.1 tcp 8443" "$c-udp 10.15.$s.1 udp 8053"
                for p in tcp udp; do
                        port=8443
                        [ $p == udp ] && port=8053
                        "$1" "$c" "$p" "$port" "$(awk -v id="$c-$p" '$1 == id { print $2 }' "$SA_IT_DIR/probe.$c")"
                done
        done
}

# dnat_fwd_entry direct|daemon CLIENT PROTO PORT [ADDRESS]: "VERDICT via
# DNAT[ PORTS]" of the container's listener's forwarded entry for ADDRESS
# (default: the host's address on CLIENT's side) and the published PORT
# (PORTS: the rule's ports it stands for, when it stands for others), from
# `explain --direct --from CLIENT` or the daemon's `who`; "N entries"
# unless exactly one.
dnat_fwd_entry() {
        local src=$1 s=1 lport=8080 json
        shift
        [ "$1" == b ] && s=2
        [ "$2" == udp ] && lport=53
        if [ "$src" == direct ]; then
                json=$(sa_direct explain "$lport" "--$2" --netns "$DNAT_C" --from "10.15.$s.2" --json |
                        jq -c '[.listeners[].listener]') || fail "explain $lport --$2 --direct failed"
        else
                json=$(sa who "$lport" "--$2" --json | jq -c --arg c "$DNAT_C" '[.listeners[] | select(.netns_name == $c)]') ||
                        fail "who $lport --$2 failed"
        fi
        jq -r --arg a "${4:-10.15.$s.1}" --argjson p "$3" --arg ns "$SA_IT_NS" '
                [.[].reachability.entries[]? | select(.address == $a and .port == $p and .netns == $ns)]
                | if length == 1 then .[0] | "\(.verdict) via \(.via | if test("DNAT|dnat") then "DNAT" else . end)"
                        + (if .ports then " \(.ports)" else "" end)
                  else "\(length) entries" end' <<<"$json"
}
