/* SPDX-License-Identifier: MIT */
/* Rules and matches of the IR back into short nft syntax (lib/nftrender.h). */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "nftrender.h"
#include "util.h"

typedef enum fmt { F_HEX, F_ADDR4, F_ADDR6, F_PORT, F_PROTO, F_NFPROTO, F_IFNAME, F_U32, F_CTSTATE } fmt;

typedef struct field {
        char name[32];
        fmt f;
        unsigned full;          /* bytes of the whole field (an address: 4 or 16) */
        unsigned skip;          /* bytes of the field before the load's first */
} field;

int sa_nft_reg_word(uint8_t reg)
{
        if (reg <= NFT_REG_4)
                return reg * 4;
        if (reg >= NFT_REG32_00 && reg <= NFT_REG32_15)
                return reg - NFT_REG32_00 + 4;
        return -1;
}

void sa_nft_regsrc_init(sa_nft_regsrc *src, uint8_t family)
{
        for (int i = 0; i < SA_NFT_WORDS; i++)
                src->load[i] = src->mask[i] = -1;
        src->family = family;
        src->l4 = 0;
}

static unsigned write_len(const sa_nft_expr *x)
{
        switch (x->kind) {
        case SA_NFT_X_PAYLOAD: case SA_NFT_X_IMMEDIATE:
        case SA_NFT_X_BITWISE: case SA_NFT_X_BYTEORDER:
                return x->len ? x->len : 4;
        case SA_NFT_X_META:
                return x->a == NFT_META_IIFNAME || x->a == NFT_META_OIFNAME ? 16 : 4;
        case SA_NFT_X_CT:
                return 4;
        case SA_NFT_X_LOOKUP:
                return 16;
        default:
                return 0;
        }
}

void sa_nft_regsrc_note(sa_nft_regsrc *src, const sa_nft_ruleset *rs, uint32_t xi)
{
        const sa_nft_expr *x = &rs->exprs[xi];
        int w = sa_nft_reg_word(x->dreg), sw = sa_nft_reg_word(x->sreg);
        unsigned words = (write_len(x) + 3) / 4;

        if (x->dreg == 0 || w < 4 || !words)
                return;
        if (x->kind == SA_NFT_X_CMP || x->kind == SA_NFT_X_RANGE || x->kind == SA_NFT_X_COUNTER)
                return;
        for (unsigned i = 0; i < words && w + (int) i < SA_NFT_WORDS; i++) {
                if ((x->kind == SA_NFT_X_BITWISE || x->kind == SA_NFT_X_BYTEORDER) && sw >= 0
                    && sw + (int) i < SA_NFT_WORDS) {
                        src->load[w + i] = src->load[sw + i];
                        src->mask[w + i] = x->kind == SA_NFT_X_BITWISE ? (int32_t) xi : src->mask[sw + i];
                } else {
                        src->load[w + i] = (int32_t) xi;
                        src->mask[w + i] = -1;
                }
        }
}

