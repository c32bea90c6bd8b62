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

# fwd_entry CLIENT PROTO PORT [ADDRESS]: the daemon's forwarded entry (dnat_fwd_entry).
fwd_entry() { dnat_fwd_entry daemon "$@"; }

# _fwd_is CLIENT PROTO PORT WANT [ADDRESS]: for wait_for.
_fwd_is() { [ "$(fwd_entry "$1" "$2" "$3" "${5:-}")" == "$4 via DNAT" ]; }

# _fwd_case CLIENT PROTO PORT KERNEL: the daemon's forwarded entry against the kernel's answer.
_fwd_case() {
        FWD_CASES=$((FWD_CASES + 1))
        assert_eq "$4 via DNAT" "$(fwd_entry "$1" "$2" "$3")" \
                "$NAME: client $1 $2/$3, the daemon's forwarded entry against the kernel's"
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
        NAME=published dnat_against_kernel _fwd_case
        assert_eq "172.31.15.2" "$(sa who 8080 --tcp --json | jq -r --arg c "$DNAT_C" '[.listeners[]
                | select(.netns_name == $c) | .reachability.entries[] | select(.interface == "va")][0].forwarded_to')" \
                "where the DNAT sends va's entry"
        assert_contains "$(sa explain 8080 --tcp --netns "$DNAT_C")" "(netns $SA_IT_NS, to 172.31.15.2)" \
                "explain through the daemon names the published port's host"
        start_watch --json
        in_ns iptables-nft -I DOCKER-USER -i va -j DROP || fail "cannot add the DOCKER-USER drop"
        wait_for 10 "reachability_changed in watch after the DOCKER-USER drop" _fwd_changed
        ev=$(head -n 1 "$SA_IT_DIR/fwd_changed")
        assert_eq "accept" "$(jq -r --arg ns "$SA_IT_NS" '.reachability_before.entries[]
                | select(.interface == "va" and .netns == $ns and .port == 8443) | .verdict' <<<"$ev")" \
                "the event's entry before"
        assert_contains "$(jq -r .reason <<<"$ev")" "va 10.15.1.1 port 8443 in netns $SA_IT_NS drop" "the event's reason"
        NAME=docker-user-drop dnat_against_kernel _fwd_case
        assert_eq "drop via DNAT" "$(fwd_entry a tcp 8443)" "client a's side after the drop"
        assert_eq "accept via DNAT" "$(fwd_entry b tcp 8443)" "client b's side after the drop"
        # forwarding off in the host: no ruleset change, the netconf multicast says it
        in_ns sysctl -qw net.ipv4.ip_forward=0 || fail "cannot turn forwarding off"
        wait_for 10 "the daemon to see forwarding off" _fwd_is b tcp 8443 drop
        assert_eq drop "$(dnat_kernel b 10.15.2.1 tcp 8443)" "the kernel, forwarding off"
        in_ns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot turn forwarding on"
        wait_for 10 "the daemon to see forwarding on" _fwd_is b tcp 8443 accept
        note "forwarded entries: $FWD_CASES cases compared with the kernel"
        note "status.reachability: $(sa status --json | jq -c '.reachability | {namespaces, tracked, rounds, reads, changes, last_round_ms, last_round_listeners}')"
}

# _fwd_exposures N: `check --json` lists N exposure_exceeded of the container's listeners; CHECK.
_fwd_exposures() {
        CHECK=$(sa check --json 2>/dev/null)
        [ "$(jq --arg c "$DNAT_C" '[.violations[] | select(.violation == "exposure_exceeded"
                and .listener.netns_name == $c)] | length' <<<"$CHECK")" == "$1" ]
}

# _fwd_appeared: watch has a reachability_changed of the container's tcp 8080 adding the entry on 198.51.100.1.
_fwd_appeared() {
        grep '"event":"reachability_changed"' "$WATCH_OUT" | jq -ce --arg c "$DNAT_C" '
                select(.listener.netns_name == $c and .listener.port == 8080 and .listener.proto == "tcp")
                | select(any(.reachability.entries[]; .address == "198.51.100.1" and .port == 8443)
                         and all(.reachability_before.entries[]; .address != "198.51.100.1"))' \
                > "$SA_IT_DIR/fwd_appeared" 2> /dev/null
        [ -s "$SA_IT_DIR/fwd_appeared" ]
}

# AllowExposure=local: the container's 8080 is private (172.31.15.2, the
# clients' 10.15.x), until the host holds a public address (198.51.100.1
# on va): the publish there exceeds it; a DOCKER-USER drop on va clears it.
test_reach_fwd_exposure() {
        local n
        fwd_daemon '[Port 8080/tcp]' 'AllowExposure=local'
        sleep_scaled 0.3
        _fwd_exposures 0 || fail "exposure_exceeded with private addresses only: $CHECK"
        start_watch --json
        in_ns ip addr add 198.51.100.1/24 dev va || fail "cannot add the public address"
        wait_for 10 "the forwarded entry on the public address" _fwd_is a tcp 8443 accept 198.51.100.1
        wait_for 10 "reachability_changed: a forwarded entry appeared" _fwd_appeared
        assert_eq accept "$(dnat_kernel a 198.51.100.1 tcp 8443)" "the kernel: client a to the public address"
        wait_for 10 "check to list exposure_exceeded" _fwd_exposures 1
        assert_contains "$(jq -r '.violations[] | select(.violation == "exposure_exceeded") | .reason' <<<"$CHECK")" \
                "reachable beyond AllowExposure=local: va 198.51.100.1 port 8443 in netns $SA_IT_NS (accept)" \
                "the violation names the published port"
        in_ns iptables-nft -I DOCKER-USER -i va -j DROP || fail "cannot add the DOCKER-USER drop"
        wait_for 10 "the violation to clear after the drop" _fwd_exposures 0
        assert_eq drop "$(dnat_kernel a 198.51.100.1 tcp 8443)" "the kernel: dropped"
        # the address gone: its entry goes, and reachability_changed says so
        n=$(grep -c '"event":"reachability_changed"' "$WATCH_OUT")
        in_ns ip addr del 198.51.100.1/24 dev va || fail "cannot remove the public address"
        wait_for 10 "the entry on the public address to go" _fwd_gone
        wait_for 10 "reachability_changed for the entry gone" _changed_more "$n"
}

# _fwd_gone: the daemon's record has no entry on 198.51.100.1.
_fwd_gone() { [ "$(fwd_entry a tcp 8443 198.51.100.1)" == "0 entries" ]; }

# _changed_more N: watch has more than N reachability_changed events.
_changed_more() { [ "$(grep -c '"event":"reachability_changed"' "$WATCH_OUT")" -gt "$1" ]; }
