/* SPDX-License-Identifier: MIT */
/*
 * The original destination ports of a namespace's DNAT rules, and of its
 * redirects for the listener's own namespace (lib/netifsfwd.h): where the
 * evaluation of a published or redirected port starts. A
 * rule's port match is read as ranges: nft `th dport N`, `N-M` (cmp or
 * range), an anonymous or named constant set (interval sets too);
 * iptables `--dport N[:M]` and `multiport --dports`. Up to
 * SA_FWD_RULE_PORTS_MAX ports are listed one by one; beyond, one port
 * stands for them all (the listener's when among them, else the first)
 * and its entry says so (`ports`), as does a rule whose match cannot be
 * listed or that has none (the listener's port then). A rule for another
 * protocol than the listener's (meta l4proto) is left out.
 */
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include "netifsfwd.h"
#include "nftxt.h"

#define RANGES_MAX 32

/* A rule's destination ports. */
struct pset {
        uint8_t proto;                  /* the meta l4proto it requires (iptables -p too), 0: none */
        bool restricted;                /* it has a port match: else any port */
        const char *unlisted;           /* the match cannot be listed: what it is */
        unsigned n;
        uint16_t lo[RANGES_MAX], hi[RANGES_MAX];
};

static uint16_t be16(const uint8_t *d)
{
        return (uint16_t) (d[0] << 8 | d[1]);
}

static void add(struct pset *ps, unsigned lo, unsigned hi)
{
        if (lo > hi)
                return;                 /* matches no port */
        if (ps->n == RANGES_MAX) {
                ps->unlisted = "more than 32 port ranges";
                return;
        }
        ps->lo[ps->n] = (uint16_t) lo;
        ps->hi[ps->n++] = (uint16_t) hi;
}

/* A constant set's keys as ranges: an interval set's start runs up to the next element. */
static void set_ports(const sa_nft_set *s, struct pset *ps)
{
        if (s->key_len != 2 || s->field_count > 1
            || s->flags & (NFT_SET_MAP | NFT_SET_OBJECT | NFT_SET_EVAL | NFT_SET_CONCAT)) {
                ps->unlisted = "a lookup in a set of other keys, a map or a dynamic set";
                return;
        }
        for (uint32_t i = 0; i < s->elem_count && !ps->unlisted; i++) {
                const sa_nft_elem *el = &s->elems[i];
                unsigned lo = be16(el->key), hi = lo;

                if (el->flags & NFT_SET_ELEM_INTERVAL_END)
                        continue;
                if (el->has_key_end)
                        hi = be16(el->key_end);
                else if (s->flags & NFT_SET_INTERVAL)
                        hi = i + 1 < s->elem_count ? be16(s->elems[i + 1].key) - 1u : 0xffffu;
                add(ps, lo, hi);
        }
}

/* The native match on the destination port loaded by payload expression i of r. */
static void native_ports(const sa_nft_ruleset *rs, const sa_nft_rule *r, uint32_t i, struct pset *ps)
{
        const sa_nft_expr *x = &rs->exprs[i];
        uint32_t end = r->first + r->count;
        const sa_nft_expr *n = i + 1 < end ? x + 1 : NULL, *n2 = i + 2 < end ? x + 2 : NULL;

        ps->restricted = true;
        if (n && n->sreg == x->dreg && n->kind == SA_NFT_X_CMP && n->len == 2 && n->op == NFT_CMP_EQ) {
                add(ps, be16(n->data), be16(n->data));
        } else if (n && n->sreg == x->dreg && n->kind == SA_NFT_X_RANGE && n->op == NFT_RANGE_EQ) {
                add(ps, be16(n->data), be16(n->data2));
        } else if (n && n2 && n->sreg == x->dreg && n2->sreg == x->dreg && n->kind == SA_NFT_X_CMP
                   && n2->kind == SA_NFT_X_CMP && (n->op == NFT_CMP_GTE || n->op == NFT_CMP_GT)
                   && (n2->op == NFT_CMP_LTE || n2->op == NFT_CMP_LT)) {
                int lo = be16(n->data) + (n->op == NFT_CMP_GT), hi = be16(n2->data) - (n2->op == NFT_CMP_LT);

                if (lo <= hi)
                        add(ps, (unsigned) lo, (unsigned) hi);
        } else if (n && n->sreg == x->dreg && n->kind == SA_NFT_X_LOOKUP && !n->invert && !n->dreg
                   && sa_nft_find_set(rs, rs->chains[r->chain].table, n->chain ? n->chain : "") >= 0) {
                set_ports(&rs->sets[sa_nft_find_set(rs, rs->chains[r->chain].table, n->chain)], ps);
        } else {
                ps->unlisted = "a destination port match other than ==, a range or a set";
        }
}