/* What a load expression reads, named as nft names it. */
static void field_of(const sa_nft_regsrc *src, const sa_nft_expr *x, field *f)
{
        const char *l4 = src->l4 == 6 ? "tcp" : src->l4 == 17 ? "udp" : "th";

        memset(f, 0, sizeof(*f));
        f->f = F_HEX;
        f->full = x->len;
        if (x->kind == SA_NFT_X_PAYLOAD && x->a == NFT_PAYLOAD_NETWORK_HEADER) {
                unsigned o = x->b;

                if (src->family == 4 && o >= 12 && o + x->len <= 20) {
                        snprintf(f->name, sizeof(f->name), "ip %s", o < 16 ? "saddr" : "daddr");
                        f->f = F_ADDR4, f->full = 4, f->skip = (o - 12) % 4;
                } else if (src->family == 6 && o >= 8 && o + x->len <= 40) {
                        snprintf(f->name, sizeof(f->name), "ip6 %s", o < 24 ? "saddr" : "daddr");
                        f->f = F_ADDR6, f->full = 16, f->skip = (o - 8) % 16;
                } else if (src->family == 4 && o == 9 && x->len == 1) {
                        snprintf(f->name, sizeof(f->name), "ip protocol"), f->f = F_PROTO;
                } else if (src->family == 6 && o == 6 && x->len == 1) {
                        snprintf(f->name, sizeof(f->name), "ip6 nexthdr"), f->f = F_PROTO;
                } else {
                        snprintf(f->name, sizeof(f->name), "@nh,%u,%u", o * 8, x->len * 8u);
                }
        } else if (x->kind == SA_NFT_X_PAYLOAD && x->a == NFT_PAYLOAD_TRANSPORT_HEADER && x->len == 2
                   && x->b <= 2 && x->b % 2 == 0) {
                snprintf(f->name, sizeof(f->name), "%s %s", l4, x->b ? "dport" : "sport");
                f->f = F_PORT;
        } else if (x->kind == SA_NFT_X_PAYLOAD) {
                snprintf(f->name, sizeof(f->name), "@%s,%u,%u",
                         x->a == NFT_PAYLOAD_TRANSPORT_HEADER ? "th" : x->a == NFT_PAYLOAD_LL_HEADER ? "ll" : "ih",
                         x->b * 8, x->len * 8u);
        } else if (x->kind == SA_NFT_X_META) {
                static const struct { uint32_t key; const char *name; fmt f; unsigned len; } m[] = {
                        { NFT_META_IIFNAME, "iifname", F_IFNAME, 16 }, { NFT_META_OIFNAME, "oifname", F_IFNAME, 16 },
                        { NFT_META_IIF, "iif", F_U32, 4 }, { NFT_META_OIF, "oif", F_U32, 4 },
                        { NFT_META_L4PROTO, "meta l4proto", F_PROTO, 1 },
                        { NFT_META_NFPROTO, "meta nfproto", F_NFPROTO, 1 },
                        { NFT_META_PROTOCOL, "meta protocol", F_HEX, 2 }, { NFT_META_MARK, "meta mark", F_U32, 4 },
                        { NFT_META_PKTTYPE, "meta pkttype", F_HEX, 1 }, { NFT_META_IIFTYPE, "meta iiftype", F_HEX, 2 },
                };
                snprintf(f->name, sizeof(f->name), "meta key %u", x->a);
                for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
                        if (m[i].key == x->a) {
                                snprintf(f->name, sizeof(f->name), "%s", m[i].name);
                                f->f = m[i].f, f->full = m[i].len;
                        }
        } else if (x->kind == SA_NFT_X_CT) {
                static const char *const names[] = { "state", "direction", "status", "mark" };

                if (x->a < 4)
                        snprintf(f->name, sizeof(f->name), "ct %s", names[x->a]);
                else
                        snprintf(f->name, sizeof(f->name), "ct key %u", x->a);
                f->f = x->a == NFT_CT_STATE ? F_CTSTATE : F_U32;
                f->full = x->a == NFT_CT_DIRECTION ? 1 : 4;
        } else {
                snprintf(f->name, sizeof(f->name), "%s", x->name);
        }
}

static int prefix_len(const uint8_t *mask, unsigned len)
{
        int bits = 0;
        unsigned i = 0;

        for (; i < len && mask[i] == 0xff; i++)
                bits += 8;
        if (i < len) {
                uint8_t m = mask[i];

                while (m & 0x80)
                        bits++, m = (uint8_t) (m << 1);
                if (m)
                        return -1;
                for (i++; i < len; i++)
                        if (mask[i])
                                return -1;
        }
        return bits;
}

