/* SPDX-License-Identifier: MIT */
/*
 * The ruleset evaluator (lib/nfteval.h): the hook and chain walk. The
 * packet is built as bytes (IP and TCP/UDP headers) with a taint per
 * byte: the source address when not given, the source port always, and
 * fields the model makes up (TTL, ids, checksums: rules on them are
 * unknown). Expressions are lib/nftevalexpr.c's. A match on a
 * source-tainted register is a decision: the path takes one option,
 * records it as a condition, and the driver re-runs the evaluation with
 * the other options (depth-first over the decisions), up to
 * SA_NFT_PATHS_MAX paths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "nftevalint.h"
#include "nftrender.h"
#include "nftxt.h"
#include "util.h"

const char *sa_nft_verdict_name(sa_nft_verdict v)
{
        static const char *const n[] = { "accept", "drop", "reject", "conditional", "unknown" };

        return (unsigned) v < 5 ? n[v] : "?";
}


static void build_packet(ev *e)
{
        const sa_nft_packet *p = e->pkt;
        uint8_t *th = e->th, *tt = e->th_t;

        memset(e->nh, 0, sizeof(e->nh));
        memset(e->th, 0, sizeof(e->th));
        memset(e->nh_t, T_OTHER, sizeof(e->nh_t));
        memset(e->th_t, T_OTHER, sizeof(e->th_t));
        if (p->family == AF_INET) {
                e->nh_len = 20;
                e->nh[0] = 0x45, e->nh_t[0] = 0;
                e->nh[9] = p->l4proto, e->nh_t[9] = 0;
                memcpy(e->nh + 12, p->saddr, 4);
                memset(e->nh_t + 12, p->saddr_known ? 0 : T_SADDR, 4);
                memcpy(e->nh + 16, p->daddr, 4);
                memset(e->nh_t + 16, 0, 4);
        } else {
                e->nh_len = 40;
                e->nh[6] = p->l4proto, e->nh_t[6] = 0;
                memcpy(e->nh + 8, p->saddr, 16);
                memset(e->nh_t + 8, p->saddr_known ? 0 : T_SADDR, 16);
                memcpy(e->nh + 24, p->daddr, 16);
                memset(e->nh_t + 24, 0, 16);
        }
        e->th_len = p->l4proto == IPPROTO_TCP ? 20 : 8;
        tt[0] = tt[1] = T_SPORT;
        th[2] = (uint8_t) (e->dport >> 8), th[3] = (uint8_t) e->dport, tt[2] = tt[3] = 0;
        if (p->l4proto == IPPROTO_TCP)
                th[13] = 0x02, tt[13] = 0;      /* SYN */
}

/* Is a (of the packet's family) an address of this namespace? Loopback's too. */
static bool local_address(const sa_nft_packet *p, const uint8_t *a)
{
        static const uint8_t lo6[16] = { [15] = 1 };
        unsigned n = p->family == AF_INET ? 4 : 16;

        if (p->family == AF_INET ? a[0] == 127 : memcmp(a, lo6, 16) == 0)
                return true;
        for (unsigned i = 0; i < p->addr_count; i++)
                if (p->addrs[i].family == p->family && memcmp(p->addrs[i].addr, a, n) == 0)
                        return true;
        return false;
}

/*
 * A destination NAT in prerouting: port (0: unchanged) and address (NULL:
 * unchanged; followed only when the packet lists the addresses) for the
 * chains after it, rule r as `via`.
 */
static void dnat_to(ev *e, uint16_t port, const uint8_t *addr, const sa_nft_rule *r)
{
        e->verdict = NF_ACCEPT;
        if (!e->prerouting)
                return;
        if (port) {
                e->dport = port;
                e->th[2] = (uint8_t) (port >> 8), e->th[3] = (uint8_t) port;
        }
        if (addr && e->pkt->addrs) {
                unsigned n = e->pkt->family == AF_INET ? 4 : 16;

                memcpy(e->cur.daddr, addr, n);
                memcpy(e->nh + (n == 4 ? 16 : 24), addr, n);
                e->cur.daddr_remote = !local_address(e->pkt, addr);
        }
        e->dnat_done = true;
        e->ctstatus |= 0x20 | 0x100;    /* IPS_DST_NAT, IPS_DST_NAT_DONE */
        sa_nft_render_rule(e->rs, r, e->src.family, e->path->via, sizeof(e->path->via));
}

