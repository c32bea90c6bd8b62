/* SPDX-License-Identifier: MIT */
/*
 * The owners' provenance in the daemon (provenance.h): one job at a time
 * on a thread (lib: sa_scanner_provenance_start/finish), its end on the
 * loop through an eventfd; verdicts that are new or changed are given to
 * the snapshot's owners in place (no refresh: two stats per owner) and
 * the monitor looks at it again (manager_snapshot_amended).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "commands.h"
#include "log.h"
#include "manager.h"
#include "provenance.h"
#include "sockaudit-internal.h"
#include "util.h"

struct provenance {
        manager *m;
        sa_prov_job *job;
        sd_event_source *job_source, *wait_timer, *recheck_timer;
        bool pending, pending_recheck;  /* another job asked for while one runs */
        uint64_t waits[PROVENANCE_WAITS_MAX]; /* the questions waiting (packed requests), ascending */
        size_t n_waits;
        uint64_t waited, wait_timeouts, job_errors, checks_held;
        uint64_t check_held_since;      /* 0: no check held for the running job */
        int last_job_error;
};

static void job_start(provenance *p, bool recheck);

/* Whether an owner of a listener passing f has no verdict. */
static bool missing_for(const sa_snapshot *snap, const sa_filter *f)
{
        for (size_t i = 0; snap && i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];

                if (sa_listener_match(l, f) && sa_listener_provenance_missing(l))
                        return true;
        }
        return false;
}

/*
 * The waiting questions answered from the snapshot as it is now: all, or
 * (all false) those up to the first whose owners are still being checked
 * by a running job (a ticket answers every one below it: the rest wait
 * for that job, or for the timer).
 */
static void answer_waiters(provenance *p, bool all)
{
        size_t i = 0;

        for (; i < p->n_waits; i++) {
                request req = request_listeners_unpack(p->waits[i]);
                sa_filter f = { .port = req.port, .protos = req.protos };

                if (!all && p->job && missing_for(p->m->snapshot, &f))
                        break;
                p->waited += commands_answer_listeners(p->m, PROVENANCE_WAIT_KIND, p->waits[i]);
        }
        /* Those whose client has not read enough wait for the next end (or the timer). */
        if (i > 0 && control_deferred_count(p->m->control, PROVENANCE_WAIT_KIND, p->waits[i - 1]) == 0) {
                memmove(p->waits, p->waits + i, (p->n_waits - i) * sizeof *p->waits);
                p->n_waits -= i;
        }
        if (p->n_waits == 0)
                sd_event_source_set_enabled(p->wait_timer, SD_EVENT_OFF);
}

static int on_job_done(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        provenance *p = userdata;
        int r;

        p->job_source = sd_event_source_disable_unref(p->job_source);
        p->check_held_since = 0;
        r = sa_scanner_provenance_finish(p->m->scanner, TAKE_PTR(p->job));
        if (r < 0) {
                p->job_errors++;
                p->last_job_error = r;
                log_warning_errno(r, "Provenance job failed: %m");
        } else
                p->last_job_error = 0;
        bool again = p->pending, recheck = p->pending_recheck;

        p->pending = p->pending_recheck = false;
        /* New verdicts: given to the snapshot's owners, which the monitor
         * then looks at again (a changed verdict, violations that need one). */
        if (r > 0 && p->m->snapshot && sa_scanner_provenance_attach(p->m->scanner, p->m->snapshot) >= 0)
                manager_snapshot_amended(p->m);
        if (sa_snapshot_provenance_missing(p->m->snapshot))
                again = true;           /* owners new since the job began */
        if (again || recheck)
                job_start(p, recheck);
        answer_waiters(p, false);
        return 0;
}

static void job_start(provenance *p, bool recheck)
{
        int r;

        if (p->job) {
                p->pending = true;
                p->pending_recheck |= recheck;
                return;
        }
        p->pending = p->pending_recheck = false;
        if (!p->m->snapshot)
                return;
        r = sa_scanner_provenance_start(p->m->scanner, p->m->snapshot, recheck, &p->job);
        if (r == -ENODATA)
                return;
        if (r >= 0)
                r = sd_event_add_io(p->m->event, &p->job_source, sa_prov_job_fd(p->job), EPOLLIN, on_job_done, p);
        if (r < 0) {
                sa_prov_job_cancel(TAKE_PTR(p->job));
                p->job_errors++;
                p->last_job_error = r;
                log_warning_errno(r, "Cannot start a provenance job: %m");
        }
}

void provenance_installed(provenance *p)
{
        if (p && sa_snapshot_provenance_missing(p->m->snapshot))
                job_start(p, false);
}

static int on_wait_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        provenance *p = userdata;

        p->wait_timeouts++;
        answer_waiters(p, true);
        return 0;
}