/* len bytes of a field's value (prefix bits, -1: the whole of it) into out. */
static void format_value(const field *f, const uint8_t *v, unsigned len, int prefix, char *out, size_t outlen)
{
        char a[INET6_ADDRSTRLEN];
        uint8_t full[16] = { 0 };
        uint32_t u;

        out[0] = 0;
        switch (f->f) {
        case F_ADDR4: case F_ADDR6:
                memcpy(full + f->skip, v, len > f->full - f->skip ? f->full - f->skip : len);
                inet_ntop(f->f == F_ADDR4 ? AF_INET : AF_INET6, full, a, sizeof(a));
                if (prefix < 0 && len < f->full)
                        prefix = (int) ((f->skip + len) * 8);
                sa_appendf(out, outlen, "%s", a);
                if (prefix >= 0 && prefix < (int) f->full * 8)
                        sa_appendf(out, outlen, "/%d", prefix);
                return;
        case F_PORT:
                sa_appendf(out, outlen, "%u", len >= 2 ? (unsigned) (v[0] << 8 | v[1]) : v[0]);
                return;
        case F_PROTO:
                sa_appendf(out, outlen, "%s", v[0] == 6 ? "tcp" : v[0] == 17 ? "udp" : v[0] == 1 ? "icmp"
                    : v[0] == 58 ? "ipv6-icmp" : "");
                if (!out[0])
                        sa_appendf(out, outlen, "%u", v[0]);
                return;
        case F_NFPROTO:
                sa_appendf(out, outlen, "%s", v[0] == NFPROTO_IPV4 ? "ipv4" : v[0] == NFPROTO_IPV6 ? "ipv6" : "?");
                return;
        case F_IFNAME:
                sa_appendf(out, outlen, "\"%.*s%s\"", (int) strnlen((const char *) v, len), (const char *) v,
                    len < 16 && !memchr(v, 0, len) ? "*" : "");
                return;
        case F_U32: case F_CTSTATE:
                memcpy(&u, v, len < 4 ? len : 4);
                if (len < 4)
                        u &= (1u << (len * 8)) - 1;
                if (f->f == F_CTSTATE) {
                        static const char *const st[] = { "invalid", "established", "related", "new",
                                                           "bit4", "bit5", "untracked" };
                        for (unsigned b = 0; b < 7; b++)
                                if (u & (1u << b))
                                        sa_appendf(out, outlen, "%s%s", out[0] ? "," : "", st[b]);
                        if (out[0])
                                return;
                }
                sa_appendf(out, outlen, "%u", u);
                return;
        default:
                sa_appendf(out, outlen, "0x");
                for (unsigned i = 0; i < len; i++)
                        sa_appendf(out, outlen, "%02x", v[i]);
        }
}

static void render_verdict(int32_t v, const char *chain, char *out, size_t outlen);

/* The source of register word w as a field (false: nothing known wrote it). */
static bool word_field(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, int w, field *f,
                       const sa_nft_expr **ret_mask)
{
        if (w < 0 || w >= SA_NFT_WORDS || src->load[w] < 0)
                return false;
        field_of(src, &rs->exprs[src->load[w]], f);
        *ret_mask = src->mask[w] >= 0 ? &rs->exprs[src->mask[w]] : NULL;
        return true;
}

void sa_nft_render_key(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, const sa_nft_expr *x,
                       const uint8_t *key, unsigned key_len, char *out, size_t outlen)
{
        int w0 = sa_nft_reg_word(x->sreg), w = w0;
        int bound = key_len && key_len < SA_NFT_DATA_MAX ? (int) key_len : SA_NFT_DATA_MAX;
        char v[96];

        out[0] = 0;
        while (w >= 0 && w < SA_NFT_WORDS && src->load[w] >= 0 && (w - w0) * 4 < bound) {
                const sa_nft_expr *ld = &rs->exprs[src->load[w]], *mask;
                unsigned n = write_len(ld);
                field f;

                word_field(src, rs, w, &f, &mask);
                format_value(&f, key + (w - w0) * 4, n, -1, v, sizeof(v));
                sa_appendf(out, outlen, "%s%s", out[0] ? " . " : "", v);
                w += (int) (n + 3) / 4;
                if (x->kind != SA_NFT_X_LOOKUP)
                        break;
                if (w + 1 < SA_NFT_WORDS && src->load[w] == src->load[w - 1])
                        break;          /* not another field */
        }
}

