/* SPDX-License-Identifier: MIT */
/*
 * The freshness engine's state, shared by its files (freshness.c: probes,
 * events, refreshes, the resync; freshness-status.c: its status JSON and
 * health; freshness-wait.c: requests waiting for the resync).
 * Not for other modules: they use freshness.h.
 */
#ifndef SAD_FRESHNESS_INTERNAL_H
#define SAD_FRESHNESS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "coalesce.h"
#include "freshness.h"
#include "log.h"
#include "sockaudit-internal.h"
#include "verifyskip.h"
#include "watchlisten.h"
#include "watchproc.h"

struct manager;

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
 * core: at least RESYNC_BUDGET times the CPU time the last one took, from
 * its start to its snapshot installed (its owners' verification included).
 */
#define PROBE_USEC      (500 * USEC_PER_MSEC)
#define HOT_PROBE_USEC  (20 * USEC_PER_MSEC)
#define HOT_WINDOW_USEC (2 * USEC_PER_SEC)
/* From a listen event to its probe: a program that binds as root and then
 * drops privileges or sets its title is described as it runs, not as it
 * started (its details are read once, when the listener is new). */
#define LISTEN_SETTLE_USEC (10 * USEC_PER_MSEC)
#define RESYNC_BUDGET   400u
/* Full scans started by listen events (a new namespace): at most one per
 * EVENT_SCAN_MIN_USEC, or per EVENT_SCAN_BUDGET times the CPU the last full
 * scan took if longer (at most 1/EVENT_SCAN_BUDGET of a core); one asked
 * for sooner waits for it (kept, not lost). */
#define EVENT_SCAN_MIN_USEC (500 * USEC_PER_MSEC)
#define EVENT_SCAN_BUDGET   10u
/* Out of fds within this long: status says degraded. */
#define FD_TROUBLE_USEC (60 * USEC_PER_SEC)

struct freshness {
        struct manager *manager;               /* borrowed: the owner */
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
        uint64_t reread_at;       /* CLOCK_MONOTONIC: describe holders again then (0: no need) */
        uint64_t last_new_usec;   /* CLOCK_MONOTONIC: a refresh last found a new listener */
        uint64_t details_rereads; /* done (status) */
        bool heat_after_resync;   /* a listen event in a new namespace started the resync */
        bool event_scan_after;    /* one came while a resync walked: scan again after it */
        sd_event_source *event_scan_timer; /* a full scan a listen event asked for, held back */
        uint64_t event_scan_usec; /* CLOCK_MONOTONIC of the last one started */
        uint64_t event_scans, event_scans_held; /* started; asked for while one was due (coalesced) */
        uint64_t netns_added;     /* namespaces added by a listen event, no full scan */
        sa_filter *watched;       /* filters of the watched ports; n_watched 0: every port, SIZE_MAX: none */
        size_t n_watched;
        uint64_t last_full_cpu_usec; /* CPU time of the last full scan (all threads) */
        uint64_t resync_cpu_usec; /* of the last resync, from its start to its install */
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
         * (its reads on the verify job's thread); each timer starts one
         * when the budget allows. */
        coalesce refresh_wait, check_wait;
        sd_event_source *refresh_timer, *check_timer;

        /* The verification of every holder with its reads on a thread (the
         * lib's verify job), for check's waiters or at a resync's end; one
         * at a time: the other waits for it (resync_snap is then kept). */
        sa_verify_job *vjob;
        sd_event_source *vjob_source;
        uint64_t vjob_cpu0, vjob_mark, vjob_at;
        bool vjob_for_check;      /* else for the resync: resync_snap */
        uint64_t verify_jobs;     /* verifications whose reads ran on the thread (status) */
        sa_snapshot *resync_snap; /* a finished resync's snapshot, until its owners are verified */

        /* Requests whose refresh needs a full scan wait for the resync
         * (freshness-wait.c); so does check's verification then. */
        uint64_t parked_seq;      /* tickets handed out (the high bits of each) */
        uint64_t walk_parked_seq; /* tickets up to this came before the resync walking (or last walked) started */
        uint64_t walk_iteration;  /* the loop's iteration that started it (sd_event_get_iteration()) */
        uint64_t resync_again;    /* resyncs installed as walked: their refresh needed a full scan (status) */
        uint64_t parked, request_resyncs; /* requests that waited; resyncs started for them (status) */
        bool parked_leftover;     /* some could not take their answer yet (output full): retried by the probe */
        bool check_after_resync;  /* check's waiters wait for the resync's end */
        uint64_t check_cpu0;      /* their verification's CPU start */
        const char *gate;         /* tests only: SOCKAUDITD_TEST_RESYNC_GATE (borrowed) */
        sd_event_source *gate_timer;
};

/* The probe interval: PROBE_USEC, or ScanInterval if shorter. */
uint64_t freshness_probe_interval(const freshness *f);

/* Out of fds (r, or sockets the namespaces could not get since last looked): remembered for status
 * (degraded), logged as an error at most once a minute (freshness-status.c). */
void freshness_note_fd_trouble(freshness *f, int r);

/* Every listener refreshed with its owners re-verified (freshness_ensure()'s answers). */
int freshness_verify_all(freshness *f, const char *why);

/* check's waiters that waited for the resync get its result r (freshness.c). */
void freshness_check_settled(freshness *f, int r);

/*
 * The resync (or a full scan here) ended with r: check's waiters and the
 * requests waiting for it get their answers. exact: the snapshot was
 * dumped after they came (answered from it as it is); else each is
 * refreshed first, and waits on if that needs another full scan.
 */
void freshness_resync_settled(freshness *f, int r, bool exact);

/*
 * The resync's snapshot was installed as its walk saw it (its refresh
 * needed another full scan): the requests parked before its walk started
 * are answered from it (it saw every listener opened before they were
 * sent); the others as freshness_resync_settled(f, 0, false): they wait
 * for the next resync, which their refresh starts. So a request waits for
 * at most two resyncs, however many listeners come meanwhile.
 */
void freshness_resync_walked(freshness *f);

/* {"waited":N,"waiting":N,"full_scans":N}: status.freshness.requests.resync. NULL out of memory. */
json_t *freshness_parked_to_json(freshness *f);

/* Whether the test gate holds the resync's end (then it arms its timer, which finishes it later). */
bool freshness_gate_holds(freshness *f);

/* The test gate opened: the resync it held is finished (freshness.c). */
void freshness_gate_opened(freshness *f);

#endif
