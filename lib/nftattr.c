/* SPDX-License-Identifier: MIT */
/*
 * The shape of nf_tables attributes, checked before libnftnl parses a
 * message (lib/nftread.h): libnftnl exit()s on an integer attribute of the
 * wrong size ("kernel ABI is broken") and strdup()s strings up to their
 * NUL. The tables follow libnftnl 1.2.4's parsers for the objects and for
 * the expressions the evaluator reads; other expressions are passed on
 * unchecked (they come from the kernel) and reported as such.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nftread.h"

enum kind { K_NONE, K_U8, K_U16, K_U32, K_U64, K_STR, K_BIN, K_DATA, K_NEST, K_EACH, K_LIST, K_EXPR, K_STRS, K_VAL, K_FIELDS, K_REFUSE };

typedef struct shape {
        uint8_t kind;
        const struct shape *sub;        /* K_NEST: its attributes; K_EACH: each child's */
} shape;

#define N 20
#define U32 { K_U32, NULL }
#define U64 { K_U64, NULL }
#define STR { K_STR, NULL }
#define BIN { K_BIN, NULL }
#define DAT { K_DATA, NULL }           /* a value or a verdict */
#define VAL { K_VAL, NULL }            /* a value only (libnftnl keeps a verdict's chain in a key's bytes) */

static const shape verdict[N] = { [1] = U32, [2] = STR, [3] = U32 };
static const shape hook[N] = { [1] = U32, [2] = U32, [3] = STR, [4] = { K_STRS, NULL } };
static const shape counters[N] = { [1] = U64, [2] = U64 };
static const shape field[N] = { [1] = U32 };
/* libnftnl 1.2.4 stores concatenation fields into a 16-entry array without a bound check */
static const shape desc[N] = { [1] = U32, [2] = { K_FIELDS, field } };
static const shape compat[N] = { [1] = U32, [2] = U32 };

static const shape table_msg[N] = { [1] = STR, [2] = U32, [3] = U32, [4] = U64, [6] = BIN, [7] = U32 };
static const shape chain_msg[N] = {
        [1] = STR, [2] = U64, [3] = STR, [4] = { K_NEST, hook }, [5] = U32, [6] = U32, [7] = STR,
        [8] = { K_NEST, counters }, [10] = U32, [11] = U32, [12] = BIN,
};
static const shape rule_msg[N] = {
        [1] = STR, [2] = STR, [3] = U64, [4] = { K_LIST, NULL }, [5] = { K_NEST, compat }, [6] = U64,
        [7] = BIN, [9] = U32, [10] = U32, [11] = U32,
};
static const shape set_msg[N] = {
        [1] = STR, [2] = STR, [3] = U32, [4] = U32, [5] = U32, [6] = U32, [7] = U32, [8] = U32,
        [9] = { K_NEST, desc }, [10] = U32, [11] = U64, [12] = U32, [13] = BIN, [15] = U32, [16] = U64,
        [17] = { K_EXPR, NULL }, [18] = { K_LIST, NULL },
};
static const shape elem[N] = {
        [1] = VAL, [2] = DAT, [3] = U32, [4] = U64, [5] = U64, [6] = BIN, [7] = { K_EXPR, NULL }, [9] = STR,
        [10] = VAL, [11] = { K_LIST, NULL },
        /* libnftnl 1.2.4 bounds an element's attribute types by NFTA_SET_MAX: past 11 it writes past its array */
        [12] = { K_REFUSE, NULL }, [13] = { K_REFUSE, NULL }, [14] = { K_REFUSE, NULL }, [15] = { K_REFUSE, NULL },
        [16] = { K_REFUSE, NULL }, [17] = { K_REFUSE, NULL }, [18] = { K_REFUSE, NULL }, [19] = { K_REFUSE, NULL },
};
static const shape elems_msg[N] = { [1] = STR, [2] = STR, [3] = { K_EACH, elem }, [4] = U32 };
static const shape gen_msg[N] = { [1] = U32, [2] = U32, [3] = STR };

