# shellcheck shell=bash
# The daemon's forwarded entry points (docs/REACHABILITY.md#in-the-daemon)
# in the Docker-shaped lab of dnatlab.sh: the daemon runs in the test's
# namespace (the lab's "host", Namespaces=all to see the container), the
# container's records carry an entry per published port on the host's
# addresses, with the kernel's verdict (a real connect() or datagram from
# each client); a DOCKER-USER drop on va in the test's namespace and
# forwarding switched off there raise reachability_changed and flip the
# entries; AllowExposure=local flags a publish on a public address.

# shellcheck source=dnatlab.sh
. "${BASH_SOURCE[0]%/*}/dnatlab.sh"

# fwd_entry CLIENT PROTO PORT [ADDRESS]: "VERDICT via DNAT" of the daemon's
# record of the container's listener: its forwarded entry for ADDRESS (the
# host's address on CLIENT's side) and the published PORT.
fwd_entry() {
        local s=1 lport=8080
        [ "$1" == b ] && s=2
        [ "$2" == udp ] && lport=53
        sa who "$lport" "--$2" --json | jq -r --arg a "${4:-10.15.$s.1}" --argjson p "$3" --arg ns "$SA_IT_NS" \
                --arg c "$DNAT_C" '
                [.listeners[] | select(.netns_name == $c) | .reachability.entries[]?
                 | select(.address == $a and .port == $p and .netns == $ns)]
                | if length == 1 then .[0] | "\(.verdict) via \(.via | if test("DNAT") then "DNAT" else . end)"
                  else "\(length) entries" end' || fail "who $lport --$2 failed"
}

# _fwd_is CLIENT PROTO PORT WANT [ADDRESS]: for wait_for.
_fwd_is() { [ "$(fwd_entry "$1" "$2" "$3" "${5:-}")" == "$4 via DNAT" ]; }

# fwd_against_kernel NAME: each client's published ports, TCP and UDP: the daemon's entry is the kernel's answer.
fwd_against_kernel() {
        local c s p port kern
        for c in a b; do
                s=1
                [ "$c" == b ] && s=2
                dnat_probe "$c" "$c-tcp 10.15.$s.1 tcp 8443" "$c-udp 10.15.$s.1 udp 8053"
                for p in tcp udp; do
                        port=8443
                        [ $p == udp ] && port=8053
                        kern=$(awk -v id="$c-$p" '$1 == id { print $2 }' "$SA_IT_DIR/probe.$c")
                        assert_eq "$kern via DNAT" "$(fwd_entry "$c" "$p" "$port")" \
                                "$1: client $c $p/$port, the daemon's forwarded entry against the kernel's"
                        FWD_CASES=$((FWD_CASES + 1))
                done
        done
}

# fwd_daemon [CONFIG LINES...]: the lab published, the daemon in the test's namespace watching 8080 and 53.
fwd_daemon() {
        dnat_lab
        in_ns iptables-nft-restore "$NFT_DIR/13-publish.rules" || fail "iptables-nft-restore failed"
        SA_IT_NAMESPACES=all write_config 'Ports=8080 53' "$@"
        DAEMON_ENV=(SOCKAUDIT_TLSPROBE=/bin/true)
        start_daemon
        wait_for 10 "the daemon's forwarded entry of tcp 8080 on va" _fwd_is a tcp 8443 accept
        FWD_CASES=0
}

# _fwd_changed: watch has a reachability_changed of the container's tcp 8080 whose va entry is drop.
_fwd_changed() {
        grep '"event":"reachability_changed"' "$WATCH_OUT" | jq -ce --arg c "$DNAT_C" --arg ns "$SA_IT_NS" '
                select(.listener.netns_name == $c and .listener.port == 8080 and .listener.proto == "tcp")
                | select(any(.reachability.entries[]; .interface == "va" and .netns == $ns and .verdict == "drop"))' \
                > "$SA_IT_DIR/fwd_changed" 2> /dev/null
        [ -s "$SA_IT_DIR/fwd_changed" ]
}

