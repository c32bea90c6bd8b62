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
#include "coalesce.h"
#include "commands.h"
#include "freshness.h"
#include "sockaudit-internal.h"
#include "manager.h"
#include "netnsevents.h"
#include "verifyskip.h"
#include "watchlisten.h"
#include "watchproc.h"

/*
 * Every PROBE_USEC the watched ports are refreshed incrementally
 * (sock_diag dumps, known owners re-verified, new processes walked): a new
 * listener reaches the watchers within one probe interval. A listen() or
 * UDP bind() on a watched port (eBPF, daemon/watchlisten.c) probes
 * LISTEN_SETTLE_USEC later; after it, after an exec (of a holder only, when
 * eBPF tells of every new listener), a fork of a holder or the exit of a
 * holder (proc connector) they are refreshed every HOT_PROBE_USEC for
 * HOT_WINDOW_USEC, without the re-verification (dumps and new processes
 * only): a listener opened by a program just started, or closed by one
 * that exited, is seen by one of these hot probes (the latencies measured
 * are in docs/PERFORMANCE.md). The full scan (ScanInterval) stays as a
 * resync, for what no event shows (sockets passed over SCM_RIGHTS or taken
 * with pidfd_getfd), spaced so that it costs at most 1/RESYNC_BUDGET of a
 * core: at least RESYNC_BUDGET times the CPU time the last one took.
 */
#define PROBE_USEC      (500 * USEC_PER_MSEC)
#define HOT_PROBE_USEC  (20 * USEC_PER_MSEC)
#define HOT_WINDOW_USEC (2 * USEC_PER_SEC)
/* From a listen event to its probe: a program that binds as root and then
 * drops privileges or sets its title is described as it runs, not as it
 * started (its details are read once, when the listener is new). */
#define LISTEN_SETTLE_USEC (10 * USEC_PER_MSEC)
#define RESYNC_BUDGET   200u
/* Full scans started by listen events (a new namespace): at most one per
 * EVENT_SCAN_MIN_USEC, or per EVENT_SCAN_BUDGET times the CPU the last full
 * scan took if longer (at most 1/EVENT_SCAN_BUDGET of a core); one asked
 * for sooner waits for it (kept, not lost). */
#define EVENT_SCAN_MIN_USEC (500 * USEC_PER_MSEC)
#define EVENT_SCAN_BUDGET   10u
/* Out of fds within this long: status says degraded. */
#define FD_TROUBLE_USEC (60 * USEC_PER_SEC)

struct freshness {
        manager *manager;               /* borrowed: the owner */
        sd_event_source *resync_timer;  /* the full resync */
        sd_event_source *probe_timer;   /* the cheap refresh of watched ports */
        sa_scan_job *job;               /* the periodic resync, walking on its thread */
        sd_event_source *job_source;    /* its end */
        uint64_t job_cpu0;

        watchproc *watchproc;     /* proc connector; NULL: new processes found by listing /proc */
        watchlisten *watchlisten; /* eBPF listen/bind events; NULL: new listeners found by probes */
        char listen_why[160];     /* why watchlisten is NULL, or what it lacks */
        uint64_t listen_probes;   /* probes started by a listen event on a watched port */
        uint64_t hot_until;       /* CLOCK_MONOTONIC: probe fast until then (processes started) */
        bool heat_after_resync;   /* a listen event in a new namespace started the resync */
        bool event_scan_after;    /* one came while a resync walked: scan again after it */
        sd_event_source *event_scan_timer; /* a full scan a listen event asked for, held back */
        uint64_t event_scan_usec; /* CLOCK_MONOTONIC of the last one started */
        uint64_t event_scans, event_scans_held; /* started; asked for while one was due (coalesced) */
        uint64_t netns_added;     /* namespaces added by a listen event, no full scan */
        sa_filter *watched;       /* filters of the watched ports; n_watched 0: every port, SIZE_MAX: none */
        size_t n_watched;
        uint64_t last_full_cpu_usec; /* CPU time of the last full scan (all threads) */
        uint64_t refreshes, refresh_changes, refresh_full, refresh_errors;
        uint64_t refresh_closed;  /* new listeners held by nobody that had closed: no full scan */
        int refresh_error;        /* -errno of the latest refresh, 0 if it worked: answers are stale */
        uint64_t fd_failures_seen; /* the scanner's fd_failures when last looked at */
        uint64_t fd_trouble_usec;  /* CLOCK_MONOTONIC of the latest fd exhaustion, 0 if none */
        verifyskip skip;          /* whether a request may skip re-verifying the holders */
        log_ratelimit probe_rl;
        log_ratelimit fd_rl;

