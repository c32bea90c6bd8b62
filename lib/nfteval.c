/* SPDX-License-Identifier: MIT */
/*
 * The ruleset evaluator (lib/nfteval.h). The packet is built as bytes (IP
 * and TCP/UDP headers) with a taint per byte: the source address when not
 * given, the source port always, and fields the model makes up (TTL, ids,
 * checksums: rules on them are unknown). Registers carry the taint of what
 * was loaded into them. A match on a source-tainted register is a
 * decision: the path takes one option, records it as a condition, and the
 * driver re-runs the evaluation with the other options (depth-first over
 * the decisions), up to SA_NFT_PATHS_MAX paths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include "nfteval.h"
#include "nftrender.h"
#include "nftxt.h"
#include "util.h"

#define T_SADDR 1
#define T_SPORT 2
#define T_OTHER 4
#define DECISIONS_MAX 32
#define JUMP_DEPTH 16                   /* NFT_JUMP_STACK_SIZE */
#define STEPS_MAX (1u << 20)
#define VERDICT_UNKNOWN (-100)
#define VERDICT_REJECT  (-101)
#define MAP_CANDIDATES_MAX 8

typedef struct ev {
        const sa_nft_ruleset *rs;
        const sa_nft_packet *pkt;
        uint8_t nh[40], nh_t[40], th[20], th_t[20];
        unsigned nh_len, th_len;
        uint8_t d[SA_NFT_WORDS * 4], taint[SA_NFT_WORDS * 4];   /* taint per byte */
        sa_nft_regsrc src;
        int32_t verdict;
        const char *vchain;
        bool rejected, dnat_done, prerouting;
        uint32_t mark, ctmark, ctstatus, steps;
        uint16_t dport;
        uint32_t table;                 /* of the rule being run */
        /* the decisions of this run and the ones before it */
        uint8_t choice[DECISIONS_MAX], nopt[DECISIONS_MAX];
        unsigned ndec, pos;
        sa_nft_path *path;
        bool unknown;
        bool probing;                   /* source matches taken as true, nothing recorded */
} ev;

const char *sa_nft_verdict_name(sa_nft_verdict v)
{
        static const char *const n[] = { "accept", "drop", "reject", "conditional", "unknown" };

        return (unsigned) v < 5 ? n[v] : "?";
}

