/* SPDX-License-Identifier: MIT */
/*
 * The who/list reply, streamed listener by listener into bounded text
 * (listreply.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listreply.h"
#include "redact.h"
#include "refindex.h"
#include "replybuf.h"
#include "util.h"

/* Room kept for what follows the listeners: scan time, stale and truncation marks. */
#define TAIL_RESERVE 4096u

/* Process records' text, written once per reply: a process that holds
 * 19,000 sockets is serialized once, not 19,000 times. Bounded. */
#define PROC_SLOTS 4096u                        /* power of two; at most half used */
#define PROC_BYTES (8u * 1024u * 1024u)

typedef struct proc_text {
        const sa_process *p;
        char *text;                             /* its record, compact, with its final '}' */
        size_t len;
} proc_text;

/* Exposure records' text, written once per reply for listeners alike in
 * sa_exposure_key (38,000 wildcard listeners of one namespace share one). */
#define EXPO_SLOTS 256u                         /* power of two; at most half used */

typedef struct expo_text {
        sa_exposure_key key;
        char *text;                             /* NULL: empty slot */
        size_t len;
} expo_text;

/* The records' texts: one reply's, or kept across replies (listreply_texts_new()). */
struct listreply_texts {
        proc_text *procs;                       /* PROC_SLOTS, or NULL when out of memory */
        size_t n_procs, proc_bytes;
        expo_text *expos;                       /* EXPO_SLOTS, or NULL when out of memory */
        size_t n_expos;
        uint64_t gen;                           /* kept: the generation they were written for */
        bool redacted;
        const sa_json_limits *lim;
};

/* What one reply is written with. */
typedef struct writer {
        replybuf *b;
        const listreply_opts *o;
        const sa_json_limits *lim;
        listreply_texts *t;                     /* o->texts, or own */
        listreply_texts own;
        char *scratch[2];                       /* 0: the listener's shell, 1: a piece of it */
        size_t scratch_size[2];
        /* compact form: "processes" and "exposures", their records comma-separated */
        replybuf side[2];
        refindex index[2];                      /* by process pointer, by sa_exposure_key */
} writer;

enum { SIDE_PROCS, SIDE_EXPOS };

/* j's compact text into scratch k (grown to fit): *ret_text, valid until
 * the next dump into k. j is consumed. -ENOMEM. */
static int dump(writer *w, unsigned k, json_t *j, const char **ret_text, size_t *ret_len)
{
        size_t n;

        if (!j)
                return -ENOMEM;
        n = json_dumpb(j, w->scratch[k], w->scratch_size[k], JSON_COMPACT);
        if (n > w->scratch_size[k]) {
                char *s = realloc(w->scratch[k], n);

                if (!s) {
                        json_decref(j);
                        return -ENOMEM;
                }
                w->scratch[k] = s;
                w->scratch_size[k] = n;
                n = json_dumpb(j, s, n, JSON_COMPACT);
        }
        json_decref(j);
        if (n == 0)
                return -ENOMEM;
        *ret_text = w->scratch[k];
        *ret_len = n;
        return 0;
}

/*
 * A piece's text written by fn (sa_listener_shell_text() or
 * sa_holder_hold_text(): obj is its listener or holder) into scratch k,
 * grown to fit: *ret_text, valid until the next use of k. -ENOMEM.
 */
static int piece(writer *w, unsigned k, size_t (*fn)(const void *obj, const sa_json_limits *lim, char *buf,
                                                    size_t size),
                const void *obj, const char **ret_text, size_t *ret_len)
{
        size_t n = fn(obj, w->lim, w->scratch[k], w->scratch_size[k]);

        if (n > w->scratch_size[k]) {
                char *s = realloc(w->scratch[k], n);

                if (!s)
                        return -ENOMEM;
                w->scratch[k] = s;
                w->scratch_size[k] = n;
                n = fn(obj, w->lim, s, n);
        }
        if (n == 0)
                return -ENOMEM;
        *ret_text = w->scratch[k];
        *ret_len = n;
        return 0;
}

static size_t shell_text(const void *l, const sa_json_limits *lim, char *buf, size_t size)
{
        return sa_listener_shell_text(l, lim, buf, size);
}

static size_t hold_text(const void *h, const sa_json_limits *lim, char *buf, size_t size)
{
        return sa_holder_hold_text(h, buf, size);
}