static int on_recheck_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        provenance *p = userdata;

        job_start(p, true);
        sd_event_source_set_time(s, now_usec(CLOCK_MONOTONIC) + freshness_resync_interval(p->m->freshness));
        sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

bool provenance_hold_check(provenance *p)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!p)
                return false;
        if (!p->job || !sa_snapshot_provenance_missing(p->m->snapshot)) {
                p->check_held_since = 0;
                return false;
        }
        if (!p->check_held_since)
                p->check_held_since = now;
        if (now - p->check_held_since > PROVENANCE_WAIT_USEC)
                return false;
        p->checks_held++;
        return true;
}

bool provenance_adopt(provenance *p, const request *req, uint64_t *ret_ticket)
{
        sa_filter f = { .port = req->port, .protos = req->protos };
        uint64_t t = request_listeners_pack(req);
        size_t i = 0;

        if (!p || !p->job || !p->m->snapshot || !missing_for(p->m->snapshot, &f))
                return false;
        while (i < p->n_waits && p->waits[i] < t)
                i++;
        if (i == p->n_waits || p->waits[i] != t) {
                if (p->n_waits == PROVENANCE_WAITS_MAX)
                        return false;
                memmove(&p->waits[i + 1], &p->waits[i], (p->n_waits - i) * sizeof *p->waits);
                p->waits[i] = t;
                p->n_waits++;
        }
        if (p->n_waits == 1 || sd_event_source_get_enabled(p->wait_timer, NULL) == 0) {
                sd_event_source_set_time(p->wait_timer, now_usec(CLOCK_MONOTONIC) + PROVENANCE_WAIT_USEC);
                sd_event_source_set_enabled(p->wait_timer, SD_EVENT_ONESHOT);
        }
        *ret_ticket = t;
        return true;
}

bool provenance_defer(provenance *p, client *c, const request *req)
{
        uint64_t t;

        if (!provenance_adopt(p, req, &t))
                return false;
        client_defer(c, PROVENANCE_WAIT_KIND, t);
        return true;
}

int provenance_new(manager *m, provenance **ret)
{
        provenance *p = calloc(1, sizeof *p);
        const char *dir = m->config->dpkg_admindir[0] ? m->config->dpkg_admindir : NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->m = m;
        r = sa_scanner_provenance_enable(m->scanner, dir);
        if (r >= 0)
                r = sd_event_add_time(m->event, &p->wait_timer, CLOCK_MONOTONIC, UINT64_MAX, 10000,
                                      on_wait_timer, p);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &p->recheck_timer, CLOCK_MONOTONIC,
                                               freshness_resync_interval(m->freshness), 1000000,
                                               on_recheck_timer, p);
        if (r < 0) {
                provenance_free(p);
                return r;
        }
        sd_event_source_set_enabled(p->wait_timer, SD_EVENT_OFF);
        *ret = p;
        provenance_installed(p);
        return 0;
}

provenance *provenance_free(provenance *p)
{
        if (!p)
                return NULL;
        p->job_source = sd_event_source_disable_unref(p->job_source);
        sa_prov_job_cancel(TAKE_PTR(p->job));
        sd_event_source_disable_unref(p->wait_timer);
        sd_event_source_disable_unref(p->recheck_timer);
        free(p);
        return NULL;
}

json_t *provenance_to_json(provenance *p)
{
        sa_provenance_stats st = { 0 };

        if (!p)
                return json_null();
        sa_scanner_provenance_stats(p->m->scanner, &st);
        return json_pack("{s:b,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:i,s:I,s:I,s:I,s:I,s:I,s:s?}",
                         "running", p->job != NULL,
                         "jobs", (json_int_t) st.jobs,
                         "last_job_ms", st.last_job_usec / 1000.0,
                         "last_job_processes", (json_int_t) st.last_job_pids,
                         "job_errors", (json_int_t) p->job_errors,
                         "checked", (json_int_t) st.checked,
                         "checked_inline", (json_int_t) st.checked_inline,
                         "images_hashed", (json_int_t) st.images_hashed,
                         "cache_hits", (json_int_t) st.cache_hits,
                         "dpkg_index_build_ms", st.dpkg_build_usec / 1000.0,
                         "dpkg_index_builds", (int) st.dpkg_builds,
                         "verdicts", (json_int_t) st.verdicts,
                         "requests_waited", (json_int_t) p->waited,
                         "waits_timed_out", (json_int_t) p->wait_timeouts,
                         "waiting", (json_int_t) p->n_waits,
                         "checks_held", (json_int_t) p->checks_held,
                         "last_error", p->last_job_error < 0 ? strerror(-p->last_job_error)
                                       : st.last_error[0] ? st.last_error : NULL);
}
