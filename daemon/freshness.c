/* SPDX-License-Identifier: MIT */
/*
 * The freshness engine (freshness.h): the probe timer and its hot window,
 * the listen and process events that heat it, the incremental refresh, and
 * the periodic resync walking in the background.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "commands.h"
#include "freshness-internal.h"
#include "manager.h"
#include "netnsevents.h"

static const char *const events_names[] = {
        [FRESHNESS_EVENTS_PROC] = "proc-connector",
        [FRESHNESS_EVENTS_NONE] = "polling",
};

freshness_events freshness_events_from_string(const char *s)
{
        for (size_t i = 0; s && i < ELEMENTSOF(events_names); i++)
                if (events_names[i] && strcmp(s, events_names[i]) == 0)
                        return (freshness_events) i;
        return FRESHNESS_EVENTS_ALL;
}

static uint64_t cpu_usec(void)
{
        return now_usec(CLOCK_PROCESS_CPUTIME_ID);
}

/* Coalescing slack: small against the interval, at most sd-event's default. */
static uint64_t scan_accuracy(uint64_t interval)
{
        uint64_t a = interval / 20;

        return a > 250 * USEC_PER_MSEC ? 250 * USEC_PER_MSEC : a ?: 1;
}

uint64_t freshness_resync_interval(const freshness *f)
{
        uint64_t cost = f->resync_cpu_usec > f->last_full_cpu_usec ? f->resync_cpu_usec : f->last_full_cpu_usec;
        uint64_t iv = f->manager->config->scan_interval_usec, budget = cost * RESYNC_BUDGET;

        return budget > iv ? budget : iv;
}

void freshness_schedule_resync(freshness *f)
{
        uint64_t iv = freshness_resync_interval(f);

        if (!f->resync_timer)
                return;
        /* From now, not from the loop's cached time (taken before a scan that
         * may have lasted longer than iv): else the timer is due at once and
         * outranks every request. */
        sd_event_source_set_time(f->resync_timer, now_usec(CLOCK_MONOTONIC) + iv);
        sd_event_source_set_time_accuracy(f->resync_timer, scan_accuracy(iv));
        sd_event_source_set_enabled(f->resync_timer, SD_EVENT_ONESHOT);
}

void freshness_drain(freshness *f)
{
        if (f->watchproc)
                watchproc_drain(f->watchproc);
}

void freshness_note_full_scan(freshness *f, uint64_t cpu)
{
        f->last_full_cpu_usec = cpu;
}

static bool kick_refresh(freshness *f);
static void heat_after(freshness *f, uint64_t delay);
static int refresh(freshness *f, const sa_filter *fs, size_t n, bool probe, bool verify, const char *why);
static void event_scan(freshness *f);

/* The scan for co's waiters (of cmd) ended with r: every one with a ticket up to upto gets its answer. */
static void answer_waiters(freshness *f, request_cmd cmd, coalesce *co, uint64_t upto, int r)
{
        size_t n = control_deferred_count(f->manager->control, cmd, upto), answered;

        if (n == 0)
                return;
        answered = commands_answer_deferred(f->manager, cmd, upto, r, n > 1);
        coalesce_answered(co, answered, n > 1);
        /* Those whose client has not read enough wait for the next scan. */
        if (answered < n)
                coalesce_leftover(co);
}

/* The full scan that began with coalesce_started() ended with r: its waiters get their answer. */
static void refresh_waiters_done(freshness *f, int r, uint64_t cost)
{
        uint64_t upto = coalesce_finished(&f->refresh_wait, cost);

        answer_waiters(f, REQUEST_REFRESH, &f->refresh_wait, upto, r);
        (void) kick_refresh(f);
}

/* A full scan here, on the loop, answering the refresh requests that came before it. */
static int scan_here(freshness *f, const char *why)
{
        uint64_t cpu0 = cpu_usec();
        int r;

        coalesce_started(&f->refresh_wait, now_usec(CLOCK_MONOTONIC), false);
        r = manager_scan(f->manager, why);
        refresh_waiters_done(f, r, cpu_usec() - cpu0);
        freshness_resync_settled(f, r, true);
        return r;
}

static void resync_stop(freshness *f)
{
        f->job_source = sd_event_source_disable_unref(f->job_source);
        if (f->gate_timer)
                sd_event_source_set_enabled(f->gate_timer, SD_EVENT_OFF);
        sa_scan_job_cancel(f->job);
        f->job = NULL;
}