static uint64_t proc_hash(const sa_process *p)
{
        return ((uintptr_t) p >> 4) * UINT64_C(0x9e3779b97f4a7c15) >> 20;
}

static size_t proc_slot(const sa_process *p)
{
        return (size_t) proc_hash(p) & (PROC_SLOTS - 1);
}

/* p's record as text (redacted if asked): kept when there is room, else in scratch 1. */
static int proc_record(writer *w, const sa_process *p, const char **ret_text, size_t *ret_len)
{
        size_t k = proc_slot(p);
        json_t *j;
        int r;

        if (w->t->procs) {
                for (; w->t->procs[k].p; k = (k + 1) & (PROC_SLOTS - 1))
                        if (w->t->procs[k].p == p) {
                                *ret_text = w->t->procs[k].text;
                                *ret_len = w->t->procs[k].len;
                                return 0;
                        }
        }
        j = sa_process_to_json_limited(p, w->lim);
        if (j && w->o->redacted && redact_cmdlines(j) < 0)
                json_decref(TAKE_PTR(j));
        r = dump(w, 1, j, ret_text, ret_len);
        if (r < 0)
                return r;
        if (w->t->procs && w->t->n_procs < PROC_SLOTS / 2 && w->t->proc_bytes + *ret_len <= PROC_BYTES) {
                char *copy = malloc(*ret_len);

                if (copy) {
                        memcpy(copy, *ret_text, *ret_len);
                        w->t->procs[k] = (proc_text) { p, copy, *ret_len };
                        w->t->n_procs++;
                        w->t->proc_bytes += *ret_len;
                        *ret_text = copy;
                }
        }
        return 0;
}

static uint64_t expo_hash(const sa_exposure_key *k)
{
        uint64_t h = UINT64_C(1469598103934665603);     /* FNV-1a */
        const unsigned char *b = (const unsigned char *) k;

        for (size_t i = 0; i < sizeof *k; i++)
                h = (h ^ b[i]) * UINT64_C(1099511628211);
        return h >> 32;
}

/* l's exposure record as text: kept when there is room, else in scratch 1. */
static int expo_record(writer *w, const sa_listener *l, const char **ret_text, size_t *ret_len)
{
        sa_exposure_key key;
        size_t k;
        int r;

        sa_listener_exposure_key(l, &key);
        k = (size_t) expo_hash(&key) & (EXPO_SLOTS - 1);
        if (w->t->expos)
                for (; w->t->expos[k].text; k = (k + 1) & (EXPO_SLOTS - 1))
                        if (memcmp(&w->t->expos[k].key, &key, sizeof key) == 0) {
                                *ret_text = w->t->expos[k].text;
                                *ret_len = w->t->expos[k].len;
                                return 0;
                        }
        r = dump(w, 1, sa_listener_exposure_to_json(l), ret_text, ret_len);
        if (r < 0 || !w->t->expos || w->t->n_expos >= EXPO_SLOTS / 2)
                return r;
        char *copy = malloc(*ret_len);
        if (copy) {
                memcpy(copy, *ret_text, *ret_len);
                w->t->expos[k] = (expo_text) { key, copy, *ret_len };
                w->t->n_expos++;
                *ret_text = copy;
        }
        return 0;
}

/*
 * The index of a record in side k (key: its refindex key, hash its hash);
 * a new one's text, from fn, is appended there. -ENOMEM, -E2BIG.
 */
static int side_ref(writer *w, unsigned k, const void *key, uint64_t hash,
                    int (*fn)(writer *w, const void *obj, const char **ret_text, size_t *ret_len),
                    const void *obj, size_t *ret)
{
        const char *text;
        size_t len;
        int r = refindex_get(&w->index[k], key, hash, ret);

        if (r != 0)
                return r < 0 ? r : 0;
        r = fn(w, obj, &text, &len);
        if (r >= 0 && *ret > 0)
                r = replybuf_add(&w->side[k], ",", 1);
        if (r >= 0)
                r = replybuf_add(&w->side[k], text, len);
        /* A record not written is not indexed: the listener fails, and is rolled back whole. */
        return r;
}

static int proc_piece(writer *w, const void *p, const char **ret_text, size_t *ret_len)
{
        return proc_record(w, p, ret_text, ret_len);
}

