/* SPDX-License-Identifier: MIT */
/*
 * nf_tables netlink messages to the IR (lib/nftir.h): the pure half of
 * lib/nftread.h, fuzzed by tests/fuzz/fuzz_nftdecode.c. libnftnl parses
 * each message; this file copies what the evaluator needs, with a bound
 * on every count and length.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/gen.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nftread.h"

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
        va_list ap;

        if (err && errlen) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return r;
}

/* Room for one more of *count items of size sz in *arr (capacity *cap), up to max. */
static int grow(void **arr, uint32_t *cap, uint32_t count, size_t sz, uint32_t max)
{
        uint32_t n;
        void *p;

        if (count < *cap)
                return 0;
        if (count >= max)
                return -E2BIG;
        n = *cap ? *cap * 2 : 16;
        if (n > max)
                n = max;
        p = realloc(*arr, (size_t) n * sz);
        if (!p)
                return -ENOMEM;
        *arr = p;
        *cap = n;
        return 0;
}

static int find_table(const sa_nft_ruleset *rs, uint32_t family, const char *name)
{
        for (uint32_t i = 0; i < rs->table_count; i++)
                if (rs->tables[i].family == family && strcmp(rs->tables[i].name, name) == 0)
                        return (int) i;
        return -1;
}

/* A string attribute of a libnftnl object, or "" when absent. */
#define STR(get, obj, attr) ({ const char *_s = get(obj, attr); _s ? _s : ""; })

static int add_table(sa_nft_ruleset *rs, const struct nlmsghdr *nlh, char *err, size_t errlen)
{
        struct nftnl_table *t = nftnl_table_alloc();
        sa_nft_table *nt;
        int r;

        if (!t)
                return -ENOMEM;
        if (nftnl_table_nlmsg_parse(nlh, t) < 0 || !nftnl_table_is_set(t, NFTNL_TABLE_NAME)) {
                nftnl_table_free(t);
                return fail(err, errlen, -EBADMSG, "a table message without a name");
        }
        r = grow((void **) &rs->tables, &rs->table_cap, rs->table_count, sizeof(*rs->tables),
                 SA_NFT_TABLES_MAX);
        if (r < 0) {
                nftnl_table_free(t);
                return r == -E2BIG ? fail(err, errlen, r, "more than %u tables", SA_NFT_TABLES_MAX) : r;
        }
        nt = &rs->tables[rs->table_count];
        memset(nt, 0, sizeof(*nt));
        nt->family = nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY);
        nt->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
        nt->name = strndup(STR(nftnl_table_get_str, t, NFTNL_TABLE_NAME), SA_NFT_NAME_MAX);
        nftnl_table_free(t);
        if (!nt->name)
                return -ENOMEM;
        rs->table_count++;
        return 0;
}

static int add_chain(sa_nft_ruleset *rs, const struct nlmsghdr *nlh, char *err, size_t errlen)
{
        struct nftnl_chain *c = nftnl_chain_alloc();
        sa_nft_chain *nc;
        int ti, r;

        if (!c)
                return -ENOMEM;
        if (nftnl_chain_nlmsg_parse(nlh, c) < 0 || !nftnl_chain_is_set(c, NFTNL_CHAIN_NAME)) {
                nftnl_chain_free(c);
                return fail(err, errlen, -EBADMSG, "a chain message without a name");
        }
        ti = find_table(rs, nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
                        STR(nftnl_chain_get_str, c, NFTNL_CHAIN_TABLE));
        if (ti < 0) {
                nftnl_chain_free(c);
                return fail(err, errlen, -EBADMSG, "a chain of an unknown table");
        }
        r = grow((void **) &rs->chains, &rs->chain_cap, rs->chain_count, sizeof(*rs->chains),
                 SA_NFT_CHAINS_MAX);
        if (r < 0) {
                nftnl_chain_free(c);
                return r == -E2BIG ? fail(err, errlen, r, "more than %u chains", SA_NFT_CHAINS_MAX) : r;
        }
        nc = &rs->chains[rs->chain_count];
        memset(nc, 0, sizeof(*nc));
        nc->table = (uint32_t) ti;
        nc->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
        nc->hooknum = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
        nc->prio = (int32_t) nftnl_chain_get_u32(c, NFTNL_CHAIN_PRIO);
        nc->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)
                ? (int32_t) nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT;
        snprintf(nc->type, sizeof(nc->type), "%s", STR(nftnl_chain_get_str, c, NFTNL_CHAIN_TYPE));
        snprintf(nc->dev, sizeof(nc->dev), "%s", STR(nftnl_chain_get_str, c, NFTNL_CHAIN_DEV));
        nc->name = strndup(STR(nftnl_chain_get_str, c, NFTNL_CHAIN_NAME), SA_NFT_NAME_MAX);
        nftnl_chain_free(c);
        if (!nc->name)
                return -ENOMEM;
        rs->chain_count++;
        return 0;
}