        /* Coalesced requests (coalesce.h): refresh waits for a full scan on
         * the resync's thread, check for a verification of every listener
         * (here, on the loop: the lib's refresh is not thread-safe); each
         * timer starts one when the budget allows. */
        coalesce refresh_wait, check_wait;
        sd_event_source *refresh_timer, *check_timer;
};

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
        uint64_t iv = f->manager->config->scan_interval_usec, budget = f->last_full_cpu_usec * RESYNC_BUDGET;

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
static int verify_all(freshness *f, const char *why);
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
        return r;
}

static void resync_stop(freshness *f)
{
        f->job_source = sd_event_source_disable_unref(f->job_source);
        sa_scan_job_cancel(f->job);
        f->job = NULL;
}

/*
 * The periodic resync's walk ended (its own thread): details and index
 * here, then a refresh of every listener, so that what is compared with the
 * current snapshot is as of now, not as of the resync's dumps.
 */
static void resync_finish(freshness *f)
{
        manager *m = f->manager;
        sa_scan_job *job = f->job;
        sa_snapshot *snap = NULL, *now = NULL;
        sa_refresh_info info;
        int r;

        f->job = NULL;
        f->job_source = sd_event_source_disable_unref(f->job_source);
        freshness_drain(f);
        r = sa_scanner_scan_finish(m->scanner, job, &snap);
        f->last_full_cpu_usec = cpu_usec() - f->job_cpu0;
        if (r == -ESTALE) {             /* a full scan ran meanwhile, started after this one */
                freshness_schedule_resync(f);
                refresh_waiters_done(f, 0, f->last_full_cpu_usec);
                return;
        }
        if (r < 0) {
                manager_scan_done(m, r, NULL, "periodic");
                refresh_waiters_done(f, r, f->last_full_cpu_usec);
                return;
        }
        r = sa_scanner_refresh(m->scanner, snap, NULL, 0,
                               SA_REFRESH_VERIFY | (f->watchproc ? SA_REFRESH_EXITS_KNOWN : SA_REFRESH_LIST_PIDS),
                               &info, &now);
        if (info.full)
                log_debug("Refresh after the resync needed a full scan: %s", info.reason);
        if (r > 0) {
                /* Status reports the resync: its counters and its time. */
                now->stats = snap->stats;
                now->duration_usec += snap->duration_usec;
                sa_snapshot_free(snap);
                snap = now;
        } else if (r < 0)
                log_debug_errno(r, "Refresh after the resync failed, installing the resync as it is: %m");
        manager_scan_done(m, 0, snap, "periodic");
        refresh_waiters_done(f, 0, cpu_usec() - f->job_cpu0);
}

static int on_resync_done(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        freshness *f = userdata;

        resync_finish(f);
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
        return 0;
}

/*
 * The full resync: the walk on a thread, the loop keeps serving. Every
 * refresh request that came before it gets its answer at its end;
 * for_requests: started for them (counted), else periodic.
 */
static void resync_start(freshness *f, bool for_requests)
{
        const char *why = for_requests ? "refresh request" : "periodic";
        manager *m = f->manager;
        int r;

        if (f->job)
                return;
        if (!m->snapshot) {
                (void) scan_here(f, why);
                return;
        }
        freshness_drain(f);
        f->job_cpu0 = cpu_usec();
        r = sa_scanner_scan_start_from(m->scanner, for_requests ? NULL : m->snapshot, &f->job);
        if (r >= 0)
                r = sd_event_add_io(m->event, &f->job_source, sa_scan_job_fd(f->job), EPOLLIN,
                                    on_resync_done, f);
        if (r < 0) {
                resync_stop(f);
                log_debug_errno(r, "Cannot start the resync in the background, scanning here: %m");
                (void) scan_here(f, why);
                return;
        }
        coalesce_started(&f->refresh_wait, now_usec(CLOCK_MONOTONIC), for_requests);
}