/* DNAT, redirect: the destination (port, and a DNAT's address) changes for the chains after it. */
static void eval_nat(ev *e, const sa_nft_expr *x, const sa_nft_rule *r)
{
        const uint8_t *p = NULL, *a = NULL;
        uint8_t t;

        e->verdict = NF_ACCEPT;
        if ((x->kind == SA_NFT_X_NAT && x->a != NFT_NAT_DNAT) || x->kind == SA_NFT_X_MASQ)
                return;
        if (x->sreg2 && !(p = sa_nft_ev_reg_read(e, x->sreg2, 2, &t)))
                return;
        if (x->kind == SA_NFT_X_NAT && x->sreg
            && !(a = sa_nft_ev_reg_read(e, x->sreg, e->pkt->family == AF_INET ? 4 : 16, &t)))
                return;
        dnat_to(e, p ? (uint16_t) (p[0] << 8 | p[1]) : 0, a, r);
}

/* Runs rule r once (see run_rule). */
static int32_t rule_once(ev *e, const sa_nft_rule *r)
{
        const sa_nft_ruleset *rs = e->rs;
        bool ok = true;

        e->verdict = NFT_CONTINUE;
        e->rejected = false;
        sa_nft_regsrc_init(&e->src, e->pkt->family == AF_INET ? 4 : 6);
        e->src.l4 = e->pkt->l4proto;
        for (uint32_t i = r->first; ok && i < r->first + r->count; i++) {
                const sa_nft_expr *x = &rs->exprs[i];

                switch (x->kind) {
                case SA_NFT_X_PAYLOAD: ok = sa_nft_ev_payload(e, x); break;
                case SA_NFT_X_META: ok = sa_nft_ev_meta(e, x); break;
                case SA_NFT_X_CT: ok = sa_nft_ev_ct(e, x); break;
                case SA_NFT_X_CMP: case SA_NFT_X_RANGE: ok = sa_nft_ev_compare(e, x); break;
                case SA_NFT_X_BITWISE: ok = sa_nft_ev_bitwise(e, x); break;
                case SA_NFT_X_BYTEORDER: ok = sa_nft_ev_byteorder(e, x); break;
                case SA_NFT_X_LOOKUP: ok = sa_nft_ev_lookup(e, x); break;
                case SA_NFT_X_IMMEDIATE:
                        if (x->dreg == NFT_REG_VERDICT) {
                                e->verdict = x->verdict;
                                e->vchain = x->chain;
                        } else {
                                ok = sa_nft_ev_reg_write(e, x->dreg, x->data, x->len, 0);
                        }
                        break;
                case SA_NFT_X_COUNTER: case SA_NFT_X_LOG:
                        break;
                case SA_NFT_X_REJECT:
                        e->verdict = NF_DROP;
                        /* a TCP reset for anything but TCP sends nothing */
                        e->rejected = x->a != NFT_REJECT_TCP_RST || e->pkt->l4proto == IPPROTO_TCP;
                        break;
                case SA_NFT_X_NAT: case SA_NFT_X_REDIR: case SA_NFT_X_MASQ:
                        eval_nat(e, x, r);
                        break;
                case SA_NFT_X_MATCH: case SA_NFT_X_TARGET: {
                        sa_nft_xt_out o = { 0 };
                        int m = sa_nft_xt_eval(x, &e->cur, e->dport, &o);

                        if (m == SA_NFT_XT_UNKNOWN)
                                sa_nft_ev_unknown(e, "%s", o.text);
                        else if (m == SA_NFT_XT_SOURCE && e->probing) {
                                ok = true;
                        } else if (m == SA_NFT_XT_SOURCE) {
                                unsigned c = sa_nft_ev_decide(e, 2);
                                char text[SA_NFT_TEXT_MAX];

                                snprintf(text, sizeof(text), "%s%s", c ? "not " : "", o.text);
                                sa_nft_ev_condition(e, text);
                                ok = c == 0;
                        } else if (m == SA_NFT_XT_VERDICT && o.nat) {
                                dnat_to(e, o.nat_port, o.nat_addr_set ? o.nat_addr : NULL, r);
                        } else if (m == SA_NFT_XT_VERDICT) {
                                e->verdict = o.verdict;
                                e->rejected = o.reject;
                        } else {
                                ok = m == SA_NFT_XT_MATCH || m == SA_NFT_XT_CONTINUE;
                        }
                        break;
                }
                default:
                        sa_nft_ev_unknown(e, "the \"%s\" expression is not evaluated", x->name);
                        break;
                }
                if (e->unknown)
                        return VERDICT_UNKNOWN;
                if (!ok)
                        return NFT_BREAK;
                if (x->kind == SA_NFT_X_CMP || x->kind == SA_NFT_X_RANGE || x->kind == SA_NFT_X_LOOKUP)
                        sa_nft_regsrc_after_match(&e->src, rs, x);
                sa_nft_regsrc_note(&e->src, rs, i);
                if (e->verdict != NFT_CONTINUE)
                        break;
        }
        return e->rejected ? VERDICT_REJECT : e->verdict;
}