void sa_nft_regsrc_after_match(sa_nft_regsrc *src, const sa_nft_ruleset *rs, const sa_nft_expr *x)
{
        const sa_nft_expr *mask;
        field f;

        if (x->kind != SA_NFT_X_CMP || x->op != NFT_CMP_EQ
            || !word_field(src, rs, sa_nft_reg_word(x->sreg), &f, &mask))
                return;
        if (f.f == F_PROTO)
                src->l4 = x->data[0];
        else if (f.f == F_NFPROTO)
                src->family = x->data[0] == NFPROTO_IPV6 ? 6 : 4;
}

/* The fields a lookup key holds, " . " between them. */
static void key_names(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, int w, unsigned key_len, char *out,
                      size_t outlen)
{
        unsigned done = 0;

        out[0] = 0;
        while (w >= 0 && w < SA_NFT_WORDS && (done < key_len || !key_len)) {
                const sa_nft_expr *mask;
                field f;

                if (!word_field(src, rs, w, &f, &mask)) {
                        sa_appendf(out, outlen, "%sreg", out[0] ? " . " : "");
                        break;
                }
                sa_appendf(out, outlen, "%s%s", out[0] ? " . " : "", f.name);
                done += (write_len(&rs->exprs[src->load[w]]) + 3) / 4 * 4;
                w += (int) (write_len(&rs->exprs[src->load[w]]) + 3) / 4;
                if (!key_len)
                        break;
        }
}

void sa_nft_render_match(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, uint32_t table,
                         const sa_nft_expr *x, int negate, char *out, size_t outlen)
{
        static const char *const ops[] = { "", "!= ", "< ", "<= ", "> ", ">= " };
        int w = sa_nft_reg_word(x->sreg);
        const sa_nft_expr *mask = NULL;
        char v[96], v2[96];
        field f;

        out[0] = 0;
        if (negate && ((x->kind == SA_NFT_X_LOOKUP && !x->a) || (x->kind == SA_NFT_X_CMP && x->op <= NFT_CMP_NEQ))) {
                /* "not ip saddr != X" said as "ip saddr X" */
                sa_nft_expr flipped = *x;

                flipped.invert = !x->invert;
                flipped.op = x->kind == SA_NFT_X_CMP ? (uint8_t) (x->op ^ 1) : x->op;
                sa_nft_render_match(src, rs, table, &flipped, 0, out, outlen);
                return;
        }
        if (negate)
                sa_appendf(out, outlen, "not ");
        if (x->kind == SA_NFT_X_LOOKUP) {
                int si = sa_nft_find_set(rs, table, x->chain ? x->chain : "");
                const sa_nft_set *s = si >= 0 ? &rs->sets[si] : NULL;
                char names[128];

                key_names(src, rs, w, s ? s->key_len : 0, names, sizeof(names));
                sa_appendf(out, outlen, "%s %s", names, x->invert ? "!= " : "");
                if (x->a)
                        sa_appendf(out, outlen, "%s", x->dreg == NFT_REG_VERDICT ? "vmap " : "map ");
                if (s && strncmp(s->name, "__", 2) == 0 && !(s->flags & NFT_SET_INTERVAL)) {
                        sa_appendf(out, outlen, "{ ");
                        for (uint32_t i = 0; i < s->elem_count && i < 6; i++) {
                                sa_nft_render_key(src, rs, x, s->elems[i].key, s->key_len, v, sizeof(v));
                                sa_appendf(out, outlen, "%s%s", i ? ", " : "", v);
                                if (x->a && x->dreg == NFT_REG_VERDICT) {
                                        sa_appendf(out, outlen, " : ");
                                        render_verdict(s->elems[i].verdict, s->elems[i].chain, out, outlen);
                                }
                        }
                        sa_appendf(out, outlen, "%s }", s->elem_count > 6 ? ", …" : "");
                } else {
                        sa_appendf(out, outlen, "@%s", x->chain ? x->chain : "?");
                }
                return;
        }
        if (!word_field(src, rs, w, &f, &mask)) {
                sa_appendf(out, outlen, "reg %u %s0x..", x->sreg, ops[x->op % 6]);
                return;
        }
        if (x->kind == SA_NFT_X_RANGE) {
                format_value(&f, x->data, x->len, -1, v, sizeof(v));
                format_value(&f, x->data2, x->len, -1, v2, sizeof(v2));
                sa_appendf(out, outlen, "%s %s%s-%s", f.name, x->op ? "!= " : "", v, v2);
                return;
        }
        if (mask && mask->op == NFT_BITWISE_BOOL) {
                int p = prefix_len(mask->data, mask->len);

                if ((f.f == F_ADDR4 || f.f == F_ADDR6) && p >= 0 && x->op <= NFT_CMP_NEQ) {
                        format_value(&f, x->data, x->len, (int) f.skip * 8 + p, v, sizeof(v));
                        sa_appendf(out, outlen, "%s %s%s", f.name, ops[x->op], v);
                        return;
                }
                if (f.f == F_CTSTATE && x->op == NFT_CMP_NEQ && !memcmp(x->data, "\0\0\0\0", 4)) {
                        format_value(&f, mask->data, 4, -1, v, sizeof(v));
                        sa_appendf(out, outlen, "%s %s", f.name, v);
                        return;
                }
                format_value(&f, mask->data, mask->len, -1, v2, sizeof(v2));
                sa_appendf(out, outlen, "%s & %s ", f.name, v2);
        } else {
                sa_appendf(out, outlen, "%s ", f.name);
        }
        format_value(&f, x->data, x->len, -1, v, sizeof(v));
        sa_appendf(out, outlen, "%s%s", x->op < 6 ? ops[x->op] : "? ", v);
}

