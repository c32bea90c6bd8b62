# shellcheck shell=bash
# Forwarding through a DNAT (Docker's published ports) against the kernel,
# in the lab of dnatlab.sh. sa-nfteval --follow evaluates the host's
# prerouting (the DNAT) and forward hooks; when it accepts, the container's
# prerouting and input decide. That verdict, and the one of the entry
# `sockaudit explain --direct --from CLIENT` adds for the published port
# (found in the host's DNAT rules), must equal a real connect() or
# datagram from each client to the published port.

# shellcheck source=dnatlab.sh
. "${BASH_SOURCE[0]%/*}/dnatlab.sh"

# dnat_explain CLIENT PROTO PORT: "VERDICT via DNAT" of explain --direct's
# forwarded entry for the host's address on CLIENT's side and the published PORT.
dnat_explain() {
        local s=1 lport=8080
        [ "$1" == b ] && s=2
        [ "$2" == udp ] && lport=53
        sa_direct explain "$lport" "--$2" --netns "$DNAT_C" --from "10.15.$s.2" --json |
                jq -r --arg a "10.15.$s.1" --argjson p "$3" --arg ns "$SA_IT_NS" '
                        [.listeners[].listener.reachability.entries[]
                         | select(.address == $a and .port == $p and .netns == $ns)]
                        | if length == 1 then .[0] | "\(.verdict) via \(.via | if test("DNAT") then "DNAT" else . end)"
                          else "\(length) entries" end'
}

# dnat_check NAME: every (client, protocol) against the kernel.
dnat_check() {
        local c s p port kern ours
        for c in a b; do
                s=1
                [ "$c" == b ] && s=2
                dnat_probe "$c" "$c-tcp 10.15.$s.1 tcp 8443" "$c-udp 10.15.$s.1 udp 8053"
                for p in tcp udp; do
                        port=8443
                        [ $p == udp ] && port=8053
                        kern=$(awk -v id="$c-$p" '$1 == id { print $2 }' "$SA_IT_DIR/probe.$c")
                        ours=$(dnat_verdict "$c" "$p" "$port")
                        DNAT_CASES=$((DNAT_CASES + 1))
                        assert_eq "$kern" "$ours" "$NAME client $c $p/$port: ours against the kernel's"
                        ours=$(dnat_explain "$c" "$p" "$port")
                        assert_eq "$kern via DNAT" "$ours" "$NAME client $c $p/$port: explain's entry against the kernel's"
                done
        done
}

# Published ports: accepted; then DOCKER-USER drops client a's source.
test_nft_dnat_published() {
        dnat_lab
        DNAT_CASES=0
        in_ns nft flush ruleset
        in_ns iptables-nft-restore "$NFT_DIR/13-publish.rules" || fail "iptables-nft-restore failed"
        NAME=publish dnat_check
        note "$(sa_direct explain 8080 --tcp --netns "$DNAT_C" --from 10.15.1.2 | grep -A2 'vc\|va ')"
        in_ns iptables-nft -I DOCKER-USER -s 10.15.1.2/32 -j DROP || fail "cannot add the DOCKER-USER drop"
        NAME=docker-user-drop dnat_check
        grep -q '"verdict":"drop"' "$SA_IT_DIR/ours" || fail "no drop seen (DOCKER-USER)"
        in_ns sysctl -qw net.ipv4.ip_forward=0
        assert_eq drop "$(dnat_verdict b tcp 8443)" "forwarding off: ours"
        note "dnat: $DNAT_CASES cases compared with the kernel"
        [ "$DNAT_CASES" -ge 8 ] || fail "only $DNAT_CASES cases"
}

# dnat_entry CLIENT PROTO PORT: "VERDICT PORTS" of explain --direct's forwarded
# entry for the host's address on CLIENT's side and the published PORT
# (PORTS: the rule's ports it stands for, "-" when itself).
dnat_entry() {
        local s=1 lport=8080
        [ "$1" == b ] && s=2
        [ "$2" == udp ] && lport=53
        sa_direct explain "$lport" "--$2" --netns "$DNAT_C" --from "10.15.$s.2" --json |
                jq -r --arg a "10.15.$s.1" --argjson p "$3" --arg ns "$SA_IT_NS" '
                        [.listeners[].listener.reachability.entries[]
                         | select(.address == $a and .port == $p and .netns == $ns)]
                        | if length == 1 then .[0] | "\(.verdict) \(.ports // "-")" else "\(length) entries" end'
}

# Published ports matched by a set, a short range (each port listed) and a
# long one (one port stands for the range): each against the kernel.
test_nft_dnat_sets() {
        local c s p kern id want
        dnat_lab
        in_ns nft flush ruleset
        in_ns nft -f "$NFT_DIR/14-publish-sets.nft" || fail "nft -f 14-publish-sets.nft failed"
        DNAT_CASES=0
        for c in a b; do
                s=1
                [ "$c" == b ] && s=2
                dnat_probe "$c" "t9443 10.15.$s.1 tcp 9443" "t9444 10.15.$s.1 tcp 9444" \
                        "t10000 10.15.$s.1 tcp 10000" "t10500 10.15.$s.1 tcp 10500" \
                        "u9050 10.15.$s.1 udp 9050" "u9055 10.15.$s.1 udp 9055"
                for id in t9443 t9444 t10000 u9050 u9055; do
                        kern=$(awk -v id="$id" '$1 == id { print $2 }' "$SA_IT_DIR/probe.$c")
                        want="$kern -"
                        [ "$id" == t10000 ] && want="$kern 10000-10999"
                        p=tcp
                        [ "${id:0:1}" == u ] && p=udp
                        assert_eq "$want" "$(dnat_entry "$c" "$p" "${id:1}")" "client $c $p/${id:1}: explain's entry against the kernel's"
                        DNAT_CASES=$((DNAT_CASES + 1))
                done
                # the range's other ports: what the kernel says is what the entry standing for them says
                assert_eq "$(awk '$1 == "t10000" { print $2 }' "$SA_IT_DIR/probe.$c")" \
                        "$(awk '$1 == "t10500" { print $2 }' "$SA_IT_DIR/probe.$c")" "client $c: tcp 10500 as 10000"
        done
        assert_eq "11 entries" "$(sa_direct explain 53 --udp --netns "$DNAT_C" --from 10.15.1.2 --json | jq -r \
                --arg ns "$SA_IT_NS" '[.listeners[].listener.reachability.entries[] | select(.netns == $ns and .interface == "va")]
                | "\(length) entries"')" \
                "udp 9050-9060: each port an entry on va"
        assert_contains "$(sa_direct explain 8080 --tcp --netns "$DNAT_C" --from 10.15.1.2)" \
                "standing for ports 10000-10999" "explain's words for the range's entry"
        note "dnat sets: $DNAT_CASES cases compared with the kernel"
}
