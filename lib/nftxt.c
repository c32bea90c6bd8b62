/* SPDX-License-Identifier: MIT */
/* xtables compat matches and targets on the evaluator's packet (lib/nftxt.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_iprange.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#include "nftxt.h"

#define CT_NEW_BIT (1u << (IP_CT_NEW + 1))

static int unknown(sa_nft_xt_out *o, const char *what, const sa_nft_expr *x)
{
        snprintf(o->text, sizeof(o->text), "iptables %s \"%s\" (revision %u) is not evaluated", what, x->name, x->a);
        return SA_NFT_XT_UNKNOWN;
}

static bool too_short(const sa_nft_expr *x, size_t need)
{
        return !x->info || x->info_len < need;
}

static int verdict_of(bool m, bool invert)
{
        return m != invert ? SA_NFT_XT_MATCH : SA_NFT_XT_NOMATCH;
}

/* Source ports a..b: the source port is never known. */
static int sport_range(sa_nft_xt_out *o, const char *proto, uint16_t a, uint16_t b, bool invert)
{
        if (a == 0 && b == 0xffff)
                return verdict_of(true, invert);
        snprintf(o->text, sizeof(o->text), "%s sport %s%u-%u", proto, invert ? "!= " : "", a, b);
        return SA_NFT_XT_SOURCE;
}

/* multiport's destination ports as ranges into lo/hi (at most max); -2 when not destination-only or inverted. */
static int multiport_dports(const sa_nft_expr *x, uint16_t *lo, uint16_t *hi, unsigned max)
{
        const struct xt_multiport_v1 *m = (const void *) x->info;
        unsigned n = 0;

        if (x->a != 1 || too_short(x, sizeof(*m)) || m->count > XT_MULTI_PORTS
            || m->flags != XT_MULTIPORT_DESTINATION || m->invert)
                return -2;
        for (unsigned i = 0; i < m->count; i++) {
                if (n == max)
                        return -2;
                lo[n] = hi[n] = m->ports[i];
                if (m->pflags[i] && i + 1 < m->count)
                        hi[n] = m->ports[++i];
                n++;
        }
        return (int) n;
}

int sa_nft_xt_dports(const sa_nft_expr *x, uint16_t *lo, uint16_t *hi, unsigned max)
{
        bool tcp = strcmp(x->name, "tcp") == 0;
        const struct xt_tcp *t = (const void *) x->info;
        const struct xt_udp *u = (const void *) x->info;
        const uint16_t *dpts;

        if (x->kind != SA_NFT_X_MATCH)
                return -1;
        if (strcmp(x->name, "multiport") == 0)
                return multiport_dports(x, lo, hi, max);
        if ((!tcp && strcmp(x->name, "udp") != 0) || too_short(x, tcp ? sizeof(*t) : sizeof(*u)))
                return -1;
        dpts = tcp ? t->dpts : u->dpts;
        if ((tcp ? t->invflags : u->invflags) & XT_TCP_INV_DSTPT)
                return -2;
        if (dpts[0] == 0 && dpts[1] == 0xffff)
                return 0;
        if (max == 0 || dpts[0] > dpts[1])
                return -2;
        lo[0] = dpts[0];
        hi[0] = dpts[1];
        return 1;
}

static int match_tcpudp(const sa_nft_expr *x, const sa_nft_packet *p, uint16_t dport, sa_nft_xt_out *o)
{
        bool tcp = strcmp(x->name, "tcp") == 0;
        const struct xt_tcp *t = (const void *) x->info;
        const struct xt_udp *u = (const void *) x->info;
        uint8_t inv;
        const uint16_t *spts, *dpts;

        if (too_short(x, tcp ? sizeof(*t) : sizeof(*u)))
                return unknown(o, "match", x);
        if (p->l4proto != (tcp ? IPPROTO_TCP : IPPROTO_UDP))
                return SA_NFT_XT_NOMATCH;
        inv = tcp ? t->invflags : u->invflags;
        spts = tcp ? t->spts : u->spts;
        dpts = tcp ? t->dpts : u->dpts;
        if ((dport >= dpts[0] && dport <= dpts[1]) == !!(inv & XT_TCP_INV_DSTPT))
                return SA_NFT_XT_NOMATCH;
        if (tcp && t->option)
                return unknown(o, "match with --tcp-option in", x);
        if (tcp && t->flg_mask && ((0x02 & t->flg_mask) == t->flg_cmp) == !!(inv & XT_TCP_INV_FLAGS))
                return SA_NFT_XT_NOMATCH;
        return sport_range(o, x->name, spts[0], spts[1], inv & XT_TCP_INV_SRCPT);
}