static int verify_start(freshness *f, bool for_check);

/* A resync walks, or its snapshot waits for its owners' verification. */
static bool resync_running(const freshness *f)
{
        return f->job || f->resync_snap;
}

/* The resync ended (installed or failed): what listen events asked of it meanwhile. */
static void resync_ended(freshness *f)
{
        /* The listen event came before its socket could be dumped (the
         * tracepoint fires inside listen()): the resync's dumps may have run
         * too early, so the new namespace is probed like any other. */
        if (f->heat_after_resync) {
                f->heat_after_resync = false;
                heat_after(f, LISTEN_SETTLE_USEC);
        }
        if (f->event_scan_after) {
                f->event_scan_after = false;
                event_scan(f);
        }
}

/* The resync's snapshot, refreshed (verify: its owners re-read too, else
 * just verified) so that what is compared with the current snapshot is
 * as of now, not as of the resync's dumps; then installed. Never a full
 * scan here (issue 12): when the refresh needs one (a listener new since
 * the walk that it cannot attribute), the walk's view is installed and
 * another resync, on its thread, finds the newcomer. */
static void resync_install(freshness *f, sa_snapshot *snap, unsigned verify)
{
        manager *m = f->manager;
        sa_snapshot *now = NULL;
        sa_refresh_info info;
        int r = sa_scanner_refresh(m->scanner, snap, NULL, 0,
                                   verify | SA_REFRESH_NO_FULL |
                                           (f->watchproc ? SA_REFRESH_EXITS_KNOWN : SA_REFRESH_LIST_PIDS),
                                   &info, &now);

        bool now_exact = r >= 0, again = r == -EAGAIN && info.full;

        if (again) {    /* no full scan here: the walk's view installed, the next resync finds the newcomer */
                f->resync_again++;
                log_debug("Refresh after the resync needs a full scan, another resync follows: %s", info.reason);
        } else if (r > 0) {
                /* Status reports the resync: its counters and its time. */
                now->stats = snap->stats;
                now->duration_usec += snap->duration_usec;
                sa_snapshot_free(snap);
                snap = now;
        } else if (r < 0)
                log_debug_errno(r, "Refresh after the resync failed, installing the resync as it is: %m");
        /* The resync's budget counts all of it: walk, details, verification, this refresh. */
        f->resync_cpu_usec = cpu_usec() - f->job_cpu0;
        manager_scan_done(m, 0, snap, "periodic");
        refresh_waiters_done(f, 0, cpu_usec() - f->job_cpu0);
        if (again)      /* those parked before the walk started: answered as it saw them */
                freshness_resync_walked(f);
        else            /* dumped again just now, unfiltered: as of after every waiting request came */
                freshness_resync_settled(f, 0, now_exact);
        resync_ended(f);
        if (again && !resync_running(f)) /* no waiting request started it: for the monitor's events */
                event_scan(f);
}

/* The resync's snapshot waits for the verification of its owners: on the
 * verify job's thread (after the one running, if any), else here, in the
 * refresh that installs it. */
static void resync_verify(freshness *f)
{
        if (f->vjob)
                return;         /* its end starts ours */
        if (verify_start(f, false) >= 0)
                return;
        resync_install(f, TAKE_PTR(f->resync_snap), SA_REFRESH_VERIFY);
}

/*
 * The periodic resync's walk ended (its own thread): details and index
 * here, then its owners verified and the snapshot refreshed (resync_install).
 */
static void resync_finish(freshness *f)
{
        manager *m = f->manager;
        sa_scan_job *job = f->job;
        sa_snapshot *snap = NULL;
        int r;

        f->job = NULL;
        f->job_source = sd_event_source_disable_unref(f->job_source);
        freshness_drain(f);
        r = sa_scanner_scan_finish(m->scanner, job, &snap);
        f->last_full_cpu_usec = cpu_usec() - f->job_cpu0;
        if (r == -ESTALE) {             /* a full scan ran meanwhile, started after this one */
                freshness_schedule_resync(f);
                refresh_waiters_done(f, 0, f->last_full_cpu_usec);
                freshness_resync_settled(f, 0, false); /* that scan may predate a waiting request */
                resync_ended(f);
                return;
        }
        if (r < 0) {
                manager_scan_done(m, r, NULL, "periodic");
                refresh_waiters_done(f, r, f->last_full_cpu_usec);
                freshness_resync_settled(f, r, false);
                resync_ended(f);
                return;
        }
        f->resync_snap = snap;
        resync_verify(f);
}