/* Marks the path unknown with a reason (the first one stays). */
static void unknown(ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void unknown(ev *e, const char *fmt, ...)
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
static unsigned decide(ev *e, unsigned nopt)
{
        if (e->pos < e->ndec)
                return e->choice[e->pos++];
        if (e->ndec >= DECISIONS_MAX) {
                unknown(e, "more than %d source-dependent matches on one path", DECISIONS_MAX);
                return 0;
        }
        e->choice[e->ndec] = 0;
        e->nopt[e->ndec] = (uint8_t) nopt;
        e->ndec++;
        e->pos++;
        return 0;
}

static void condition(ev *e, const char *text)
{
        sa_appendf(e->path->conditions, sizeof(e->path->conditions), "%s%s", e->path->conditions[0] ? " and " : "",
            text);
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
                unknown(e, "a register out of range");
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

static bool reg_write(ev *e, uint8_t dreg, const uint8_t *v, unsigned len, uint8_t t)
{
        return reg_write_t(e, dreg, v, len, NULL, t);
}

/* The taint of each of the len register bytes at sreg (checked by reg_read first). */
static const uint8_t *reg_taint(const ev *e, uint8_t sreg)
{
        return e->taint + sa_nft_reg_word(sreg) * 4;
}

/* The register bytes at sreg for len bytes, and the union of their taint. */
static const uint8_t *reg_read(ev *e, uint8_t sreg, unsigned len, uint8_t *ret_taint)
{
        int w = sa_nft_reg_word(sreg);
        uint8_t t = 0;

        if (w < 0 || len > SA_NFT_DATA_MAX || w * 4 + len > sizeof(e->d)) {
                unknown(e, "a register out of range");
                return NULL;
        }
        for (unsigned i = 0; i < len; i++)
                t |= e->taint[w * 4 + i];
        *ret_taint = t;
        return e->d + w * 4;
}

static bool eval_payload(ev *e, const sa_nft_expr *x)
{
        const uint8_t *hdr, *ht;
        unsigned hl;

        if (!x->dreg) {
                unknown(e, "a payload write (packet mangling)");
                return false;
        }
        if (x->a == NFT_PAYLOAD_NETWORK_HEADER)
                hdr = e->nh, ht = e->nh_t, hl = e->nh_len;
        else if (x->a == NFT_PAYLOAD_TRANSPORT_HEADER)
                hdr = e->th, ht = e->th_t, hl = e->th_len;
        else {
                unknown(e, "a match on the %s header", x->a == NFT_PAYLOAD_LL_HEADER ? "link-layer" : "inner");
                return false;
        }
        if (!x->len || x->b + x->len > hl) {
                if (x->a == NFT_PAYLOAD_NETWORK_HEADER)
                        return false;   /* beyond the packet: the kernel breaks */
                unknown(e, "a match on the packet's payload (@th,%u,%u)", x->b * 8, x->len * 8u);
                return false;
        }
        return reg_write_t(e, x->dreg, hdr + x->b, x->len, ht + x->b, 0);
}

static bool eval_meta(ev *e, const sa_nft_expr *x)
{
        const sa_nft_packet *p = e->pkt;
        uint8_t v[16] = { 0 };
        unsigned len = 4;
        uint8_t t = 0;
        uint32_t u;
        uint16_t h;

        if (!x->dreg) {
                uint8_t rt;
                const uint8_t *s = reg_read(e, x->sreg, 4, &rt);

                if (!s)
                        return false;
                if (x->a == NFT_META_MARK && !rt)
                        memcpy(&e->mark, s, 4);
                else if (x->a != NFT_META_NFTRACE && x->a != NFT_META_PRIORITY) {
                        unknown(e, "meta set of key %u", x->a);
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
                break;
        case NFT_META_IIF:
                memcpy(v, &p->iif, 4);
                t = p->iif ? 0 : T_OTHER;
                break;
        case NFT_META_OIF: case NFT_META_PKTTYPE: case NFT_META_SECPATH:
                break;                  /* 0: no output device, PACKET_HOST, no IPsec */
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
                unknown(e, "meta key %u is not evaluated", u);
                return false;
        }
        return reg_write(e, x->dreg, v, len, t);
}

static bool eval_ct(ev *e, const sa_nft_expr *x)
{
        uint32_t v = 0;

        if (!x->dreg) {
                uint8_t rt;
                const uint8_t *s = reg_read(e, x->sreg, 4, &rt);

                if (!s)
                        return false;
                if (x->a == NFT_CT_MARK && !rt) {
                        memcpy(&e->ctmark, s, 4);
                        return true;
                }
                unknown(e, "ct set of key %u", x->a);
                return false;
        }
        switch (x->a) {
        case NFT_CT_STATE: v = 1u << (IP_CT_NEW + 1); break;
        case NFT_CT_DIRECTION: v = 0; break;    /* original */
        case NFT_CT_STATUS: v = e->ctstatus; break;
        case NFT_CT_MARK: v = e->ctmark; break;
        default:
                unknown(e, "ct key %u is not evaluated", x->a);
                return false;
        }
        return reg_write(e, x->dreg, (const uint8_t *) &v, x->a == NFT_CT_DIRECTION ? 1 : 4, 0);
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
        o = decide(e, 2);

        sa_nft_render_match(&e->src, e->rs, e->table, x, (int) o, text, sizeof(text));
        condition(e, text);
        return o == 0;
}

static bool eval_compare(ev *e, const sa_nft_expr *x)
{
        uint8_t t;
        const uint8_t *s = reg_read(e, x->sreg, x->len, &t);
        char text[SA_NFT_TEXT_MAX];

        if (!s)
                return false;
        if (t & T_OTHER) {
                sa_nft_render_match(&e->src, e->rs, e->table, x, 0, text, sizeof(text));
                unknown(e, "\"%s\" depends on a packet field not modelled", text);
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

static bool eval_bitwise(ev *e, const sa_nft_expr *x)
{
        uint8_t t, out[SA_NFT_DATA_MAX], ot[SA_NFT_DATA_MAX];
        const uint8_t *s = reg_read(e, x->sreg, x->len, &t);

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
        return reg_write(e, x->dreg, out, x->len, t);
}

/* As the kernel's nft_byteorder_eval: on 32-bit words for sizes 2 and 4. */
static bool eval_byteorder(ev *e, const sa_nft_expr *x)
{
        uint8_t t, out[SA_NFT_DATA_MAX] = { 0 };
        const uint8_t *s = reg_read(e, x->sreg, x->len, &t);

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
                unknown(e, "byteorder of size %u", x->a);
                return false;
        }
        return reg_write(e, x->dreg, out, x->len, t);
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
                reg_write(e, x->dreg, el->data, s->data_len, 0);
        }
}

static bool eval_lookup(ev *e, const sa_nft_expr *x)
{
        int si = sa_nft_find_set(e->rs, e->table, x->chain ? x->chain : "");
        const sa_nft_set *s;
        const uint8_t *k;
        uint8_t t, wt[SA_NFT_DATA_MAX];
        char text[SA_NFT_TEXT_MAX], key[SA_NFT_TEXT_MAX];
        int cand[MAP_CANDIDATES_MAX], nc = 0, w0;
        unsigned o;

        if (si < 0) {
                unknown(e, "a lookup in set %s, which the dump did not hold", x->chain ? x->chain : "?");
                return false;
        }
        s = &e->rs->sets[si];
        if (s->flags & NFT_SET_EVAL) {
                unknown(e, "a lookup in the dynamic set @%s (packets add its elements)", s->name);
                return false;
        }
        k = reg_read(e, x->sreg, s->key_len, &t);
        if (!k)
                return false;
        if (t & T_OTHER) {
                sa_nft_render_match(&e->src, e->rs, e->table, x, 0, text, sizeof(text));
                unknown(e, "\"%s\" depends on a packet field not modelled", text);
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
                                unknown(e, "a map on the source with more than %d elements (@%s)",
                                        MAP_CANDIDATES_MAX, s->name);
                                return false;
                        }
                        cand[nc++] = (int) i;
                }
        o = decide(e, (unsigned) nc + 1);
        sa_nft_render_match(&e->src, e->rs, e->table, x, 0, text, sizeof(text));
        if (o == (unsigned) nc) {
                sa_appendf(text, sizeof(text), " (no element)");
                condition(e, text);
                return false;
        }
        sa_nft_render_key(&e->src, e->rs, x, s->elems[cand[o]].key, key, sizeof(key));
        sa_appendf(text, sizeof(text), " (element %s%s)", key,
            s->elems[cand[o]].has_key_end || (s->flags & NFT_SET_INTERVAL) ? " on" : "");
        condition(e, text);
        map_result(e, x, s, &s->elems[cand[o]]);
        return true;
}

/* A destination NAT in prerouting: port (0: unchanged) for the chains after it, rule r as `via`. */
static void dnat_to(ev *e, uint16_t port, const sa_nft_rule *r)
{
        e->verdict = NF_ACCEPT;
        if (!e->prerouting)
                return;
        if (port) {
                e->dport = port;
                e->th[2] = (uint8_t) (port >> 8), e->th[3] = (uint8_t) port;
        }
        e->dnat_done = true;
        e->ctstatus |= 0x20 | 0x100;    /* IPS_DST_NAT, IPS_DST_NAT_DONE */
        sa_nft_render_rule(e->rs, r, e->src.family, e->path->via, sizeof(e->path->via));
}

/* DNAT, redirect: the destination port changes for the chains after it. */
static void eval_nat(ev *e, const sa_nft_expr *x, const sa_nft_rule *r)
{
        const uint8_t *p = NULL;
        uint8_t t;

        e->verdict = NF_ACCEPT;
        if ((x->kind == SA_NFT_X_NAT && x->a != NFT_NAT_DNAT) || x->kind == SA_NFT_X_MASQ)
                return;
        if (x->sreg2 && !(p = reg_read(e, x->sreg2, 2, &t)))
                return;
        dnat_to(e, p ? (uint16_t) (p[0] << 8 | p[1]) : 0, r);
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
                case SA_NFT_X_PAYLOAD: ok = eval_payload(e, x); break;
                case SA_NFT_X_META: ok = eval_meta(e, x); break;
                case SA_NFT_X_CT: ok = eval_ct(e, x); break;
                case SA_NFT_X_CMP: case SA_NFT_X_RANGE: ok = eval_compare(e, x); break;
                case SA_NFT_X_BITWISE: ok = eval_bitwise(e, x); break;
                case SA_NFT_X_BYTEORDER: ok = eval_byteorder(e, x); break;
                case SA_NFT_X_LOOKUP: ok = eval_lookup(e, x); break;
                case SA_NFT_X_IMMEDIATE:
                        if (x->dreg == NFT_REG_VERDICT) {
                                e->verdict = x->verdict;
                                e->vchain = x->chain;
                        } else {
                                ok = reg_write(e, x->dreg, x->data, x->len, 0);
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
                        int m = sa_nft_xt_eval(x, e->pkt, e->dport, &o);

                        if (m == SA_NFT_XT_UNKNOWN)
                                unknown(e, "%s", o.text);
                        else if (m == SA_NFT_XT_SOURCE && e->probing) {
                                ok = true;
                        } else if (m == SA_NFT_XT_SOURCE) {
                                unsigned c = decide(e, 2);
                                char text[SA_NFT_TEXT_MAX];

                                snprintf(text, sizeof(text), "%s%s", c ? "not " : "", o.text);
                                condition(e, text);
                                ok = c == 0;
                        } else if (m == SA_NFT_XT_VERDICT && o.nat) {
                                dnat_to(e, o.nat_port, r);
                        } else if (m == SA_NFT_XT_VERDICT) {
                                e->verdict = o.verdict;
                                e->rejected = o.reject;
                        } else {
                                ok = m == SA_NFT_XT_MATCH || m == SA_NFT_XT_CONTINUE;
                        }
                        break;
                }
                default:
                        unknown(e, "the \"%s\" expression is not evaluated", x->name);
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
                        unknown(e, "more than %u rules on one path", STEPS_MAX);
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
                                unknown(e, target < 0 ? "a jump to a chain the dump did not hold"
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
                        unknown(e, "verdict %s", (v & NF_VERDICT_MASK) == NF_QUEUE ? "queue (userspace decides)"
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

/* One run along the current decisions into *path. */
static void run_path(ev *e, sa_nft_path *path)
{
        static const uint32_t hooks[] = { NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN };
        uint32_t chains[256];
        sa_nft_verdict v = SA_NFT_ACCEPT;

        memset(path, 0, sizeof(*path));
        e->path = path;
        e->pos = 0;
        e->unknown = false;
        e->dnat_done = false;
        e->mark = e->ctmark = e->ctstatus = e->steps = 0;
        e->dport = e->pkt->dport;
        memset(e->d, 0, sizeof(e->d));
        memset(e->taint, 0, sizeof(e->taint));
        build_packet(e);
        for (unsigned h = 0; h < 2 && v == SA_NFT_ACCEPT; h++) {
                unsigned n = hook_chains(e->rs, e->pkt->family, hooks[h], chains, 256);

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
