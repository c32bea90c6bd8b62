/* SPDX-License-Identifier: MIT */
/*
 * Monitoring: each new snapshot is compared with the one before (on the
 * first scan, with the baseline saved by an earlier run), and the changes of
 * watched listeners and new policy violations become events: sent to the
 * journal (never blocking) and handed to an emit callback (the watchers).
 * The baseline is saved after a change, at most once every 2 s (the
 * last change is written by the tick that follows, or at shutdown), by a
 * writer thread (saver.h): the loop only serializes it.
 * A listener opened and closed again and again by one program (flap.h)
 * gives its first transitions as events, then none until its window ends:
 * then one listener_flapping event, and the events that make the
 * watchers' view right (added, and its violations, if it still listens).
 * Once more than DEBOUNCE_FREE new listeners closed within DEBOUNCE_USEC
 * in a window, a new listener (after the first scan, outside a reload) is
 * held for DEBOUNCE_USEC until the window ends (debounce.h): one that
 * closes meanwhile is only counted, in one listeners_short_lived event per
 * window; one that stays gets its listener_added and violations when the
 * debounce ends.
 */
#ifndef SAD_MONITOR_H
#define SAD_MONITOR_H

#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "debounce.h"
#include "event.h"
#include "flap.h"
#include "journal.h"
#include "policy.h"
#include "reload.h"
#include "state.h"

typedef void (*monitor_emit_fn)(const json_t *event, void *userdata);
/* monitor_next_due() may have changed outside monitor_update()/monitor_tick() (a save failed). */
typedef void (*monitor_due_fn)(void *userdata);

typedef struct monitor monitor;

typedef struct monitor_stats {
        uint64_t events[_EVENT_TYPE_MAX];
        uint64_t state_saves, state_errors;
        bool save_pending;            /* a change waits for the next save (at most 2 s) */
        flap_stats flap;              /* flapping listeners (flap.h) */
        debounce_stats debounce;      /* new listeners held, short-lived ones (debounce.h) */
        uint64_t violations_suppressed; /* held back while their listener flapped */
        uint64_t closed_meanwhile;    /* ownerless listeners found closed: no "no owner" violation */
        const char *baseline;         /* "none", "loaded", "rebuilt (corrupt)", "same boot"... */
        size_t active_violations;
        journal_stats journal;
} monitor_stats;

/*
 * state_path: the baseline file (NULL: no persistence); it is read here and
 * a corrupt one is reported (logged) and rebuilt; saves' results arrive on
 * event's loop. journal_socket: NULL for the standard one. emit and
 * due_changed get userdata. Caller frees (monitor_free() waits up to 5 s
 * for the last save).
 */
int monitor_new(const char *state_path, const char *journal_socket, sd_event *event, monitor_emit_fn emit,
                monitor_due_fn due_changed, void *userdata, monitor **ret);
monitor *monitor_free(monitor *m);

/*
 * Reports what changed from old to new under policy p. old is NULL on the
 * first scan: the saved baseline stands in (everything is "added" without
 * one). Trouble (a failed save, ENOMEM) is logged once and counted; the
 * state is saved again at the next update.
 */
void monitor_update(monitor *m, const sa_snapshot *old, const sa_snapshot *new, const policy *p);

/*
 * Time-driven work, due at monitor_next_due(): flapping windows that ended
 * (their events, judged against snap, the current snapshot, NULL before
 * the first scan) and a save held back. Called by monitor_update() too.
 */
void monitor_tick(monitor *m, const sa_snapshot *snap, const policy *p);

/*
 * A module's records (the TLS probes', reachability's exposures: state.h),
 * saved with the baseline from now on (records taken; NULL: none).
 * changed: save them soon (at the next tick, within 2 s), not only with
 * the next change.
 */
void monitor_set_kept(monitor *m, state_kept which, json_t *records, bool changed);

/* Those records as the baseline file held them (a new reference; NULL: none). */
json_t *monitor_saved_kept(const monitor *m, state_kept which);

/* CLOCK_MONOTONIC usec when monitor_tick() has work, 0 when none is due. */
uint64_t monitor_next_due(const monitor *m);

/*
 * An event built elsewhere (daemon/tlsevents.c): ev (borrowed) to the
 * watchers, e (taken) to the journal, counted. -ENOMEM when either is NULL.
 */
int monitor_emit(monitor *m, event_type t, json_t *ev, journal_entry *e);

/* A save held back is written now (at shutdown, before snap is freed). NULL-safe. */
void monitor_flush(monitor *m, const sa_snapshot *snap, const policy *p);

/* n watched listeners without holders were found closed (dropped from the snapshot): counted. */
void monitor_note_closed(monitor *m, size_t n);

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