static int on_resync_done(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        freshness *f = userdata;

        if (freshness_gate_holds(f)) {  /* tests only: SOCKAUDITD_TEST_RESYNC_GATE */
                log_debug("The resync's walk ended, the test gate holds it");
                sd_event_source_set_enabled(src, SD_EVENT_OFF);
                return 0;
        }
        resync_finish(f);
        return 0;
}

void freshness_gate_opened(freshness *f)
{
        if (f->job)
                resync_finish(f);
}

/* Why a resync starts. */
typedef enum resync_reason {
        RESYNC_PERIODIC,        /* ScanInterval, or a listen event's or a probe's need */
        RESYNC_REFRESH,         /* refresh requests wait (counted: requests.refresh.scans) */
        RESYNC_REQUEST,         /* a who/list/check refresh needs a full scan (requests.resync) */
} resync_reason;

/*
 * The full resync: the walk on a thread, the loop keeps serving. Every
 * refresh request that came before it, and every request waiting for the
 * resync, gets its answer at its end. FRESHNESS_WAITS when one runs (this
 * or one already running); else (no thread could start, or no snapshot
 * yet) the scan was made here: its result, 0 or -errno.
 */
static int resync_start(freshness *f, resync_reason reason)
{
        static const char *const names[] = { "periodic", "refresh request", "waiting request" };
        manager *m = f->manager;
        int r;

        if (resync_running(f))
                return FRESHNESS_WAITS;
        if (!m->snapshot)
                return scan_here(f, names[reason]);
        freshness_drain(f);
        f->job_cpu0 = cpu_usec();
        r = sa_scanner_scan_start_from(m->scanner, reason == RESYNC_REFRESH ? NULL : m->snapshot, &f->job);
        if (r >= 0)
                r = sd_event_add_io(m->event, &f->job_source, sa_scan_job_fd(f->job), EPOLLIN,
                                    on_resync_done, f);
        if (r < 0) {
                resync_stop(f);
                log_debug_errno(r, "Cannot start the resync in the background, scanning here: %m");
                return scan_here(f, names[reason]);
        }
        coalesce_started(&f->refresh_wait, now_usec(CLOCK_MONOTONIC), reason == RESYNC_REFRESH);
        f->walk_parked_seq = f->parked_seq; /* and the request handled now: freshness_park() */
        (void) sd_event_get_iteration(m->event, &f->walk_iteration);
        f->request_resyncs += reason == RESYNC_REQUEST;
        return FRESHNESS_WAITS;
}

static int on_resync_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        (void) resync_start(userdata, RESYNC_PERIODIC);
        return 0;
}

/*
 * Arms timer for a coalesced scan when co wants one (at once, or when its
 * budget allows). True when one may start now: a timer firing then starts it.
 */
static bool kick(sd_event_source *timer, const coalesce *co)
{
        uint64_t at = coalesce_next_start(co), now = now_usec(CLOCK_MONOTONIC);

        if (!timer || at == 0)
                return false;
        sd_event_source_set_time(timer, at > now ? at : now);
        sd_event_source_set_time_accuracy(timer, USEC_PER_MSEC);
        sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
        return at <= now;
}

/* While a resync walks, its end answers (and kicks again). */
static bool kick_refresh(freshness *f)
{
        return !resync_running(f) && kick(f->refresh_timer, &f->refresh_wait);
}

/* The budget allows a scan for the refresh requests waiting (else: armed again for when it does). */
static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        freshness *f = userdata;

        if (kick_refresh(f)) {
                sd_event_source_set_enabled(s, SD_EVENT_OFF);
                (void) resync_start(f, RESYNC_REFRESH);
        }
        return 0;
}

/*
 * The verification for check's waiters ended with r (its CPU from cpu0):
 * they get their answer; FRESHNESS_WAITS: its refresh needs the full scan
 * on the resync's thread, whose end answers them (freshness_resync_settled()).
 */
static void check_done(freshness *f, int r, uint64_t cpu0)
{
        uint64_t upto;

        if (r == FRESHNESS_WAITS) {
                log_debug("Check waits for the resync: its refresh needs a full scan");
                f->check_after_resync = true;
                f->check_cpu0 = cpu0;
                return;
        }
        f->check_after_resync = false;
        upto = coalesce_finished(&f->check_wait, cpu_usec() - cpu0);
        answer_waiters(f, REQUEST_CHECK, &f->check_wait, upto, r);
        (void) kick(f->check_timer, &f->check_wait);
}

