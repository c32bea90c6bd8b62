/* SPDX-License-Identifier: MIT */
/*
 * Is it the real program, in the daemon (daemon/provenance.c): the owners'
 * verdicts (docs/PROVENANCE.md) computed by a job on a thread, never on
 * the loop; who/list wait for a running job (at most
 * PROVENANCE_WAIT_USEC) rather than show its owners as not checked; the
 * verdicts made again on the resync's cadence; counters for status.
 */
#ifndef DAEMON_PROVENANCE_H
#define DAEMON_PROVENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "control.h"
#include "request.h"

struct manager;
typedef struct provenance provenance;

#define PROVENANCE_WAIT_USEC (5 * UINT64_C(1000000))
#define PROVENANCE_WAIT_KIND 0x100u     /* client_defer()'s kind: apart from the request commands */
#define PROVENANCE_WAITS_MAX 64         /* distinct waiting questions; more are answered at once */

/*
 * Turns provenance on for m's scanner (DpkgAdminDir= or /var/lib/dpkg),
 * the re-check timer armed; m->snapshot's owners get a job. -ENOMEM, or
 * sd-event's -errno.
 */
int provenance_new(struct manager *m, provenance **ret);
provenance *provenance_free(provenance *p);

/* A snapshot was installed: a job for its owners without a verdict (one at a time, the next queued). */
void provenance_installed(provenance *p);

/*
 * who/list: when a job runs for an owner this reply would show, c is
 * deferred (client_defer) until the job ends or PROVENANCE_WAIT_USEC, and
 * true returned; else false (answer now).
 */
bool provenance_defer(provenance *p, client *c, const request *req);

/*
 * The same for a who/list already deferred for something else (waiting for
 * the resync: freshness-wait.c): true when it is to wait for the running
 * job, with the ticket to wait with (kind PROVENANCE_WAIT_KIND) in
 * *ret_ticket (control_retag_deferred()); false: answer it now.
 */
bool provenance_adopt(provenance *p, const request *req, uint64_t *ret_ticket);

/*
 * check: whether its answer, due now, should wait for the running job
 * (an owner of the snapshot without a verdict), at most
 * PROVENANCE_WAIT_USEC from the first time it was held. The caller leaves
 * the check waiting (coalesce.h: the next verification answers it).
 */
bool provenance_hold_check(provenance *p);

/* status.provenance (docs/RECORDS.md). NULL on ENOMEM. */
json_t *provenance_to_json(provenance *p);

#endif
