/* SPDX-License-Identifier: MIT */
/*
 * Short-lived listeners. A window (DEBOUNCE_WINDOW_USEC) opens at the
 * first new listener that closes within hold_usec of being seen (a quick
 * close). Its first free_closes (DEBOUNCE_FREE) quick closes are shown as usual (added, then
 * removed: a quiet host reports a new listener at once); after them, and
 * until the window ends, each new listener is held for hold_usec before
 * its listener_added (and its violations) go out. One that closes
 * meanwhile gives no added/removed pair: it is counted, and the window's
 * count becomes one listeners_short_lived event when it ends. One that
 * stays past the debounce is released and reported as before, so nothing
 * that stays is lost. Apart from churn, a new listener whose owner's
 * package verdict is being made is held until it lands, at most
 * DEBOUNCE_VERDICT_USEC (debounce_wait_verdict). Pure bookkeeping: the caller passes CLOCK_MONOTONIC
 * usec, builds the events and finds what listens now.
 *
 * Bounded: at most max_held listeners held, and as many recent ones
 * remembered (beyond, a new listener is reported at once, and is not
 * remembered), DEBOUNCE_NETNS_MAX distinct namespaces counted per window
 * (beyond, "at least").
 */
#ifndef SAD_DEBOUNCE_H
#define SAD_DEBOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockaudit.h"
#include "util.h"

#define DEBOUNCE_USEC        (1 * USEC_PER_SEC)
#define DEBOUNCE_WINDOW_USEC (10 * USEC_PER_SEC)
#define DEBOUNCE_VERDICT_USEC (2 * USEC_PER_SEC)
#define DEBOUNCE_FREE        4u
#define DEBOUNCE_HELD_MAX    4096u
#define DEBOUNCE_NETNS_MAX   256u
#define DEBOUNCE_PORTS_MAX   8u

typedef struct debounce debounce;

/* A held listener's identity: the same socket (SA_DIFF_BY_SOCKET). */
typedef struct debounce_key {
        uint64_t netns, cookie;
        uint32_t inode;
        uint8_t proto;
        uint16_t port;
} debounce_key;

/* One summary window's count (borrowed until the callback returns). */
typedef struct debounce_summary {
        uint64_t listeners;        /* closed within the debounce in this window */
        uint64_t violating;        /* of those, with a policy violation held back */
        size_t namespaces;         /* distinct namespaces (capped at DEBOUNCE_NETNS_MAX) */
        bool namespaces_capped;    /* more than DEBOUNCE_NETNS_MAX: "at least" */
        struct { uint8_t proto; uint16_t port; } ports[DEBOUNCE_PORTS_MAX];
        size_t n_ports;            /* distinct (port, proto), the first DEBOUNCE_PORTS_MAX */
        const char *last;          /* the last one described, the last violating one if any ("" if unknown) */
        uint64_t window_usec;
} debounce_summary;

typedef struct debounce_stats {
        size_t held;               /* held now */
        uint64_t short_lived;      /* closed within the debounce since start */
        uint64_t violating;        /* of those, with a violation held back */
        uint64_t quick_closes;     /* shown as added, closed within the debounce (before holding began) */
        uint64_t released;         /* stayed past the debounce: reported */
        uint64_t overflow;         /* reported at once: max_held were held */
        uint64_t summaries;        /* windows summarised */
        uint64_t verdict_waits;    /* new listeners held for their owners' verdicts */
        uint64_t verdicts_landed;  /* of those, released when the verdicts came (the rest: at the bound) */
        bool holding;              /* new listeners are held now */
} debounce_stats;

/*
 * hold_usec 0: DEBOUNCE_USEC; free_closes: quick closes shown per window before
 * holding (0: hold from the first one on); max_held 0: DEBOUNCE_HELD_MAX.
 * Caller frees. NULL on ENOMEM.
 */
debounce *debounce_new(uint64_t hold_usec, unsigned free_closes, size_t max_held);
debounce *debounce_free(debounce *d);

debounce_key debounce_key_of(const sa_listener *l);
bool debounce_key_eq(const debounce_key *a, const debounce_key *b);

/*
 * l is new at now. True when held (report nothing yet); false: report it
 * now (not holding, or max_held held), and it is remembered for hold_usec
 * to tell a quick close. O(held).
 */
bool debounce_hold(debounce *d, const sa_listener *l, uint64_t now);

/* True while l is held. O(held). */
bool debounce_holds(const debounce *d, const sa_listener *l);

/*
 * l is new at now and an owner has no verdict yet (a provenance job is
 * making it): held until its verdicts land (debounce_verdicts_landed) or
 * wait_usec, whichever is first. True when held (report nothing yet).
 * Such a listener closing meanwhile is no short-lived one: see
 * debounce_unwait.
 */
bool debounce_wait_verdict(debounce *d, const sa_listener *l, uint64_t now, uint64_t wait_usec);

/* l closed: true when it was held for verdicts (forgotten now; show its added, then its removal). */
bool debounce_unwait(debounce *d, const sa_listener *l);

/* ready(k): whether k's owners all have their verdicts now; those are released by the next debounce_release. */
typedef bool (*debounce_ready_fn)(const debounce_key *k, void *userdata);
void debounce_verdicts_landed(debounce *d, debounce_ready_fn ready, void *userdata);

/* l, held, has a policy violation (held back with it). No-op if not held. */
void debounce_mark_violating(debounce *d, const sa_listener *l);

/*
 * l closed. True when it was held: it is forgotten and counted as
 * short-lived at now; description (may be NULL) says what it was, for
 * the summary (kept unless a violating one was kept in this window).
 * False: not held, report its removal as usual (a quick close when it was
 * shown less than hold_usec ago: counted, opening a window if none is).
 */
bool debounce_gone(debounce *d, const sa_listener *l, const char *description, uint64_t now);

typedef void (*debounce_release_fn)(const debounce_key *k, void *userdata);
typedef void (*debounce_summary_fn)(const debounce_summary *s, void *userdata);

/* Every listener whose hold is over by now is forgotten and handed to fn (report it now). */
void debounce_release(debounce *d, uint64_t now, debounce_release_fn fn, void *userdata);

/* A window over by now closes; one with short-lived listeners gives fn its count. */
void debounce_summarize(debounce *d, uint64_t now, debounce_summary_fn fn, void *userdata);

/* CLOCK_MONOTONIC usec of the next release or summary due, 0 when none. */
uint64_t debounce_next_due(const debounce *d);

void debounce_get_stats(const debounce *d, debounce_stats *ret);

#endif