/* Copies a data attribute of at most SA_NFT_DATA_MAX bytes; its length, or -1. */
static int copy_data(const struct nftnl_expr *e, uint16_t attr, uint8_t *dst)
{
        uint32_t n = 0;
        const void *p = nftnl_expr_get(e, attr, &n);

        if (!p)
                return 0;
        if (n > SA_NFT_DATA_MAX)
                return -1;
        memcpy(dst, p, n);
        return (int) n;
}

static uint8_t reg(const struct nftnl_expr *e, uint16_t attr)
{
        uint32_t v = nftnl_expr_is_set(e, attr) ? nftnl_expr_get_u32(e, attr) : 0;

        return v > 255 ? 255 : (uint8_t) v;
}

static uint32_t u32(const struct nftnl_expr *e, uint16_t attr)
{
        return nftnl_expr_is_set(e, attr) ? nftnl_expr_get_u32(e, attr) : 0;
}

/* An xtables compat match or target: its name, revision and info bytes (copied). */
static int decode_xt(const struct nftnl_expr *e, sa_nft_expr *x, bool mt)
{
        uint32_t il = 0;
        const void *info = nftnl_expr_get(e, mt ? NFTNL_EXPR_MT_INFO : NFTNL_EXPR_TG_INFO, &il);

        x->kind = mt ? SA_NFT_X_MATCH : SA_NFT_X_TARGET;
        snprintf(x->name, sizeof(x->name), "%s",
                 STR(nftnl_expr_get_str, e, mt ? NFTNL_EXPR_MT_NAME : NFTNL_EXPR_TG_NAME));
        x->a = u32(e, mt ? NFTNL_EXPR_MT_REV : NFTNL_EXPR_TG_REV);
        if (info && il > SA_NFT_XTINFO_MAX)
                return -EBADMSG;
        if (info && il) {
                x->info = malloc(il);
                if (!x->info)
                        return -ENOMEM;
                memcpy(x->info, info, il);
                x->info_len = il;
        }
        return 0;
}