void freshness_check_settled(freshness *f, int r)
{
        if (f->check_after_resync)
                check_done(f, r, f->check_cpu0);
}

/* The verification job ended: its results applied, then what it was for. */
static int on_verify_done(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        freshness *f = userdata;
        sa_refresh_info info;
        int r;

        f->vjob_source = sd_event_source_disable_unref(f->vjob_source);
        freshness_drain(f);
        r = sa_scanner_verify_finish(f->manager->scanner, TAKE_PTR(f->vjob), &info);
        f->verify_jobs++;
        log_debug("Verified %u owners on a thread (%s), %u dropped, %.2f ms", info.verified,
                  f->vjob_for_check ? "check" : "resync", info.dropped, info.usec / 1000.0);
        if (r < 0)
                sa_scanner_note_lost(f->manager->scanner); /* a reused pid may not be noted: rebuild */
        if (!f->vjob_for_check) {
                resync_install(f, TAKE_PTR(f->resync_snap), 0);
        } else {
                /* Dumps and new processes; the owners were just verified. */
                r = r < 0 ? r : refresh(f, NULL, 0, false, false, "check");
                if (r == 0 && f->refresh_error == 0 && f->manager->snapshot)
                        verifyskip_verified(&f->skip, f->vjob_mark, f->vjob_at);
                check_done(f, r, f->vjob_cpu0);
        }
        if (f->resync_snap)
                resync_verify(f);
        (void) kick(f->check_timer, &f->check_wait);
        return 0;
}

/* A verification of every holder, its reads on a thread: for check's
 * waiters, else for the resync's snapshot. -errno: none started. */
static int verify_start(freshness *f, bool for_check)
{
        manager *m = f->manager;
        int r;

        freshness_drain(f);
        f->vjob_cpu0 = cpu_usec();
        f->vjob_mark = verifyskip_mark(&f->skip);
        f->vjob_at = now_usec(CLOCK_MONOTONIC);
        f->vjob_for_check = for_check;
        r = sa_scanner_verify_start(m->scanner, f->watchproc ? SA_REFRESH_EXITS_KNOWN : 0, &f->vjob);
        if (r >= 0)
                r = sd_event_add_io(m->event, &f->vjob_source, sa_verify_job_fd(f->vjob), EPOLLIN,
                                    on_verify_done, f);
        if (r < 0) {
                sa_verify_job_cancel(TAKE_PTR(f->vjob));
                log_debug_errno(r, "Cannot verify on a thread, verifying here: %m");
        }
        return r;
}

/* The full verification for the check requests waiting: every listener
 * refreshed, its owners read on a thread (here if none can start). */
static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        freshness *f = userdata;
        uint64_t cpu0 = cpu_usec();
        int r;

        if (f->vjob)
                return 0;       /* its end kicks again */
        if (!kick(s, &f->check_wait))
                return 0;       /* none waits, or not yet allowed: armed again */
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        coalesce_started(&f->check_wait, now_usec(CLOCK_MONOTONIC), true);
        /* check promises a verification of every listener: never skipped. */
        if (f->manager->snapshot && verify_start(f, true) >= 0)
                return 0;
        r = f->manager->snapshot ? freshness_verify_all(f, "check") : manager_scan(f->manager, "no snapshot yet");
        check_done(f, r, cpu0);
        return 0;
}

uint64_t freshness_wait(freshness *f, request_cmd cmd)
{
        bool refresh = cmd == REQUEST_REFRESH;
        uint64_t ticket = coalesce_request(refresh ? &f->refresh_wait : &f->check_wait);

        if (refresh)
                (void) kick_refresh(f);
        else
                (void) kick(f->check_timer, &f->check_wait);
        return ticket;
}

/*
 * Incremental refresh of the listeners passing fs (n 0: all); probe: lists PROC_ROOT first when polling;
 * verify: re-reads the known owners (the fast probes after a process event skip it: exits come as events).
 * When only a full scan will do (counted), it runs on the resync's thread, never here: the probe's
 * budgeted (event_scan(): its end raises the events), a request's at once, and the request waits for
 * its end: FRESHNESS_WAITS (here only when no thread can start: resync_start()). Keeps the snapshot on
 * failure; <0 only when a full scan failed. */
