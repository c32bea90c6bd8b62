/* SPDX-License-Identifier: MIT */
/*
 * The daemon's reachability (docs/REACHABILITY.md#in-the-daemon): each
 * listener's `reachability` object, evaluated on its namespace's view
 * (interfaces and nftables ruleset, lib/include/reachbroker.h) kept per
 * namespace and read again only when the namespace's nftables or
 * rtnetlink change groups say something changed. Reads and evaluations
 * run on a thread, one round at a time, never in the loop. A watched
 * listener's verdicts that change raise reachability_changed (monitor_emit()).
 */
#ifndef SAD_REACHABILITY_H
#define SAD_REACHABILITY_H

#include <jansson.h>

#include "sockaudit.h"

#define REACH_LISTENERS_MAX 4096u       /* listeners tracked; beyond, none (counted) */
#define REACH_NETNS_MAX 256u            /* namespaces watched (2 sockets each; at most an eighth of
                                         * the soft fd limit); beyond, no reachability */
#define REACH_SETTLE_USEC 100000u       /* after a change message, this long for the rest of a burst */

struct manager;
typedef struct reachability reachability;

/*
 * Before the capability drop: starts the broker (helper: sockaudit-reach;
 * without it, or when it cannot start, verdicts say why they are unknown).
 * -ENOMEM or sd-event's -errno. Caller frees.
 */
int reachability_new(struct manager *m, const char *helper, reachability **ret);
reachability *reachability_free(reachability *r);

/* A new snapshot (m->snapshot already): new listeners evaluated, gone ones forgotten. */
void reachability_update(reachability *r, const sa_snapshot *snap);

/* l's `reachability` object (borrowed), or NULL before its first evaluation or when not tracked. */
const json_t *reachability_get(const reachability *r, const sa_listener *l);

/* The exposure_exceeded violations of snap's listeners, as in check's "violations" (appended to arr). -ENOMEM. */
int reachability_check(const reachability *r, const sa_snapshot *snap, json_t *arr);

/* {"broker_error", "namespaces", "tracked", "untracked", "rounds", "reads", "changes", "last_round_ms",
 * "last_round_listeners"} for status. */
json_t *reachability_to_json(const reachability *r);

#endif
