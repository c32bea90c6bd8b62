/* SPDX-License-Identifier: MIT */
/*
 * The daemon's TLS probes (docs/TLS.md, lib/include/tlsprobe.h): each
 * TLS-watched TCP listener (policy_tls_watches()) is probed when it
 * appears or its owners change, and again every TLSInterval=; at most
 * TLSProbesMax= at once, the rest queued. Never blocks the loop: a probe's
 * pipe is an io source, its deadline a timer, its child reaped by
 * sa_tls_probe_collect(). Results are kept per listener (network
 * namespace, address, port, inode) for its records' `tls`; a new result
 * raises tls_changed and its new TLS violations (monitor_emit()), judged
 * against what was reported at its place (namespace, address, port),
 * whichever socket listens there; those records are saved with the
 * baseline (monitor_set_kept()), so a restart of the server or of the
 * daemon raises nothing anew for unchanged certificates.
 */
#ifndef SAD_TLSPROBES_H
#define SAD_TLSPROBES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "sockaudit.h"

#define TLSPROBES_WAIT_KIND 0x200u     /* client_defer()'s kind for the `tls` request */
#define TLSPROBES_MAX 4096u            /* listeners tracked; beyond, not probed (counted) */
#define TLSPROBES_PLACES_MAX (TLSPROBES_MAX + 64u) /* places' records kept; beyond, the oldest goes */
#define TLSPROBES_PLACE_VIOLATIONS_MAX 128u     /* violation keys in a place's record from the baseline */
#define TLSPROBES_WAITS_MAX 64u        /* distinct ports `tls` requests wait for */

struct manager;
struct client;
typedef struct tlsprobes tlsprobes;

/*
 * helper: the sockaudit-tlsprobe program (copied). m->monitor's saved
 * records (monitor_saved_kept()) are taken in. Caller frees. -ENOMEM or
 * sd-event's -errno.
 */
int tlsprobes_new(struct manager *m, const char *helper, tlsprobes **ret);
tlsprobes *tlsprobes_free(tlsprobes *t);

/* A new snapshot (m->snapshot already): new and changed listeners queued, gone ones forgotten. */
void tlsprobes_update(tlsprobes *t, const sa_snapshot *snap);

/* l's `tls` object (borrowed; `pending` before its first answer), or NULL when not probed. */
const json_t *tlsprobes_get(const tlsprobes *t, const sa_listener *l);

/*
 * The `tls` request: probes every TCP listener on port now; true when the
 * reply is deferred until they are all done (then a who reply of port,
 * TCP only, with their `tls`), false when there is nothing to wait for.
 */
bool tlsprobes_request(tlsprobes *t, struct client *c, uint16_t port);

/* The same for a `tls` request already deferred: true when its client is to wait as
 * client_defer(c, TLSPROBES_WAIT_KIND, *ret_ticket) says (control_retag_deferred()). */
bool tlsprobes_adopt(tlsprobes *t, uint16_t port, uint64_t *ret_ticket);

/*
 * refresh: every listener probed (TLS-watched, or asked for by `tls`) is
 * queued now (bounded by TLSProbesMax= at once); one being probed is
 * probed again when it ends, once however often asked. The count.
 */
size_t tlsprobes_refresh(tlsprobes *t);

/* The TLS violations of snap, as in check's "violations" (appended to arr). -ENOMEM. */
int tlsprobes_check(const tlsprobes *t, const sa_snapshot *snap, json_t *arr);

/* {"runner":..,"probes":N,"running":N,"queued":N,"tracked":N,"untracked":N,"places":N,"places_dropped":N} for status. */
json_t *tlsprobes_to_json(const tlsprobes *t);

#endif