/* Rule r's protocol (meta l4proto == P, as nft and iptables-nft write it) and destination ports. */
static void rule_ports(const sa_nft_ruleset *rs, const sa_nft_rule *r, struct pset *ps)
{
        memset(ps, 0, sizeof(*ps));
        for (uint32_t i = r->first; i < r->first + r->count; i++) {
                const sa_nft_expr *x = &rs->exprs[i], *n = i + 1 < r->first + r->count ? x + 1 : NULL;
                int k;

                if (x->kind == SA_NFT_X_META && x->a == NFT_META_L4PROTO && x->dreg && n && n->kind == SA_NFT_X_CMP
                    && n->sreg == x->dreg && n->op == NFT_CMP_EQ && n->len == 1 && !ps->proto)
                        ps->proto = n->data[0];
                k = sa_nft_xt_dports(x, ps->lo, ps->hi, RANGES_MAX);

                if (k == -2) {
                        ps->restricted = true;
                        ps->unlisted = "an iptables port match (inverted, either port or too many)";
                        return;
                }
                if (k > 0) {
                        ps->restricted = true;
                        ps->n = (unsigned) k;
                        return;
                }
                if (x->kind == SA_NFT_X_PAYLOAD && x->dreg && x->a == NFT_PAYLOAD_TRANSPORT_HEADER && x->b == 2
                    && x->len == 2) {
                        native_ports(rs, r, i, ps);
                        return;
                }
        }
}

/* Whether r does a DNAT (redirect too: a redirect to this namespace's own address). */
static bool has_dnat(const sa_nft_ruleset *rs, const sa_nft_rule *r, bool redirect)
{
        for (uint32_t i = r->first; i < r->first + r->count; i++) {
                const sa_nft_expr *x = &rs->exprs[i];

                if ((x->kind == SA_NFT_X_NAT && x->a == NFT_NAT_DNAT)
                    || (x->kind == SA_NFT_X_TARGET && strcmp(x->name, "DNAT") == 0))
                        return true;
                if (redirect && (x->kind == SA_NFT_X_REDIR
                                 || (x->kind == SA_NFT_X_TARGET && strcmp(x->name, "REDIRECT") == 0)))
                        return true;
        }
        return false;
}

bool sa_fwd_has_dnat(const sa_nft_ruleset *rs)
{
        for (uint32_t i = 0; rs && i < rs->rule_count; i++)
                if (has_dnat(rs, &rs->rules[i], false))
                        return true;
        return false;
}

/* port into ret (at most max, each port once; the first rule's text stays). */
static void take(sa_fwd_port *ret, unsigned *n, unsigned max, unsigned port, const char *ports)
{
        for (unsigned k = 0; k < *n; k++)
                if (ret[k].port == port)
                        return;
        if (*n == max || port == 0)
                return;
        ret[*n].port = (uint16_t) port;
        snprintf(ret[*n].ports, sizeof(ret[*n].ports), "%s", ports);
        (*n)++;
}

/* "80, 443, 8000-8100" (cut with "...": the text is bounded). */
static void ranges_text(const struct pset *ps, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (unsigned i = 0; i < ps->n && len + 16 < size; i++)
                len += (size_t) (ps->lo[i] == ps->hi[i]
                                 ? snprintf(buf + len, size - len, "%s%u", i ? ", " : "", ps->lo[i])
                                 : snprintf(buf + len, size - len, "%s%u-%u", i ? ", " : "", ps->lo[i], ps->hi[i]));
        if (len + 16 >= size)
                snprintf(buf + len, size - len, ", ...");
}

unsigned sa_fwd_dnat_ports(const sa_nft_ruleset *rs, uint8_t lproto, uint16_t lport, bool redirect,
                           sa_fwd_port *ret, unsigned max)
{
        unsigned n = 0;
        char text[sizeof(ret->ports)];

        for (uint32_t i = 0; i < rs->rule_count && n < max; i++) {
                struct pset ps;
                unsigned total = 0, rep = 0;

                if (!has_dnat(rs, &rs->rules[i], redirect))
                        continue;
                rule_ports(rs, &rs->rules[i], &ps);
                if (ps.proto && ps.proto != lproto)
                        continue;       /* another protocol's publishing */
                for (unsigned k = 0; k < ps.n; k++) {
                        total += ps.hi[k] - ps.lo[k] + 1u;
                        if (lport >= ps.lo[k] && lport <= ps.hi[k])
                                rep = lport;
                }
                if (ps.unlisted) {
                        snprintf(text, sizeof(text), "not listed: %s", ps.unlisted);
                        take(ret, &n, max, lport, text);
                } else if (!ps.restricted) {
                        take(ret, &n, max, lport, "any");
                } else if (total <= SA_FWD_RULE_PORTS_MAX) {
                        for (unsigned k = 0; k < ps.n; k++)
                                for (unsigned p = ps.lo[k]; p <= ps.hi[k]; p++)
                                        take(ret, &n, max, p, "");
                } else {
                        ranges_text(&ps, text, sizeof(text));
                        take(ret, &n, max, rep ? rep : ps.lo[0], text);
                }
        }
        return n;
}
