# shellcheck shell=bash
# Forwarding through a DNAT (Docker's published ports) against the kernel,
# in the lab of dnatlab.sh. sa-nfteval --follow evaluates the host's
# prerouting (the DNAT) and forward hooks; when it accepts, the container's
# prerouting and input decide. That verdict, and the one of the entry
# `sockaudit explain --direct --from CLIENT` adds for the published port
# (found in the host's DNAT rules), must equal a real connect() or
# datagram from each client to the published port. Redirects in the
# container's own namespace (test_nft_dnat_redirect) likewise, through
# explain --direct and the daemon's who.

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

# _redir_entry direct|daemon PORT: "VERDICT via REDIRECT" of the container's
# tcp 8080 entry for eth0's 172.31.15.2 and the redirected PORT (netns null:
# its own namespace's rule), from explain --direct --from client a or who.
_redir_entry() {
        local json
        if [ "$1" == direct ]; then
                json=$(sa_direct explain 8080 --tcp --netns "$DNAT_C" --from 10.15.1.2 --json |
                        jq -c '[.listeners[].listener]') || fail "explain 8080 --direct failed"
        else
                json=$(sa who 8080 --tcp --json | jq -c --arg c "$DNAT_C" '[.listeners[] | select(.netns_name == $c)]') ||
                        fail "who 8080 failed"
        fi
        jq -r --argjson p "$2" '
                [.[].reachability.entries[]? | select(.interface == "eth0" and .address == "172.31.15.2"
                        and .port == $p and has("netns") and .netns == null)]
                | if length == 1 then .[0] | "\(.verdict) via \(.via | if test("redirect|REDIRECT") then "REDIRECT" else . end)"
                  else "\(length) entries" end' <<<"$json"
}

# _redir_daemon_is PORT WANT: for wait_for.
_redir_daemon_is() { [ "$(_redir_entry daemon "$1")" == "$2 via REDIRECT" ]; }

# _redir_against_kernel WANT WHAT SECONDS: client a's real connects to tcp
# 80 and 81 of the container give WANT; explain's entry and (within
# SECONDS) the daemon's say what the kernel says.
_redir_against_kernel() {
        local p kern
        for p in 80 81; do
                kern=$(dnat_kernel a 172.31.15.2 tcp "$p")
                assert_eq "$1" "$kern" "client a tcp/$p: the kernel's answer ($2)"
                assert_eq "$kern via REDIRECT" "$(_redir_entry direct "$p")" "tcp/$p ($2): explain's entry against the kernel's"
                wait_for "$3" "the daemon's entry for tcp/$p ($2)" _redir_daemon_is "$p" "$kern"
        done
}

# Redirects in the listener's own namespace (issue 15): nft `redirect to
# :8080` for tcp 80, iptables-nft REDIRECT for 81, in the container; client
# a connects to 80 and 81 for real, explain --direct and the daemon's who
# carry an entry per redirected port with the kernel's verdict; then a drop
# of tcp dport 8080 in the container's input (what the packet has after the
# redirect) drops both, for the kernel and for both of ours.
test_nft_dnat_redirect() {
        dnat_lab
        in_ns nft flush ruleset
        ip netns exec "$DNAT_C" nft -f - <<'NFT' || fail "nft: the redirect failed"
table ip redir {
        chain prerouting {
                type nat hook prerouting priority dstnat;
                tcp dport 80 redirect to :8080
        }
}
NFT
        ip netns exec "$DNAT_C" iptables-nft -t nat -A PREROUTING -p tcp --dport 81 -j REDIRECT --to-ports 8080 ||
                fail "iptables-nft: the REDIRECT failed"
        SA_IT_NAMESPACES=all write_config 'Ports=8080'
        DAEMON_ENV=(SOCKAUDIT_TLSPROBE=/bin/true)
        start_daemon
        _redir_against_kernel accept "redirected to the listener" 20
        assert_eq "0 entries" "$(_redir_entry direct 8080)" "the listener's own port: no redirected entry"
        ip netns exec "$DNAT_C" nft add rule ip redir prerouting tcp dport 82 redirect to :9999 ||
                fail "nft: the redirect elsewhere failed"
        assert_eq "0 entries" "$(_redir_entry direct 82)" "a redirect to another port: no entry"
        ip netns exec "$DNAT_C" nft -f - <<'NFT' || fail "nft: the input drop failed"
table ip f {
        chain input {
                type filter hook input priority filter;
                tcp dport 8080 drop
        }
}
NFT
        _redir_against_kernel drop "dropped after the redirect" 10
}
