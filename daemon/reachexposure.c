/* SPDX-License-Identifier: MIT */
/*
 * exposure_exceeded from the daemon's reachability (reachexposure.h): the
 * violation raised once per place, what was reported at each place kept
 * in the baseline (monitor_set_kept()) and read back at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "log.h"
#include "manager.h"
#include "monitor.h"
#include "policy.h"
#include "reachexposure.h"
#include "util.h"

#define EXPOSED_PLACES_MAX 4096

/* l's place: its namespace, protocol, address and port (not the socket), as text. */
static void place_of(const sa_listener *l, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN] = "?";

        (void) inet_ntop(l->family, l->addr, addr, sizeof addr);
        snprintf(buf, size, "%" PRIu64 " %s %s %u", l->netns, l->proto == IPPROTO_UDP ? "udp" : "tcp", addr,
                 (unsigned) l->port);
}

/* The places as the baseline keeps them: [{"place", "reason"}]. */
static void exposed_save(reach_exposure *x)
{
        json_t *arr = json_array();
        const char *place;
        json_t *reason;

        json_object_foreach(x->places, place, reason)
                if (arr && json_array_append_new(arr, json_pack("{s:s, s:O}", "place", place, "reason", reason)) < 0)
                        arr = (json_decref(arr), NULL);
        /* Out of memory: the last records stay, saved as they were. */
        if (arr)
                monitor_set_kept(x->m->monitor, STATE_KEPT_EXPOSURE, arr, true);
}

/* reason (NULL: none) as what was reported at place. */
static void exposed_set(reach_exposure *x, const char *place, const char *reason)
{
        if (!reason) {
                if (json_object_del(x->places, place) == 0)
                        exposed_save(x);
                return;
        }
        if (json_object_size(x->places) >= EXPOSED_PLACES_MAX && !json_object_get(x->places, place)) {
                char first[96];

                snprintf(first, sizeof first, "%s", json_object_iter_key(json_object_iter(x->places)));
                json_object_del(x->places, first);     /* the first of the table goes: its return is raised */
        }
        if (json_object_set_new(x->places, place, json_string(reason)) == 0)
                exposed_save(x);
}

/* The records the baseline file held: malformed ones are dropped, counted, logged. */
static void exposed_restore(reach_exposure *x)
{
        _cleanup_json_ json_t *saved = monitor_saved_kept(x->m->monitor, STATE_KEPT_EXPOSURE);
        const json_t *item;
        size_t i;

        json_array_foreach(saved, i, item) {
                const char *place = json_string_value(json_object_get(item, "place"));
                json_t *reason = json_object_get(item, "reason");

                if (!place || !json_is_string(reason) || json_object_size(x->places) >= EXPOSED_PLACES_MAX ||
                    json_object_set(x->places, place, reason) < 0)
                        x->dropped++;
        }
        if (x->dropped)
                log_warning("The baseline's exposure records: %" PRIu64 " dropped", x->dropped);
}

/* See reachexposure.h: decided on copy, raised with l. */
void reach_exposure_events(reach_exposure *x, const sa_listener *copy, const sa_listener *l, const json_t *old,
                           const json_t *now)
{
        const policy *p = &x->m->config->policy;
        violation *was = NULL, *is = NULL;
        size_t n_was = 0, n_is = 0;
        struct timespec when;
        const char *kept;
        char place[96];
        json_t *ev;

        place_of(copy, place, sizeof place);
        kept = json_string_value(json_object_get(x->places, place));
        /* Decided on the round's copy (no owners); raised with the snapshot's listener. */
        if (policy_check_exposure(p, copy, now, &is, &n_is) < 0)
                goto done;
        if (n_is == 0) {
                if (kept)
                        exposed_set(x, place, NULL);    /* gone: a return is news */
                goto done;
        }
        if ((kept && strcmp(kept, is[0].reason) == 0) || policy_check_exposure(p, copy, old, &was, &n_was) < 0 ||
            (n_was == 1 && strcmp(was[0].reason, is[0].reason) == 0))
                goto done;
        exposed_set(x, place, is[0].reason);
        violations_free(is, n_is);
        is = NULL, n_is = 0;
        if (!l || policy_check_exposure(p, l, now, &is, &n_is) < 0 || n_is != 1)
                goto done;
        clock_gettime(CLOCK_REALTIME, &when);
        ev = event_violation_to_json(&when, &is[0]);
        (void) monitor_emit(x->m->monitor, EVENT_POLICY_VIOLATION, ev, event_violation_journal_entry(&is[0]));
        json_decref(ev);
done:
        violations_free(was, n_was);
        violations_free(is, n_is);
}

int reach_exposure_init(reach_exposure *x, struct manager *m)
{
        x->m = m;
        x->dropped = 0;
        if (!(x->places = json_object()))
                return -ENOMEM;
        exposed_restore(x);
        return 0;
}

void reach_exposure_done(reach_exposure *x)
{
        json_decref(x->places);
        x->places = NULL;
}
