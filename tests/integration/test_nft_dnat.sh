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

# _dnat_case CLIENT PROTO PORT KERNEL: sa-nfteval --follow's verdict and explain's entry against the kernel's.
_dnat_case() {
        DNAT_CASES=$((DNAT_CASES + 1))
        assert_eq "$4" "$(dnat_verdict "$1" "$2" "$3")" "$NAME client $1 $2/$3: ours against the kernel's"
        assert_eq "$4 via DNAT" "$(dnat_fwd_entry direct "$1" "$2" "$3")" \
                "$NAME client $1 $2/$3: explain's entry against the kernel's"
}

# dnat_check NAME: every (client, protocol) against the kernel.
dnat_check() { dnat_against_kernel _dnat_case; }

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
                        want="$kern via DNAT"
                        [ "$id" == t10000 ] && want="$kern via DNAT 10000-10999"
                        p=tcp
                        [ "${id:0:1}" == u ] && p=udp
                        assert_eq "$want" "$(dnat_fwd_entry direct "$c" "$p" "${id:1}")" \
                                "client $c $p/${id:1}: explain's entry against the kernel's"
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
        assert_contains "$(sa_direct explain 8080 --tcp --netns "$DNAT_C" --from 10.15.1.2)" \
                'tcp dport { 9443, 9444 } dnat to 172.31.15.2:8080' "the set's DNAT rule in nft syntax (the key's words only)"
        note "dnat sets: $DNAT_CASES cases compared with the kernel"
}