/*
 * Runs rule r: NFT_CONTINUE when it matched without a verdict, NFT_BREAK
 * when it did not match, else a verdict. A first run with every source
 * match taken as true, its effects undone, tells a rule that fails on
 * known fields anyway: then no source condition is recorded for it.
 */
static int32_t run_rule(ev *e, const sa_nft_rule *r)
{
        sa_nft_path saved_path = *e->path;
        ev saved = *e;
        int32_t v;

        e->probing = true;
        v = rule_once(e, r);
        *e = saved;
        *e->path = saved_path;
        if (v == NFT_BREAK)
                return NFT_BREAK;
        return rule_once(e, r);
}

/* Records verdict v of rule r (NULL: the chain's policy) in chain ci on the path; returns v. */
static sa_nft_verdict decided(ev *e, uint32_t ci, const sa_nft_rule *r, sa_nft_verdict v)
{
        const sa_nft_chain *c = &e->rs->chains[ci];
        const sa_nft_table *t = &e->rs->tables[c->table];
        sa_nft_path *p = e->path;

        p->verdict = v;
        p->has_rule = true;
        p->by_policy = !r;
        p->family = t->family;
        snprintf(p->table, sizeof(p->table), "%s", t->name);
        snprintf(p->chain, sizeof(p->chain), "%s", c->name);
        p->handle = r ? r->handle : 0;
        if (r)
                sa_nft_render_rule(e->rs, r, e->pkt->family == AF_INET ? 4 : 6, p->rule, sizeof(p->rule));
        else
                snprintf(p->rule, sizeof(p->rule), "policy %s", c->policy == NF_ACCEPT ? "accept" : "drop");
        return v;
}

