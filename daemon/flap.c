/* SPDX-License-Identifier: MIT */
/* Flapping listeners (flap.h): transitions counted per key and window. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flap.h"

typedef struct flap_entry {
        uint64_t netns;
        uint8_t proto;
        uint16_t port;
        char *program;
        sa_listener last;          /* identity only: holders NULL */
        uint64_t start;            /* CLOCK_MONOTONIC of the first transition */
        uint64_t opens, closes, suppressed;
        struct timespec first, last_time;
        bool shown_open;
} flap_entry;

struct flap {
        flap_entry *items;         /* sorted by key */
        size_t n, cap, max_keys;
        uint64_t window_usec;
        unsigned free_transitions;
        uint64_t suppressed, windows, untracked;
};

flap *flap_new(uint64_t window_usec, unsigned free_transitions, size_t max_keys)
{
        flap *f = calloc(1, sizeof *f);

        if (!f)
                return NULL;
        f->window_usec = window_usec ?: FLAP_WINDOW_USEC;
        f->free_transitions = free_transitions;
        f->max_keys = max_keys ?: FLAP_KEYS_MAX;
        return f;
}

flap *flap_free(flap *f)
{
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n; i++)
                free(f->items[i].program);
        free(f->items);
        free(f);
        return NULL;
}

static int key_cmp(const flap_key *k, const flap_entry *e)
{
        if (k->netns != e->netns)
                return k->netns < e->netns ? -1 : 1;
        if (k->proto != e->proto)
                return k->proto < e->proto ? -1 : 1;
        if (k->port != e->port)
                return k->port < e->port ? -1 : 1;
        return strcmp(k->program ? k->program : "", e->program);
}

/* Index of k, or where it would go (*found false). */
static size_t find(const flap *f, const flap_key *k, bool *found)
{
        size_t lo = 0, hi = f->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = key_cmp(k, &f->items[mid]);
                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        *found = false;
        return lo;
}

static int insert(flap *f, size_t at, const flap_key *k, const sa_listener *l, uint64_t now,
                  const struct timespec *when)
{
        char *program = strdup(k->program ? k->program : "");

        if (!program || sa_grow((void **) &f->items, &f->cap, f->n, sizeof *f->items) < 0) {
                free(program);
                return -ENOMEM;
        }
        memmove(&f->items[at + 1], &f->items[at], (f->n - at) * sizeof *f->items);
        f->items[at] = (flap_entry) {
                .netns = k->netns, .proto = k->proto, .port = k->port, .program = program,
                .start = now, .first = *when,
        };
        f->items[at].last = *l;
        f->items[at].last.holders = NULL;
        f->items[at].last.n_holders = 0;
        f->n++;
        return 0;
}

bool flap_note(flap *f, const flap_key *k, const sa_listener *l, bool open, uint64_t now,
               const struct timespec *when)
{
        bool found;
        size_t i = find(f, k, &found);
        flap_entry *e;

        if (found && now - f->items[i].start >= f->window_usec) {
                /* Over (no summary was due, or flap_expire() was not called): a new window. */
                free(f->items[i].program);
                memmove(&f->items[i], &f->items[i + 1], (f->n - i - 1) * sizeof *f->items);
                f->n--;
                found = false;
        }
        if (!found) {
                if (f->n >= f->max_keys || insert(f, i, k, l, now, when) < 0) {
                        f->untracked++;
                        return true;
                }
        }
        e = &f->items[i];
        if (open)
                e->opens++;
        else
                e->closes++;
        e->last_time = *when;
        e->last = *l;
        e->last.holders = NULL;
        e->last.n_holders = 0;
        if (e->opens + e->closes > f->free_transitions) {
                e->suppressed++;
                f->suppressed++;
                return false;
        }
        e->shown_open = open;
        return true;
}

void flap_count_suppressed(flap *f)
{
        f->suppressed++;
}

bool flap_suppressing(const flap *f, const flap_key *k)
{
        bool found;
        size_t i = find(f, k, &found);

        return found && f->items[i].suppressed > 0;
}

void flap_expire(flap *f, uint64_t now, flap_summary_fn fn, void *userdata)
{
        size_t w = 0;

        for (size_t i = 0; i < f->n; i++) {
                flap_entry *e = &f->items[i];

                if (now - e->start < f->window_usec) {
                        f->items[w++] = *e;
                        continue;
                }
                if (e->suppressed > 0) {
                        flap_summary s = {
                                .key = { .netns = e->netns, .proto = e->proto, .port = e->port,
                                         .program = e->program },
                                .last = &e->last,
                                .opens = e->opens, .closes = e->closes, .suppressed = e->suppressed,
                                .first = e->first, .last_time = e->last_time,
                                .window_usec = f->window_usec, .shown_open = e->shown_open,
                        };
                        f->windows++;
                        if (fn)
                                fn(&s, userdata);
                }
                free(e->program);
        }
        f->n = w;
}

uint64_t flap_next_due(const flap *f)
{
        uint64_t due = 0;

        for (size_t i = 0; i < f->n; i++)
                if (f->items[i].suppressed > 0 && (due == 0 || f->items[i].start + f->window_usec < due))
                        due = f->items[i].start + f->window_usec;
        return due;
}

void flap_get_stats(const flap *f, flap_stats *ret)
{
        size_t flapping = 0;

        for (size_t i = 0; i < f->n; i++)
                flapping += f->items[i].suppressed > 0;
        *ret = (flap_stats) {
                .keys = f->n, .flapping = flapping, .suppressed = f->suppressed,
                .flapping_windows = f->windows, .untracked = f->untracked,
        };
}
