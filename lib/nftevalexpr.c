/* SPDX-License-Identifier: MIT */
/*
 * The evaluator's expressions (lib/nftevalint.h): registers with a taint
 * per byte, payload, meta, ct, cmp/range, bitwise, byteorder, lookup in
 * sets and maps; a match on a source-tainted register is a decision,
 * recorded as a condition.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "nftevalint.h"
#include "util.h"

/* Marks the path unknown with a reason (the first one stays). */
void sa_nft_ev_unknown(ev *e, const char *fmt, ...)
{
        va_list ap;

        if (e->unknown)
                return;
        e->unknown = true;
        va_start(ap, fmt);
        vsnprintf(e->path->reason, sizeof(e->path->reason), fmt, ap);
        va_end(ap);
}

/* The option taken at the next decision of nopt options (0 first); its condition is added by the caller. */
unsigned sa_nft_ev_decide(ev *e, unsigned nopt)
{
        if (e->pos < e->ndec)
                return e->choice[e->pos++];
        if (e->ndec >= DECISIONS_MAX) {
                sa_nft_ev_unknown(e, "more than %d source-dependent matches on one path", DECISIONS_MAX);
                return 0;
        }
        e->choice[e->ndec] = 0;
        e->nopt[e->ndec] = (uint8_t) nopt;
        e->ndec++;
        e->pos++;
        return 0;
}

void sa_nft_ev_condition(ev *e, const char *text)
{
        sa_appendf(e->path->conditions, sizeof(e->path->conditions), "%s%s", e->path->conditions[0] ? " and " : "",
            text);
}


/*
 * Writes len bytes into the register dreg, with a taint per byte (tb) or
 * one for all (t); the rest of the last word is a known 0. False if out
 * of the register file.
 */
static bool reg_write_t(ev *e, uint8_t dreg, const uint8_t *v, unsigned len, const uint8_t *tb, uint8_t t)
{
        int w = sa_nft_reg_word(dreg);
        unsigned words = (len + 3) / 4;

        if (w < 0 || len > SA_NFT_DATA_MAX || (w + words) * 4 > sizeof(e->d)) {
                sa_nft_ev_unknown(e, "a register out of range");
                return false;
        }
        memset(e->d + w * 4, 0, words * 4);
        memcpy(e->d + w * 4, v, len);
        memset(e->taint + w * 4, 0, words * 4);
        if (tb)
                memcpy(e->taint + w * 4, tb, len);
        else
                memset(e->taint + w * 4, t, len);
        return true;
}

bool sa_nft_ev_reg_write(ev *e, uint8_t dreg, const uint8_t *v, unsigned len, uint8_t t)
{
        return reg_write_t(e, dreg, v, len, NULL, t);
}

/* The taint of each of the len register bytes at sreg (checked by reg_read first). */
static const uint8_t *reg_taint(const ev *e, uint8_t sreg)
{
        return e->taint + sa_nft_reg_word(sreg) * 4;
}

/* The register bytes at sreg for len bytes, and the union of their taint. */
const uint8_t *sa_nft_ev_reg_read(ev *e, uint8_t sreg, unsigned len, uint8_t *ret_taint)
{
        int w = sa_nft_reg_word(sreg);
        uint8_t t = 0;

        if (w < 0 || len > SA_NFT_DATA_MAX || w * 4 + len > sizeof(e->d)) {
                sa_nft_ev_unknown(e, "a register out of range");
                return NULL;
        }
        for (unsigned i = 0; i < len; i++)
                t |= e->taint[w * 4 + i];
        *ret_taint = t;
        return e->d + w * 4;
}

bool sa_nft_ev_payload(ev *e, const sa_nft_expr *x)
{
        const uint8_t *hdr, *ht;
        unsigned hl;

        if (!x->dreg) {
                sa_nft_ev_unknown(e, "a payload write (packet mangling)");
                return false;
        }
        if (x->a == NFT_PAYLOAD_NETWORK_HEADER)
                hdr = e->nh, ht = e->nh_t, hl = e->nh_len;
        else if (x->a == NFT_PAYLOAD_TRANSPORT_HEADER)
                hdr = e->th, ht = e->th_t, hl = e->th_len;
        else {
                sa_nft_ev_unknown(e, "a match on the %s header", x->a == NFT_PAYLOAD_LL_HEADER ? "link-layer" : "inner");
                return false;
        }
        if (!x->len || x->b + x->len > hl) {
                if (x->a == NFT_PAYLOAD_NETWORK_HEADER)
                        return false;   /* beyond the packet: the kernel breaks */
                sa_nft_ev_unknown(e, "a match on the packet's payload (@th,%u,%u)", x->b * 8, x->len * 8u);
                return false;
        }
        return reg_write_t(e, x->dreg, hdr + x->b, x->len, ht + x->b, 0);
}