static int expo_piece(writer *w, const void *l, const char **ret_text, size_t *ret_len)
{
        return expo_record(w, l, ret_text, ret_len);
}

/* Index of p in "processes": -ENOMEM, -E2BIG. */
static int proc_index(writer *w, const sa_process *p, size_t *ret)
{
        return side_ref(w, SIDE_PROCS, &p, proc_hash(p), proc_piece, p, ret);
}

/* Index of l's exposure in "exposures": -ENOMEM, -E2BIG. */
static int expo_index(writer *w, const sa_listener *l, size_t *ret)
{
        sa_exposure_key key;

        sa_listener_exposure_key(l, &key);
        return side_ref(w, SIDE_EXPOS, &key, expo_hash(&key), expo_piece, l, ret);
}

/* One owner of the compact form: {"process":I, then the hold's members. */
static int add_owner_ref(writer *w, const sa_holder *h)
{
        const char *hold;
        char ref[40];
        size_t i, hold_len;
        int r = proc_index(w, h->proc, &i);

        if (r >= 0) {
                snprintf(ref, sizeof ref, "{\"process\":%zu,", i);
                r = replybuf_add_str(w->b, ref);
        }
        if (r >= 0)
                r = piece(w, 1, hold_text, h, &hold, &hold_len);
        if (r >= 0)
                r = replybuf_add(w->b, hold + 1, hold_len - 1);
        return r;
}

/* One owner: its process record with the hold's members after its own. */
static int add_owner(writer *w, const sa_holder *h)
{
        const char *text, *hold;
        size_t len, hold_len;
        int r = proc_record(w, h->proc, &text, &len);

        /* Both are objects with members: "{...}" and "{...}" make "{...,...}". */
        if (r >= 0)
                r = replybuf_add(w->b, text, len - 1);
        if (r >= 0)
                r = piece(w, 1, hold_text, h, &hold, &hold_len);
        if (r >= 0)
                r = replybuf_add(w->b, ",", 1);
        if (r >= 0)
                r = replybuf_add(w->b, hold + 1, hold_len - 1);
        return r;
}

/* The record's end: `reachability` and `tls` when the daemon has them (o->reach_of, o->tls_of), then "}". */
static int add_end(writer *w, const sa_listener *l)
{
        const json_t *tls = w->o->tls_of ? w->o->tls_of(w->o->tls_userdata, l) : NULL;
        const json_t *reach = w->o->reach_of ? w->o->reach_of(w->o->reach_userdata, l) : NULL;
        int r = 0;

        if (reach) {
                r = replybuf_add_str(w->b, ",\"reachability\":");
                if (r >= 0)
                        r = replybuf_add_json(w->b, reach);
        }
        if (tls && r >= 0) {
                r = replybuf_add_str(w->b, ",\"tls\":");
                if (r >= 0)
                        r = replybuf_add_json(w->b, tls);
        }
        return r >= 0 ? replybuf_add(w->b, "}", 1) : r;
}

/* One listener's record, as sa_listener_to_json_limited() would write it:
 * its shell with the owners and the exposure put in. */
static int add_record(writer *w, const sa_listener *l)
{
        static const char placeholder[] = "\"owners\":null";
        static const char expo_end[] = "\"exposure\":null}";
        const size_t ph = sizeof placeholder - 1, ee = sizeof expo_end - 1;
        size_t shown = sa_listener_owners_shown(l, w->lim), len, at, expo_len;
        const char *shell, *p, *expo;
        int r = piece(w, 0, shell_text, l, &shell, &len);

        if (r < 0)
                return r;
        /* The exposure is the last member: the shell ends with it, null. */
        if (len < ee || memcmp(shell + len - ee, expo_end, ee) != 0)
                return -EINVAL;
        /* Inside a JSON string every '"' is escaped: the first match is the member. */
        p = memmem(shell, len, placeholder, ph);
        if (!p)
                return -EINVAL;
        at = (size_t) (p - shell) + ph - 4;     /* just before "null" */
        r = replybuf_add(w->b, shell, at);
        if (r >= 0)
                r = replybuf_add(w->b, "[", 1);
        for (size_t i = 0; r >= 0 && i < shown; i++) {
                if (i > 0)
                        r = replybuf_add(w->b, ",", 1);
                if (r >= 0)
                        r = w->o->compact ? add_owner_ref(w, &l->holders[i]) : add_owner(w, &l->holders[i]);
        }
        if (r >= 0)
                r = replybuf_add(w->b, "]", 1);
        if (r >= 0)
                r = replybuf_add(w->b, shell + at + 4, len - at - 4 - 5);      /* up to "null}" */
        if (r >= 0 && w->o->compact) {
                char ref[32];
                size_t i;

                r = expo_index(w, l, &i);
                if (r >= 0) {
                        snprintf(ref, sizeof ref, "%zu", i);
                        r = replybuf_add_str(w->b, ref);
                }
                return r >= 0 ? add_end(w, l) : r;
        }
        if (r >= 0)
                r = expo_record(w, l, &expo, &expo_len);
        if (r >= 0)
                r = replybuf_add(w->b, expo, expo_len);
        return r >= 0 ? add_end(w, l) : r;
}