static const struct { const char *name; shape attrs[N]; } exprs[] = {
        { "payload", { [1] = U32, [2] = U32, [3] = U32, [4] = U32, [5] = U32, [6] = U32, [7] = U32, [8] = U32 } },
        { "meta", { [1] = U32, [2] = U32, [3] = U32 } },
        { "cmp", { [1] = U32, [2] = U32, [3] = VAL } },
        { "bitwise", { [1] = U32, [2] = U32, [3] = U32, [4] = VAL, [5] = VAL, [6] = U32, [7] = VAL } },
        { "byteorder", { [1] = U32, [2] = U32, [3] = U32, [4] = U32, [5] = U32 } },
        { "range", { [1] = U32, [2] = U32, [3] = VAL, [4] = VAL } },
        { "lookup", { [1] = STR, [2] = U32, [3] = U32, [4] = U32, [5] = U32 } },
        { "immediate", { [1] = U32, [2] = DAT } },
        { "ct", { [1] = U32, [2] = U32, [3] = { K_U8, NULL }, [4] = U32 } },
        { "counter", { [1] = U64, [2] = U64 } },
        { "log", { [1] = { K_U16, NULL }, [2] = STR, [3] = U32, [4] = { K_U16, NULL }, [5] = U32, [6] = U32 } },
        { "reject", { [1] = U32, [2] = { K_U8, NULL } } },
        { "nat", { [1] = U32, [2] = U32, [3] = U32, [4] = U32, [5] = U32, [6] = U32, [7] = U32 } },
        { "redir", { [1] = U32, [2] = U32, [3] = U32 } },
        { "masq", { [1] = U32, [2] = U32, [3] = U32 } },
        { "match", { [1] = STR, [2] = U32, [3] = BIN } },
        { "target", { [1] = STR, [2] = U32, [3] = BIN } },
        { "limit", { [1] = U64, [2] = U64, [3] = U32, [4] = U32, [5] = U32 } },
        { "quota", { [1] = U64, [2] = U32, [4] = U64 } },
        { "numgen", { [1] = U32, [2] = U32, [3] = U32, [4] = U32 } },
};

struct walk {
        bool unchecked;
        int depth;
};

static int check_attrs(const uint8_t *p, size_t len, const shape *t, size_t tn, struct walk *w);

/* An attribute's NUL-terminated string payload (libnftnl strdup()s it). */
static bool is_str(const uint8_t *v, size_t n)
{
        return n > 0 && v[n - 1] == 0;
}

/* One expression: NFTA_EXPR_NAME, then NFTA_EXPR_DATA by that name's table. */
static int check_expr(const uint8_t *p, size_t len, struct walk *w)
{
        const uint8_t *data = NULL, *name = NULL;
        size_t data_len = 0, name_len = 0;

        while (len >= NLA_HDRLEN) {
                struct nlattr a;

                memcpy(&a, p, sizeof(a));
                if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
                        return -EBADMSG;
                if ((a.nla_type & NLA_TYPE_MASK) == NFTA_EXPR_NAME)
                        name = p + NLA_HDRLEN, name_len = a.nla_len - NLA_HDRLEN;
                else if ((a.nla_type & NLA_TYPE_MASK) == NFTA_EXPR_DATA)
                        data = p + NLA_HDRLEN, data_len = a.nla_len - NLA_HDRLEN;
                if ((size_t) NLA_ALIGN(a.nla_len) >= len)
                        break;
                p += NLA_ALIGN(a.nla_len), len -= NLA_ALIGN(a.nla_len);
        }
        if (!name || !is_str(name, name_len) || (data && data_len && data_len < NLA_HDRLEN))
                return -EBADMSG;
        for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++)
                if (strcmp((const char *) name, exprs[i].name) == 0)
                        return data ? check_attrs(data, data_len, exprs[i].attrs, N, w) : 0;
        w->unchecked = true;
        return 0;
}

/* How many of the attributes in [p, p+len) are of that type. */
static unsigned count_attrs(const uint8_t *p, size_t len, unsigned type)
{
        unsigned n = 0;

        while (len >= NLA_HDRLEN) {
                struct nlattr a;

                memcpy(&a, p, sizeof(a));
                if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
                        break;
                n += (a.nla_type & NLA_TYPE_MASK) == type;
                if ((size_t) NLA_ALIGN(a.nla_len) >= len)
                        break;
                p += NLA_ALIGN(a.nla_len), len -= NLA_ALIGN(a.nla_len);
        }
        return n;
}

