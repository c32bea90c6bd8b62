# shellcheck shell=bash
# The daemon's reachability (docs/REACHABILITY.md#in-the-daemon) in the lab
# of nftlab.sh: the daemon runs in the server namespace (the test's own),
# its who records carry each listener's verdicts, the same as the kernel's
# answers to real connects; `nft -f` of a drop rule there raises
# reachability_changed in `watch` and in a private journald, and `who`
# shows drop; a flush brings accept back.

# shellcheck source=nftlab.sh
. "${BASH_SOURCE[0]%/*}/nftlab.sh"

# daemon_verdict CLIENT FAMILY PROTO PORT: the verdict of the daemon's record's
# entry on that client's interface and the server's address ("none(N)": not one).
daemon_verdict() {
        local to
        to=$(nft_addr "$1" "$2" 1)
        sa who "$4" "--$3" --json | jq -r --arg i "v$1" --arg a "$to" \
                '[.listeners[].reachability.entries[]? | select(.interface == $i and .address == $a) | .verdict]
                 | if length == 1 then .[0] else "none(\(length))" end' ||
                fail "who $4 --$3 failed"
}

# _verdict_is CLIENT FAMILY PROTO PORT WANT: for wait_for.
_verdict_is() { [ "$(daemon_verdict "$1" "$2" "$3" "$4")" == "$5" ]; }

# _changed_n N: watch has at least N reachability_changed events.
_changed_n() { [ "$(grep -c '"event":"reachability_changed"' "$WATCH_OUT")" -ge "$1" ]; }

# The lab with the daemon in it, its TLS probes off (443 is only a port here).
reach_daemon_lab() {
        nft_topology
        write_config 'Ports=all'
        DAEMON_ENV=(SOCKAUDIT_TLSPROBE=/bin/true)
        start_journald
        STATE_DIR=$SA_IT_DIR/state start_daemon_journal
        wait_for 5 "the daemon's reachability of tcp 8080" _verdict_is a 4 tcp 8080 accept
        assert_eq null "$(sa status --json | jq -c '.reachability.broker_error')" "the broker runs"
        # where va leads (its peer's name needs entering that namespace: not with Namespaces=self)
        assert_eq "[$(stat -L -c %i "/run/netns/${NFT_NS}a"),\"${NFT_NS}a\"]" \
                "$(sa who 8080 --tcp --json | jq -c '[.listeners[0].reachability.interfaces[] | select(.name == "va")][0]
                          | [.peer_netns, .peer_netns_name]')" "va's peer namespace in the daemon"
}

# A drop rule for 8080 on va: watch, journal and who say so; the kernel agrees; a flush undoes it.
test_reach_daemon_changes() {
        local n ev
        reach_daemon_lab
        n=$(sa who 8080 --tcp --json | jq '[.listeners[] | select(any(.reachability.entries[]?; .interface == "va"))] | length')
        [ "$n" -ge 1 ] || fail "no tcp 8080 listener reachable on va"
        start_watch --json
        printf '%s\n' 'table inet h15 {' '  chain input {' '    type filter hook input priority 0; policy accept;' \
                '    iifname "va" tcp dport 8080 drop' '  }' '}' > "$SA_IT_DIR/drop.nft"
        in_ns nft -f "$SA_IT_DIR/drop.nft" || fail "nft -f drop.nft"
        wait_for 5 "reachability_changed in watch after nft -f" _changed_n "$n"
        ev=$(grep '"event":"reachability_changed"' "$WATCH_OUT" | head -n 1)
        assert_eq "8080 drop accept" "$(jq -r '[.listener.port,
                (.reachability.entries[] | select(.interface == "va" and .address == "10.15.1.1") | .verdict),
                (.reachability_before.entries[] | select(.interface == "va" and .address == "10.15.1.1") | .verdict)]
                | map(tostring) | join(" ")' <<<"$ev")" "the event's listener, verdict now and before"
        assert_contains "$(jq -r .reason <<<"$ev")" "va 10.15.1.1 drop" "the event's reason"
        assert_eq drop "$(daemon_verdict a 4 tcp 8080)" "who 8080: the verdict on va"
        assert_eq accept "$(daemon_verdict b 4 tcp 8080)" "who 8080: the verdict on vb"
        assert_eq drop "$(daemon_verdict a 6 tcp 8080)" "who 8080: the IPv6 verdict on va"
        assert_eq accept "$(daemon_verdict a 4 tcp 22)" "who 22: unchanged"
        # the kernel agrees
        printf '%s\n' "a 4 tcp 8080" "b 4 tcp 8080" "a 6 tcp 8080" > "$SA_IT_DIR/cases"
        nft_probe_kernel
        assert_eq "a-4-tcp-8080 drop|a-6-tcp-8080 drop|b-4-tcp-8080 accept" \
                "$(sort "$SA_IT_DIR/probe.a" "$SA_IT_DIR/probe.b" | paste -sd '|')" "the kernel's answers"
        wait_journal "$n" '.MESSAGE_ID == "1f59d78aa6414ff3abfcc2c13eb18624"' || fail "$WAITED"
        assert_contains "$(jq -r 'select(.MESSAGE_ID == "1f59d78aa6414ff3abfcc2c13eb18624") | .SOCKAUDIT_REACH_VERDICTS' <<<"$JOURNAL")" \
                "va 10.15.1.1 drop" "the journal's SOCKAUDIT_REACH_VERDICTS"
        assert_contains "$(jq -r 'select(.MESSAGE_ID == "1f59d78aa6414ff3abfcc2c13eb18624") | .SOCKAUDIT_REACH_BEFORE' <<<"$JOURNAL")" \
                "va 10.15.1.1 accept" "the journal's SOCKAUDIT_REACH_BEFORE"
        # undone: accept again, one more event per listener, none for the others
        in_ns nft flush ruleset || fail "nft flush ruleset"
        wait_for 5 "who 8080 to say accept on va again" _verdict_is a 4 tcp 8080 accept
        wait_for 5 "the second reachability_changed" _changed_n $((2 * n))
        sleep_scaled 0.5
        assert_eq $((2 * n)) "$(grep -c '"event":"reachability_changed"' "$WATCH_OUT")" \
                "reachability_changed only for 8080's listeners (a rule text alone changes no verdict)"
        assert_eq $((2 * n)) "$(sa status --json | jq '.monitor.events.reachability_changed')" "status counts them"
}