# Records against the kernel; a DOCKER-USER drop on va, then forwarding off: events and flips.
test_reach_fwd_daemon() {
        local ev
        fwd_daemon
        fwd_against_kernel published
        assert_eq "172.31.15.2" "$(sa who 8080 --tcp --json | jq -r --arg c "$DNAT_C" '[.listeners[]
                | select(.netns_name == $c) | .reachability.entries[] | select(.interface == "va")][0].forwarded_to')" \
                "where the DNAT sends va's entry"
        start_watch --json
        in_ns iptables-nft -I DOCKER-USER -i va -j DROP || fail "cannot add the DOCKER-USER drop"
        wait_for 10 "reachability_changed in watch after the DOCKER-USER drop" _fwd_changed
        ev=$(head -n 1 "$SA_IT_DIR/fwd_changed")
        assert_eq "accept" "$(jq -r --arg ns "$SA_IT_NS" '.reachability_before.entries[]
                | select(.interface == "va" and .netns == $ns and .port == 8443) | .verdict' <<<"$ev")" \
                "the event's entry before"
        assert_contains "$(jq -r .reason <<<"$ev")" "va 10.15.1.1 port 8443 in netns $SA_IT_NS drop" "the event's reason"
        fwd_against_kernel docker-user-drop
        assert_eq "drop via DNAT" "$(fwd_entry a tcp 8443)" "client a's side after the drop"
        assert_eq "accept via DNAT" "$(fwd_entry b tcp 8443)" "client b's side after the drop"
        # forwarding off in the host: no ruleset change, the netconf multicast says it
        in_ns sysctl -qw net.ipv4.ip_forward=0 || fail "cannot turn forwarding off"
        wait_for 10 "the daemon to see forwarding off" _fwd_is b tcp 8443 drop
        assert_eq drop "$(dnat_kernel b 10.15.2.1 tcp 8443)" "the kernel, forwarding off"
        in_ns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot turn forwarding on"
        wait_for 10 "the daemon to see forwarding on" _fwd_is b tcp 8443 accept
        note "forwarded entries: $FWD_CASES cases compared with the kernel"
}

# _fwd_exposures N: `check --json` lists N exposure_exceeded of the container's listeners; CHECK.
_fwd_exposures() {
        CHECK=$(sa check --json 2>/dev/null)
        [ "$(jq --arg c "$DNAT_C" '[.violations[] | select(.violation == "exposure_exceeded"
                and .listener.netns_name == $c)] | length' <<<"$CHECK")" == "$1" ]
}

# AllowExposure=local: the container's 8080 is private (172.31.15.2, the
# clients' 10.15.x), until the host holds a public address (198.51.100.1
# on va): the publish there exceeds it; a DOCKER-USER drop on va clears it.
test_reach_fwd_exposure() {
        fwd_daemon '[Port 8080/tcp]' 'AllowExposure=local'
        sleep_scaled 0.3
        _fwd_exposures 0 || fail "exposure_exceeded with private addresses only: $CHECK"
        in_ns ip addr add 198.51.100.1/24 dev va || fail "cannot add the public address"
        wait_for 10 "the forwarded entry on the public address" _fwd_is a tcp 8443 accept 198.51.100.1
        assert_eq accept "$(dnat_kernel a 198.51.100.1 tcp 8443)" "the kernel: client a to the public address"
        wait_for 10 "check to list exposure_exceeded" _fwd_exposures 1
        assert_contains "$(jq -r '.violations[] | select(.violation == "exposure_exceeded") | .reason' <<<"$CHECK")" \
                "reachable beyond AllowExposure=local: va 198.51.100.1 port 8443 in netns $SA_IT_NS (accept)" \
                "the violation names the published port"
        in_ns iptables-nft -I DOCKER-USER -i va -j DROP || fail "cannot add the DOCKER-USER drop"
        wait_for 10 "the violation to clear after the drop" _fwd_exposures 0
        assert_eq drop "$(dnat_kernel a 198.51.100.1 tcp 8443)" "the kernel: dropped"
}