static int match_multiport(const sa_nft_expr *x, uint16_t dport, sa_nft_xt_out *o)
{
        const struct xt_multiport_v1 *m = (const void *) x->info;
        bool hit = false;

        if (x->a != 1 || too_short(x, sizeof(*m)) || m->count > XT_MULTI_PORTS)
                return unknown(o, "match", x);
        if (m->flags != XT_MULTIPORT_DESTINATION) {
                snprintf(o->text, sizeof(o->text), "multiport on the source port");
                if (m->flags == XT_MULTIPORT_SOURCE)
                        return SA_NFT_XT_SOURCE;
                return unknown(o, "match (either port)", x);
        }
        for (unsigned i = 0; i < m->count && !hit; i++) {
                if (m->pflags[i] && i + 1 < m->count) {
                        hit = dport >= m->ports[i] && dport <= m->ports[i + 1];
                        i++;
                } else {
                        hit = dport == m->ports[i];
                }
        }
        return verdict_of(hit, m->invert);
}

static int match_conntrack(const sa_nft_expr *x, sa_nft_xt_out *o)
{
        uint16_t flags, inv, state;

        if (x->a == 1 && !too_short(x, sizeof(struct xt_conntrack_mtinfo1))) {
                const struct xt_conntrack_mtinfo1 *c = (const void *) x->info;

                flags = c->match_flags, inv = c->invert_flags, state = c->state_mask;
        } else if ((x->a == 2 || x->a == 3) && !too_short(x, x->a == 2 ? sizeof(struct xt_conntrack_mtinfo2)
                                                                        : sizeof(struct xt_conntrack_mtinfo3))) {
                const struct xt_conntrack_mtinfo2 *c = (const void *) x->info;   /* 3 begins as 2 */

                flags = c->match_flags, inv = c->invert_flags, state = c->state_mask;
        } else {
                return unknown(o, "match", x);
        }
        if (flags & ~(unsigned) (XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS))
                return unknown(o, "conntrack match beyond --ctstate in", x);
        if (!(flags & XT_CONNTRACK_STATE))
                return SA_NFT_XT_MATCH;
        return verdict_of(state & CT_NEW_BIT, inv & XT_CONNTRACK_STATE);
}

static int match_addrtype(const sa_nft_expr *x, const sa_nft_packet *p, sa_nft_xt_out *o)
{
        const struct xt_addrtype_info_v1 *a = (const void *) x->info;

        if (x->a != 1 || too_short(x, sizeof(*a)))
                return unknown(o, "match", x);
        /* the destination is an address of this host (unless DNATed away); the source a remote unicast one */
        if (a->dest && p->daddr_remote && a->dest != XT_ADDRTYPE_LOCAL)
                return unknown(o, "match", x);
        if (a->dest && ((a->dest & XT_ADDRTYPE_LOCAL) && !p->daddr_remote) == !!(a->flags & XT_ADDRTYPE_INVERT_DEST))
                return SA_NFT_XT_NOMATCH;
        if (a->source && !p->saddr_known) {
                snprintf(o->text, sizeof(o->text), "source address type 0x%x%s", a->source,
                         a->flags & XT_ADDRTYPE_INVERT_SOURCE ? " (inverted)" : "");
                return SA_NFT_XT_SOURCE;
        }
        if (a->source && !(a->source & XT_ADDRTYPE_UNICAST) != !!(a->flags & XT_ADDRTYPE_INVERT_SOURCE))
                return SA_NFT_XT_NOMATCH;
        return SA_NFT_XT_MATCH;
}

static bool in_range(const union nf_inet_addr *lo, const union nf_inet_addr *hi, const uint8_t *a, unsigned n)
{
        return memcmp(lo, a, n) <= 0 && memcmp(a, hi, n) <= 0;
}