static int refresh(freshness *f, const sa_filter *fs, size_t n, bool probe, bool verify, const char *why)
{
        manager *m = f->manager;
        unsigned flags = (verify ? SA_REFRESH_VERIFY : 0) | (f->watchproc ? SA_REFRESH_EXITS_KNOWN : 0) |
                         (probe && !f->watchproc ? SA_REFRESH_LIST_PIDS : 0) | SA_REFRESH_NO_FULL;
        sa_snapshot *snap = NULL;
        sa_refresh_info info;
        unsigned skipped = 0;
        uint64_t cpu0;
        int r;

        if (!m->snapshot)
                return manager_scan(m, why);
        freshness_drain(f);
        watchlisten_drain(f->watchlisten); /* a listener opened or closed just now marks its namespace */
        cpu0 = cpu_usec();
        r = sa_scanner_refresh(m->scanner, m->snapshot, fs, n, flags, &info, &snap);
        if (r == -EAGAIN && info.full) {
                if (!resync_running(f)) /* else the resync running now ends it */
                        log_debug("Refresh (%s) needs a full scan, in the background: %s", why, info.reason);
                if (probe) {
                        if (!f->job) {
                                f->refresh_full++;
                                event_scan(f);
                        }
                        return 0;
                }
                f->refresh_full += !resync_running(f);
                return resync_start(f, RESYNC_REQUEST);
        }
        f->refreshes++;
        f->refresh_closed += info.closed;
        f->refresh_error = r < 0 ? r : 0;
        freshness_note_fd_trouble(f, r);
        if (info.full) {
                f->refresh_full++;
                f->last_full_cpu_usec = cpu_usec() - cpu0;
                log_debug("Refresh (%s) needed a full scan: %s", why, info.reason);
        }
        if (r < 0) {
                f->refresh_errors++;
                /* Its steps may have left the index half updated (a new
                 * process marked walked, say): the next one rebuilds it. */
                if (info.full) {
                        manager_count_scan(m, r);
                        freshness_schedule_resync(f);
                } else
                        sa_scanner_note_lost(m->scanner);
                if (log_ratelimit_test(&f->probe_rl, &skipped))
                        log_warning_errno(r, "Refresh (%s) failed, answering from the last scan: %m%s",
                                          why, LOG_SUPPRESSED(skipped));
                return info.full ? r : 0;
        }
        if (info.full) {
                manager_count_scan(m, 0);
                freshness_schedule_resync(f);
        }
        /* A new holder's details (and fds) were read just now: again once its hot
         * window is over (one re-read for a burst, at most one per window). */
        if (info.new_sockets > 0) {
                f->last_new_usec = now_usec(CLOCK_MONOTONIC);
                if (!f->reread_at)
                        f->reread_at = f->last_new_usec + HOT_WINDOW_USEC;
        }
        if (r == 0)
                return 0;
        f->refresh_changes++;
        log_debug("Refresh (%s): %u new listeners, %u gone, %u processes walked, %u pairs verified, "
                  "%u dropped, %zu described as before, %.2f ms", why, info.new_sockets, info.gone_sockets,
                  info.walked, info.verified, info.dropped, info.details_copied, info.usec / 1000.0);
        manager_install(m, snap);
        return 0;
}

/* Every listener refreshed with its owners re-verified (check, and list when needed);
 * events the refresh drains count as after it (the next request verifies). */
int freshness_verify_all(freshness *f, const char *why)
{
        uint64_t mark = verifyskip_mark(&f->skip), at = now_usec(CLOCK_MONOTONIC);
        int r = refresh(f, NULL, 0, false, true, why);

        if (r == 0 && f->refresh_error == 0 && f->manager->snapshot)
                verifyskip_verified(&f->skip, mark, at);
        return r;
}

int freshness_ensure(freshness *f, const sa_filter *filter)
{
        if (!f->manager->snapshot)
                return manager_scan(f->manager, "no snapshot yet");
        /* Events queued now decide (verifyskip.h); skipped, dumps and new processes still run. */
        freshness_drain(f);
        if (verifyskip_may_skip(&f->skip, f->watchproc != NULL, now_usec(CLOCK_MONOTONIC)))
                return refresh(f, filter, filter ? 1 : 0, false, false, "request");
        if (!filter || (filter->port == 0 && ((filter->protos ?: SA_PROTO_ANY) & SA_PROTO_ANY) == SA_PROTO_ANY))
                return freshness_verify_all(f, "request");
        /* Polling: new processes are listed by the probe, not per request. */
        return refresh(f, filter, 1, false, true, "request");
}

