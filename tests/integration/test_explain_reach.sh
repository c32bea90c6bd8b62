# shellcheck shell=bash
# `sockaudit explain PORT --direct --from ADDRESS --iface NAME --json`: the
# listener's `reachability` object (cli/reach.c, lib/netifsreach.c)
# against the kernel, in the lab of nftlab.sh: for each (ruleset, client,
# family, protocol, port) the entry on the client's interface and the
# server's address must carry the verdict a real connect() or datagram
# from that client observes. Its interfaces must be those `ip -j addr`
# lists; a namespace with nothing but lo must say nothing outside can
# reach it.

# shellcheck source=nftlab.sh
. "${BASH_SOURCE[0]%/*}/nftlab.sh"

# reach_verdict CLIENT FAMILY PROTO PORT: the verdict of explain's entry
# for that client's interface and the server's address (none: "none"; a
# failed explain: a sentence saying so).
reach_verdict() {
        local iface=v$1 to from v
        to=$(nft_addr "$1" "$2" 1) from=$(nft_addr "$1" "$2" 2)
        # explain --direct also probes TLS on tcp/443 (test_tls.sh's business): through
        # the rulesets that drop it on lo, each such probe would spend its whole 5 s
        # (test_tls_dropped_on_lo) and the matrix would outlast this test's limit.
        # Nor does it ask the owners' packages (half of each run: test_provenance.sh's).
        v=$(SOCKAUDIT_TLSPROBE=/bin/true SOCKAUDIT_PROVENANCE=/bin/true sa_direct explain "$4" "--$3" --netns "$NFT_NS" --from "$from" --iface "$iface" --json |
                jq -r --arg i "$iface" --arg a "$to" \
                '[.listeners[].listener.reachability.entries[] | select(.interface == $i and .address == $a)
                  | .verdict] | if length == 1 then .[0] else "none(\(length))" end') ||
                v="(explain $4 --from $from failed)"
        echo "$v"
}

