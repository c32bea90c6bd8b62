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

# shellcheck source=nftlab.sh
. "${BASH_SOURCE[0]%/*}/nftlab.sh"

# nft_check NAME EXTRA...: every case against the ruleset loaded now: the
# kernel's answers (both clients probing at once), then the evaluator's
# (one sa-nfteval run for all cases).
nft_check() {
        local name=$1 c f p port id kern ev rule reason
        shift
        local -A kernel=() ours=() why=()
        nft_cases "$@" > "$SA_IT_DIR/cases"
        nft_probe_kernel
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