/* cmp, bitwise, range: the expressions that carry data; the data's length, or -EBADMSG. */
static int decode_data_expr(const struct nftnl_expr *e, const char *name, sa_nft_expr *x)
{
        int n = 0, m = 0;

        if (strcmp(name, "cmp") == 0) {
                x->kind = SA_NFT_X_CMP;
                x->sreg = reg(e, NFTNL_EXPR_CMP_SREG);
                x->op = (uint8_t) u32(e, NFTNL_EXPR_CMP_OP);
                n = copy_data(e, NFTNL_EXPR_CMP_DATA, x->data);
        } else if (strcmp(name, "bitwise") == 0) {
                x->kind = SA_NFT_X_BITWISE;
                x->sreg = reg(e, NFTNL_EXPR_BITWISE_SREG);
                x->dreg = reg(e, NFTNL_EXPR_BITWISE_DREG);
                x->op = (uint8_t) u32(e, NFTNL_EXPR_BITWISE_OP);
                n = (int) u32(e, NFTNL_EXPR_BITWISE_LEN);
                if (x->op == NFT_BITWISE_BOOL) {
                        m = copy_data(e, NFTNL_EXPR_BITWISE_MASK, x->data);
                        if (m >= 0)
                                m = copy_data(e, NFTNL_EXPR_BITWISE_XOR, x->data2);
                } else {
                        m = copy_data(e, NFTNL_EXPR_BITWISE_DATA, x->data);
                }
        } else {
                x->kind = SA_NFT_X_RANGE;
                x->sreg = reg(e, NFTNL_EXPR_RANGE_SREG);
                x->op = (uint8_t) u32(e, NFTNL_EXPR_RANGE_OP);
                n = copy_data(e, NFTNL_EXPR_RANGE_FROM_DATA, x->data);
                m = copy_data(e, NFTNL_EXPR_RANGE_TO_DATA, x->data2);
        }
        return n < 0 || m < 0 || n > SA_NFT_DATA_MAX ? -EBADMSG : n;
}

/* One expression into x (zeroed by the caller); -EBADMSG, -ENOMEM. */
static int decode_expr(const struct nftnl_expr *e, sa_nft_expr *x)
{
        const char *name = STR(nftnl_expr_get_str, e, NFTNL_EXPR_NAME);
        int n = 0;

        snprintf(x->name, sizeof(x->name), "%s", name);
        if (strcmp(name, "payload") == 0) {
                x->kind = SA_NFT_X_PAYLOAD;
                x->dreg = reg(e, NFTNL_EXPR_PAYLOAD_DREG);
                x->sreg = reg(e, NFTNL_EXPR_PAYLOAD_SREG);
                x->a = u32(e, NFTNL_EXPR_PAYLOAD_BASE);
                x->b = u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
                x->len = (uint8_t) (u32(e, NFTNL_EXPR_PAYLOAD_LEN) > SA_NFT_DATA_MAX
                                    ? 0 : u32(e, NFTNL_EXPR_PAYLOAD_LEN));
        } else if (strcmp(name, "meta") == 0) {
                x->kind = SA_NFT_X_META;
                x->a = u32(e, NFTNL_EXPR_META_KEY);
                x->dreg = reg(e, NFTNL_EXPR_META_DREG);
                x->sreg = reg(e, NFTNL_EXPR_META_SREG);
        } else if (strcmp(name, "cmp") == 0 || strcmp(name, "bitwise") == 0 || strcmp(name, "range") == 0) {
                n = decode_data_expr(e, name, x);
                if (n < 0)
                        return n;
        } else if (strcmp(name, "byteorder") == 0) {
                x->kind = SA_NFT_X_BYTEORDER;
                x->sreg = reg(e, NFTNL_EXPR_BYTEORDER_SREG);
                x->dreg = reg(e, NFTNL_EXPR_BYTEORDER_DREG);
                x->op = (uint8_t) u32(e, NFTNL_EXPR_BYTEORDER_OP);
                n = (int) u32(e, NFTNL_EXPR_BYTEORDER_LEN);
                x->a = u32(e, NFTNL_EXPR_BYTEORDER_SIZE);
        } else if (strcmp(name, "lookup") == 0) {
                x->kind = SA_NFT_X_LOOKUP;
                x->sreg = reg(e, NFTNL_EXPR_LOOKUP_SREG);
                x->dreg = reg(e, NFTNL_EXPR_LOOKUP_DREG);
                x->invert = u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV;
                x->a = nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG);
                x->chain = strndup(STR(nftnl_expr_get_str, e, NFTNL_EXPR_LOOKUP_SET), SA_NFT_NAME_MAX);
                if (!x->chain)
                        return -ENOMEM;
        } else if (strcmp(name, "immediate") == 0) {
                x->kind = SA_NFT_X_IMMEDIATE;
                x->dreg = reg(e, NFTNL_EXPR_IMM_DREG);
                if (x->dreg == NFT_REG_VERDICT) {
                        x->verdict = (int32_t) u32(e, NFTNL_EXPR_IMM_VERDICT);
                        if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN)) {
                                x->chain = strndup(STR(nftnl_expr_get_str, e, NFTNL_EXPR_IMM_CHAIN),
                                                   SA_NFT_NAME_MAX);
                                if (!x->chain)
                                        return -ENOMEM;
                        }
                } else {
                        n = copy_data(e, NFTNL_EXPR_IMM_DATA, x->data);
                }
        } else if (strcmp(name, "ct") == 0) {
                x->kind = SA_NFT_X_CT;
                x->a = u32(e, NFTNL_EXPR_CT_KEY);
                x->b = u32(e, NFTNL_EXPR_CT_DIR);
                x->dreg = reg(e, NFTNL_EXPR_CT_DREG);
                x->sreg = reg(e, NFTNL_EXPR_CT_SREG);
        } else if (strcmp(name, "counter") == 0) {
                x->kind = SA_NFT_X_COUNTER;
        } else if (strcmp(name, "log") == 0) {
                x->kind = SA_NFT_X_LOG;
        } else if (strcmp(name, "reject") == 0) {
                x->kind = SA_NFT_X_REJECT;
                x->a = u32(e, NFTNL_EXPR_REJECT_TYPE);
                x->b = u32(e, NFTNL_EXPR_REJECT_CODE);
        } else if (strcmp(name, "nat") == 0) {
                x->kind = SA_NFT_X_NAT;
                x->a = u32(e, NFTNL_EXPR_NAT_TYPE);
                x->b = u32(e, NFTNL_EXPR_NAT_FAMILY);
                x->sreg = reg(e, NFTNL_EXPR_NAT_REG_ADDR_MIN);
                x->sreg2 = reg(e, NFTNL_EXPR_NAT_REG_PROTO_MIN);
        } else if (strcmp(name, "redir") == 0) {
                x->kind = SA_NFT_X_REDIR;
                x->sreg2 = reg(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN);
        } else if (strcmp(name, "masq") == 0) {
                x->kind = SA_NFT_X_MASQ;
        } else if (strcmp(name, "match") == 0 || strcmp(name, "target") == 0) {
                return decode_xt(e, x, name[0] == 'm');
        } else {
                x->kind = SA_NFT_X_OTHER;
        }
        if (n < 0 || n > SA_NFT_DATA_MAX)
                return -EBADMSG;
        if (n)
                x->len = (uint8_t) n;   /* data, or bitwise/byteorder's operand length */
        return 0;
}

