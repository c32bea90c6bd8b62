/* SPDX-License-Identifier: MIT */
/*
 * The manager: owns the event loop, the config, the scanner, the current
 * snapshot (all ports, TCP and UDP), the control socket, the monitor, the
 * freshness engine (freshness.h) and the counters.
 * Signals: SIGTERM/SIGINT exit, SIGHUP reloads the config.
 */
#ifndef SAD_MANAGER_H
#define SAD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "freshness.h"
#include "control.h"
#include "log.h"
#include "monitor.h"
#include "reload.h"
#include "replycache.h"
#include "sockaudit.h"

typedef struct manager_options {
        const char *socket_path;
        const char *config_path;
        bool config_explicit;     /* given by the user: a missing file is an error */
        const char *proc_root;    /* NULL = /proc */
        const char *state_dir;    /* baseline directory (--state-dir, else $STATE_DIRECTORY's first); NULL = /var/lib/sockaudit */
        bool no_ebpf;             /* SOCKAUDITD_EBPF=0: no eBPF at all (fds walked through /proc, no listen events) */
        freshness_events freshness; /* SOCKAUDITD_FRESHNESS */
        const char *tls_helper;   /* SOCKAUDIT_TLSPROBE: the TLS probe's program; NULL: found beside sockauditd */
        const char *reach_helper; /* SOCKAUDIT_REACH: sockaudit-reach, the reachability broker; NULL: found beside */
        const char *test_resync_gate; /* SOCKAUDITD_TEST_RESYNC_GATE (tests only): freshness_set_test_gate() */
} manager_options;

typedef struct manager {
        sd_event *event;
        sd_event_source *sigterm_source, *sigint_source, *sighup_source;

        char *config_path;
        bool config_explicit;
        char *proc_root;
        daemon_config *config;
        uint64_t self_netns;      /* the daemon's own network namespace's inode; 0 unknown */
        reload_record last_reload; /* for status */

        sa_scanner *scanner;
        sa_scan_method scan_method; /* ScanMethod= at start (procfs with no_ebpf) */
        sa_snapshot *snapshot;    /* NULL until a scan succeeds */
        uint64_t snapshot_gen;    /* bumped whenever snapshot is replaced (or a TLS answer came) */
        uint64_t records_gen;     /* bumped whenever its records change (replaced, amended) */
        reply_cache replies;      /* who/list answers of this snapshot */
        struct listreply_texts *texts[2]; /* its records' texts, [redacted] (listreply.h) */
        control *control;
        monitor *monitor;
        sd_event_source *monitor_timer; /* monitor_tick() when due (monitor_next_due()) */
        freshness *freshness;     /* probes, events and the resync (freshness.h) */
        struct provenance *provenance; /* the owners' verdicts, made on a thread (provenance.h) */
        struct tlsprobes *tls;    /* the TLS listeners' probes and answers (tlsprobes.h) */
        struct reachability *reach; /* the listeners' firewall verdicts (reachability.h) */
        sd_event_source *metrics_timer; /* MetricsFile= written when it fires (metrics.h) */
        int metrics_error;        /* the last write's -errno, to log a failure once */

        struct timespec started;  /* CLOCK_REALTIME */
        uint64_t started_usec;    /* CLOCK_MONOTONIC */
        uint64_t scans;           /* successful full scans */
        uint64_t scan_errors;
        int last_scan_error;      /* -errno of the latest scan, 0 if it worked */
        log_ratelimit scan_rl;

        /* What the last STATUS= said, to send it only on change. */
        uint64_t status_usec;
        long status_listeners;
        int status_error;
} manager;

/*
 * In this order: loads the config (errors are logged, naming file and
 * line), sets up the event loop and signals, opens the scanner, the control
 * socket, the monitor with its baseline and the freshness engine's event
 * sources, then drops privileges (privs.h). Every failure is logged; o is
 * borrowed. Caller frees.
 */
int manager_new(const manager_options *o, manager **ret);
manager *manager_free(manager *m);

/* First scan, timers armed, READY=1, then the loop until SIGTERM/SIGINT. 0 or -errno. */
int manager_run(manager *m);

/* SIGHUP: loads the config anew; a bad file is logged and the old one kept. */
int manager_reload(manager *m);

/*
 * Full rescan now. On success the snapshot is replaced; on failure the old
 * one stays, the failure is counted and logged (rate-limited with context).
 * Either way the periodic timer restarts from now.
 */
int manager_scan(manager *m, const char *why);

/*
 * Makes sure the snapshot shows the sockets that pass f right now, and
 * their holders: pending process events are read, then an incremental
 * refresh (sa_scanner_refresh: sock_diag dumps for f, the known owners
 * re-verified with one readlinkat each, new processes walked; never a walk
 * of every fd unless a new listener's owner cannot be found otherwise).
 * A failed refresh answers from the snapshot as it is. <0 only when a
 * needed full scan failed.
 */
int manager_ensure_fresh(manager *m, const sa_filter *f);

/*
 * For status: in command_status(),
 *   json_object_set_new(status, "freshness", manager_freshness_to_json(m))
 * gives {"mode":"proc-connector"|"polling", "probe_interval_sec":...,
 * "resync_interval_sec":..., "refreshes":..., ...} (freshness_to_json()).
 */
json_t *manager_freshness_to_json(manager *m);

/* For the freshness engine (freshness.c). */

/*
 * A new snapshot replaces the current one (taken): its changes become
 * events (monitor.h), the reply cache's generation moves on, systemd's
 * STATUS= is told when it changed.
 */
void manager_install(manager *m, sa_snapshot *snap);

/*
 * The snapshot's records changed in place (owners' provenance verdicts
 * given: daemon/provenance.c): the monitor looks at it again, cached
 * replies are dropped.
 */
void manager_snapshot_amended(manager *m);

/*
 * A full scan ended with r (0, or -errno with snap NULL): counted, logged
 * (failures rate-limited) and, on success, snap installed; the next resync
 * is scheduled from now.
 */
void manager_scan_done(manager *m, int r, sa_snapshot *snap, const char *why);

/*
 * Only counts a full scan that ended with r (scans or scan_errors, and
 * last_scan_error): for one a refresh fell back to, which logs for itself.
 * Either way MetricsFile= is written again within a second (metrics_touch).
 */
void manager_count_scan(manager *m, int r);

#endif