/* The watched ports as filters (Ports=all: none, meaning every port). */
static int watched_update(freshness *f)
{
        const policy *p = &f->manager->config->policy;
        sa_filter *fs;
        size_t n = 0;

        free(f->watched);
        f->watched = NULL;
        f->n_watched = 0;
        if (p->all_ports)
                return 0;
        fs = calloc(p->n_ports + p->n_rules + 1, sizeof *fs);
        if (!fs)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_ports; i++)
                fs[n++] = (sa_filter) { .port = p->ports[i], .protos = p->protos };
        for (size_t i = 0; i < p->n_rules; i++)
                fs[n++] = (sa_filter) { .port = p->rules[i].port,
                                        .protos = p->rules[i].proto == IPPROTO_TCP ? SA_PROTO_TCP
                                                                                   : SA_PROTO_UDP };
        if (n == 0) {
                free(fs);
                f->n_watched = SIZE_MAX; /* nothing watched: no probe */
                return 0;
        }
        f->watched = fs;
        f->n_watched = n;
        return 0;
}

uint64_t freshness_probe_interval(const freshness *f)
{
        uint64_t iv = PROBE_USEC;

        if (f->manager->config->scan_interval_usec < iv)
                iv = f->manager->config->scan_interval_usec;
        return iv;
}

static void probe_schedule(freshness *f)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), iv = freshness_probe_interval(f);

        if (!f->probe_timer)
                return;
        if (now < f->hot_until)
                iv = HOT_PROBE_USEC;
        sd_event_source_set_time(f->probe_timer, now + iv);
        sd_event_source_set_time_accuracy(f->probe_timer, iv / 10 ?: 1);
        sd_event_source_set_enabled(f->probe_timer, SD_EVENT_ONESHOT);
}

static int on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        freshness *f = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        bool hot = now < f->hot_until;

        if (f->reread_at && now >= f->reread_at) {
                /* Listeners found since the first of the burst get their own window. */
                f->reread_at = f->last_new_usec + HOT_WINDOW_USEC > now ? f->last_new_usec + HOT_WINDOW_USEC : 0;
                f->details_rereads++;
                (void) sa_scanner_note_details(f->manager->scanner); /* and the new holders' fds */
        }
        if (f->n_watched != SIZE_MAX)
                (void) refresh(f, f->watched, f->n_watched, true, !hot, "probe");
        if (f->parked_leftover && !resync_running(f))
                freshness_resync_settled(f, 0, false);
        probe_schedule(f);
        return 0;
}

/* Something happened: probe after delay (at most), then fast for a while. */
static void heat_after(freshness *f, uint64_t delay)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), next = 0;

        f->hot_until = now + HOT_WINDOW_USEC;
        if (!f->probe_timer)
                return;
        if (sd_event_source_get_time(f->probe_timer, &next) < 0 || next > now + delay) {
                sd_event_source_set_time(f->probe_timer, now + delay);
                sd_event_source_set_time_accuracy(f->probe_timer, delay / 10 ?: 1);
                sd_event_source_set_enabled(f->probe_timer, SD_EVENT_ONESHOT);
        }
}

static void heat(freshness *f)
{
        heat_after(f, HOT_PROBE_USEC);
}

static bool port_watched(const freshness *f, uint16_t port, int proto)
{
        unsigned bit = proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP;

        if (f->n_watched == SIZE_MAX)
                return false;
        for (size_t i = 0; i < f->n_watched; i++)
                if ((f->watched[i].port == 0 || f->watched[i].port == port) &&
                    ((f->watched[i].protos ?: SA_PROTO_ANY) & bit))
                        return true;
        return f->n_watched == 0; /* Ports=all */
}

/* A listener in a namespace no refresh dumps yet: the full scan now. */
static void event_scan_run(freshness *f)
{
        /* A resync already walking found its namespaces before this one:
         * another after it (budgeted), not a scan blocking the loop now. */
        if (resync_running(f)) {
                f->event_scan_after = true;
                return;
        }
        f->event_scan_usec = now_usec(CLOCK_MONOTONIC);
        f->event_scans++;
        (void) resync_start(f, RESYNC_PERIODIC);
        /* Scanned here when it could not start: probe now. */
        f->heat_after_resync = resync_running(f);
        if (!f->heat_after_resync)
                heat_after(f, LISTEN_SETTLE_USEC);
}

static int on_event_scan_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        event_scan_run(userdata);
        return 0;
}