bool sa_nft_ev_meta(ev *e, const sa_nft_expr *x)
{
        const sa_nft_packet *p = e->pkt;
        uint8_t v[16] = { 0 };
        unsigned len = 4;
        uint8_t t = 0;
        uint32_t u;
        uint16_t h;

        if (!x->dreg) {
                uint8_t rt;
                const uint8_t *s = sa_nft_ev_reg_read(e, x->sreg, 4, &rt);

                if (!s)
                        return false;
                if (x->a == NFT_META_MARK && !rt)
                        memcpy(&e->mark, s, 4);
                else if (x->a != NFT_META_NFTRACE && x->a != NFT_META_PRIORITY) {
                        sa_nft_ev_unknown(e, "meta set of key %u", x->a);
                        return false;
                }
                return true;
        }
        switch (x->a) {
        case NFT_META_IIFNAME:
                len = 16;
                memcpy(v, p->iifname, strnlen(p->iifname, 16));
                break;
        case NFT_META_OIFNAME:
                len = 16;
                memcpy(v, e->oifname, strnlen(e->oifname, 16));
                break;
        case NFT_META_IIF:
                memcpy(v, &p->iif, 4);
                t = p->iif ? 0 : T_OTHER;
                break;
        case NFT_META_OIF:
                memcpy(v, &e->oif, 4);  /* 0 on input: no output device */
                break;
        case NFT_META_PKTTYPE: case NFT_META_SECPATH:
                break;                  /* 0: PACKET_HOST, no IPsec */
        case NFT_META_L4PROTO:
                v[0] = p->l4proto;
                break;
        case NFT_META_NFPROTO:
                v[0] = p->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
                break;
        case NFT_META_PROTOCOL:
                h = htons(p->family == AF_INET ? 0x0800 : 0x86dd);
                memcpy(v, &h, 2);
                break;
        case NFT_META_MARK:
                memcpy(v, &e->mark, 4);
                break;
        case NFT_META_IIFTYPE:
                h = strcmp(p->iifname, "lo") == 0 ? 772 : 1;   /* ARPHRD_LOOPBACK, ARPHRD_ETHER */
                memcpy(v, &h, 2);
                break;
        default:
                u = x->a;
                sa_nft_ev_unknown(e, "meta key %u is not evaluated", u);
                return false;
        }
        return sa_nft_ev_reg_write(e, x->dreg, v, len, t);
}

bool sa_nft_ev_ct(ev *e, const sa_nft_expr *x)
{
        uint32_t v = 0;

        if (!x->dreg) {
                uint8_t rt;
                const uint8_t *s = sa_nft_ev_reg_read(e, x->sreg, 4, &rt);

                if (!s)
                        return false;
                if (x->a == NFT_CT_MARK && !rt) {
                        memcpy(&e->ctmark, s, 4);
                        return true;
                }
                sa_nft_ev_unknown(e, "ct set of key %u", x->a);
                return false;
        }
        switch (x->a) {
        case NFT_CT_STATE: v = 1u << (IP_CT_NEW + 1); break;
        case NFT_CT_DIRECTION: v = 0; break;    /* original */
        case NFT_CT_STATUS: v = e->ctstatus; break;
        case NFT_CT_MARK: v = e->ctmark; break;
        default:
                sa_nft_ev_unknown(e, "ct key %u is not evaluated", x->a);
                return false;
        }
        return sa_nft_ev_reg_write(e, x->dreg, (const uint8_t *) &v, x->a == NFT_CT_DIRECTION ? 1 : 4, 0);
}

/* A cmp or range on known bytes: matched? */
static bool compare(const sa_nft_expr *x, const uint8_t *s)
{
        int d, d2;

        if (x->kind == SA_NFT_X_RANGE) {
                d = memcmp(s, x->data, x->len);
                d2 = memcmp(s, x->data2, x->len);
                return (d >= 0 && d2 <= 0) == (x->op == NFT_RANGE_EQ);
        }
        d = memcmp(s, x->data, x->len);
        switch (x->op) {
        case NFT_CMP_EQ: return d == 0;
        case NFT_CMP_NEQ: return d != 0;
        case NFT_CMP_LT: return d < 0;
        case NFT_CMP_LTE: return d <= 0;
        case NFT_CMP_GT: return d > 0;
        case NFT_CMP_GTE: return d >= 0;
        default: return false;
        }
}