static int on_resync_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        resync_start(userdata, false);
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
        return !f->job && kick(f->refresh_timer, &f->refresh_wait);
}

/* The budget allows a scan for the refresh requests waiting (else: armed again for when it does). */
static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        freshness *f = userdata;

        if (kick_refresh(f)) {
                sd_event_source_set_enabled(s, SD_EVENT_OFF);
                resync_start(f, true);
        }
        return 0;
}

/* The full verification for the check requests waiting: every listener refreshed, here. */
static int on_check_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        freshness *f = userdata;
        uint64_t cpu0 = cpu_usec(), upto;
        int r;

        if (!kick(s, &f->check_wait))
                return 0;       /* none waits, or not yet allowed: armed again */
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        coalesce_started(&f->check_wait, now_usec(CLOCK_MONOTONIC), true);
        /* check promises a verification of every listener: never skipped. */
        r = f->manager->snapshot ? verify_all(f, "check") : manager_scan(f->manager, "no snapshot yet");
        upto = coalesce_finished(&f->check_wait, cpu_usec() - cpu0);
        answer_waiters(f, REQUEST_CHECK, &f->check_wait, upto, r);
        (void) kick(f->check_timer, &f->check_wait);
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

static bool is_fd_exhaustion(int r)
{
        return r == -EMFILE || r == -ENFILE;
}

/* Out of fds (r, or sockets the namespaces could not get since last looked):
 * remembered for status (degraded), logged as an error at most once a minute. */
static void note_fd_trouble(freshness *f, int r)
{
        sa_netns_fd_stats ns;
        unsigned skipped = 0;

        sa_scanner_netns_fd_stats(f->manager->scanner, &ns);
        if (!is_fd_exhaustion(r) && ns.fd_failures == f->fd_failures_seen)
                return;
        if (!is_fd_exhaustion(r))
                r = ns.last_fd_error;
        f->fd_failures_seen = ns.fd_failures;
        f->fd_trouble_usec = now_usec(CLOCK_MONOTONIC);
        if (log_ratelimit_test(&f->fd_rl, &skipped))
                log_error_errno(r, "Out of file descriptors: %m (%zu network namespaces, sockets kept in "
                                "%zu of at most %zu); answers are marked stale until a scan works%s",
                                ns.namespaces, ns.kept, ns.keep_max, LOG_SUPPRESSED(skipped));
}

/*
 * Incremental refresh of the listeners passing fs (n 0: all); list_pids:
 * when polling, list PROC_ROOT for new processes first; verify: re-read
 * the known owners (skipped by the fast probes after a process event,
 * which look for new listeners: exits come as events). Falls back to
 * a full scan by itself when it must (then counted and scheduled as one).
 * A failed refresh keeps the snapshot; <0 only when a full scan failed.
 */
static int refresh(freshness *f, const sa_filter *fs, size_t n, bool list_pids, bool verify, const char *why)
{
        manager *m = f->manager;
        unsigned flags = (verify ? SA_REFRESH_VERIFY : 0) | (f->watchproc ? SA_REFRESH_EXITS_KNOWN : 0) |
                         (list_pids && !f->watchproc ? SA_REFRESH_LIST_PIDS : 0);
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
        f->refreshes++;
        f->refresh_closed += info.closed;
        f->refresh_error = r < 0 ? r : 0;
        note_fd_trouble(f, r);
        if (info.full) {
                f->refresh_full++;
                f->last_full_cpu_usec = cpu_usec() - cpu0;
                log_debug("Refresh (%s) needed a full scan: %s", why, info.reason);
        }
        if (r < 0) {
                f->refresh_errors++;
                /* Its steps may have left the index half updated (a new
                 * process marked walked, say): the next one rebuilds it. */
                if (!info.full)
                        sa_scanner_note_lost(m->scanner);
                if (info.full)
                        manager_count_scan(m, r);
                if (log_ratelimit_test(&f->probe_rl, &skipped))
                        log_warning_errno(r, "Refresh (%s) failed, answering from the last scan: %m%s",
                                          why, LOG_SUPPRESSED(skipped));
                if (info.full)
                        freshness_schedule_resync(f);
                return info.full ? r : 0;
        }
        if (info.full) {
                manager_count_scan(m, 0);
                freshness_schedule_resync(f);
        }
        if (r == 0)
                return 0;
        f->refresh_changes++;
        log_debug("Refresh (%s): %u new listeners, %u gone, %u processes walked, %u pairs verified, "
                  "%u dropped, %.2f ms", why, info.new_sockets, info.gone_sockets, info.walked,
                  info.verified, info.dropped, info.usec / 1000.0);
        manager_install(m, snap);
        return 0;
}