# reach_check NAME: every case of the standard matrix, explain against the
# kernel (the kernel's probes, mostly waiting for silence, run meanwhile;
# the explain runs two at a time: each is a whole direct scan).
reach_check() {
        local name=$1 c f p port id ours probing pids=()
        local -A kernel=()
        nft_cases > "$SA_IT_DIR/cases"
        nft_probe_kernel > "$SA_IT_DIR/probe.log" 2>&1 &
        probing=$!
        while read -r c f p port; do
                reach_verdict "$c" "$f" "$p" "$port" > "$SA_IT_DIR/ours.$c-$f-$p-$port" 2> /dev/null &
                pids+=($!)
                ((${#pids[@]} % 2 == 0)) && wait "${pids[-2]}"
        done < "$SA_IT_DIR/cases"
        wait "${pids[@]}"
        wait "$probing" || fail "the kernel's probes: $(cat "$SA_IT_DIR/probe.log")"
        while read -r id kern; do kernel[$id]=$kern; done < <(cat "$SA_IT_DIR/probe.a" "$SA_IT_DIR/probe.b")
        while read -r c f p port; do
                id=$c-$f-$p-$port
                ours=$(tr '\n' ' ' < "$SA_IT_DIR/ours.$id")
                ours=${ours% }
                REACH_CASES=$((REACH_CASES + 1))
                [ "$ours" == "${kernel[$id]:-none}" ] ||
                        REACH_MISMATCH+=("$name $id: kernel ${kernel[$id]:-none}, explain $ours")
        done < "$SA_IT_DIR/cases"
}

# Native rulesets: policy drop with accept rules, jumps, rejects, per-interface rules.
test_explain_reach_verdicts() {
        nft_topology
        local f
        REACH_CASES=0 REACH_MISMATCH=()
        for f in 01-basic 02-sets 05-jumps 06-reject 07-iface; do
                nft_load "$NFT_DIR/$f.nft"
                reach_check "$f"
        done
        note "explain reachability: $REACH_CASES cases compared, ${#REACH_MISMATCH[@]} mismatches"
        [ ${#REACH_MISMATCH[@]} -eq 0 ] || fail "$(printf '%s\n' "${REACH_MISMATCH[@]}")"
        [ "$REACH_CASES" -ge 120 ] || fail "only $REACH_CASES cases compared"
        # the source unknown: the entry is conditional, each branch with its conditions
        nft_load "$NFT_DIR/02-sets.nft"
        assert_eq 'conditional|accept: ip saddr @trusted4|drop: ip saddr != @trusted4' \
                "$(sa_direct explain 8080 --tcp --netns "$NFT_NS" --iface va --json |
                   jq -r '.listeners[].listener.reachability.entries[] | select(.address == "10.15.1.1")
                          | [.verdict, (.conditions[] | .verdict + ": " + .conditions)] | join("|")')" \
                "tcp 8080 on va from an unknown source"
}

# The interfaces: names and addresses as `ip -j addr` shows them, in the server namespace.
test_explain_reach_interfaces() {
        nft_topology
        local ip_view our_view
        ip_view=$(in_ns ip -j addr | jq -c '[.[] | {name: .ifname, up: (.flags | index("UP") != null),
                addresses: ([.addr_info[] | "\(.local)/\(.prefixlen)"] | sort)}] | sort_by(.name)')
        our_view=$(sa_direct explain 22 --tcp --netns "$NFT_NS" --json | jq -c '[.listeners[0].listener.reachability
                .interfaces[] | {name, up: (.state != "down"), addresses: (.addresses | sort)}] | sort_by(.name)')
        assert_eq "$ip_view" "$our_view" "the interfaces, as ip -j addr lists them"
        # how it is joined to the world: veths whose peers are in other namespaces
        assert_eq "$(in_ns ip -d -j link show va | jq -c '[.[0].linkinfo.info_kind, .[0].link_netnsid]')" \
                "$(sa_direct explain 22 --tcp --netns "$NFT_NS" --json |
                   jq -c '.listeners[0].listener.reachability.interfaces[] | select(.name == "va") | [.kind, .peer_netnsid]')" \
                "va's kind and peer namespace id, as ip link shows them"
        # ... and where they lead: the peer's name and namespace (its inode, its ip netns name)
        assert_eq "[\"eth0\",$(stat -L -c %i "/run/netns/${NFT_NS}a"),\"${NFT_NS}a\"]" \
                "$(sa_direct explain 22 --tcp --netns "$NFT_NS" --json |
                   jq -c '.listeners[0].listener.reachability.interfaces[] | select(.name == "va")
                          | [.peer, .peer_netns, .peer_netns_name]')" "va's peer, its namespace"
        assert_contains "$(sa_direct explain 22 --tcp --netns "$NFT_NS")" "va [fd15:1::1]:22 -> accept" \
                "the text's entry line"
}

# A namespace with nothing but lo: only loopback entries, and the note.
test_explain_reach_lo_only() {
        need_cmd jq
        start_listen --tcp 0.0.0.0 7443
        local out
        out=$(sa_direct explain 7443 --netns "$SA_IT_NS" --json) || fail "explain failed"
        assert_eq "lo" "$(jq -r '[.listeners[0].listener.reachability.entries[].interface] | unique | join(",")' <<<"$out")" \
                "the entries' interfaces"
        assert_eq false "$(jq -r '.listeners[0].listener.reachability.outside' <<<"$out")" "outside"
        assert_eq "nothing outside this namespace can reach it: it has no interface but loopback" \
                "$(jq -r '.listeners[0].listener.reachability.note' <<<"$out")" "the note"
        assert_contains "$(sa_direct explain 7443 --netns "$SA_IT_NS")" "nothing outside this namespace can reach it" \
                "the text"
        # a helper missing or answering nonsense: said so in the object, explain goes on
        out=$(SOCKAUDIT_REACH=$SA_IT_DIR/none sa_direct explain 7443 --netns "$SA_IT_NS" --json) || fail "explain failed"
        assert_eq "the helper sockaudit-reach could not be started" \
                "$(jq -r '.listeners[0].listener.reachability.error' <<<"$out")" "a missing helper"
        out=$(SOCKAUDIT_REACH=/bin/echo sa_direct explain 7443 --netns "$SA_IT_NS") || fail "explain failed"
        assert_contains "$out" "reachability unknown: the helper sockaudit-reach gave no answer" "a helper's nonsense"
        out=$("${NSX[@]}" "$SA" explain 7443 --direct --from nonsense 2>&1) && fail "a bad --from was taken"
        assert_contains "$out" "--from nonsense: not an IPv4 or IPv6 address" "a bad --from: the message"
}

# A bridge port whose veth peer is in another namespace: the interface says
# where it leads (peer, its namespace, the bridge), the text too; a veth
# whose peer is in the same namespace names it.
test_explain_reach_joined() {
        need_cmd jq
        local c=${SA_IT_NS}c ino out
        add_netns "$c"
        ip -n "$SA_IT_NS" link add br15 type bridge || fail "bridge br15: cannot create"
        ip -n "$SA_IT_NS" link add x0 type veth peer name x1 netns "$c" || fail "veth x0: cannot create"
        ip -n "$SA_IT_NS" link set x0 master br15 || fail "x0 into br15"
        ip -n "$SA_IT_NS" link add y0 type veth peer name y1 || fail "veth y0: cannot create"
        ip -n "$SA_IT_NS" addr add 10.15.9.1/24 dev br15
        ip -n "$SA_IT_NS" link set br15 up
        ip -n "$SA_IT_NS" link set x0 up
        ino=$(stat -L -c %i "/run/netns/$c")
        start_listen --tcp 0.0.0.0 7443
        out=$(sa_direct explain 7443 --netns "$SA_IT_NS" --json) || fail "explain failed"
        assert_eq "[\"x1\",$ino,\"$c\",\"br15\"]" \
                "$(jq -c '.listeners[0].listener.reachability.interfaces[] | select(.name == "x0")
                          | [.peer, .peer_netns, .peer_netns_name, .master]' <<<"$out")" "x0: peer, namespace, bridge"
        assert_eq '["y1",null]' "$(jq -c '.listeners[0].listener.reachability.interfaces[] | select(.name == "y0")
                          | [.peer, .peer_netns]' <<<"$out")" "y0: its peer in the same namespace"
        assert_eq true "$(jq -r '.listeners[0].listener.reachability.outside' <<<"$out")" "outside (br15 is up)"
        assert_contains "$(sa_direct explain 7443 --netns "$SA_IT_NS")" \
                "link x0: veth to x1 in netns $ino ($c), port of bridge br15" "the text"
}
