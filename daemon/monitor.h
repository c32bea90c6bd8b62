/* SPDX-License-Identifier: MIT */
/*
 * Monitoring: each new snapshot is compared with the one before (on the
 * first scan, with the baseline saved by an earlier run), and the changes of
 * watched listeners and new policy violations become events: sent to the
 * journal (never blocking) and handed to an emit callback (the watchers).
 * The baseline is saved after every change.
 */
#ifndef SAD_MONITOR_H
#define SAD_MONITOR_H

#include <stdint.h>

#include <jansson.h>

#include "event.h"
#include "journal.h"
#include "policy.h"
#include "reload.h"

typedef void (*monitor_emit_fn)(const json_t *event, void *userdata);

typedef struct monitor monitor;

typedef struct monitor_stats {
        uint64_t events[_EVENT_TYPE_MAX];
        uint64_t state_saves, state_errors;
        const char *baseline;         /* "none", "loaded", "rebuilt (corrupt)", "same boot"... */
        size_t active_violations;
        journal_stats journal;
} monitor_stats;

/*
 * state_path: the baseline file (NULL: no persistence); it is read here and
 * a corrupt one is reported (logged) and rebuilt. journal_socket: NULL for
 * the standard one. Caller frees.
 */
int monitor_new(const char *state_path, const char *journal_socket, monitor_emit_fn emit,
                void *userdata, monitor **ret);
monitor *monitor_free(monitor *m);

/*
 * Reports what changed from old to new under policy p. old is NULL on the
 * first scan: the saved baseline stands in (everything is "added" without
 * one). Trouble (a failed save, ENOMEM) is logged once and counted; the
 * state is saved again at the next update.
 */
void monitor_update(monitor *m, const sa_snapshot *old, const sa_snapshot *new, const policy *p);

/* After a reload: the next update saves the baseline even without events. */
void monitor_policy_changed(monitor *m);

/*
 * What the scans see. A listener outside it is out of sight, not opened or
 * closed: no event; violations reported there stay reported.
 */
void monitor_set_scope(monitor *m, const scope *s);

/*
 * Around a reload's scan: before is the replaced policy (borrowed until
 * monitor_reload_end()), s the new scope. Meanwhile listeners that entered
 * the scope raise no listener_added, and each listener on a port watched
 * only since is reported once (listener_added), as at first start.
 */
void monitor_reload_begin(monitor *m, const policy *before, const scope *s);
void monitor_reload_end(monitor *m);

/*
 * The violations of snap under p as a JSON array of {"listener","reason"}
 * (the check command). NULL on ENOMEM.
 */
json_t *monitor_check(const sa_snapshot *snap, const policy *p);

void monitor_get_stats(monitor *m, monitor_stats *ret);
json_t *monitor_stats_to_json(monitor *m);

#endif