static int add_rule(sa_nft_ruleset *rs, const struct nlmsghdr *nlh, char *err, size_t errlen)
{
        struct nftnl_rule *ru = nftnl_rule_alloc();
        struct nftnl_expr_iter *it = NULL;
        struct nftnl_expr *e;
        sa_nft_rule *nr;
        int ti, ci, r = 0;

        if (!ru)
                return -ENOMEM;
        if (nftnl_rule_nlmsg_parse(nlh, ru) < 0) {
                r = fail(err, errlen, -EBADMSG, "a malformed rule message");
                goto out;
        }
        ti = find_table(rs, nftnl_rule_get_u32(ru, NFTNL_RULE_FAMILY),
                        STR(nftnl_rule_get_str, ru, NFTNL_RULE_TABLE));
        ci = ti < 0 ? -1 : sa_nft_find_chain(rs, (uint32_t) ti, STR(nftnl_rule_get_str, ru, NFTNL_RULE_CHAIN));
        if (ci < 0) {
                r = fail(err, errlen, -EBADMSG, "a rule of an unknown chain");
                goto out;
        }
        r = grow((void **) &rs->rules, &rs->rule_cap, rs->rule_count, sizeof(*rs->rules), SA_NFT_RULES_MAX);
        if (r < 0) {
                if (r == -E2BIG)
                        fail(err, errlen, r, "more than %u rules", SA_NFT_RULES_MAX);
                goto out;
        }
        nr = &rs->rules[rs->rule_count];
        nr->handle = nftnl_rule_get_u64(ru, NFTNL_RULE_HANDLE);
        nr->first = rs->expr_count;
        nr->count = 0;
        nr->chain = (uint32_t) ci;
        it = nftnl_expr_iter_create(ru);
        if (!it) {
                r = -ENOMEM;
                goto out;
        }
        while ((e = nftnl_expr_iter_next(it))) {
                if (nr->count >= SA_NFT_RULE_EXPRS_MAX) {
                        r = fail(err, errlen, -E2BIG, "a rule of more than %u expressions",
                                 SA_NFT_RULE_EXPRS_MAX);
                        goto unwind;
                }
                r = grow((void **) &rs->exprs, &rs->expr_cap, rs->expr_count, sizeof(*rs->exprs),
                         SA_NFT_EXPRS_MAX);
                if (r < 0) {
                        if (r == -E2BIG)
                                fail(err, errlen, r, "more than %u expressions", SA_NFT_EXPRS_MAX);
                        goto unwind;
                }
                memset(&rs->exprs[rs->expr_count], 0, sizeof(*rs->exprs));
                rs->expr_count++;
                nr->count++;
                r = decode_expr(e, &rs->exprs[rs->expr_count - 1]);
                if (r == -EBADMSG)
                        fail(err, errlen, r, "a malformed %s expression",
                             rs->exprs[rs->expr_count - 1].name);
                if (r < 0)
                        goto unwind;
        }
        rs->rule_count++;
        goto out;
unwind:         /* the rule's expressions stay counted in expr_count: freed with the ruleset */
        rs->rule_count++;
out:
        nftnl_expr_iter_destroy(it);
        nftnl_rule_free(ru);
        return r;
}