/*
 * The full scan a listen event in a new namespace asks for, budgeted:
 * at once if the last one started long enough ago (EVENT_SCAN_MIN_USEC,
 * or EVENT_SCAN_BUDGET times the last full scan's CPU), else when that
 * has passed (one scan for every request meanwhile).
 */
static void event_scan(freshness *f)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), gap = f->last_full_cpu_usec * EVENT_SCAN_BUDGET;
        uint64_t due = f->event_scan_usec + (gap > EVENT_SCAN_MIN_USEC ? gap : EVENT_SCAN_MIN_USEC);
        int r;

        if (f->event_scan_usec == 0 || now >= due) {
                if (f->event_scan_timer)
                        sd_event_source_set_enabled(f->event_scan_timer, SD_EVENT_OFF);
                event_scan_run(f);
                return;
        }
        f->event_scans_held++;
        if (!f->event_scan_timer) {
                r = sd_event_add_time(f->manager->event, &f->event_scan_timer, CLOCK_MONOTONIC, due,
                                      EVENT_SCAN_MIN_USEC / 10, on_event_scan_timer, f);
                if (r < 0)
                        event_scan_run(f); /* no timer: not lost, only not budgeted */
                return;
        }
        sd_event_source_set_time(f->event_scan_timer, due);
        sd_event_source_set_enabled(f->event_scan_timer, SD_EVENT_ONESHOT);
}

/*
 * A listen() or UDP bind() somewhere, or a listener closed (eBPF): its
 * namespace is marked changed (netnsevents.h). On a watched port: probe
 * after LISTEN_SETTLE_USEC (it may come before the socket can be dumped:
 * the hot probes that follow catch it then); in a namespace no refresh
 * dumps yet, that namespace is added to the scanner's (found through the
 * caller's pid), else (the caller left already, or too many were added
 * since the last full scan) a full scan (budgeted: event_scan()).
 */
static void on_listen_event(const sa_listen_note *note, void *userdata)
{
        freshness *f = userdata;
        manager *m = f->manager;

        netnsevents_note(m->scanner, note, now_usec(CLOCK_MONOTONIC) + HOT_WINDOW_USEC);
        if (note->lost || !note->port || !port_watched(f, note->port, note->proto))
                return;
        f->listen_probes++;     /* a closed one too: `watch` hears of it at once */
        /* Its maker is walked by the probe, even an old process: no full scan to find it. */
        if (!note->closed && note->pid > 0 && sa_scanner_note_listen(m->scanner, note->pid) < 0)
                sa_scanner_note_lost(m->scanner);
        if (!note->closed && note->netns && m->snapshot && sa_scanner_netns_status(m->scanner, note->netns) == 0) {
                /* That namespace alone joins the probes; only a full scan finds it otherwise. */
                if (sa_scanner_netns_add(m->scanner, note->pid, note->netns) < 0) {
                        event_scan(f);
                        return;
                }
                f->netns_added++;
        }
        heat_after(f, LISTEN_SETTLE_USEC);
}

static void on_proc_event(watchproc_event ev, pid_t pid, pid_t parent, void *userdata)
{
        freshness *f = userdata;
        sa_scanner *scanner = f->manager->scanner;

        /* A holder forked, exec'd or exited, or events were lost: requests verify (verifyskip.h). */
        if (ev == WATCHPROC_LOST || sa_scanner_knows_owner(scanner, ev == WATCHPROC_NEW ? parent : pid))
                verifyskip_changed(&f->skip);
        switch (ev) {
        case WATCHPROC_NEW:
                if (sa_scanner_note_new(scanner, pid, parent) < 0)
                        sa_scanner_note_lost(scanner);
                /* A fork of a holder (a server starting workers, maybe
                 * after opening a socket): a listener may come next. Other
                 * forks (shells, pools) hold what their parent held, found
                 * by the next probe. */
                if (sa_scanner_knows_owner(scanner, parent))
                        heat(f);
                break;
        case WATCHPROC_EXEC:
                /* A new program: a listener may come next (eBPF says when it
                 * does); a holder's exec changes what its row says. */
                if (!watchlisten_has_udp(f->watchlisten) || sa_scanner_knows_owner(scanner, pid))
                        heat(f);
                if (sa_scanner_note_exec(scanner, pid) < 0)
                        sa_scanner_note_lost(scanner);
                break;
        case WATCHPROC_EXIT:
                if (sa_scanner_knows_owner(scanner, pid))
                        heat(f);
                sa_scanner_note_exit(scanner, pid);
                break;
        case WATCHPROC_LOST:
                sa_scanner_note_lost(scanner);
                heat(f);
                break;
        }
}

