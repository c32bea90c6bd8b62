/* SPDX-License-Identifier: MIT */
/*
 * The freshness engine: keeps the manager's snapshot close to the present
 * between full scans. It owns the probe timer (an incremental refresh of
 * the watched ports every 500 ms, every 20 ms for 2 s after something
 * happened: the hot window), the event sources that say something happened
 * (the proc connector's fork/exec/exit, eBPF listen() and UDP bind()), and
 * the periodic resync: a full scan walking on a thread of its own, spaced
 * by ScanInterval and by what the last full scan cost. It also answers
 * refresh and check requests, coalesced and budgeted (coalesce.h,
 * freshness_wait()).
 *
 * It works on its manager (borrowed for its whole life): reads its config,
 * scanner and snapshot, installs new snapshots with manager_install() and
 * counts the full scans it makes with manager_count_scan() and
 * manager_scan_done().
 */
#ifndef SAD_FRESHNESS_H
#define SAD_FRESHNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "request.h"
#include "sockaudit.h"

struct manager;

typedef struct freshness freshness;

/* Which kernel events keep the snapshot fresh (SOCKAUDITD_FRESHNESS). */
typedef enum freshness_events {
        FRESHNESS_EVENTS_ALL,   /* unset, or any other value: process and listen events, as far as they open */
        FRESHNESS_EVENTS_PROC,  /* "proc-connector": process events, no eBPF listen events */
        FRESHNESS_EVENTS_NONE,  /* "polling": neither; PROC_ROOT listed at each probe */
} freshness_events;

/* SOCKAUDITD_FRESHNESS's value (s may be NULL) as freshness_events; anything unknown is ALL. */
freshness_events freshness_events_from_string(const char *s);

/*
 * Opens what tells of changes, before the daemon drops CAP_NET_ADMIN and
 * CAP_BPF: the proc connector (else new processes are found by listing
 * PROC_ROOT at each probe) and the eBPF listen events (else new listeners
 * are found by the probes), as far as events allows and, with no_ebpf
 * (SOCKAUDITD_EBPF=0), without eBPF; takes the watched ports from m's
 * policy. Logs which sources it got and why not; <0 (logged) only when an
 * opened source cannot be attached to the loop, or out of memory. Timers
 * are armed by freshness_start(). Caller frees.
 */
int freshness_new(struct manager *m, freshness_events events, bool no_ebpf, freshness **ret);

/* Stops the timers and a resync still walking (joins its thread), closes the sources. NULL-safe. */
freshness *freshness_free(freshness *f);

/* Arms the resync timer (spaced by the scan just made) and the probe timer. <0 logged. */
int freshness_start(freshness *f);

/* Hands on the process events queued now (a full scan made next sees them). Cheap. */
void freshness_drain(freshness *f);

/* A full scan took cpu_usec of CPU (all threads): the resyncs are spaced by it. */
void freshness_note_full_scan(freshness *f, uint64_t cpu_usec);

/* The next resync is due one resync interval from now (see freshness_resync_interval()). */
void freshness_schedule_resync(freshness *f);

/* freshness_ensure()'s answer when the request must wait for the resync. */
#define FRESHNESS_WAITS 1
/* client_defer()'s kind for a who/list waiting for the resync (apart from
 * the request commands, PROVENANCE_WAIT_KIND and TLSPROBES_WAIT_KIND). */
#define FRESHNESS_WAIT_KIND 0x300u

/*
 * Makes the snapshot show the sockets passing filter (NULL: all) as they
 * are now: manager_ensure_fresh() in manager.h says how and what it costs.
 * 0, or <0 when a needed full scan failed, or FRESHNESS_WAITS: only a full
 * scan can tell, and it runs on the resync's thread (started now, or
 * already walking); the caller parks the request (freshness_park()) and
 * answers something else meanwhile. Never a full scan on the loop, unless
 * no thread can start (logged) or no scan has succeeded yet.
 */
int freshness_ensure(freshness *f, const sa_filter *filter);

/*
 * A who/list/tls request waits for the resync (after freshness_ensure() said
 * FRESHNESS_WAITS): returns its ticket for client_defer(c,
 * FRESHNESS_WAIT_KIND, ticket). When the resync has installed its
 * snapshot, refreshed as of after the request came, every waiting request
 * is answered from it (commands_answer_listeners(), each as its ticket says),
 * or waits on for its owners' verdicts (provenance_adopt()) or, a tls, for its probes;
 * when it failed, with the stale answer naming the failure, as any request
 * then. A waiting request holds its client's reply slot (control.h: at
 * most CONTROL_DEFER_MAX per client; the client is busy, never evicted).
 * Cheap.
 */
uint64_t freshness_park(freshness *f, const request *req);

/*
 * Tests only (SOCKAUDITD_TEST_RESYNC_GATE): a background resync whose walk
 * ended is finished only once path exists (looked at every 10 ms), so that
 * a test can hold it as long as it likes. path is borrowed for f's life.
 */
void freshness_set_test_gate(freshness *f, const char *path);

/*
 * A refresh (cmd REQUEST_REFRESH) or check (REQUEST_CHECK) request waits
 * for its answer: returns its ticket (for client_defer(), kind cmd). A
 * refresh is answered at the end of the next full scan that starts after
 * now (on the resync's thread), a check after the next verification of
 * every listener (on the loop), each shared by every request waiting by
 * then and started when the budget allows (coalesce.h); the answers go out
 * through commands_answer_deferred(). Cheap.
 */
uint64_t freshness_wait(freshness *f, request_cmd cmd);

/*
 * Whether answers from the snapshot are stale: the latest refresh, or the
 * latest full scan, failed (then why, as "refresh failed: Too many open
 * files", into buf). Also notices fds the namespaces ran out of (logged,
 * status degraded). No syscall but the clock.
 */
bool freshness_stale(freshness *f, char *buf, size_t size);

/*
 * How new processes are noticed: "proc-connector" (kernel events: a
 * process's fork, exec or exit starts the hot probes) or "polling"
 * (PROC_ROOT listed at each probe, every 500 ms).
 */
const char *freshness_mode(const freshness *f);

/* The resync period: ScanInterval, or RESYNC_BUDGET times the last full scan's CPU time (the last
 * resync's from its start to its install, if more) if longer. */
uint64_t freshness_resync_interval(const freshness *f);

/*
 * {"mode":..., "listen_events":{...,"probes":N}, "probe_interval_sec":...,
 * "resync_interval_sec":..., "refreshes":..., "owner_index":{...},
 * "process_events":{...}, "requests":{"refresh":{...},"check":{...}},
 * "stale":..., "stale_reason":..., "degraded":..., "namespaces":{...}},
 * for status. New reference; NULL out of memory.
 */
json_t *freshness_to_json(freshness *f);

#endif