static int check_one(const uint8_t *v, size_t n, const shape *s, struct walk *w)
{
        int r = 0;

        switch (s->kind) {
        case K_U8: return n == 1 ? 0 : -EBADMSG;
        case K_U16: return n == 2 ? 0 : -EBADMSG;
        case K_U32: return n == 4 ? 0 : -EBADMSG;
        case K_U64: return n == 8 ? 0 : -EBADMSG;
        case K_STR: return is_str(v, n) ? 0 : -EBADMSG;
        case K_DATA: case K_VAL: {
                /* exactly one attribute: a value, or (K_DATA) a verdict with its code */
                struct nlattr a, c;
                uint32_t code;

                if (n < NLA_HDRLEN)
                        return -EBADMSG;
                memcpy(&a, v, sizeof(a));
                if (a.nla_len < NLA_HDRLEN || a.nla_len > n || (size_t) NLA_ALIGN(a.nla_len) < n)
                        return -EBADMSG;
                if ((a.nla_type & NLA_TYPE_MASK) == NFTA_DATA_VALUE)
                        return a.nla_len - NLA_HDRLEN <= SA_NFT_DATA_MAX ? 0 : -EBADMSG;
                if ((a.nla_type & NLA_TYPE_MASK) != NFTA_DATA_VERDICT || s->kind == K_VAL
                    || a.nla_len < 2 * NLA_HDRLEN + 4)
                        return -EBADMSG;
                memcpy(&c, v + NLA_HDRLEN, sizeof(c));
                if ((c.nla_type & NLA_TYPE_MASK) != NFTA_VERDICT_CODE || c.nla_len != NLA_HDRLEN + 4)
                        return -EBADMSG;        /* the code first, as the kernel writes it */
                memcpy(&code, v + 2 * NLA_HDRLEN, 4);
                code = ntohl(code);
                /* libnftnl 1.2.4 reads a jump's chain from an uninitialised array when it is missing */
                if ((code == (uint32_t) NFT_JUMP || code == (uint32_t) NFT_GOTO)
                    && !count_attrs(v + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, NFTA_VERDICT_CHAIN))
                        return -EBADMSG;
                return check_attrs(v + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, verdict, N, w);
        }
        case K_NEST: return n == 0 || n >= NLA_HDRLEN ? check_attrs(v, n, s->sub, N, w) : -EBADMSG;
        case K_EXPR: return n == 0 || n >= NLA_HDRLEN ? check_expr(v, n, w) : -EBADMSG;
        case K_EACH: case K_LIST: case K_STRS: case K_FIELDS: {
                shape child = { s->kind == K_LIST ? K_EXPR : s->kind == K_STRS ? K_STR : K_NEST, s->sub };
                unsigned count = 0;

                if (n && n < NLA_HDRLEN)
                        return -EBADMSG;        /* a nest libmnl refuses */

                while (r >= 0 && n >= NLA_HDRLEN) {
                        struct nlattr a;

                        memcpy(&a, v, sizeof(a));
                        if (a.nla_len < NLA_HDRLEN || a.nla_len > n)
                                return -EBADMSG;
                        r = check_one(v + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, &child, w);
                        if (s->kind == K_FIELDS)
                                count += count_attrs(v + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, NFTA_SET_FIELD_LEN);
                        if (count > SA_NFT_FIELDS_MAX)
                                return -EBADMSG;
                        if ((size_t) NLA_ALIGN(a.nla_len) >= n)
                                break;
                        v += NLA_ALIGN(a.nla_len), n -= NLA_ALIGN(a.nla_len);
                }
                return r;
        }
        case K_NONE: case K_BIN:
                return 0;
        default:
                return -EBADMSG;        /* not allowed here */
        }
}

/* The attributes in [p, p+len) against table t (tn entries; others are ignored, as libnftnl does). */
static int check_attrs(const uint8_t *p, size_t len, const shape *t, size_t tn, struct walk *w)
{
        int r = 0;

        if (++w->depth > 8)
                return -EBADMSG;
        while (r >= 0 && len >= NLA_HDRLEN) {
                struct nlattr a;
                unsigned type;

                memcpy(&a, p, sizeof(a));
                if (a.nla_len < NLA_HDRLEN || a.nla_len > len) {
                        r = -EBADMSG;
                        break;
                }
                type = a.nla_type & NLA_TYPE_MASK;
                if (type < tn)
                        r = check_one(p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN, &t[type], w);
                if ((size_t) NLA_ALIGN(a.nla_len) >= len)
                        break;
                p += NLA_ALIGN(a.nla_len), len -= NLA_ALIGN(a.nla_len);
        }
        w->depth--;
        return r;
}

int sa_nft_check_msg(const struct nlmsghdr *nlh, bool *ret_unchecked)
{
        const size_t head = NLMSG_LENGTH(sizeof(struct nfgenmsg));
        struct walk w = { 0 };
        const shape *t;
        size_t tn = N;
        int r;

        switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
        case NFT_MSG_NEWTABLE: t = table_msg; break;
        case NFT_MSG_NEWCHAIN: t = chain_msg; break;
        case NFT_MSG_NEWRULE: t = rule_msg; break;
        case NFT_MSG_NEWSET: t = set_msg; break;
        case NFT_MSG_NEWSETELEM: t = elems_msg; break;
        case NFT_MSG_NEWGEN: t = gen_msg; break;
        default: return 0;
        }
        if (nlh->nlmsg_len < head)
                return -EBADMSG;
        r = check_attrs((const uint8_t *) nlh + NLMSG_ALIGN(head), nlh->nlmsg_len - NLMSG_ALIGN(head), t, tn, &w);
        if (w.unchecked)
                *ret_unchecked = true;
        return r;
}