/*
 * Process events need CAP_NET_ADMIN, listen events CAP_BPF: both opened
 * before they are dropped. SOCKAUDITD_FRESHNESS=polling forces listing
 * /proc instead, =proc-connector leaves eBPF out.
 */
static int open_sources(freshness *f, freshness_events events, bool no_ebpf)
{
        manager *m = f->manager;
        int r;

        if (events == FRESHNESS_EVENTS_NONE)
                log_info("Freshness: polling (SOCKAUDITD_FRESHNESS=polling)");
        else if ((r = watchproc_open(&f->watchproc)) < 0)
                log_info_errno(r, "Freshness: polling /proc (no proc connector: %m)");
        else if ((r = watchproc_attach(f->watchproc, m->event, on_proc_event, f)) < 0)
                return log_error_errno(r, "Cannot watch process events: %m");
        if (events != FRESHNESS_EVENTS_ALL)
                snprintf(f->listen_why, sizeof f->listen_why, "SOCKAUDITD_FRESHNESS=%s", events_names[events]);
        else if (no_ebpf)
                snprintf(f->listen_why, sizeof f->listen_why, "SOCKAUDITD_EBPF=0");
        else if (watchlisten_open(m->event, on_listen_event, f, &f->watchlisten, f->listen_why,
                                  sizeof f->listen_why) < 0)
                log_info("Listen events: none (%s); new listeners are found by probes", f->listen_why);
        else
                log_info("Listen events: eBPF (TCP listen%s%s)",
                         watchlisten_has_udp(f->watchlisten) ? ", UDP bind" : "; ",
                         watchlisten_has_udp(f->watchlisten) ? "" : f->listen_why);
        netnsevents_setup(m->scanner, f->watchlisten, f->listen_why);
        return 0;
}

int freshness_new(manager *m, freshness_events events, bool no_ebpf, freshness **ret)
{
        freshness *f;
        int r;

        f = calloc(1, sizeof *f);
        if (!f)
                return log_error_errno(ENOMEM, "Out of memory");
        f->manager = m;
        f->probe_rl = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        f->fd_rl = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        r = watched_update(f);
        if (r < 0) {
                log_error_errno(r, "Out of memory");
                goto fail;
        }
        r = open_sources(f, events, no_ebpf);
        if (r < 0)
                goto fail;      /* logged */
        *ret = f;
        return 0;
fail:
        freshness_free(f);
        return r;
}

int freshness_start(freshness *f)
{
        sd_event *e = f->manager->event;
        uint64_t iv = f->manager->config->scan_interval_usec;
        int r;

        r = sd_event_add_time_relative(e, &f->resync_timer, CLOCK_MONOTONIC, iv, scan_accuracy(iv),
                                       on_resync_timer, f);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the scan timer: %m");
        freshness_schedule_resync(f); /* spaced by the first scan's cost */
        r = sd_event_add_time_relative(e, &f->probe_timer, CLOCK_MONOTONIC, PROBE_USEC, PROBE_USEC / 10,
                                       on_probe_timer, f);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the probe timer: %m");
        probe_schedule(f);
        r = sd_event_add_time(e, &f->refresh_timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_refresh_timer, f);
        if (r >= 0)
                r = sd_event_source_set_enabled(f->refresh_timer, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time(e, &f->check_timer, CLOCK_MONOTONIC, 0, USEC_PER_MSEC, on_check_timer, f);
        if (r >= 0)
                r = sd_event_source_set_enabled(f->check_timer, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the request timers: %m");
        return 0;
}

freshness *freshness_free(freshness *f)
{
        if (!f)
                return NULL;
        sd_event_source_disable_unref(f->resync_timer);
        sd_event_source_disable_unref(f->probe_timer);
        sd_event_source_disable_unref(f->event_scan_timer);
        sd_event_source_disable_unref(f->refresh_timer);
        sd_event_source_disable_unref(f->check_timer);
        resync_stop(f);
        sd_event_source_disable_unref(f->gate_timer);
        sd_event_source_disable_unref(f->vjob_source);
        sa_verify_job_cancel(f->vjob);
        sa_snapshot_free(f->resync_snap);
        watchproc_free(f->watchproc);
        watchlisten_free(f->watchlisten);
        free(f->watched);
        free(f);
        return NULL;
}