static int add_set(sa_nft_ruleset *rs, const struct nlmsghdr *nlh, char *err, size_t errlen)
{
        struct nftnl_set *s = nftnl_set_alloc();
        uint32_t fl = 0;
        const void *fields;
        sa_nft_set *ns;
        int ti, r;

        if (!s)
                return -ENOMEM;
        if (nftnl_set_nlmsg_parse(nlh, s) < 0 || !nftnl_set_is_set(s, NFTNL_SET_NAME)) {
                nftnl_set_free(s);
                return fail(err, errlen, -EBADMSG, "a set message without a name");
        }
        ti = find_table(rs, nftnl_set_get_u32(s, NFTNL_SET_FAMILY), STR(nftnl_set_get_str, s, NFTNL_SET_TABLE));
        r = ti < 0 ? fail(err, errlen, -EBADMSG, "a set of an unknown table")
                   : grow((void **) &rs->sets, &rs->set_cap, rs->set_count, sizeof(*rs->sets), SA_NFT_SETS_MAX);
        if (r == -E2BIG)
                fail(err, errlen, r, "more than %u sets", SA_NFT_SETS_MAX);
        if (r < 0) {
                nftnl_set_free(s);
                return r;
        }
        ns = &rs->sets[rs->set_count];
        memset(ns, 0, sizeof(*ns));
        ns->table = (uint32_t) ti;
        ns->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
        ns->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
        ns->data_len = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
        ns->data_type = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
        fields = nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &fl);
        if (fields && fl <= SA_NFT_FIELDS_MAX) {
                memcpy(ns->fields, fields, fl);
                ns->field_count = fl;
        }
        ns->name = strndup(STR(nftnl_set_get_str, s, NFTNL_SET_NAME), SA_NFT_NAME_MAX);
        nftnl_set_free(s);
        if (!ns->name)
                return -ENOMEM;
        rs->set_count++;
        if (ns->key_len > SA_NFT_DATA_MAX || ns->data_len > SA_NFT_DATA_MAX)
                return fail(err, errlen, -EBADMSG, "set %s: keys or data longer than %u bytes", ns->name,
                            SA_NFT_DATA_MAX);
        return 0;
}

