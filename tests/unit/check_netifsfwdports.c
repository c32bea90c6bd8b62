/* SPDX-License-Identifier: MIT */
/* A host's DNAT rules' original ports (lib/netifsfwdports.c), on rulesets built by hand. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>

#include "netifsfwd.h"

/* One table, one chain, the rules and sets a test adds. */
static struct {
        sa_nft_ruleset rs;
        sa_nft_table table;
        sa_nft_chain chain;
        sa_nft_rule rules[8];
        sa_nft_expr exprs[32];
        sa_nft_set sets[2];
        sa_nft_elem elems[2][8];
} b;

static void reset(void)
{
        memset(&b, 0, sizeof(b));
        b.table.name = (char *) "nat";
        b.chain.name = (char *) "prerouting";
        b.rs.tables = &b.table;
        b.rs.table_count = 1;
        b.rs.chains = &b.chain;
        b.rs.chain_count = 1;
        b.rs.rules = b.rules;
        b.rs.exprs = b.exprs;
        b.rs.sets = b.sets;
}

static sa_nft_expr *expr(sa_nft_kind kind)
{
        sa_nft_expr *x = &b.exprs[b.rs.expr_count++];

        x->kind = kind;
        b.rules[b.rs.rule_count - 1].count++;
        return x;
}

static void rule(void)
{
        b.rules[b.rs.rule_count++].first = b.rs.expr_count;
}

static void dport(void)
{
        sa_nft_expr *x = expr(SA_NFT_X_PAYLOAD);

        x->a = NFT_PAYLOAD_TRANSPORT_HEADER, x->b = 2, x->len = 2, x->dreg = 1;
}

/* meta l4proto == p */
static void proto(uint8_t p)
{
        sa_nft_expr *x = expr(SA_NFT_X_META);

        x->a = NFT_META_L4PROTO, x->dreg = 1;
        x = expr(SA_NFT_X_CMP);
        x->sreg = 1, x->op = NFT_CMP_EQ, x->len = 1, x->data[0] = p;
}

static void put16(uint8_t *d, unsigned v)
{
        d[0] = (uint8_t) (v >> 8), d[1] = (uint8_t) v;
}

static void cmp(uint8_t op, unsigned port)
{
        sa_nft_expr *x = expr(SA_NFT_X_CMP);

        x->sreg = 1, x->op = op, x->len = 2;
        put16(x->data, port);
}

static void dnat(void)
{
        expr(SA_NFT_X_NAT)->a = NFT_NAT_DNAT;
}

#define END 0x10000       /* a key that is an interval's end */

/* Set i named name (flags), its keys (an interval's end with END). */
static void set(unsigned i, const char *name, uint32_t flags, const int *keys, unsigned n)
{
        sa_nft_set *s = &b.sets[i];

        s->name = (char *) name, s->flags = flags, s->key_len = 2, s->elems = b.elems[i], s->elem_count = n;
        for (unsigned k = 0; k < n; k++) {
                put16(s->elems[k].key, (unsigned) keys[k] & 0xffff);
                s->elems[k].flags = keys[k] & END ? NFT_SET_ELEM_INTERVAL_END : 0;
        }
        b.rs.set_count = i + 1;
}

static void lookup(const char *name)
{
        sa_nft_expr *x = expr(SA_NFT_X_LOOKUP);

        x->sreg = 1, x->chain = (char *) name;
}