/* Runs base chain `base`: SA_NFT_ACCEPT, _DROP, _REJECT or _UNKNOWN. */
static sa_nft_verdict run_chain(ev *e, uint32_t base)
{
        struct { uint32_t chain, next; } stack[JUMP_DEPTH];
        const sa_nft_ruleset *rs = e->rs;
        uint32_t c = base, next = 0;
        int sp = 0;

        e->table = rs->chains[base].table;
        for (;;) {
                const sa_nft_chain *ch = &rs->chains[c];
                const sa_nft_rule *r;
                int32_t v;
                int target;

                if (++e->steps > STEPS_MAX) {
                        sa_nft_ev_unknown(e, "more than %u rules on one path", STEPS_MAX);
                        return decided(e, c, NULL, SA_NFT_UNKNOWN);
                }
                if (next >= ch->count) {
                        if (sp == 0) {
                                v = rs->chains[base].policy;
                                return decided(e, base, NULL, v == NF_ACCEPT ? SA_NFT_ACCEPT : SA_NFT_DROP);
                        }
                        sp--;
                        c = stack[sp].chain, next = stack[sp].next;
                        continue;
                }
                r = &rs->rules[ch->first + next++];
                v = run_rule(e, r);
                switch (v) {
                case NFT_CONTINUE: case NFT_BREAK:
                        continue;
                case VERDICT_UNKNOWN:
                        return decided(e, c, r, SA_NFT_UNKNOWN);
                case VERDICT_REJECT:
                        return decided(e, c, r, SA_NFT_REJECT);
                case NF_ACCEPT:
                        return decided(e, c, r, SA_NFT_ACCEPT);
                case NF_DROP:
                        return decided(e, c, r, SA_NFT_DROP);
                case NFT_RETURN:
                        next = ch->count;       /* as falling off the end */
                        continue;
                case NFT_JUMP: case NFT_GOTO:
                        target = sa_nft_find_chain(rs, e->table, e->vchain ? e->vchain : "");
                        if (target < 0 || (v == NFT_JUMP && sp == JUMP_DEPTH)) {
                                sa_nft_ev_unknown(e, target < 0 ? "a jump to a chain the dump did not hold"
                                                      : "jumps deeper than the kernel allows");
                                return decided(e, c, r, SA_NFT_UNKNOWN);
                        }
                        if (v == NFT_JUMP) {
                                stack[sp].chain = c, stack[sp].next = next;
                                sp++;
                        }
                        c = (uint32_t) target, next = 0;
                        continue;
                default:
                        sa_nft_ev_unknown(e, "verdict %s", (v & NF_VERDICT_MASK) == NF_QUEUE ? "queue (userspace decides)"
                                                                                  : "other than accept/drop");
                        return decided(e, c, r, SA_NFT_UNKNOWN);
                }
        }
}

/* The base chains of a hook that see this packet, in priority order (ties: as read). */
static unsigned hook_chains(const sa_nft_ruleset *rs, int family, uint32_t hook, uint32_t *out, unsigned max)
{
        unsigned n = 0;

        for (uint32_t i = 0; i < rs->chain_count && n < max; i++) {
                const sa_nft_chain *c = &rs->chains[i];
                uint32_t tf = rs->tables[c->table].family;

                if (!c->base || c->hooknum != hook)
                        continue;
                if (tf != NFPROTO_INET && tf != (family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6))
                        continue;
                if (strcmp(c->type, "filter") != 0 && strcmp(c->type, "nat") != 0)
                        continue;
                out[n++] = i;
        }
        for (unsigned i = 1; i < n; i++)         /* insertion sort: stable */
                for (unsigned j = i; j > 0 && rs->chains[out[j - 1]].prio > rs->chains[out[j]].prio; j--) {
                        uint32_t tmp = out[j];

                        out[j] = out[j - 1], out[j - 1] = tmp;
                }
        return n;
}

/*
 * The interface routing a forwarded packet to daddr: the one whose prefix
 * holds it, the longest. Sets e->oif, e->oifname; false when none does.
 */
static bool route_out(ev *e)
{
        const sa_nft_packet *p = e->pkt;
        int best = -1;

        for (unsigned i = 0; i < p->addr_count; i++) {
                const sa_nft_ifaddr *a = &p->addrs[i];
                unsigned bits = a->prefix, k;

                if (a->family != p->family || bits > (p->family == AF_INET ? 32u : 128u))
                        continue;
                for (k = 0; k < bits; k++)
                        if ((a->addr[k / 8] ^ e->cur.daddr[k / 8]) & (0x80 >> (k % 8)))
                                break;
                if (k == bits && (best < 0 || bits > p->addrs[best].prefix))
                        best = (int) i;
        }
        if (best < 0)
                return false;
        e->oif = p->addrs[best].ifindex;
        snprintf(e->oifname, sizeof(e->oifname), "%s", p->addrs[best].ifname);
        return true;
}

