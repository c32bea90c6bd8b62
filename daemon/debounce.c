/* SPDX-License-Identifier: MIT */
/* Short-lived listeners: new ones held for a debounce, those gone meanwhile counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debounce.h"

typedef struct held {
        debounce_key key;
        uint64_t since;            /* CLOCK_MONOTONIC usec when first seen */
        bool violating;
} held;

struct debounce {
        uint64_t hold_usec;
        size_t max_held;
        held *held;                /* in the order they were seen: oldest first */
        size_t n_held, cap_held;

        /* The summary window open now (window_end 0: none). */
        uint64_t window_end;
        uint64_t w_listeners, w_violating;
        uint64_t netns[DEBOUNCE_NETNS_MAX];
        size_t n_netns;
        bool netns_capped;
        debounce_summary w;        /* ports and last, filled as they come */
        char last[256];

        debounce_stats stats;
};

debounce *debounce_new(uint64_t hold_usec, size_t max_held)
{
        debounce *d = calloc(1, sizeof *d);

        if (!d)
                return NULL;
        d->hold_usec = hold_usec ?: DEBOUNCE_USEC;
        d->max_held = max_held ?: DEBOUNCE_HELD_MAX;
        return d;
}

debounce *debounce_free(debounce *d)
{
        if (d) {
                free(d->held);
                free(d);
        }
        return NULL;
}

debounce_key debounce_key_of(const sa_listener *l)
{
        return (debounce_key) { .netns = l->netns, .cookie = l->cookie, .inode = l->inode,
                                .proto = l->proto, .port = l->port };
}

static bool key_eq(const debounce_key *a, const debounce_key *b)
{
        return a->netns == b->netns && a->cookie == b->cookie && a->inode == b->inode &&
               a->proto == b->proto && a->port == b->port;
}

static held *find(const debounce *d, const sa_listener *l)
{
        debounce_key k = debounce_key_of(l);

        for (size_t i = 0; i < d->n_held; i++)
                if (key_eq(&d->held[i].key, &k))
                        return &d->held[i];
        return NULL;
}

bool debounce_hold(debounce *d, const sa_listener *l, uint64_t now)
{
        if (find(d, l))
                return true;
        if (d->n_held >= d->max_held ||
            (d->n_held == d->cap_held &&
             sa_grow((void **) &d->held, &d->cap_held, d->n_held + 1, sizeof *d->held) < 0)) {
                d->stats.overflow++;
                return false;
        }
        d->held[d->n_held++] = (held) { .key = debounce_key_of(l), .since = now };
        return true;
}

bool debounce_holds(const debounce *d, const sa_listener *l)
{
        return find(d, l) != NULL;
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

        if (!h)
                return false;
        k = h->key;
        violating = h->violating;
        memmove(h, h + 1, (size_t) (d->held + d->n_held - (h + 1)) * sizeof *h);
        d->n_held--;
        d->stats.short_lived++;
        d->stats.violating += violating;
        if (d->window_end == 0)
                d->window_end = now + DEBOUNCE_WINDOW_USEC;
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

                if (now - h.since < d->hold_usec) {
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

        /* Oldest first: the first held is the next released. */
        if (d->n_held > 0 && (due == 0 || d->held[0].since + d->hold_usec < due))
                due = d->held[0].since + d->hold_usec;
        return due;
}

void debounce_get_stats(const debounce *d, debounce_stats *ret)
{
        *ret = d->stats;
        ret->held = d->n_held;
}
