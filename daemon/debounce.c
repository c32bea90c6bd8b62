/* SPDX-License-Identifier: MIT */
/* Short-lived listeners: new ones held for a debounce (or their owners' verdicts), those gone meanwhile counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debounce.h"

typedef struct held {
        debounce_key key;
        uint64_t since;            /* CLOCK_MONOTONIC usec when first seen */
        uint64_t until;            /* released from then on */
        bool violating;
        bool verdict;              /* held for its owners' verdicts, not for churn */
} held;

struct debounce {
        uint64_t hold_usec;
        unsigned free_closes;
        size_t max_held;
        held *held;                /* in the order they were seen: oldest first */
        size_t n_held, cap_held;
        held *recent;              /* shown as added less than hold_usec ago: oldest first */
        size_t n_recent, cap_recent;

        /* The summary window open now (window_end 0: none). */
        uint64_t window_end;
        uint64_t w_listeners, w_violating, w_quick;
        uint64_t netns[DEBOUNCE_NETNS_MAX];
        size_t n_netns;
        bool netns_capped;
        debounce_summary w;        /* ports and last, filled as they come */
        char last[256];

        debounce_stats stats;
};

debounce *debounce_new(uint64_t hold_usec, unsigned free_closes, size_t max_held)
{
        debounce *d = calloc(1, sizeof *d);

        if (!d)
                return NULL;
        d->hold_usec = hold_usec ?: DEBOUNCE_USEC;
        d->free_closes = free_closes;
        d->max_held = max_held ?: DEBOUNCE_HELD_MAX;
        return d;
}

debounce *debounce_free(debounce *d)
{
        if (d) {
                free(d->held);
                free(d->recent);
                free(d);
        }
        return NULL;
}

debounce_key debounce_key_of(const sa_listener *l)
{
        return (debounce_key) { .netns = l->netns, .cookie = l->cookie, .inode = l->inode,
                                .proto = l->proto, .port = l->port };
}

bool debounce_key_eq(const debounce_key *a, const debounce_key *b)
{
        return a->netns == b->netns && a->cookie == b->cookie && a->inode == b->inode &&
               a->proto == b->proto && a->port == b->port;
}

static held *find_in(held *items, size_t n, const sa_listener *l)
{
        debounce_key k = debounce_key_of(l);

        for (size_t i = 0; i < n; i++)
                if (debounce_key_eq(&items[i].key, &k))
                        return &items[i];
        return NULL;
}

static held *find(const debounce *d, const sa_listener *l)
{
        return find_in(d->held, d->n_held, l);
}

/* Appends (l, now, until) to a list of at most max: false when full or out of memory. */
static bool list_add(held **items, size_t *n, size_t *cap, size_t max, const sa_listener *l, uint64_t now,
                     uint64_t until)
{
        if (*n >= max || (*n == *cap && sa_grow((void **) items, cap, *n + 1, sizeof **items) < 0))
                return false;
        (*items)[(*n)++] = (held) { .key = debounce_key_of(l), .since = now, .until = until };
        return true;
}

static void list_remove(held *items, size_t *n, held *h)
{
        memmove(h, h + 1, (size_t) (items + *n - (h + 1)) * sizeof *h);
        (*n)--;
}

/* Holding once more than `free` quick closes (free_closes) were seen in the window open now. */
static bool holding(const debounce *d)
{
        return d->free_closes == 0 || d->w_quick > d->free_closes;
}

bool debounce_hold(debounce *d, const sa_listener *l, uint64_t now)
{
        size_t k = 0;

        if (find(d, l))
                return true;
        if (holding(d)) {
                if (list_add(&d->held, &d->n_held, &d->cap_held, d->max_held, l, now, now + d->hold_usec))
                        return true;
                d->stats.overflow++;
                return false;
        }
        /* Shown now; remembered while a close would be a quick one. */
        while (k < d->n_recent && now - d->recent[k].since >= d->hold_usec)
                k++;
        if (k > 0) {
                memmove(d->recent, d->recent + k, (d->n_recent - k) * sizeof *d->recent);
                d->n_recent -= k;
        }
        (void) list_add(&d->recent, &d->n_recent, &d->cap_recent, d->max_held, l, now, now + d->hold_usec);
        return false;
}

bool debounce_holds(const debounce *d, const sa_listener *l)
{
        return find(d, l) != NULL;
}

bool debounce_wait_verdict(debounce *d, const sa_listener *l, uint64_t now, uint64_t wait_usec)
{
        if (find(d, l))
                return true;
        if (!list_add(&d->held, &d->n_held, &d->cap_held, d->max_held, l, now, now + wait_usec)) {
                d->stats.overflow++;
                return false;
        }
        d->held[d->n_held - 1].verdict = true;
        d->stats.verdict_waits++;
        return true;
}