/* After prerouting sent the packet on: forwarding off, or no route, end it; true to run forward. */
static bool forward_start(ev *e, sa_nft_path *path, sa_nft_verdict *v)
{
        char a[INET6_ADDRSTRLEN];

        path->forwarded = true;
        memcpy(path->daddr, e->cur.daddr, 16);
        inet_ntop(e->pkt->family, e->cur.daddr, a, sizeof(a));
        if (!route_out(e)) {
                *v = SA_NFT_UNKNOWN;
                snprintf(path->reason, sizeof(path->reason),
                         "forwarding to %s: no interface's prefix holds it (other routes are not read)", a);
                return false;
        }
        snprintf(path->oifname, sizeof(path->oifname), "%s", e->oifname);
        if (e->pkt->forwarding_off) {
                *v = SA_NFT_DROP;
                snprintf(path->reason, sizeof(path->reason), "forwarding to %s: forwarding is off in this namespace", a);
                return false;
        }
        return true;
}

/* One run along the current decisions into *path: prerouting, then input (or forward). */
static void run_path(ev *e, sa_nft_path *path)
{
        uint32_t chains[256];
        sa_nft_verdict v = SA_NFT_ACCEPT;

        memset(path, 0, sizeof(*path));
        e->path = path;
        e->pos = 0;
        e->unknown = false;
        e->dnat_done = false;
        e->mark = e->ctmark = e->ctstatus = e->steps = 0;
        e->dport = e->pkt->dport;
        e->cur = *e->pkt;
        e->cur.daddr_remote = false;
        e->oif = 0;
        e->oifname[0] = 0;
        memset(e->d, 0, sizeof(e->d));
        memset(e->taint, 0, sizeof(e->taint));
        build_packet(e);
        for (unsigned h = 0; h < 2 && v == SA_NFT_ACCEPT; h++) {
                uint32_t hook = h == 0 ? NF_INET_PRE_ROUTING : NF_INET_LOCAL_IN;
                unsigned n;

                if (h == 1 && e->cur.daddr_remote) {
                        if (!forward_start(e, path, &v))
                                break;
                        hook = NF_INET_FORWARD;
                }
                n = hook_chains(e->rs, e->pkt->family, hook, chains, 256);
                e->prerouting = h == 0;
                for (unsigned i = 0; i < n && v == SA_NFT_ACCEPT; i++) {
                        const sa_nft_chain *c = &e->rs->chains[chains[i]];

                        /* nat chains run until one binds the connection */
                        if (strcmp(c->type, "nat") == 0 && e->prerouting && e->dnat_done)
                                continue;
                        v = run_chain(e, chains[i]);
                }
        }
        path->verdict = v;
        path->dport = e->dport;
        memcpy(path->daddr, e->cur.daddr, 16);  /* after a DNAT: its address (local or forwarded) */
}

int sa_nft_evaluate(const sa_nft_ruleset *rs, const sa_nft_packet *pkt, sa_nft_result *ret)
{
        ev e = { .rs = rs, .pkt = pkt };

        memset(ret, 0, sizeof(*ret));
        if (rs->legacy) {
                ret->verdict = SA_NFT_UNKNOWN;
                ret->path_count = 1;
                snprintf(ret->paths[0].reason, sizeof(ret->paths[0].reason),
                         "legacy iptables tables are loaded (%s): not read", rs->legacy_names);
                ret->paths[0].verdict = SA_NFT_UNKNOWN;
                return 0;
        }
        for (;;) {
                if (ret->path_count == SA_NFT_PATHS_MAX) {
                        ret->verdict = SA_NFT_UNKNOWN;
                        snprintf(ret->paths[0].reason, sizeof(ret->paths[0].reason),
                                 "more than %d source-dependent branches", SA_NFT_PATHS_MAX);
                        return 0;
                }
                run_path(&e, &ret->paths[ret->path_count++]);
                while (e.ndec > 0 && e.choice[e.ndec - 1] + 1u >= e.nopt[e.ndec - 1])
                        e.ndec--;
                if (e.ndec == 0)
                        break;
                e.choice[e.ndec - 1]++;
        }
        ret->verdict = ret->paths[0].verdict;
        for (unsigned i = 1; i < ret->path_count; i++)
                if (ret->paths[i].verdict != ret->verdict)
                        ret->verdict = SA_NFT_CONDITIONAL;
        if (ret->verdict != SA_NFT_CONDITIONAL) {
                /* the source changes nothing: one path, no conditions */
                ret->path_count = 1;
                ret->paths[0].conditions[0] = 0;
        }
        return 0;
}
