# shellcheck shell=bash
# The nftables evaluator (lib/nfteval.c, through tests/helpers/sa-nfteval)
# against the kernel. A server namespace (the test's) joined by veth pairs
# to two client namespaces on their own subnets, IPv4 and IPv6; listeners
# on TCP and UDP (an echo) in the server. Each ruleset of
# tests/integration/nft/ is loaded in the server namespace only, then for
# every (client, family, protocol, port) the evaluator's verdict for that
# client's source and interface must equal what a real connect() or
# datagram from that client observes: connected or echoed (accept),
# refused (reject) or no answer (drop). A ruleset holding a construct the
# evaluator does not model may make a case `unknown`: those are counted
# apart and must name the construct.

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
        in_ns sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 ||
                fail "cannot lift the ICMP rate limit in the server namespace"
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

# nft_check NAME EXTRA...: every case against the ruleset loaded now: the
# kernel's answers (both clients probing at once), then the evaluator's
# (one sa-nfteval run for all cases).
nft_check() {
        local name=$1 c f p port id kern ev rule reason pids=()
        shift
        local -A kernel=() ours=() why=()
        nft_cases "$@" > "$SA_IT_DIR/cases"
        for c in a b; do
                while read -r cc f p port; do
                        [ "$cc" == "$c" ] && echo "$c-$f-$p-$port $(nft_addr "$c" "$f" 1) $p $port"
                done < "$SA_IT_DIR/cases" > "$SA_IT_DIR/probe.$c.in"
                bounded 10 "probes from client $c" nsenter "--net=/run/netns/${SA_IT_NS}$c" -- \
                        python3 "$NFT_PEER" probe "$(scaled 1)" < "$SA_IT_DIR/probe.$c.in" > "$SA_IT_DIR/probe.$c" &
                pids+=($!)
        done
        for c in "${pids[@]}"; do wait "$c" || fail "the probes failed: $(cat "$SA_IT_DIR"/probe.*)"; done
        while read -r id kern; do kernel[$id]=$kern; done < <(cat "$SA_IT_DIR/probe.a" "$SA_IT_DIR/probe.b")
        while read -r c f p port; do
                echo "$c-$f-$p-$port v$c $(nft_addr "$c" "$f" 2) $(nft_addr "$c" "$f" 1) $p $port"
        done < "$SA_IT_DIR/cases" |
                bounded 10 "sa-nfteval --batch" "$NFT_EVAL" --netns "/run/netns/$NFT_NS" --batch \
                > "$SA_IT_DIR/ours" || fail "sa-nfteval --batch failed"
        while IFS=$'\t' read -r id ev rule reason; do
                ours[$id]=$ev why[$id]="$rule${reason:+ ($reason)}"
        done < <(sed 's/^\([^ ]*\) \(.*\)$/\2\t\1/' "$SA_IT_DIR/ours" |
                 jq -rR 'split("\t") as [$j, $id] | ($j | fromjson) as $o
                         | [$id, $o.verdict, ($o.rule // ""), ($o.reason // "")] | @tsv')
        while read -r c f p port; do
                id=$c-$f-$p-$port
                ev=${ours[$id]:-none} kern=${kernel[$id]:-none}
                if [ "$ev" == unknown ]; then
                        note "$name $id: unknown (${why[$id]}), kernel: $kern"
                        NFT_UNKNOWN=$((NFT_UNKNOWN + 1))
                        printf '%s\n' "${why[$id]}" >> "$SA_IT_DIR/unknown.reasons"
                        continue
                fi
                NFT_CASES=$((NFT_CASES + 1))
                if [ "$ev" != "$kern" ]; then
                        NFT_MISMATCH+=("$(printf '%-16s %-14s %-8s %-11s %s' "$name" "$id" "$kern" "$ev" "${why[$id]}")")
                fi
        done < "$SA_IT_DIR/cases"
}

# nft_unknown_source PROTO PORT EXPECTED: the paths from an unknown source on
# va, as "verdict: conditions" joined by "|", must be EXPECTED.
nft_unknown_source() {
        local line
        line=$(bounded 10 "sa-nfteval, source unknown" "$NFT_EVAL" --netns "/run/netns/$NFT_NS" --iface va \
                --to 10.15.1.1 --proto "$1" --port "$2") || fail "sa-nfteval $1 $2 failed"
        assert_eq "$3" "$(jq -r '[.paths[] | .verdict + ": " + .conditions] | join("|")' <<<"$line")" \
                "$1/$2 from an unknown source: its branches"
        [[ "$3" == *"|"* ]] && assert_eq conditional "$(jq -r .verdict <<<"$line")" "$1/$2: the verdict"
        return 0
}

# nft_verdict_report MIN: fails with the mismatches' table, or when fewer than MIN cases ran.
nft_verdict_report() {
        note "nft verdicts: $NFT_CASES cases compared, ${#NFT_MISMATCH[@]} mismatches, $NFT_UNKNOWN unknown"
        if [ ${#NFT_MISMATCH[@]} -gt 0 ]; then
                printf '%-16s %-14s %-8s %-11s %s\n' ruleset case kernel ours rule >&2
                printf '%s\n' "${NFT_MISMATCH[@]}" >&2
                fail "${#NFT_MISMATCH[@]} of $NFT_CASES verdicts differ from the kernel's"
        fi
        [ "$NFT_CASES" -ge "$1" ] || fail "only $NFT_CASES cases compared (want >= $1)"
}

# Native rulesets: accept rules under policy drop, ct state, sets, interval
# sets, concatenations, verdict maps, jumps, rejects.
test_nft_verdicts_native() {
        nft_topology
        local f
        for f in 01-basic 02-sets 03-concat 04-vmap 05-jumps 06-reject; do
                nft_load "$NFT_DIR/$f.nft"
                nft_check "$f"
        done
        # the source unknown: a verdict per branch, each with its conditions
        nft_load "$NFT_DIR/02-sets.nft"
        nft_unknown_source tcp 8080 'accept: ip saddr @trusted4|drop: ip saddr != @trusted4'
        nft_unknown_source udp 53 'accept: ip saddr != @trusted4|reject: ip saddr @trusted4'
        nft_unknown_source tcp 80 'accept: '
        nft_load "$NFT_DIR/05-jumps.nft"
        nft_unknown_source tcp 443 'accept: ip saddr 10.15.2.0/24|reject: ip saddr != 10.15.2.0/24'
        assert_eq 0 "$NFT_UNKNOWN" "unknown verdicts on rulesets with nothing unsupported"
        nft_verdict_report 100
}

# Per-interface rules, base chains at several priorities and hooks, ip and
# ip6 tables, DNAT/redirect, and a construct that makes `unknown`.
test_nft_verdicts_chains() {
        nft_topology
        local f
        for f in 07-iface 08-priorities 09-families; do
                nft_load "$NFT_DIR/$f.nft"
                nft_check "$f"
        done
        nft_load "$NFT_DIR/10-nat.nft"
        nft_check 10-nat tcp 2222 tcp 8443
        assert_eq 0 "$NFT_UNKNOWN" "unknown verdicts on rulesets with nothing unsupported"
        nft_load "$NFT_DIR/11-unsupported.nft"
        nft_check 11-unsupported
        assert_eq 4 "$NFT_UNKNOWN" "unknown verdicts: tcp 22 of both clients and families (the limit)"
        assert_contains "$(sort -u "$SA_IT_DIR/unknown.reasons")" '"limit"' "the unknown verdicts' reason"
        nft_verdict_report 80
}

# iptables-nft in ufw's shape: compat matches (conntrack, state, addrtype,
# multiport, iprange, comment, tcp/udp) and the REJECT target; Docker's
# publishing shape (DNAT) and a REDIRECT in the nat table.
test_nft_verdicts_iptables() {
        nft_topology
        need_cmd iptables-nft-restore ip6tables-nft-restore
        in_ns nft flush ruleset
        in_ns iptables-nft-restore "$NFT_DIR/12-ufw.rules" || fail "iptables-nft-restore failed"
        in_ns ip6tables-nft-restore "$NFT_DIR/12-ufw.rules6" || fail "ip6tables-nft-restore failed"
        in_ns iptables-nft-restore --noflush "$NFT_DIR/12-docker.rules" || fail "iptables-nft-restore (nat) failed"
        nft_check 12-ufw tcp 8443 tcp 2222
        grep -q '"via":"[^"]*xt target' "$SA_IT_DIR/ours" || fail "no verdict named the DNAT/REDIRECT target as via"
        grep -q 'xt match' "$SA_IT_DIR/ours" || fail "no verdict named an xtables compat match"
        nft_verdict_report 30
}

# Legacy iptables tables in the namespace: nf_tables does not show them, so
# every verdict is unknown, naming them.
test_nft_verdicts_legacy() {
        nft_topology
        need_cmd iptables-legacy
        in_ns iptables-legacy -A INPUT -p tcp --dport 1 -j DROP || skip "iptables-legacy cannot add a rule here"
        nft_unknown_source tcp 22 'unknown: '
        assert_contains "$("$NFT_EVAL" --netns "/run/netns/$NFT_NS" --iface va --to 10.15.1.1 --proto tcp --port 22)" \
                'legacy iptables tables are loaded (ip:filter)' "the reason"
}