bool debounce_unwait(debounce *d, const sa_listener *l)
{
        held *h = find(d, l);

        if (!h || !h->verdict)
                return false;
        list_remove(d->held, &d->n_held, h);
        return true;
}

void debounce_verdicts_landed(debounce *d, debounce_ready_fn ready, void *userdata)
{
        for (size_t i = 0; i < d->n_held; i++)
                if (d->held[i].verdict && d->held[i].until > 0 && ready(&d->held[i].key, userdata)) {
                        d->held[i].until = 0;
                        d->stats.verdicts_landed++;
                }
}

void debounce_mark_violating(debounce *d, const sa_listener *l)
{
        held *h = find(d, l);

        if (h)
                h->violating = true;
}

/* The window's count of namespaces and ports, bounded. */
static void window_note(debounce *d, const debounce_key *k)
{
        bool seen = false;

        for (size_t i = 0; i < d->n_netns && !seen; i++)
                seen = d->netns[i] == k->netns;
        if (!seen && d->n_netns < DEBOUNCE_NETNS_MAX)
                d->netns[d->n_netns++] = k->netns;
        else if (!seen)
                d->netns_capped = true;
        seen = false;
        for (size_t i = 0; i < d->w.n_ports && !seen; i++)
                seen = d->w.ports[i].port == k->port && d->w.ports[i].proto == k->proto;
        if (!seen && d->w.n_ports < DEBOUNCE_PORTS_MAX) {
                d->w.ports[d->w.n_ports].port = k->port;
                d->w.ports[d->w.n_ports++].proto = k->proto;
        }
}

bool debounce_gone(debounce *d, const sa_listener *l, const char *description, uint64_t now)
{
        held *h = find(d, l);
        debounce_key k;
        bool violating;

        if (!h) {
                h = find_in(d->recent, d->n_recent, l);
                if (!h)
                        return false;
                if (now - h->since < d->hold_usec) {
                        d->w_quick++;
                        d->stats.quick_closes++;
                        if (d->window_end == 0)
                                d->window_end = now + DEBOUNCE_WINDOW_USEC;
                }
                list_remove(d->recent, &d->n_recent, h);
                return false;
        }
        if (d->window_end == 0)
                d->window_end = now + DEBOUNCE_WINDOW_USEC;
        k = h->key;
        violating = h->violating;
        list_remove(d->held, &d->n_held, h);
        d->stats.short_lived++;
        d->stats.violating += violating;
        d->w_listeners++;
        d->w_violating += violating;
        window_note(d, &k);
        /* The last violating one says more than the last one. */
        if (description && (violating || d->w_violating == 0))
                snprintf(d->last, sizeof d->last, "%s", description);
        return true;
}

void debounce_release(debounce *d, uint64_t now, debounce_release_fn fn, void *userdata)
{
        size_t k = 0;

        for (size_t i = 0; i < d->n_held; i++) {
                held h = d->held[i];

                if (now < h.until) {
                        d->held[k++] = h;
                        continue;
                }
                d->stats.released++;
                fn(&h.key, userdata);
        }
        d->n_held = k;
}

void debounce_summarize(debounce *d, uint64_t now, debounce_summary_fn fn, void *userdata)
{
        if (d->window_end == 0 || now < d->window_end)
                return;
        d->w_quick = 0;
        if (d->w_listeners == 0) {
                d->window_end = 0;
                return;
        }
        d->w.listeners = d->w_listeners;
        d->w.violating = d->w_violating;
        d->w.namespaces = d->n_netns;
        d->w.namespaces_capped = d->netns_capped;
        d->w.last = d->last;
        d->w.window_usec = DEBOUNCE_WINDOW_USEC;
        d->stats.summaries++;
        fn(&d->w, userdata);
        d->window_end = 0;
        d->w_listeners = d->w_violating = 0;
        d->n_netns = 0;
        d->netns_capped = false;
        d->w = (debounce_summary) { 0 };
        d->last[0] = '\0';
}

uint64_t debounce_next_due(const debounce *d)
{
        uint64_t due = d->window_end;

        /* Those held for verdicts have their own ends: O(held). */
        for (size_t i = 0; i < d->n_held; i++)
                if (due == 0 || d->held[i].until < due)
                        due = d->held[i].until ?: 1;
        return due;
}

void debounce_get_stats(const debounce *d, debounce_stats *ret)
{
        *ret = d->stats;
        ret->held = d->n_held;
        ret->holding = holding(d);
}
