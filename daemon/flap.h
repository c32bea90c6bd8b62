/* SPDX-License-Identifier: MIT */
/*
 * Flapping listeners: the same listener (network namespace, protocol,
 * port, program) opened and closed again and again. Per key, transitions
 * are counted within a window that starts at the key's first one: the
 * first FLAP_FREE of them are shown as usual, later ones are suppressed,
 * and when the window ends a key that had any suppressed gives one
 * summary (opens, closes, first and last time) for a listener_flapping
 * event. Pure bookkeeping: the caller passes the time (CLOCK_MONOTONIC
 * and CLOCK_REALTIME), builds the events and finds what listens now.
 *
 * Bounded: at most max_keys keys; beyond, a key is not tracked (its
 * transitions are shown) and counted in untracked.
 */
#ifndef SAD_FLAP_H
#define SAD_FLAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sockaudit.h"
#include "util.h"

#define FLAP_WINDOW_USEC (10 * USEC_PER_SEC)
/* 5 open/close pairs (a few restarts, a bench's rounds) and the next open: odd, so
 * that holding back starts on a close and never hides a listener the watchers
 * were told closed. 3 held the 2nd close ~9 s (bench sa-fresh, issue 12). */
#define FLAP_FREE        11u
#define FLAP_KEYS_MAX    4096u

typedef struct flap flap;

/* What a key is: borrowed strings. program is the first holder's exe, "" when none. */
typedef struct flap_key {
        uint64_t netns;
        uint8_t proto;
        uint16_t port;
        const char *program;
} flap_key;

/* A window's end for a key that flapped (borrowed until the callback returns). */
typedef struct flap_summary {
        flap_key key;
        const sa_listener *last;   /* the listener as last seen (no holders) */
        uint64_t opens, closes;    /* every transition of the window, shown or not */
        uint64_t suppressed;       /* of those, not shown */
        struct timespec first, last_time; /* CLOCK_REALTIME of the first and last transition */
        uint64_t window_usec;
        bool shown_open;           /* what the watchers last heard: opened (true) or closed */
} flap_summary;

typedef struct flap_stats {
        size_t keys;               /* tracked now */
        size_t flapping;           /* of those, suppressing now */
        uint64_t suppressed;       /* events suppressed since start */
        uint64_t flapping_windows; /* summaries handed out since start */
        uint64_t untracked;        /* transitions of keys beyond max_keys (shown) */
} flap_stats;

/* window_usec 0: FLAP_WINDOW_USEC; max_keys 0: FLAP_KEYS_MAX. Caller frees. NULL on ENOMEM. */
flap *flap_new(uint64_t window_usec, unsigned free_transitions, size_t max_keys);
flap *flap_free(flap *f);

/*
 * A transition of key k: opened (open) or closed, of listener l (its
 * identity is kept, not its holders), at now (CLOCK_MONOTONIC usec) and
 * when (CLOCK_REALTIME). True: show it; false: suppressed (counted).
 * A window that has ended is closed first (flap_expire() hands out its
 * summary, so call it before noting). Out of memory: true (shown).
 */
bool flap_note(flap *f, const flap_key *k, const sa_listener *l, bool open, uint64_t now,
               const struct timespec *when);

/* True while k's events are being suppressed (its window has more than FLAP_FREE transitions). */
bool flap_suppressing(const flap *f, const flap_key *k);

/* One more event suppressed outside flap_note() (an owner change of a suppressing key). */
void flap_count_suppressed(flap *f);

typedef void (*flap_summary_fn)(const flap_summary *s, void *userdata);

/*
 * Ends every window that is over at now: a key that suppressed anything
 * gives fn its summary; every such key is forgotten. O(keys).
 */
void flap_expire(flap *f, uint64_t now, flap_summary_fn fn, void *userdata);

/*
 * CLOCK_MONOTONIC usec when the next window with something suppressed
 * ends (its summary is due), 0 when none. Other keys are forgotten by the
 * next flap_expire() after their window.
 */
uint64_t flap_next_due(const flap *f);

void flap_get_stats(const flap *f, flap_stats *ret);

#endif