/* A u32 attribute of an element, 0 when absent (libnftnl's getter would read NULL). */
static uint32_t elem_u32(struct nftnl_set_elem *el, uint16_t attr)
{
        uint32_t n = 0, v = 0;
        const void *p = nftnl_set_elem_get(el, attr, &n);

        if (p && n == sizeof(v))
                memcpy(&v, p, sizeof(v));
        return v;
}

/* One element of s into the set's array. */
static int add_elem(sa_nft_ruleset *rs, sa_nft_set *ns, struct nftnl_set_elem *el)
{
        uint32_t n = 0;
        const void *p;
        sa_nft_elem *ne;
        int r;

        if (rs->elem_total >= SA_NFT_ELEMS_MAX)
                return -E2BIG;
        r = grow((void **) &ns->elems, &ns->elem_cap, ns->elem_count, sizeof(*ns->elems), SA_NFT_ELEMS_MAX);
        if (r < 0)
                return r;
        ne = &ns->elems[ns->elem_count];
        memset(ne, 0, sizeof(*ne));
        ns->elem_count++;
        rs->elem_total++;
        ne->flags = elem_u32(el, NFTNL_SET_ELEM_FLAGS);
        p = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &n);
        if (p) {
                if (n > SA_NFT_DATA_MAX)
                        return -EBADMSG;
                memcpy(ne->key, p, n);
        }
        p = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY_END, &n);
        if (p) {
                if (n > SA_NFT_DATA_MAX)
                        return -EBADMSG;
                memcpy(ne->key_end, p, n);
                ne->has_key_end = true;
        }
        p = nftnl_set_elem_get(el, NFTNL_SET_ELEM_DATA, &n);
        if (p) {
                if (n > SA_NFT_DATA_MAX)
                        return -EBADMSG;
                memcpy(ne->data, p, n);
        }
        ne->verdict = (int32_t) elem_u32(el, NFTNL_SET_ELEM_VERDICT);
        p = nftnl_set_elem_get_str(el, NFTNL_SET_ELEM_CHAIN);
        if (p) {
                ne->chain = strndup(p, SA_NFT_NAME_MAX);
                if (!ne->chain)
                        return -ENOMEM;
        }
        return 0;
}

static int add_elems(sa_nft_ruleset *rs, const struct nlmsghdr *nlh, char *err, size_t errlen)
{
        struct nftnl_set *s = nftnl_set_alloc();
        struct nftnl_set_elems_iter *it = NULL;
        struct nftnl_set_elem *el;
        int ti, si = -1, r = 0;

        if (!s)
                return -ENOMEM;
        if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
                r = fail(err, errlen, -EBADMSG, "a malformed set element message");
                goto out;
        }
        ti = find_table(rs, nftnl_set_get_u32(s, NFTNL_SET_FAMILY), STR(nftnl_set_get_str, s, NFTNL_SET_TABLE));
        if (ti >= 0)
                si = sa_nft_find_set(rs, (uint32_t) ti, STR(nftnl_set_get_str, s, NFTNL_SET_NAME));
        if (si < 0) {
                r = fail(err, errlen, -EBADMSG, "elements of an unknown set");
                goto out;
        }
        it = nftnl_set_elems_iter_create(s);
        if (!it) {
                r = -ENOMEM;
                goto out;
        }
        /* _next() returns the current element, then moves on */
        while (r >= 0 && (el = nftnl_set_elems_iter_next(it)))
                r = add_elem(rs, &rs->sets[si], el);
        if (r == -E2BIG)
                fail(err, errlen, r, "more than %u set elements", SA_NFT_ELEMS_MAX);
        else if (r == -EBADMSG)
                fail(err, errlen, r, "set %s: an element longer than %u bytes", rs->sets[si].name,
                     SA_NFT_DATA_MAX);
