/* SPDX-License-Identifier: MIT */
/* tls_changed and the TLS violations of a probe's answer (tlsevents.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "tlsevents.h"
#include "util.h"

static bool ok(const json_t *tls)
{
        const char *s = json_string_value(json_object_get(tls, "status"));

        return s && strcmp(s, "ok") == 0;
}

/* Whether every certificate of a is in b (by sha256). */
static bool certs_within(const json_t *a, const json_t *b)
{
        const json_t *x, *y;
        size_t i, j;

        json_array_foreach(json_object_get(a, "certificates"), i, x) {
                bool found = false;

                json_array_foreach(json_object_get(b, "certificates"), j, y)
                        if (json_equal(json_object_get(x, "sha256"), json_object_get(y, "sha256")))
                                found = true;
                if (!found)
                        return false;
        }
        return true;
}

/* The same violation: kind and certificate (by sha256). */
static bool same(const violation *a, const violation *b)
{
        return a->kind == b->kind && strcmp(a->reason, b->reason) == 0 &&
               json_equal(json_object_get(a->cert, "sha256"), json_object_get(b->cert, "sha256"));
}

static void changed(monitor *mon, const struct timespec *when, const sa_listener *l, const json_t *old,
                    const json_t *now)
{
        char reason[160];
        json_t *ev;
        journal_entry *e;

        snprintf(reason, sizeof reason, "TLS: the served certificates changed: %zu before, %zu now",
                 json_array_size(json_object_get(old, "certificates")),
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

void tlsevents_result(monitor *mon, const policy *p, const sa_listener *l, const json_t *old, const json_t *now)
{
        violation *was = NULL, *is = NULL;
        size_t n_was = 0, n_is = 0;
        struct timespec when;
        time_t t = time(NULL);

        clock_gettime(CLOCK_REALTIME, &when);
        if (ok(old) && ok(now) && !(certs_within(old, now) && certs_within(now, old)))
                changed(mon, &when, l, old, now);
        if (policy_check_tls(p, l, old, t, &was, &n_was) < 0 || policy_check_tls(p, l, now, t, &is, &n_is) < 0)
                goto done;
        for (size_t i = 0; i < n_is; i++) {
                bool known = false;
                json_t *ev;

                for (size_t j = 0; j < n_was && !known; j++)
                        known = same(&is[i], &was[j]);
                if (known)
                        continue;
                ev = event_violation_to_json(&when, &is[i]);
                (void) monitor_emit(mon, EVENT_POLICY_VIOLATION, ev, event_violation_journal_entry(&is[i]));
                json_decref(ev);
        }
done:
        violations_free(was, n_was);
        violations_free(is, n_is);
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
