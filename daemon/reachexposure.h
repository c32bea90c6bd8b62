/* SPDX-License-Identifier: MIT */
/*
 * exposure_exceeded from the daemon's reachability (docs/JOURNAL.md#exposure-across-restarts):
 * a listener's AllowExposure= judged on each new `reachability` object,
 * the violation raised when it is new at its place (namespace, protocol,
 * address, port), what was reported per place kept in the baseline so
 * that a restart with an unchanged exposure raises nothing.
 */
#ifndef SAD_REACHEXPOSURE_H
#define SAD_REACHEXPOSURE_H

#include <stdint.h>

#include <jansson.h>

#include "sockaudit.h"

struct manager;

typedef struct reach_exposure {
        struct manager *m;
        json_t *places;         /* "NETNS PROTO ADDRESS PORT" -> the reason reported there */
        uint64_t dropped;       /* records of the baseline file dropped (malformed) */
} reach_exposure;

/* Reads the baseline's records (malformed ones dropped, counted, logged). -ENOMEM. */
int reach_exposure_init(reach_exposure *x, struct manager *m);
void reach_exposure_done(reach_exposure *x);

/*
 * exposure_exceeded (a policy_violation) when now has it and neither old
 * (NULL: none yet) nor the record of its place had it with the same
 * entries. Decided on copy (the round's, without owners), raised with l
 * (the snapshot's listener; NULL: gone, nothing raised).
 */
void reach_exposure_events(reach_exposure *x, const sa_listener *copy, const sa_listener *l, const json_t *old,
                           const json_t *now);

#endif