static void truncate_to(replybuf *b, size_t len)
{
        b->len = len;
        if (b->data)
                b->data[len] = '\0';
}

/*
 * One listener, after a comma unless first, in at most room bytes with the
 * processes and exposures it is the first to refer to (compact form);
 * -E2BIG (or any failure) leaves the reply, its side texts and their
 * indexes as they were.
 */
static int add_listener(writer *w, const sa_listener *l, bool first, size_t room)
{
        size_t len = w->b->len, side_len[2] = { w->side[0].len, w->side[1].len };
        size_t n_index[2] = { w->index[0].n, w->index[1].n };
        int r;

        w->b->max = room > side_len[0] + side_len[1] ? room - side_len[0] - side_len[1] : 0;
        w->side[0].max = w->side[1].max = room;
        r = first ? 0 : replybuf_add(w->b, ",", 1);
        if (r >= 0)
                r = add_record(w, l);
        if (r >= 0 && w->b->len + w->side[0].len + w->side[1].len > room)
                r = -E2BIG;
        if (r < 0) {
                truncate_to(w->b, len);
                for (unsigned k = 0; k < 2; k++) {
                        truncate_to(&w->side[k], side_len[k]);
                        refindex_forget_from(&w->index[k], n_index[k]);
                }
        }
        return r;
}

/* Empties t: its texts freed, its tables kept. */
static void texts_clear(listreply_texts *t)
{
        for (size_t i = 0; t->procs && i < PROC_SLOTS; i++)
                free(t->procs[i].text);
        if (t->procs)
                memset(t->procs, 0, PROC_SLOTS * sizeof *t->procs);
        for (size_t i = 0; t->expos && i < EXPO_SLOTS; i++)
                free(t->expos[i].text);
        if (t->expos)
                memset(t->expos, 0, EXPO_SLOTS * sizeof *t->expos);
        t->n_procs = t->proc_bytes = t->n_expos = 0;
}

/* t's tables, allocated when missing (NULL stays NULL when out of memory: nothing kept). */
static void texts_alloc(listreply_texts *t)
{
        if (!t->procs)
                t->procs = calloc(PROC_SLOTS, sizeof(proc_text));
        if (!t->expos)
                t->expos = calloc(EXPO_SLOTS, sizeof(expo_text));
}

listreply_texts *listreply_texts_new(void)
{
        return calloc(1, sizeof(listreply_texts));
}

listreply_texts *listreply_texts_free(listreply_texts *t)
{
        if (t) {
                texts_clear(t);
                free(t->procs);
                free(t->expos);
                free(t);
        }
        return NULL;
}

/* The texts w writes with: o->texts when they were written alike (else emptied first), or its own. */
static void writer_texts(writer *w)
{
        listreply_texts *t = w->o->texts;

        if (!t) {
                w->t = &w->own;
        } else if (t->gen != w->o->texts_gen || t->redacted != w->o->redacted || t->lim != w->lim) {
                texts_clear(t);
                *t = (listreply_texts) { .procs = t->procs, .expos = t->expos, .gen = w->o->texts_gen,
                                         .redacted = w->o->redacted, .lim = w->lim };
                w->t = t;
        } else
                w->t = t;
        texts_alloc(w->t);
}