static void render_verdict(int32_t v, const char *chain, char *out, size_t outlen)
{
        switch (v) {
        case NF_ACCEPT: sa_appendf(out, outlen, "accept"); break;
        case NF_DROP: sa_appendf(out, outlen, "drop"); break;
        case NFT_JUMP: sa_appendf(out, outlen, "jump %s", chain ? chain : "?"); break;
        case NFT_GOTO: sa_appendf(out, outlen, "goto %s", chain ? chain : "?"); break;
        case NFT_RETURN: sa_appendf(out, outlen, "return"); break;
        case NFT_CONTINUE: sa_appendf(out, outlen, "continue"); break;
        default: sa_appendf(out, outlen, (v & NF_VERDICT_MASK) == NF_QUEUE ? "queue" : "verdict %d", v);
        }
}

/* A nat statement's target from the immediates that loaded its registers. */
static void render_nat(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, const sa_nft_expr *x, char *out,
                       size_t outlen)
{
        int aw = sa_nft_reg_word(x->sreg), pw = sa_nft_reg_word(x->sreg2);
        char a[INET6_ADDRSTRLEN] = "";

        if (x->kind == SA_NFT_X_REDIR)
                sa_appendf(out, outlen, "redirect");
        else
                sa_appendf(out, outlen, "%s to ", x->a == NFT_NAT_DNAT ? "dnat" : "snat");
        if (x->sreg && aw >= 4 && aw < SA_NFT_WORDS && src->load[aw] >= 0)
                inet_ntop(x->b == NFPROTO_IPV6 ? AF_INET6 : AF_INET, rs->exprs[src->load[aw]].data, a, sizeof(a));
        if (a[0])
                sa_appendf(out, outlen, x->b == NFPROTO_IPV6 ? "[%s]" : "%s", a);
        if (x->sreg2 && pw >= 4 && pw < SA_NFT_WORDS && src->load[pw] >= 0) {
                const uint8_t *p = rs->exprs[src->load[pw]].data;

                sa_appendf(out, outlen, "%s:%u", x->kind == SA_NFT_X_REDIR ? " to " : "", (unsigned) (p[0] << 8 | p[1]));
        }
}