START_TEST(single_ranges_sets)
{
        static const int anon[] = { 80, 443 }, interval[] = { 0 | END, 100, 201 | END };
        sa_fwd_port p[SA_FWD_PORTS_MAX];
        unsigned n;

        reset();
        rule(), dport(), cmp(NFT_CMP_EQ, 8443), dnat();
        rule(), dport(), cmp(NFT_CMP_GTE, 8000), cmp(NFT_CMP_LTE, 8002), dnat();
        rule(), dport(), cmp(NFT_CMP_EQ, 8443), dnat();         /* a port twice: once */
        rule(), dport(), cmp(NFT_CMP_EQ, 22);                   /* no DNAT: not a published port */
        set(0, "__set0", NFT_SET_ANONYMOUS | NFT_SET_CONSTANT, anon, 2);
        rule(), dport(), lookup("__set0"), dnat();
        n = sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 8080, false, p, SA_FWD_PORTS_MAX);
        ck_assert_uint_eq(n, 6);
        ck_assert_uint_eq(p[0].port, 8443);
        ck_assert_str_eq(p[0].ports, "");
        ck_assert_uint_eq(p[1].port, 8000);
        ck_assert_uint_eq(p[3].port, 8002);
        ck_assert_uint_eq(p[4].port, 80);
        ck_assert_uint_eq(p[5].port, 443);
        ck_assert_str_eq(p[5].ports, "");
        ck_assert(sa_fwd_has_dnat(&b.rs));
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 8080, false, p, 2), 2);     /* bounded */

        /* an interval set of 101 ports: one stands for them, the listener's when among them */
        reset();
        set(0, "ports", NFT_SET_INTERVAL, interval, 3);
        rule(), dport(), lookup("ports"), dnat();
        n = sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 150, false, p, SA_FWD_PORTS_MAX);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(p[0].port, 150);
        ck_assert_str_eq(p[0].ports, "100-200");
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 8080, false, p, SA_FWD_PORTS_MAX), 1);
        ck_assert_uint_eq(p[0].port, 100);
}
END_TEST

START_TEST(any_and_unlisted)
{
        sa_fwd_port p[SA_FWD_PORTS_MAX];

        reset();
        ck_assert(!sa_fwd_has_dnat(&b.rs));
        rule(), dnat();                                         /* every port: the listener's stands for them */
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 443, false, p, SA_FWD_PORTS_MAX), 1);
        ck_assert_uint_eq(p[0].port, 443);
        ck_assert_str_eq(p[0].ports, "any");

        reset();
        rule(), dport(), cmp(NFT_CMP_NEQ, 22), dnat();
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 443, false, p, SA_FWD_PORTS_MAX), 1);
        ck_assert_uint_eq(p[0].port, 443);
        ck_assert_ptr_nonnull(strstr(p[0].ports, "not listed: "));

        /* a UDP publishing is not a TCP listener's */
        reset();
        rule(), proto(IPPROTO_UDP), dport(), cmp(NFT_CMP_EQ, 8053), dnat();
        rule(), proto(IPPROTO_TCP), dport(), cmp(NFT_CMP_EQ, 8443), dnat();
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 443, false, p, SA_FWD_PORTS_MAX), 1);
        ck_assert_uint_eq(p[0].port, 8443);
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_UDP, 53, false, p, SA_FWD_PORTS_MAX), 1);
        ck_assert_uint_eq(p[0].port, 8053);

        reset();
        rule(), dport(), cmp(NFT_CMP_GTE, 9000), cmp(NFT_CMP_LT, 9000), dnat();     /* no port at all */
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 443, false, p, SA_FWD_PORTS_MAX), 0);
}
END_TEST

/* Redirects (nft redir, iptables REDIRECT) count for the listener's own namespace only. */
START_TEST(redirects)
{
        sa_fwd_port p[SA_FWD_PORTS_MAX];

        reset();
        rule(), dport(), cmp(NFT_CMP_EQ, 80), expr(SA_NFT_X_REDIR);
        rule(), proto(IPPROTO_TCP), snprintf(expr(SA_NFT_X_TARGET)->name, sizeof(b.exprs[0].name), "REDIRECT");
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 8080, false, p, SA_FWD_PORTS_MAX), 0);
        ck_assert_uint_eq(sa_fwd_dnat_ports(&b.rs, IPPROTO_TCP, 8080, true, p, SA_FWD_PORTS_MAX), 2);
        ck_assert_uint_eq(p[0].port, 80);
        ck_assert_uint_eq(p[1].port, 8080);     /* no port match: any port, the listener's stands for them */
        ck_assert_str_eq(p[1].ports, "any");
        ck_assert(!sa_fwd_has_dnat(&b.rs));     /* a redirect needs no forwarding */
}
END_TEST

Suite *netifsfwdports_suite(void)
{
        Suite *s = suite_create("netifsfwdports");
        TCase *tc = tcase_create("netifsfwdports");

        tcase_add_test(tc, single_ranges_sets);
        tcase_add_test(tc, any_and_unlisted);
        tcase_add_test(tc, redirects);
        suite_add_tcase(s, tc);
        return s;
}