# Per-interface rules (07-iface.nft: no rule looks at the source): every
# record's verdict is the kernel's, and the ruleset was read once per change.
test_reach_daemon_kernel() {
        local c f p port id ours mism=() cases=0
        local -A kernel=()
        reach_daemon_lab
        nft_load "$NFT_DIR/07-iface.nft"
        wait_for 5 "the daemon to see 07-iface.nft" _verdict_is a 4 tcp 80 drop
        nft_cases > "$SA_IT_DIR/cases"
        nft_probe_kernel
        while read -r id v; do kernel[$id]=$v; done < <(cat "$SA_IT_DIR/probe.a" "$SA_IT_DIR/probe.b")
        while read -r c f p port; do
                id=$c-$f-$p-$port
                ours=$(daemon_verdict "$c" "$f" "$p" "$port")
                cases=$((cases + 1))
                [ "$ours" == "${kernel[$id]:-none}" ] || mism+=("$id: kernel ${kernel[$id]:-none}, daemon $ours")
        done < "$SA_IT_DIR/cases"
        note "daemon reachability: $cases cases compared, ${#mism[@]} mismatches"
        [ ${#mism[@]} -eq 0 ] || fail "$(printf '%s\n' "${mism[@]}")"
        [ "$cases" -ge 24 ] || fail "only $cases cases compared"
}

# _exposures N: `check --json` lists N exposure_exceeded violations; CHECK, CHECK_rc.
_exposures() {
        CHECK=$(sa check --json 2>/dev/null)
        CHECK_rc=$?
        [ "$(jq '[.violations[] | select(.violation == "exposure_exceeded")] | length' <<<"$CHECK")" == "$1" ]
}

# AllowExposure=: loopback on 8080 (reachable on va and vb: a violation, in
# check and the journal), local on 22 (the lab's addresses are private:
# none), any on 80; a drop rule for 8080 beyond lo clears it, a flush
# raises it again.
test_reach_daemon_exposure() {
        local j
        nft_topology
        write_config 'Ports=all' '[Port 8080/tcp]' 'AllowExposure=loopback' '[Port 22/tcp]' 'AllowExposure=local' \
                '[Port 80/tcp]' 'AllowExposure=any'
        DAEMON_ENV=(SOCKAUDIT_TLSPROBE=/bin/true)
        start_journald
        STATE_DIR=$SA_IT_DIR/state start_daemon_journal
        wait_for 5 "check to list exposure_exceeded" _exposures 1
        assert_eq 1 "$CHECK_rc" "check's exit status with the violation"
        assert_eq "8080" "$(jq -r '.violations[] | select(.violation == "exposure_exceeded") | .listener.port' <<<"$CHECK")" \
                "the violating listener (22: local allows private addresses; 80: any)"
        assert_contains "$(jq -r '.violations[] | select(.violation == "exposure_exceeded") | .reason' <<<"$CHECK")" \
                "reachable beyond AllowExposure=loopback: va 10.15.1.1 (accept)" "the violation's reason"
        wait_journal 1 '.MESSAGE_ID == "a55bd2b4949b4cdba16209f252b7d06a"' || fail "$WAITED"
        j=$(jq -c 'select(.MESSAGE_ID == "a55bd2b4949b4cdba16209f252b7d06a")' <<<"$JOURNAL" | head -n 1)
        assert_eq "exposure_exceeded loopback" "$(jq -r '[.SOCKAUDIT_VIOLATION, .SOCKAUDIT_EXPOSURE] | join(" ")' <<<"$j")" \
                "the journal entry: violation, AllowExposure="
        # one SOCKAUDIT_REACH_ENTRY per entry point beyond lo: va and vb, each address
        assert_eq "$(sa who 8080 --json | jq -c '[.listeners[].reachability.entries[] | select(.interface != "lo")
                        | "\(.interface) \(.address) \(.verdict)"] | sort')" \
                "$(jq -c "$JQ_JV"' jv(.SOCKAUDIT_REACH_ENTRY) | sort' <<<"$j")" "the journal's SOCKAUDIT_REACH_ENTRY values"
        printf '%s\n' 'table inet h15 {' '  chain input {' '    type filter hook input priority 0; policy accept;' \
                '    iifname != "lo" tcp dport 8080 drop' '  }' '}' > "$SA_IT_DIR/drop.nft"
        in_ns nft -f "$SA_IT_DIR/drop.nft" || fail "nft -f drop.nft"
        wait_for 5 "the violation to clear after the drop rule" _exposures 0
        assert_eq 0 "$CHECK_rc" "check's exit status without it"
        in_ns nft flush ruleset || fail "nft flush ruleset"
        wait_for 5 "the violation back after the flush" _exposures 1
        wait_journal 2 '.MESSAGE_ID == "a55bd2b4949b4cdba16209f252b7d06a"' || fail "$WAITED"
}

# _state_exposure_has TEXT: the baseline's exposure records name TEXT in a reason.
_state_exposure_has() {
        jq -e --arg t "$1" '[.exposure[]? | select(.reason | contains($t))] | length == 1' \
                "$STATE_DIR/state.json" > /dev/null 2>&1
}

# _state_exposure_no_vb: the baseline's one exposure record names va, not vb.
_state_exposure_no_vb() {
        jq -e '[.exposure[]? | select(.reason | contains("va ") and (contains("vb ") | not))] | length == 1' \
                "$STATE_DIR/state.json" > /dev/null 2>&1
}

# _exposure_entries: the journal's exposure_exceeded entries.
_exposure_entries() {
        journal_json | jq -s '[.[] | select(.MESSAGE_ID == "a55bd2b4949b4cdba16209f252b7d06a")] | length'
}

# exposure_exceeded across daemon restarts (issue 17's rule): the baseline
# keeps what was reported per place, so a routine restart journals nothing
# again; an exposure that changed while the daemon was down (vb now
# dropped: other entry points) is raised once.
test_reach_daemon_exposure_restart() {
        nft_topology
        write_config 'Ports=all' '[Port 8080/tcp]' 'AllowExposure=loopback'
        DAEMON_ENV=(SOCKAUDIT_TLSPROBE=/bin/true)
        start_journald
        STATE_DIR=$SA_IT_DIR/state
        start_daemon_journal
        wait_journal 1 '.MESSAGE_ID == "a55bd2b4949b4cdba16209f252b7d06a"' || fail "$WAITED"
        wait_for 5 "the baseline to hold the exposure" _state_exposure_has "va 10.15.1.1 (accept)"

        # A routine restart: the same exposure, nothing raised again.
        stop_daemon
        start_daemon_journal
        wait_for 10 "check to list exposure_exceeded after the restart" _exposures 1
        assert_eq 0 "$(mon_get '.monitor.events.policy_violation')" "policy_violation events after a restart"
        assert_eq 1 "$(_exposure_entries)" "exposure_exceeded entries after a restart"

        # vb dropped while the daemon is down: other entry points, raised once.
        stop_daemon
        printf '%s\n' 'table inet h15 {' '  chain input {' '    type filter hook input priority 0; policy accept;' \
                '    iifname "vb" tcp dport 8080 drop' '  }' '}' > "$SA_IT_DIR/dropb.nft"
        in_ns nft -f "$SA_IT_DIR/dropb.nft" || fail "nft -f dropb.nft"
        start_daemon_journal
        wait_journal 2 '.MESSAGE_ID == "a55bd2b4949b4cdba16209f252b7d06a"' || fail "$WAITED"
        assert_eq 1 "$(mon_get '.monitor.events.policy_violation')" "policy_violation events after the change"
        wait_for 5 "the baseline to hold the new exposure (no vb)" _state_exposure_no_vb
        assert_eq 2 "$(_exposure_entries)" "exposure_exceeded entries after the change"
}