/*
 * nft's own dependency matches, implied by the next load as `nft list`
 * leaves them out: "meta l4proto tcp" before "tcp dport", "meta nfproto
 * ipv4" before "ip saddr".
 */
static bool implied(const sa_nft_ruleset *rs, const sa_nft_rule *r, uint32_t i, const char *text)
{
        const sa_nft_expr *next = i + 1 < r->first + r->count ? &rs->exprs[i + 1] : NULL;

        if (!next || next->kind != SA_NFT_X_PAYLOAD)
                return false;
        if (strncmp(text, "meta l4proto ", 13) == 0 || strncmp(text, "ip protocol ", 12) == 0
            || strncmp(text, "ip6 nexthdr ", 12) == 0)
                return next->a == NFT_PAYLOAD_TRANSPORT_HEADER;
        if (strncmp(text, "meta nfproto ", 13) == 0)
                return next->a == NFT_PAYLOAD_NETWORK_HEADER;
        return false;
}

void sa_nft_render_rule(const sa_nft_ruleset *rs, const sa_nft_rule *r, uint8_t family, char *out,
                        size_t outlen)
{
        uint32_t table = rs->chains[r->chain].table;
        sa_nft_regsrc src;
        char m[256];

        out[0] = 0;
        sa_nft_regsrc_init(&src, family);
        for (uint32_t i = r->first; i < r->first + r->count; i++) {
                const sa_nft_expr *x = &rs->exprs[i];
                size_t before = strlen(out);

                if (before)
                        sa_appendf(out, outlen, " ");
                switch (x->kind) {
                case SA_NFT_X_CMP: case SA_NFT_X_RANGE: case SA_NFT_X_LOOKUP:
                        sa_nft_render_match(&src, rs, table, x, 0, m, sizeof(m));
                        if (!implied(rs, r, i, m))
                                sa_appendf(out, outlen, "%s", m);
                        sa_nft_regsrc_after_match(&src, rs, x);
                        break;
                case SA_NFT_X_IMMEDIATE:
                        if (x->dreg == NFT_REG_VERDICT)
                                render_verdict(x->verdict, x->chain, out, outlen);
                        break;
                case SA_NFT_X_COUNTER: sa_appendf(out, outlen, "counter"); break;
                case SA_NFT_X_LOG: sa_appendf(out, outlen, "log"); break;
                case SA_NFT_X_REJECT:
                        sa_appendf(out, outlen, "%s", x->a == NFT_REJECT_TCP_RST ? "reject with tcp reset"
                            : x->a == NFT_REJECT_ICMPX_UNREACH ? "reject with icmpx" : "reject");
                        break;
                case SA_NFT_X_NAT: case SA_NFT_X_REDIR:
                        render_nat(&src, rs, x, out, outlen);
                        break;
                case SA_NFT_X_MASQ: sa_appendf(out, outlen, "masquerade"); break;
                case SA_NFT_X_MATCH: sa_appendf(out, outlen, "xt match \"%s\"", x->name); break;
                case SA_NFT_X_TARGET: sa_appendf(out, outlen, "xt target \"%s\"", x->name); break;
                case SA_NFT_X_OTHER: sa_appendf(out, outlen, "%s", x->name); break;
                default:
                        if (x->dreg == 0 && x->sreg)
                                sa_appendf(out, outlen, "%s set", x->name);
                        break;
                }
                if (strlen(out) == before + (before ? 1 : 0))
                        out[before] = 0;        /* nothing said: no blank */
                sa_nft_regsrc_note(&src, rs, i);
        }
}
