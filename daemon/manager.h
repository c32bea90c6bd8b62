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
#include "control.h"
#include "log.h"
#include "monitor.h"
#include "sockaudit.h"

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
        sd_event_source *scan_timer;

        char *config_path;
        bool config_explicit;
        char *proc_root;
        daemon_config *config;

        sa_scanner *scanner;
        sa_snapshot *snapshot;    /* NULL until a scan succeeds */
        control *control;
        monitor *monitor;

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
 * Makes sure the snapshot shows the sockets that pass f right now: a
 * sock_diag probe (no /proc walk) compared with the snapshot's cookies,
 * and a full rescan when they differ. A failed probe answers from the
 * snapshot as it is. <0 only when a needed scan failed.
 */
int manager_ensure_fresh(manager *m, const sa_filter *f);

/* SIGHUP: loads the config anew; a bad file is logged and the old one kept. */
int manager_reload(manager *m);

/* The control handler (commands.c): answers one request line. */
json_t *manager_handle_request(client *c, const char *line, size_t len, void *userdata);

#endif
