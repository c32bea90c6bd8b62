/* SPDX-License-Identifier: MIT */
/*
 * Coalescing of expensive requests (refresh's full scan, check's full
 * verification): each waiting request holds a ticket; a scan answers every
 * ticket handed out before it *started* (so every answer is genuinely newer
 * than its question), one scan for all of them. Scans started for requests
 * are budgeted: start to start at least COALESCE_MIN_GAP_USEC apart, and at
 * least COALESCE_COST_FACTOR times what the last one cost, so that however
 * many requests come, the scans they cause take at most a fifth of a core.
 *
 * Pure bookkeeping: no clock of its own (callers pass CLOCK_MONOTONIC
 * times), no I/O, no event loop; the waiters themselves live with their
 * clients (client_defer(), control.h). O(1) everything.
 */
#ifndef SAD_COALESCE_H
#define SAD_COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define COALESCE_MIN_GAP_USEC (200 * UINT64_C(1000))
#define COALESCE_COST_FACTOR  5u

typedef struct coalesce {
        uint64_t seq;             /* the last ticket handed out (0: none yet) */
        uint64_t answered;        /* tickets <= this were answered by a finished scan */
        uint64_t covers;          /* while running: the scan answers tickets <= this */
        bool running;
        bool leftover;            /* waiters up to answered are still waiting (coalesce_leftover()) */
        uint64_t last_start;      /* CLOCK_MONOTONIC of the last scan's start; 0: none yet */
        uint64_t last_cost;       /* usec the last scan cost (CPU or wall: the caller's choice) */
        /* For status. */
        uint64_t requested;       /* tickets handed out */
        uint64_t scans;           /* scans started because a request waited */
        uint64_t shared;          /* requests answered by a scan that answered another one too */
} coalesce;

/* A new waiter: its ticket (> every earlier one). */
uint64_t coalesce_request(coalesce *co);

/* Whether a ticket was handed out that no scan, finished or running, answers. */
bool coalesce_pending(const coalesce *co);

/*
 * When a scan for the waiters may start: 0 when none is needed now (no
 * ticket uncovered, or one is running: its end asks again), else the
 * CLOCK_MONOTONIC time from which the budget allows it (maybe already past).
 */
uint64_t coalesce_next_start(const coalesce *co);

/* The start to start spacing now: max(COALESCE_MIN_GAP_USEC, COALESCE_COST_FACTOR x last cost). */
uint64_t coalesce_gap(const coalesce *co);

/*
 * A scan starts at now: it will answer every ticket handed out so far.
 * for_requests: started because tickets waited (counted in scans); a scan
 * started for another reason (the periodic resync) answers them just the
 * same. Not while one runs.
 */
void coalesce_started(coalesce *co, uint64_t now, bool for_requests);

/*
 * The running scan ended, having cost cost usec (spaces the next one):
 * returns the last ticket it answers; the caller answers every waiter with
 * a ticket up to it, then says how many with coalesce_answered().
 */
uint64_t coalesce_finished(coalesce *co, uint64_t cost);

/* n waiters got the answer of the scan that just ended; shared: it answered more than one. */
void coalesce_answered(coalesce *co, size_t n, bool shared);

/*
 * Some waiters the scan that just ended answers could not take their answer
 * yet (their client's output is full): the next scan, budgeted as any,
 * answers them.
 */
void coalesce_leftover(coalesce *co);

/* {"requested":N,"scans":N,"shared":N,"waiting":bool (tickets not answered yet)}. New reference; NULL out of memory. */
json_t *coalesce_to_json(const coalesce *co);

#endif
