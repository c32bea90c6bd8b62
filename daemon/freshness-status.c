/* SPDX-License-Identifier: MIT */
/* The freshness engine's part of status (freshness.h): its mode, counters and health (stale answers, fds run out). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "freshness-internal.h"
#include "manager.h"
#include "netnsevents.h"

const char *freshness_mode(const freshness *f)
{
        return f->watchproc ? "proc-connector" : "polling";
}

/* Out of fds (r, or sockets the namespaces could not get since last looked):
 * remembered for status (degraded), logged as an error at most once a minute. */
void freshness_note_fd_trouble(freshness *f, int r)
{
        bool out = r == -EMFILE || r == -ENFILE;
        sa_netns_fd_stats ns;
        unsigned skipped = 0;

        sa_scanner_netns_fd_stats(f->manager->scanner, &ns);
        if (!out && ns.fd_failures == f->fd_failures_seen)
                return;
        if (!out)
                r = ns.last_fd_error;
        f->fd_failures_seen = ns.fd_failures;
        f->fd_trouble_usec = now_usec(CLOCK_MONOTONIC);
        if (log_ratelimit_test(&f->fd_rl, &skipped))
                log_error_errno(r, "Out of file descriptors: %m (%zu network namespaces, sockets kept in "
                                "%zu of at most %zu); answers are marked stale until a scan works%s",
                                ns.namespaces, ns.kept, ns.keep_max, LOG_SUPPRESSED(skipped));
}

bool freshness_stale(freshness *f, char *buf, size_t size)
{
        int r = f->refresh_error < 0 ? f->refresh_error : f->manager->last_scan_error;

        freshness_note_fd_trouble(f, f->manager->last_scan_error);
        if (r >= 0)
                return false;
        snprintf(buf, size, "%s failed: %s", f->refresh_error < 0 ? "refresh" : "last scan", strerror(-r));
        return true;
}

/*
 * {"stale":..., "degraded":..., "namespaces":{...}} into o: whether answers
 * are stale and why, degraded (why, or null) while answers are stale or
 * fds ran out within FD_TROUBLE_USEC, and the namespaces' fd use.
 */
static int health_to_json(freshness *f, json_t *o)
{
        char why[160] = "", degraded[200] = "";
        bool stale = freshness_stale(f, why, sizeof why);
        sa_netns_fd_stats ns;

        sa_scanner_netns_fd_stats(f->manager->scanner, &ns);
        if (stale)
                snprintf(degraded, sizeof degraded, "answers are stale: %s", why);
        else if (f->fd_trouble_usec && now_usec(CLOCK_MONOTONIC) - f->fd_trouble_usec < FD_TROUBLE_USEC)
                snprintf(degraded, sizeof degraded, "out of file descriptors: %s",
                         strerror(-(ns.last_fd_error ?: -EMFILE)));
        if (json_object_set_new(o, "stale", json_boolean(stale)) < 0 ||
            json_object_set_new(o, "stale_reason", stale ? json_string(why) : json_null()) < 0 ||
            json_object_set_new(o, "degraded", degraded[0] ? json_string(degraded) : json_null()) < 0 ||
            json_object_set_new(o, "namespaces", netnsevents_to_json(f->manager->scanner)) < 0)
                return -ENOMEM;
        return 0;
}

json_t *freshness_to_json(freshness *f)
{
        sa_incremental_stats is;
        watchproc_stats ws;
        json_t *le = watchlisten_to_json(f->watchlisten, f->listen_why), *o;

        if (le && (json_object_set_new(le, "probes", json_integer((json_int_t) f->listen_probes)) < 0 ||
                   json_object_set_new(le, "full_scans", json_integer((json_int_t) f->event_scans)) < 0 ||
                   json_object_set_new(le, "namespaces_added", json_integer((json_int_t) f->netns_added)) < 0 ||
                   json_object_set_new(le, "full_scans_coalesced",
                                       json_integer((json_int_t) f->event_scans_held)) < 0)) {
                json_decref(le);
                return NULL;
        }
        json_t *requests = json_pack("{s:o,s:o,s:o}", "refresh", coalesce_to_json(&f->refresh_wait),
                                     "check", coalesce_to_json(&f->check_wait),
                                     "resync", freshness_parked_to_json(f));
        if (!requests) {
                json_decref(le);
                return NULL;
        }
        sa_scanner_incremental_stats(f->manager->scanner, &is);
        watchproc_get_stats(f->watchproc, &ws);
        o = json_pack("{s:s,s:o,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I}}",
                         "mode", freshness_mode(f),
                         "listen_events", le,
                         "probe_interval_sec", freshness_probe_interval(f) / 1e6,
                         "resync_interval_sec", freshness_resync_interval(f) / 1e6,
                         "last_full_scan_cpu_ms", f->last_full_cpu_usec / 1e3,
                         "refreshes", (json_int_t) f->refreshes,
                         "refresh_changes", (json_int_t) f->refresh_changes,
                         "refresh_full_scans", (json_int_t) f->refresh_full,
                         "refresh_errors", (json_int_t) f->refresh_errors,
                         "refresh_closed", (json_int_t) f->refresh_closed,
                         "verify_skipped", (json_int_t) f->skip.skipped,
                         "verify_threaded", (json_int_t) f->verify_jobs,
                         "details_rereads", (json_int_t) f->details_rereads,
                         "fd_rewalks", (json_int_t) is.fd_rewalks,
                         "fd_rewalks_skipped", (json_int_t) is.rewalks_skipped,
                         "owner_index",
                                 "sockets", (json_int_t) is.sockets,
                                 "pairs", (json_int_t) is.pairs,
                                 "processes", (json_int_t) is.procs,
                                 "new_processes", (json_int_t) is.fresh,
                         "process_events",
                                 "handled", (json_int_t) ws.events,
                                 "lost", (json_int_t) ws.lost);
        if (!o)
                json_decref(requests);
        else if (json_object_set_new(o, "requests", requests) < 0 || health_to_json(f, o) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

