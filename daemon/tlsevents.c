/* SPDX-License-Identifier: MIT */
/* tls_changed and the TLS violations of a probe's answer (tlsevents.h); what is news: policy_tls_news(). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "tlsevents.h"
#include "util.h"

static void changed(monitor *mon, const struct timespec *when, const sa_listener *l, size_t before,
                    const json_t *now)
{
        char reason[160];
        json_t *ev;
        journal_entry *e;

        snprintf(reason, sizeof reason, "TLS: the served certificates changed: %zu before, %zu now",
                 before,
                 json_array_size(json_object_get(now, "certificates")));
        ev = event_to_json(EVENT_TLS_CHANGED, when, l, NULL, reason);
        if (ev && json_object_set(ev, "tls", (json_t *) now) < 0)
                json_decref(ev), ev = NULL;
        e = event_journal_entry(EVENT_TLS_CHANGED, l, NULL, reason);
        if (e && event_entry_add_tls(e, now, NULL) < 0)
                e = journal_entry_free(e);
        (void) monitor_emit(mon, EVENT_TLS_CHANGED, ev, e);
        json_decref(ev);
}

int tlsevents_result(monitor *mon, const policy *p, const sa_listener *l, json_t *seen, const json_t *now)
{
        size_t before = json_array_size(json_object_get(seen, "sha256")), n = 0;
        violation *v = NULL;
        struct timespec when;
        bool certs_changed;
        int r;

        clock_gettime(CLOCK_REALTIME, &when);
        r = policy_tls_news(p, l, seen, now, time(NULL), &certs_changed, &v, &n);
        if (r < 0)
                return r;
        if (certs_changed)
                changed(mon, &when, l, before, now);
        for (size_t i = 0; i < n; i++) {
                json_t *ev = event_violation_to_json(&when, &v[i]);

                (void) monitor_emit(mon, EVENT_POLICY_VIOLATION, ev, event_violation_journal_entry(&v[i]));
                json_decref(ev);
        }
        violations_free(v, n);
        return r;
}

int tlsevents_check(const policy *p, const sa_listener *l, const json_t *tls, json_t *arr)
{
        violation *v = NULL;
        size_t n = 0;
        int r = policy_check_tls(p, l, tls, time(NULL), &v, &n);

        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (json_array_append_new(arr, event_violation_record(&v[i])) < 0)
                        r = -ENOMEM;
        }
        violations_free(v, n);
        return r;
}