static void writer_done(writer *w)
{
        texts_clear(&w->own);
        free(w->own.procs);
        free(w->own.expos);
        free(w->scratch[0]);
        free(w->scratch[1]);
        for (unsigned k = 0; k < 2; k++) {
                refindex_done(&w->index[k]);
                replybuf_done(&w->side[k]);
        }
}

/* "key":value for a JSON value (consumed); -ENOMEM. */
static int add_member(replybuf *b, const char *key, json_t *value)
{
        int r;

        if (!value)
                return -ENOMEM;
        r = replybuf_add_str(b, ",\"");
        if (r >= 0)
                r = replybuf_add_str(b, key);
        if (r >= 0)
                r = replybuf_add_str(b, "\":");
        if (r >= 0)
                r = replybuf_add_json(b, value);
        json_decref(value);
        return r;
}

int listreply_build(const sa_snapshot *snap, const listreply_opts *o, char **ret_text, size_t *ret_len)
{
        size_t max = o->max ? o->max : REPLY_MAX_BYTES, omitted = 0, shown = 0;
        char head[96], when[64];
        replybuf b;
        writer w = {
                .b = &b, .o = o, .lim = o->limits ? o->limits : &sa_json_limits_default,
        };
        int r;

        writer_texts(&w);

        if (max <= TAIL_RESERVE) {
                writer_done(&w);
                return -EINVAL;
        }
        /* The listeners (with the compact form's processes and exposures) get all but the reserve; the tail may use it. */
        replybuf_init(&b, max - TAIL_RESERVE);
        for (unsigned k = 0; k < 2; k++)
                replybuf_init(&w.side[k], max - TAIL_RESERVE);
        refindex_init(&w.index[SIDE_PROCS], sizeof(const sa_process *));
        refindex_init(&w.index[SIDE_EXPOS], sizeof(sa_exposure_key));
        if (o->who)
                snprintf(head, sizeof head, "{\"ok\":true,%s\"port\":%u,\"listeners\":[",
                         o->compact ? "\"form\":\"compact\"," : "", o->filter ? (unsigned) o->filter->port : 0u);
        else
                snprintf(head, sizeof head, "{\"ok\":true,%s\"listeners\":[",
                         o->compact ? "\"form\":\"compact\"," : "");
        r = replybuf_add_str(&b, head);
        for (size_t i = 0; r >= 0 && i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];

                if (!sa_listener_match(l, o->filter))
                        continue;
                if (omitted == 0) {
                        r = add_listener(&w, l, shown == 0, max - TAIL_RESERVE);
                        if (r >= 0) {
                                shown++;
                                continue;
                        }
                        if (r != -E2BIG)
                                break;
                        r = 0;
                }
                omitted++;
        }
        b.max = max - 2;
        if (r >= 0)
                r = replybuf_add_str(&b, "]");
        for (unsigned k = 0; r >= 0 && o->compact && k < 2; k++) {
                r = replybuf_add_str(&b, k == SIDE_PROCS ? ",\"processes\":[" : ",\"exposures\":[");
                if (r >= 0)
                        r = replybuf_add(&b, w.side[k].data ? w.side[k].data : "", w.side[k].len);
                if (r >= 0)
                        r = replybuf_add_str(&b, "]");
        }
        if (r >= 0)
                r = add_member(&b, "scan_time", json_string(sa_format_time(&snap->taken, when, sizeof when)));
        if (r >= 0 && o->stale_why) {
                r = add_member(&b, "stale", json_true());
                if (r >= 0)
                        r = add_member(&b, "stale_reason", json_string(o->stale_why));
        }
        if (r >= 0 && omitted > 0) {
                char why[128];

                snprintf(why, sizeof why, "the reply reached its bound of %zu bytes", max);
                r = add_member(&b, "truncated", json_true());
                if (r >= 0)
                        r = add_member(&b, "truncated_reason", json_string(why));
                if (r >= 0)
                        r = add_member(&b, "listeners_omitted", json_integer((json_int_t) omitted));
        }
        b.max = max;
        if (r >= 0)
                r = replybuf_add(&b, "}\n", 2);
        if (r >= 0) {
                *ret_text = replybuf_take(&b, ret_len);
                r = *ret_text ? 0 : -ENOMEM;
        }
        replybuf_done(&b);
        writer_done(&w);
        if (r >= 0)
                replybuf_give_back(*ret_len);
        return r < 0 ? -ENOMEM : 0;
}