out:
        if (it)
                nftnl_set_elems_iter_destroy(it);
        nftnl_set_free(s);
        return r;
}

int sa_nft_decode(sa_nft_ruleset *rs, const void *buf, size_t len, char *err, size_t errlen)
{
        bool unchecked = false;
        size_t off = 0;
        int r = 0;

        if (len > SA_NFT_DUMP_MAX)
                return fail(err, errlen, -E2BIG, "more than %u bytes of dumps", SA_NFT_DUMP_MAX);
        /* by size_t offsets: mnl_nlmsg_ok() takes a negative (int) nlmsg_len as fitting */
        while (r >= 0 && len - off >= NLMSG_HDRLEN) {
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) ((const char *) buf + off);

                if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off)
                        return fail(err, errlen, -EBADMSG, "a message longer than the buffer");
                off += NLMSG_ALIGN(nlh->nlmsg_len) < len - off ? NLMSG_ALIGN(nlh->nlmsg_len) : len - off;
                if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
                        continue;
                if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
                        return fail(err, errlen, -EBADMSG, "a message shorter than its header");
                if (sa_nft_check_msg(nlh, &unchecked) < 0)
                        return fail(err, errlen, -EBADMSG, "a message with attributes libnftnl would refuse");
                switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
                case NFT_MSG_NEWTABLE:   r = add_table(rs, nlh, err, errlen); break;
                case NFT_MSG_NEWCHAIN:   r = add_chain(rs, nlh, err, errlen); break;
                case NFT_MSG_NEWRULE:    r = add_rule(rs, nlh, err, errlen); break;
                case NFT_MSG_NEWSET:     r = add_set(rs, nlh, err, errlen); break;
                case NFT_MSG_NEWSETELEM: r = add_elems(rs, nlh, err, errlen); break;
                case NFT_MSG_NEWGEN: {
                        struct nftnl_gen *g = nftnl_gen_alloc();

                        if (!g)
                                return -ENOMEM;
                        if (nftnl_gen_nlmsg_parse(nlh, g) >= 0)
                                rs->genid = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
                        nftnl_gen_free(g);
                        break;
                }
                default:
                        break;
                }
        }
        return r;
}

static int cmp_rule(const void *a, const void *b)
{
        const sa_nft_rule *x = a, *y = b;

        if (x->chain != y->chain)
                return x->chain < y->chain ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_elem(const void *a, const void *b, void *keylen)
{
        const sa_nft_elem *x = a, *y = b;
        int d = memcmp(x->key, y->key, *(const uint32_t *) keylen);

        if (d)
                return d;
        /* an interval's end sorts before a start at the same key */
        return (int) (y->flags & NFT_SET_ELEM_INTERVAL_END) - (int) (x->flags & NFT_SET_ELEM_INTERVAL_END);
}

int sa_nft_finish(sa_nft_ruleset *rs)
{
        uint32_t i;

        for (i = 0; i < rs->rule_count; i++)
                rs->rules[i].seq = i;
        if (rs->rule_count)
                qsort(rs->rules, rs->rule_count, sizeof(*rs->rules), cmp_rule);
        for (i = 0; i < rs->chain_count; i++)
                rs->chains[i].first = rs->chains[i].count = 0;
        for (i = rs->rule_count; i-- > 0;) {
                sa_nft_chain *c = &rs->chains[rs->rules[i].chain];

                c->first = i;
                c->count++;
        }
        for (i = 0; i < rs->set_count; i++) {
                sa_nft_set *s = &rs->sets[i];

                if (!(s->flags & NFT_SET_INTERVAL) || (s->flags & NFT_SET_CONCAT) || s->elem_count < 2)
                        continue;
                qsort_r(s->elems, s->elem_count, sizeof(*s->elems), cmp_elem, &s->key_len);
        }
        return 0;
}