static int match_iprange(const sa_nft_expr *x, const sa_nft_packet *p, sa_nft_xt_out *o)
{
        const struct xt_iprange_mtinfo *r = (const void *) x->info;
        unsigned n = p->family == AF_INET ? 4 : 16;
        char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];

        if (x->a != 1 || too_short(x, sizeof(*r)))
                return unknown(o, "match", x);
        if ((r->flags & IPRANGE_DST)
            && in_range(&r->dst_min, &r->dst_max, p->daddr, n) == !!(r->flags & IPRANGE_DST_INV))
                return SA_NFT_XT_NOMATCH;
        if (!(r->flags & IPRANGE_SRC))
                return SA_NFT_XT_MATCH;
        if (p->saddr_known)
                return verdict_of(in_range(&r->src_min, &r->src_max, p->saddr, n), r->flags & IPRANGE_SRC_INV);
        inet_ntop(p->family, &r->src_min, lo, sizeof(lo));
        inet_ntop(p->family, &r->src_max, hi, sizeof(hi));
        snprintf(o->text, sizeof(o->text), "%s saddr %s%s-%s", n == 4 ? "ip" : "ip6",
                 r->flags & IPRANGE_SRC_INV ? "!= " : "", lo, hi);
        return SA_NFT_XT_SOURCE;
}

/*
 * DNAT and REDIRECT: the port they map to. IPv4 revision 0 holds the old
 * multi-range struct; later revisions and IPv6 nf_nat_range (range2 begins
 * as it).
 */
static int nat_target(const sa_nft_expr *x, const sa_nft_packet *p, sa_nft_xt_out *o)
{
        unsigned int flags;
        uint16_t port;

        if (x->a == 0 && p->family == AF_INET) {
                const struct nf_nat_ipv4_multi_range_compat *m = (const void *) x->info;

                if (too_short(x, sizeof(*m)) || m->rangesize != 1)
                        return unknown(o, "target", x);
                flags = m->range[0].flags;
                port = m->range[0].min.all;
                memcpy(o->nat_addr, &m->range[0].min_ip, 4);
        } else if (x->a <= 2 && !too_short(x, sizeof(struct nf_nat_range))) {
                const struct nf_nat_range *r = (const void *) x->info;

                flags = r->flags;
                port = r->min_proto.all;
                memcpy(o->nat_addr, &r->min_addr, p->family == AF_INET ? 4 : 16);
        } else {
                return unknown(o, "target", x);
        }
        o->verdict = NF_ACCEPT;
        o->nat = true;
        o->nat_port = flags & NF_NAT_RANGE_PROTO_SPECIFIED ? ntohs(port) : 0;
        o->nat_addr_set = strcmp(x->name, "DNAT") == 0 && (flags & NF_NAT_RANGE_MAP_IPS);
        return SA_NFT_XT_VERDICT;
}

static int target(const sa_nft_expr *x, const sa_nft_packet *p, sa_nft_xt_out *o)
{
        if (strcmp(x->name, "DNAT") == 0 || strcmp(x->name, "REDIRECT") == 0)
                return nat_target(x, p, o);
        if (strcmp(x->name, "LOG") == 0 || strcmp(x->name, "NFLOG") == 0)
                return SA_NFT_XT_CONTINUE;
        if (strcmp(x->name, "REJECT") == 0 && !too_short(x, 4)) {
                uint32_t with;

                memcpy(&with, x->info, 4);
                o->verdict = NF_DROP;
                /* a TCP reset for anything but TCP sends nothing */
                o->reject = p->l4proto == IPPROTO_TCP
                            || with != (p->family == AF_INET ? (uint32_t) IPT_TCP_RESET : (uint32_t) IP6T_TCP_RESET);
                return SA_NFT_XT_VERDICT;
        }
        return unknown(o, "target", x);
}

int sa_nft_xt_eval(const sa_nft_expr *x, const sa_nft_packet *pkt, uint16_t dport, sa_nft_xt_out *o)
{
        if (x->kind == SA_NFT_X_TARGET)
                return target(x, pkt, o);
        if (strcmp(x->name, "comment") == 0)
                return SA_NFT_XT_MATCH;
        if (strcmp(x->name, "tcp") == 0 || strcmp(x->name, "udp") == 0)
                return match_tcpudp(x, pkt, dport, o);
        if (strcmp(x->name, "multiport") == 0)
                return match_multiport(x, dport, o);
        if (strcmp(x->name, "conntrack") == 0)
                return match_conntrack(x, o);
        if (strcmp(x->name, "state") == 0) {
                const struct xt_state_info *s = (const void *) x->info;

                if (too_short(x, sizeof(*s)))
                        return unknown(o, "match", x);
                return verdict_of(s->statemask & CT_NEW_BIT, false);
        }
        if (strcmp(x->name, "addrtype") == 0)
                return match_addrtype(x, pkt, o);
        if (strcmp(x->name, "iprange") == 0)
                return match_iprange(x, pkt, o);
        return unknown(o, "match", x);
}
