/* SPDX-License-Identifier: MIT */
/*
 * When a who/list may skip re-verifying the known holders (one readlinkat
 * a (pid, fd) pair: 38,000 listeners cost ~0.15 s): with process events
 * on, when none concerned a holder (fork, exec, exit) and none was lost
 * since every listener was last verified, and that verification is
 * younger than VERIFY_MAX_AGE_USEC. New listeners leave the known holders
 * as they were (the refresh's dumps and walks of new processes find them,
 * verified or not). No event tells of a holder closing one copy of a
 * shared listener's fd, or passing it: the age bounds how long such a
 * change can go unseen. Without events (polling) nothing is skipped.
 * Pure bookkeeping: no syscall, the caller gives the time.
 */
#ifndef SAD_VERIFYSKIP_H
#define SAD_VERIFYSKIP_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define VERIFY_MAX_AGE_USEC (5 * USEC_PER_SEC)

typedef struct verifyskip {
        uint64_t changes;               /* events that may have changed known holders */
        uint64_t verified_changes;      /* changes when the last verification of every listener began */
        uint64_t verified_usec;         /* CLOCK_MONOTONIC of its beginning; 0: none yet */
        uint64_t skipped;               /* requests that skipped the verification */
} verifyskip;

/* An event that may have changed a known holder (or events lost, or a refresh failed). */
void verifyskip_changed(verifyskip *v);

/* Taken before a verification of every listener begins, for verifyskip_verified(): changes counted
 * after it (events the verification itself drains included) leave requests verifying. */
uint64_t verifyskip_mark(const verifyskip *v);

/* That verification, begun at at_usec with mark, succeeded. */
void verifyskip_verified(verifyskip *v, uint64_t mark, uint64_t at_usec);

/* Whether a request at now_usec may skip the verification (counted when it may); events: process events are on. */
bool verifyskip_may_skip(verifyskip *v, bool events, uint64_t now_usec);

#endif