/* A match on a register the source decides: one option per run, recorded. */
static bool source_decision(ev *e, const sa_nft_expr *x)
{
        char text[SA_NFT_TEXT_MAX];
        unsigned o;

        if (e->probing)
                return true;
        o = sa_nft_ev_decide(e, 2);

        sa_nft_render_match(&e->src, e->rs, e->table, x, (int) o, text, sizeof(text));
        sa_nft_ev_condition(e, text);
        return o == 0;
}

bool sa_nft_ev_compare(ev *e, const sa_nft_expr *x)
{
        uint8_t t;
        const uint8_t *s = sa_nft_ev_reg_read(e, x->sreg, x->len, &t);
        char text[SA_NFT_TEXT_MAX];

        if (!s)
                return false;
        if (t & T_OTHER) {
                sa_nft_render_match(&e->src, e->rs, e->table, x, 0, text, sizeof(text));
                sa_nft_ev_unknown(e, "\"%s\" depends on a packet field not modelled", text);
                return false;
        }
        if (t && x->kind == SA_NFT_X_CMP && (x->op == NFT_CMP_EQ || x->op == NFT_CMP_NEQ)) {
                const uint8_t *tb = reg_taint(e, x->sreg);

                for (unsigned i = 0; i < x->len; i++)
                        if (!tb[i] && s[i] != x->data[i])
                                return x->op == NFT_CMP_NEQ;    /* the known bytes decide */
        }
        return t ? source_decision(e, x) : compare(x, s);
}

bool sa_nft_ev_bitwise(ev *e, const sa_nft_expr *x)
{
        uint8_t t, out[SA_NFT_DATA_MAX], ot[SA_NFT_DATA_MAX];
        const uint8_t *s = sa_nft_ev_reg_read(e, x->sreg, x->len, &t);

        if (!s)
                return false;
        if (x->op == NFT_BITWISE_BOOL) {
                const uint8_t *tb = reg_taint(e, x->sreg);

                for (unsigned i = 0; i < x->len; i++) {
                        out[i] = (uint8_t) ((s[i] & x->data[i]) ^ x->data2[i]);
                        ot[i] = x->data[i] ? tb[i] : 0;         /* masked out: known */
                }
                return reg_write_t(e, x->dreg, out, x->len, ot, 0);
        } else {
                uint32_t shift, w;

                memcpy(&shift, x->data, 4);
                for (unsigned i = 0; i + 4 <= x->len; i += 4) {
                        memcpy(&w, s + i, 4);
                        w = shift >= 32 ? 0 : x->op == NFT_BITWISE_LSHIFT ? w << shift : w >> shift;
                        memcpy(out + i, &w, 4);
                }
        }
        return sa_nft_ev_reg_write(e, x->dreg, out, x->len, t);
}

/* As the kernel's nft_byteorder_eval: on 32-bit words for sizes 2 and 4. */
bool sa_nft_ev_byteorder(ev *e, const sa_nft_expr *x)
{
        uint8_t t, out[SA_NFT_DATA_MAX] = { 0 };
        const uint8_t *s = sa_nft_ev_reg_read(e, x->sreg, x->len, &t);

        if (!s)
                return false;
        if (x->a == 2) {
                for (unsigned i = 0; i < x->len / 2 && i * 4 + 4 <= SA_NFT_DATA_MAX; i++) {
                        uint32_t w;

                        memcpy(&w, s + i * 4, 4);
                        w = (uint16_t) ((w & 0xff) << 8 | ((w >> 8) & 0xff));
                        memcpy(out + i * 4, &w, 4);
                }
        } else if (x->a == 4 || x->a == 8) {
                for (unsigned i = 0; i + x->a <= x->len; i += x->a)
                        for (unsigned j = 0; j < x->a; j++)
                                out[i + j] = s[i + x->a - 1 - j];
        } else {
                sa_nft_ev_unknown(e, "byteorder of size %u", x->a);
                return false;
        }
        return sa_nft_ev_reg_write(e, x->dreg, out, x->len, t);
}

static int word_cmp(const uint8_t *a, const uint8_t *b, unsigned len)
{
        return memcmp(a, b, len);
}