bool freshness_stale(freshness *f, char *buf, size_t size)
{
        int r = f->refresh_error < 0 ? f->refresh_error : f->manager->last_scan_error;

        note_fd_trouble(f, f->manager->last_scan_error);
        if (r >= 0)
                return false;
        snprintf(buf, size, "%s failed: %s", f->refresh_error < 0 ? "refresh" : "last scan", strerror(-r));
        return true;
}

/* Every listener refreshed with its owners re-verified (check, and list when needed);
 * events the refresh drains count as after it (the next request verifies). */
static int verify_all(freshness *f, const char *why)
{
        uint64_t mark = verifyskip_mark(&f->skip), at = now_usec(CLOCK_MONOTONIC);
        int r = refresh(f, NULL, 0, false, true, why);

        if (r >= 0 && f->refresh_error == 0 && f->manager->snapshot)
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
                return verify_all(f, "request");
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

/* The probe interval: PROBE_USEC, or ScanInterval if shorter. */
static uint64_t probe_interval(const freshness *f)
{
        uint64_t iv = PROBE_USEC;

        if (f->manager->config->scan_interval_usec < iv)
                iv = f->manager->config->scan_interval_usec;
        return iv;
}

static void probe_schedule(freshness *f)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), iv = probe_interval(f);

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
        bool hot = now_usec(CLOCK_MONOTONIC) < f->hot_until;

        if (f->n_watched != SIZE_MAX)
                (void) refresh(f, f->watched, f->n_watched, true, !hot, "probe");
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
        if (f->job) {
                f->event_scan_after = true;
                return;
        }
        f->event_scan_usec = now_usec(CLOCK_MONOTONIC);
        f->event_scans++;
        resync_start(f, false);
        /* Scanned here when it could not start: probe now. */
        f->heat_after_resync = f->job != NULL;
        if (!f->job)
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

const char *freshness_mode(const freshness *f)
{
        return f->watchproc ? "proc-connector" : "polling";
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
        json_t *requests = json_pack("{s:o,s:o}", "refresh", coalesce_to_json(&f->refresh_wait),
                                     "check", coalesce_to_json(&f->check_wait));
        if (!requests) {
                json_decref(le);
                return NULL;
        }
        sa_scanner_incremental_stats(f->manager->scanner, &is);
        watchproc_get_stats(f->watchproc, &ws);
        o = json_pack("{s:s,s:o,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I}}",
                         "mode", freshness_mode(f),
                         "listen_events", le,
                         "probe_interval_sec", probe_interval(f) / 1e6,
                         "resync_interval_sec", freshness_resync_interval(f) / 1e6,
                         "last_full_scan_cpu_ms", f->last_full_cpu_usec / 1e3,
                         "refreshes", (json_int_t) f->refreshes,
                         "refresh_changes", (json_int_t) f->refresh_changes,
                         "refresh_full_scans", (json_int_t) f->refresh_full,
                         "refresh_errors", (json_int_t) f->refresh_errors,
                         "refresh_closed", (json_int_t) f->refresh_closed,
                         "verify_skipped", (json_int_t) f->skip.skipped,
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
        watchproc_free(f->watchproc);
        watchlisten_free(f->watchlisten);
        free(f->watched);
        free(f);
        return NULL;
}
