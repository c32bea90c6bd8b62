/* SPDX-License-Identifier: MIT */
/*
 * The manager: owns the event loop, the config, the scanner, the current
 * snapshot (all ports, TCP and UDP), the control socket and the counters.
 * Signals: SIGTERM/SIGINT exit, SIGHUP reloads the config.
 */
#ifndef SAD_MANAGER_H
#define SAD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "incremental.h"
#include "control.h"
#include "log.h"
#include "monitor.h"
#include "replycache.h"
#include "sockaudit.h"
#include "watchlisten.h"
#include "watchproc.h"

typedef struct manager_options {
        const char *socket_path;
        const char *config_path;
        bool config_explicit;     /* given by the user: a missing file is an error */
        const char *proc_root;    /* NULL = /proc */
        const char *state_dir;    /* baseline directory; NULL = $STATE_DIRECTORY or /var/lib/sockaudit */
} manager_options;

typedef struct manager {
        sd_event *event;
        sd_event_source *sigterm_source, *sigint_source, *sighup_source;
        sd_event_source *scan_timer;    /* the full resync */
        sd_event_source *probe_timer;   /* the cheap refresh of watched ports */
        sa_scan_job *job;               /* the periodic resync, walking on its thread */
        sd_event_source *job_source;    /* its end */
        uint64_t job_cpu0;

        char *config_path;
        bool config_explicit;
        char *proc_root;
        daemon_config *config;

        sa_scanner *scanner;
        sa_scan_method scan_method; /* ScanMethod= at start (procfs with no_ebpf) */
        bool no_ebpf;             /* SOCKAUDITD_EBPF=0 */
        sa_snapshot *snapshot;    /* NULL until a scan succeeds */
        uint64_t snapshot_gen;    /* bumped whenever snapshot is replaced */
        reply_cache replies;      /* who/list answers of this snapshot */
        control *control;
        monitor *monitor;

        watchproc *watchproc;     /* proc connector; NULL: new processes found by listing /proc */
        watchlisten *watchlisten; /* eBPF listen/bind events; NULL: new listeners found by probes */
        char listen_why[160];     /* why watchlisten is NULL, or what it lacks */
        uint64_t listen_probes;   /* probes started by a listen event on a watched port */
        uint64_t hot_until;       /* CLOCK_MONOTONIC: probe fast until then (processes started) */
        sa_filter *watched;       /* filters of the watched ports; n_watched 0: every port, SIZE_MAX: none */
        size_t n_watched;
        uint64_t last_full_cpu_usec; /* CPU time of the last full scan (all threads) */
        uint64_t refreshes, refresh_changes, refresh_full, refresh_errors;

        struct timespec started;  /* CLOCK_REALTIME */
        uint64_t started_usec;    /* CLOCK_MONOTONIC */
        uint64_t scans;           /* successful full scans */
        uint64_t scan_errors;
        uint64_t probe_errors;
        int last_scan_error;      /* -errno of the latest scan, 0 if it worked */
        log_ratelimit scan_rl, probe_rl;

        /* What the last STATUS= said, to send it only on change. */
        uint64_t status_usec;
        long status_listeners;
        int status_error;
} manager;

/*
 * Loads the config (errors are logged, naming file and line), sets up the
 * event loop, signals, scanner and control socket. Caller frees.
 */
int manager_new(const manager_options *o, manager **ret);
manager *manager_free(manager *m);

/* First scan, READY=1, then the loop until SIGTERM/SIGINT. 0 or -errno. */
int manager_run(manager *m);

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
 * How new processes are noticed: "proc-connector" (kernel events, a new
 * listener reaches watchers within ~50 ms) or "polling" (PROC_ROOT listed
 * at each probe, every 500 ms). For status: in command_status(),
 *   json_object_set_new(status, "freshness", manager_freshness_to_json(m))
 * gives {"mode":..., "probe_interval_sec":..., "resync_interval_sec":...,
 * "refreshes":..., ...}.
 */
const char *manager_freshness(const manager *m);
json_t *manager_freshness_to_json(manager *m);

/* SIGHUP: loads the config anew; a bad file is logged and the old one kept. */
int manager_reload(manager *m);

#endif