/* Element index of set s that key k matches, or -1. */
static int set_find(const sa_nft_set *s, const uint8_t *k)
{
        int found = -1;

        for (uint32_t i = 0; i < s->elem_count; i++) {
                const sa_nft_elem *el = &s->elems[i];

                if (el->has_key_end) {
                        unsigned off = 0, n = s->field_count ? s->field_count : 1;
                        bool in = true;

                        for (unsigned f = 0; f < n && in; f++) {
                                unsigned fl = s->field_count ? (s->fields[f] + 3u) / 4 * 4 : s->key_len;

                                if (off + fl > SA_NFT_DATA_MAX)
                                        return -1;
                                in = word_cmp(el->key + off, k + off, fl) <= 0
                                     && word_cmp(k + off, el->key_end + off, fl) <= 0;
                                off += fl;
                        }
                        if (in)
                                return (int) i;
                } else if (s->flags & NFT_SET_INTERVAL) {
                        if (word_cmp(el->key, k, s->key_len) > 0)
                                break;          /* sorted: the rest start later */
                        found = el->flags & NFT_SET_ELEM_INTERVAL_END ? -1 : (int) i;
                } else if (word_cmp(el->key, k, s->key_len) == 0) {
                        return (int) i;
                }
        }
        return found;
}

/* Could element el match a key whose tainted bytes (wt) are unknown? */
static bool elem_possible(const sa_nft_set *s, const sa_nft_elem *el, const uint8_t *k, const uint8_t *wt)
{
        if (el->flags & NFT_SET_ELEM_INTERVAL_END)
                return false;
        if (el->has_key_end || (s->flags & NFT_SET_INTERVAL))
                return true;            /* ranges: left to the condition */
        for (unsigned i = 0; i < s->key_len; i++)
                if (!wt[i] && el->key[i] != k[i])
                        return false;
        return true;
}

static void map_result(ev *e, const sa_nft_expr *x, const sa_nft_set *s, const sa_nft_elem *el)
{
        if (x->dreg == NFT_REG_VERDICT) {
                e->verdict = el->verdict;
                e->vchain = el->chain;
        } else {
                sa_nft_ev_reg_write(e, x->dreg, el->data, s->data_len, 0);
        }
}

bool sa_nft_ev_lookup(ev *e, const sa_nft_expr *x)
{
        int si = sa_nft_find_set(e->rs, e->table, x->chain ? x->chain : "");
        const sa_nft_set *s;
        const uint8_t *k;
        uint8_t t, wt[SA_NFT_DATA_MAX];
        char text[SA_NFT_TEXT_MAX], key[SA_NFT_TEXT_MAX];
        int cand[MAP_CANDIDATES_MAX], nc = 0, w0;
        unsigned o;

        if (si < 0) {
                sa_nft_ev_unknown(e, "a lookup in set %s, which the dump did not hold", x->chain ? x->chain : "?");
                return false;
        }
        s = &e->rs->sets[si];
        if (s->flags & NFT_SET_EVAL) {
                sa_nft_ev_unknown(e, "a lookup in the dynamic set @%s (packets add its elements)", s->name);
                return false;
        }
        k = sa_nft_ev_reg_read(e, x->sreg, s->key_len, &t);
        if (!k)
                return false;
        if (t & T_OTHER) {
                sa_nft_render_match(&e->src, e->rs, e->table, x, 0, text, sizeof(text));
                sa_nft_ev_unknown(e, "\"%s\" depends on a packet field not modelled", text);
                return false;
        }
        if (!t) {
                int i = set_find(s, k);

                if ((i >= 0) == x->invert)
                        return false;
                if (i >= 0 && x->a)
                        map_result(e, x, s, &s->elems[i]);
                return true;
        }
        if (!x->a || e->probing)
                return source_decision(e, x);
        /* a map keyed on the source: one option per element that may match, and none */
        w0 = sa_nft_reg_word(x->sreg);
        memcpy(wt, e->taint + w0 * 4, s->key_len);
        for (uint32_t i = 0; i < s->elem_count; i++)
                if (elem_possible(s, &s->elems[i], k, wt)) {
                        if (nc == MAP_CANDIDATES_MAX) {
                                sa_nft_ev_unknown(e, "a map on the source with more than %d elements (@%s)",
                                        MAP_CANDIDATES_MAX, s->name);
                                return false;
                        }
                        cand[nc++] = (int) i;
                }
        o = sa_nft_ev_decide(e, (unsigned) nc + 1);
        sa_nft_render_match(&e->src, e->rs, e->table, x, 0, text, sizeof(text));
        if (o == (unsigned) nc) {
                sa_appendf(text, sizeof(text), " (no element)");
                sa_nft_ev_condition(e, text);
                return false;
        }
        sa_nft_render_key(&e->src, e->rs, x, s->elems[cand[o]].key, s->key_len, key, sizeof(key));
        sa_appendf(text, sizeof(text), " (element %s%s)", key,
            s->elems[cand[o]].has_key_end || (s->flags & NFT_SET_INTERVAL) ? " on" : "");
        sa_nft_ev_condition(e, text);
        map_result(e, x, s, &s->elems[cand[o]]);
        return true;
}
