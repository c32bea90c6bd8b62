/* SPDX-License-Identifier: MIT */
/*
 * The manager's life (manager.h): manager_new() opens what the daemon
 * needs in named steps and drops privileges, manager_run() scans, says
 * READY=1 and serves until SIGTERM/SIGINT, manager_reload() answers SIGHUP.
 * Here too: the full scan and the install of a new snapshot, systemd's
 * STATUS=, and the event sink to the watchers. Keeping the snapshot fresh
 * between full scans is freshness.c; the control commands are commands.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include "util.h"
#include "commands.h"
#include "event.h"
#include "listreply.h"
#include "manager.h"
#include "metrics.h"
#include "privs.h"
#include "provenance.h"
#include "reachability.h"
#include "tlsprobe.h"
#include "tlsprobes.h"
#include "redact.h"
#include "state.h"

#define STATUS_REFRESH_USEC (60 * USEC_PER_SEC)
#define MONITOR_TIMER_ACCURACY (100 * USEC_PER_MSEC)
/* Ownerless listeners looked for again per snapshot (distinct ports). */
#define CLOSED_PROBES_MAX 8

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        manager *m = userdata;

        log_info("Received %s, exiting", strsignal((int) si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        manager_reload(userdata);
        return 0;
}

/*
 * Tells systemd what we do: with prefix ("READY=1\n"...) always; otherwise
 * only when the listener count or the error state changed, or a minute
 * passed. sd_notify() blocks when the receiver stops reading (a datagram
 * queue holds ~10 messages), so a scan every 100 ms must not send each time.
 */
static void manager_notify_status(manager *m, const char *prefix)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        long key = m->snapshot ? (long) m->snapshot->n_listeners : -1;

        if (!*prefix && key == m->status_listeners && m->last_scan_error == m->status_error &&
            now - m->status_usec < STATUS_REFRESH_USEC)
                return;
        m->status_listeners = key;
        m->status_error = m->last_scan_error;
        m->status_usec = now;

        if (m->last_scan_error < 0 && m->snapshot)
                sd_notifyf(false, "%sSTATUS=Last scan failed (%s); serving %zu listeners from an "
                           "older scan", prefix, strerror(-m->last_scan_error),
                           m->snapshot->n_listeners);
        else if (m->last_scan_error < 0)
                sd_notifyf(false, "%sSTATUS=Scanning fails (%s); no listener data yet", prefix,
                           strerror(-m->last_scan_error));
        else if (m->snapshot)
                sd_notifyf(false, "%sSTATUS=Watching %zu listeners; last scan %.1f ms", prefix,
                           m->snapshot->n_listeners, m->snapshot->duration_usec / 1000.0);
        else
                sd_notifyf(false, "%sSTATUS=Starting", prefix);
}

static int on_monitor_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* The monitor's timer at its next due time (flapping windows, a save held back), or off. */
static void monitor_timer_arm(manager *m)
{
        uint64_t due = monitor_next_due(m->monitor);
        int r;

        if (due == 0) {
                if (m->monitor_timer)
                        sd_event_source_set_enabled(m->monitor_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->monitor_timer) {
                r = sd_event_add_time(m->event, &m->monitor_timer, CLOCK_MONOTONIC, due, MONITOR_TIMER_ACCURACY,
                                      on_monitor_timer, m);
                if (r < 0)
                        log_warning_errno(r, "Cannot arm the monitor's timer (flapping summaries and held-back "
                                          "saves wait for the next scan): %m");
                return;
        }
        sd_event_source_set_time(m->monitor_timer, due);
        sd_event_source_set_enabled(m->monitor_timer, SD_EVENT_ONESHOT);
}

static int on_monitor_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        manager *m = userdata;

        monitor_tick(m->monitor, m->snapshot, &m->config->policy);
        monitor_timer_arm(m);
        return 0;
}

/* A save failed on the saver's thread: its retry is due in 2 s. */
static void on_monitor_due(void *userdata)
{
        monitor_timer_arm(userdata);
}

/* One probe of drop_closed(): the cookies the kernel has for a port and protocol. */
typedef struct port_probe {
        sa_filter filter;
        uint64_t *cookies;        /* sorted (sa_scanner_probe()) */
        size_t n;
        bool ok;                  /* the probe worked */
} port_probe;

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Whether l is gone for sure: its port probed (once per port, at most CLOSED_PROBES_MAX), its cookie not there. */
static bool listener_gone(manager *m, const sa_listener *l, port_probe *probes, size_t *n_probes)
{
        sa_filter f = { .port = l->port, .protos = l->proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP };
        port_probe *p = NULL;

        for (size_t k = 0; k < *n_probes && !p; k++)
                if (probes[k].filter.port == f.port && probes[k].filter.protos == f.protos)
                        p = &probes[k];
        if (!p) {
                if (*n_probes >= CLOSED_PROBES_MAX)
                        return false;
                p = &probes[(*n_probes)++];
                *p = (port_probe) { .filter = f };
                p->ok = sa_scanner_probe(m->scanner, &f, &p->cookies, &p->n) >= 0;
        }
        return p->ok && !(p->n > 0 && bsearch(&l->cookie, p->cookies, p->n, sizeof *p->cookies, cmp_u64));
}

/*
 * Closed meanwhile is not "no owner": a watched listener of snap that no
 * holder was found for is looked for again by its cookie (one probe,
 * sock_diag filtered by its port, per distinct port and protocol, at most
 * CLOSED_PROBES_MAX a snapshot); when the kernel no longer has it, it is
 * left out of snap (counted). A failed probe leaves snap as it is.
 */
static void drop_closed(manager *m, sa_snapshot *snap)
{
        port_probe probes[CLOSED_PROBES_MAX];
        size_t n_probes = 0, w = 0, dropped = 0;

        for (size_t i = 0; i < snap->n_listeners; i++) {
                sa_listener *l = &snap->listeners[i];

                if (l->n_holders == 0 && policy_watches(&m->config->policy, l) &&
                    listener_gone(m, l, probes, &n_probes)) {
                        free(l->holders);
                        dropped++;
                        continue;
                }
                snap->listeners[w++] = *l;
        }
        snap->n_listeners = w;
        for (size_t k = 0; k < n_probes; k++)
                free(probes[k].cookies);
        if (dropped > 0)
                monitor_note_closed(m->monitor, dropped);
}

void manager_install(manager *m, sa_snapshot *snap)
{
        drop_closed(m, snap);
        monitor_update(m->monitor, m->snapshot, snap, &m->config->policy);
        monitor_timer_arm(m);
        sa_snapshot_free(m->snapshot);
        m->snapshot = snap;
        m->snapshot_gen++;
        m->records_gen++;
        manager_notify_status(m, "");
        provenance_installed(m->provenance);
        tlsprobes_update(m->tls, snap);
        reachability_update(m->reach, snap);
        metrics_touch(m);
}

void manager_snapshot_amended(manager *m)
{
        /* Nothing came or went: the monitor sees changed verdicts and their violations. */
        monitor_update(m->monitor, m->snapshot, m->snapshot, &m->config->policy);
        monitor_timer_arm(m);
        m->snapshot_gen++;      /* cached replies show the old records */
        m->records_gen++;
        metrics_touch(m);
}

void manager_count_scan(manager *m, int r)
{
        if (r < 0) {
                m->scan_errors++;
                m->last_scan_error = r;
        } else {
                m->scans++;
                m->last_scan_error = 0;
        }
        /* Each full scan is in the metrics file, a quiet host's too: its
         * counters are what tells a stale picture (docs/METRICS.md). */
        metrics_touch(m);
}

static void scan_failed(manager *m, int r, const char *why)
{
        unsigned skipped = 0;

        manager_count_scan(m, r);
        if (log_ratelimit_test(&m->scan_rl, &skipped))
                log_warning_errno(r, "Scan (%s) failed, keeping the snapshot of the last good "
                                  "scan: %m (failure %" PRIu64 "%s)",
                                  why, m->scan_errors, LOG_SUPPRESSED(skipped));
        manager_notify_status(m, "");
}

static void scan_succeeded(manager *m, sa_snapshot *snap, const char *why)
{
        if (m->last_scan_error < 0)
                log_info("Scanning works again after %" PRIu64 " failed scans in all", m->scan_errors);
        manager_count_scan(m, 0);
        log_debug("Scan (%s): %zu listeners, %zu processes, %.1f ms", why, snap->n_listeners,
                  snap->n_procs, snap->duration_usec / 1000.0);
        manager_install(m, snap);
}

void manager_scan_done(manager *m, int r, sa_snapshot *snap, const char *why)
{
        if (r < 0)
                scan_failed(m, r, why);
        else
                scan_succeeded(m, snap, why);
        freshness_schedule_resync(m->freshness);
}

int manager_scan(manager *m, const char *why)
{
        sa_snapshot *snap = NULL;
        uint64_t cpu0 = now_usec(CLOCK_PROCESS_CPUTIME_ID);
        int r;

        freshness_drain(m->freshness); /* what came before the scan is in it */
        r = sa_scanner_scan(m->scanner, NULL, &snap);
        freshness_note_full_scan(m->freshness, now_usec(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
        manager_scan_done(m, r, snap, why);
        return r < 0 ? r : 0;
}

int manager_ensure_fresh(manager *m, const sa_filter *f)
{
        return freshness_ensure(m->freshness, f);
}

json_t *manager_freshness_to_json(manager *m)
{
        return freshness_to_json(m->freshness);
}

/* The scope of m's config: Namespaces= and the daemon's own namespace. */
static scope manager_scope(manager *m)
{
        return (scope) { .all = m->config->namespaces == CONFIG_NAMESPACES_ALL, .self_netns = m->self_netns };
}

/*
 * The last reload, for status, and its log line: what it changed (ports,
 * sections, scope), or why it was refused.
 */
static void note_reload(manager *m, const daemon_config *before, const char *err)
{
        reload_record_clear(&m->last_reload);
        m->last_reload.done = true;
        clock_gettime(CLOCK_REALTIME, &m->last_reload.when);
        m->last_reload.ok = !err;
        if (err) {
                snprintf(m->last_reload.error, sizeof m->last_reload.error, "%s", err);
                log_error("Reload refused, keeping the running configuration: %s", err);
                return;
        }
        if (reload_summary(before, m->config, &m->last_reload.changes) < 0)
                m->last_reload.changes = NULL;
        log_info("Reloaded the configuration from %s: %s", m->config_path,
                 m->last_reload.changes ?: "(out of memory describing the changes)");
}

/* What the loaded config may not do as meant (unknown users, missing executables). */
static void log_config_warnings(const daemon_config *c)
{
        for (size_t i = 0; i < c->warnings.n; i++)
                log_warning("%s", c->warnings.items[i]);
}

int manager_reload(manager *m)
{
        daemon_config *old = m->config, *fresh = NULL;
        config_namespaces before = m->config->namespaces;
        sa_scan_method method_before = m->config->scan_method;
        char err[512] = "";
        int r;

        sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
        r = config_load(m->config_path, !m->config_explicit, err, sizeof(err), &fresh);
        if (r < 0)
                note_reload(m, old, err);
        else {
                /* The old config lives until the reload's scan is judged against it. */
                m->config = fresh;
                note_reload(m, old, NULL);
                log_config_warnings(m->config);
                if (m->config->namespaces != before) {
                        int k = sa_scanner_set_namespaces(m->scanner, m->config->namespaces == CONFIG_NAMESPACES_ALL
                                                                              ? SA_NETNS_ALL : SA_NETNS_SELF);
                        if (k < 0)
                                log_error_errno(k, "Cannot switch the scanner to the new Namespaces=, keeping "
                                                "the old ones: %m");
                }
                /* The eBPF iterator is loaded before capabilities are dropped. */
                if (m->config->scan_method != method_before)
                        log_notice("ScanMethod= changes take effect at the next start (now: %s)",
                                   sa_scan_method_name(sa_scanner_method(m->scanner, NULL)));
                /* Judge what listens now by the new policy, and save what it watches. */
                scope now = manager_scope(m);
                monitor_policy_changed(m->monitor);
                monitor_reload_begin(m->monitor, &old->policy, &now);
                manager_scan(m, "reload");
                monitor_reload_end(m->monitor);
                config_free(old);
        }
        control_refresh_group(m->control);
        control_set_max_clients(m->control, m->config->max_clients, m->config->max_clients_per_user);
        control_set_timeouts(m->control, m->config->request_timeout_usec, m->config->watcher_stall_usec);
        manager_notify_status(m, "READY=1\n");
        return r;
}

manager *manager_free(manager *m)
{
        if (!m)
                return NULL;
        control_free(m->control);
        if (m->config)
                monitor_flush(m->monitor, m->snapshot, &m->config->policy);
        sd_event_source_disable_unref(m->monitor_timer);
        if (m->metrics_timer && metrics_write(m) < 0)
                log_warning("Cannot write MetricsFile= at exit");
        sd_event_source_disable_unref(m->metrics_timer);
        monitor_free(m->monitor);
        provenance_free(m->provenance);
        tlsprobes_free(m->tls);
        reachability_free(m->reach);
        freshness_free(m->freshness);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        sa_snapshot_free(m->snapshot);
        reply_cache_clear(&m->replies);
        for (unsigned k = 0; k < 2; k++)
                m->texts[k] = listreply_texts_free(m->texts[k]);
        sa_scanner_free(m->scanner);
        config_free(m->config);
        reload_record_clear(&m->last_reload);
        sd_event_unref(m->event);
        event_set_config_path(NULL);
        free(m->config_path);
        free(m->proc_root);
        free(m);
        return NULL;
}

/*
 * Events to the watchers, one JSON line each; with RedactCmdline=yes a
 * second line without command lines for the non-root ones (when it cannot
 * be made, out of memory, no watcher gets the event: never the whole one).
 */
static void on_event(const json_t *event, void *userdata)
{
        manager *m = userdata;
        _cleanup_free_ char *redacted = NULL;
        size_t redacted_len = 0;
        char *line = json_dumps(event, SA_JSON_DUMP_FLAGS);

        if (!line)
                return;
        if (m->config->redact_cmdline) {
                redacted = redact_event_line(event, &redacted_len);
                if (!redacted) {
                        free(line);
                        return;
                }
        }
        size_t len = strlen(line);
        char *nl = realloc(line, len + 2);
        if (nl) {
                nl[len] = '\n';
                control_broadcast(m->control, nl, len + 1, redacted, redacted_len);
                line = nl;
        }
        free(line);
}

/*
 * The baseline file: under dir (manager_options.state_dir), else
 * /var/lib/sockaudit. Made 0700 if missing. NULL (no persistence, logged)
 * when it cannot be had, or when the directory is not root's alone
 * (state_dir_check()): then the daemon runs, and every violation is
 * reported again after a restart rather than silenced by a planted file.
 */
static char *state_path(const char *dir)
{
        char *path = NULL, err[512];
        int r;

        if (!dir)
                dir = STATE_DEFAULT_DIR;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                log_warning_errno(errno, "Cannot create the state directory %s, alerts will not "
                                  "survive a restart: %m", dir);
                return NULL;
        }
        r = state_dir_check(dir, err, sizeof err);
        if (r == -EPERM) {
                log_error("Refusing the state directory: %s; running without a baseline, alerts "
                          "will be raised again after a restart", err);
                return NULL;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot check the state directory %s, running without a "
                                  "baseline: %m", dir);
                return NULL;
        }
        if (asprintf(&path, "%s/%s", dir, STATE_FILE_NAME) < 0)
                return NULL;
        return path;
}

static void manager_freep(manager **m)
{
        manager_free(*m);
}

/* An empty manager with what o says (copied) and the time it started. */
static int manager_alloc(const manager_options *o, manager **ret)
{
        _cleanup_(manager_freep) manager *m = NULL;

        m = calloc(1, sizeof(*m));
        if (!m)
                return log_error_errno(ENOMEM, "Out of memory");
        m->scan_rl = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->config_explicit = o->config_explicit;
        m->config_path = strdup(o->config_path ?: CONFIG_DEFAULT_PATH);
        m->proc_root = o->proc_root ? strdup(o->proc_root) : NULL;
        if (!m->config_path || (o->proc_root && !m->proc_root))
                return log_error_errno(ENOMEM, "Out of memory");
        clock_gettime(CLOCK_REALTIME, &m->started);
        m->started_usec = now_usec(CLOCK_MONOTONIC);
        *ret = TAKE_PTR(m);
        return 0;
}

/* The config file; errors are logged naming file and line. */
static int manager_load_config(manager *m)
{
        char err[512] = "";
        int r;

        r = config_load(m->config_path, !m->config_explicit, err, sizeof(err), &m->config);
        if (r < 0)
                log_error("Bad configuration, not starting: %s", err);
        else
                log_config_warnings(m->config);
        return r;
}

/* The event loop, with SIGTERM/SIGINT (exit) and SIGHUP (reload) as its events and the watchdog kept. */
static int manager_open_event_loop(manager *m)
{
        sigset_t mask;
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Cannot create the event loop: %m");
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "sigprocmask() failed: %m");
        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
        if (r >= 0)
                r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        return 0;
}

/* ScanMethod=ebpf fails when the iterator did not load; otherwise the method in use is logged. */
static int manager_check_scan_method(manager *m)
{
        sa_scan_method got = sa_scanner_method(m->scanner, NULL);
        const char *method = sa_scan_method_name(got);
        const char *why = got == SA_SCAN_EBPF ? NULL : sa_scanner_method_detail(m->scanner);

        if (m->scan_method == SA_SCAN_EBPF && why) {
                log_error("ScanMethod=ebpf, but the eBPF iterator is not usable: %s", why);
                return -EOPNOTSUPP;
        }
        if (why)
                log_info("Scan method: %s (no eBPF: %s)", method, why);
        else
                log_info("Scan method: %s (iter/task_file)", method);
        return 0;
}

/*
 * The scanner for the configured namespaces (proc_root, Namespaces=) and
 * ScanMethod= (procfs with no_ebpf: SOCKAUDITD_EBPF=0).
 */
static int manager_open_scanner(manager *m, bool no_ebpf)
{
        sa_scan_config sc;
        int r;

        m->scan_method = no_ebpf ? SA_SCAN_PROCFS : m->config->scan_method;
        if (no_ebpf)
                log_info("eBPF off (SOCKAUDITD_EBPF=0): fds walked through /proc, no listen events");
        sc = (sa_scan_config) {
                .proc_root = m->proc_root,
                .namespaces = m->config->namespaces == CONFIG_NAMESPACES_ALL ? SA_NETNS_ALL : SA_NETNS_SELF,
                /* ebpf or fail: opened as auto to learn why it did not load. */
                .method = m->scan_method == SA_SCAN_EBPF ? SA_SCAN_AUTO : m->scan_method,
        };
        r = sa_scanner_new(&sc, &m->scanner);
        if (r < 0)
                return log_error_errno(r, "Cannot open the scanner (sock_diag netlink): %m");
        return manager_check_scan_method(m);
}

/* The control socket (bound, or taken from systemd), answered by commands.c. */
static int manager_open_control(manager *m, const char *socket_path)
{
        int r;

        r = control_new(m->event, socket_path, commands_dispatch, m, &m->control);
        if (r < 0)
                return r;        /* logged */
        control_set_max_clients(m->control, m->config->max_clients, m->config->max_clients_per_user);
        control_set_timeouts(m->control, m->config->request_timeout_usec, m->config->watcher_stall_usec);
        return 0;
}

/* The monitor, with the baseline kept under state_dir (see state_path()); events go to on_event(). */
static int manager_open_monitor(manager *m, const char *state_dir)
{
        _cleanup_free_ char *state_file = state_path(state_dir);
        int r;

        r = monitor_new(state_file, NULL, m->event, on_event, on_monitor_due, m, &m->monitor);
        if (r < 0)
                return log_error_errno(r, "Cannot start monitoring: %m");
        event_set_config_path(m->config_path);
        /* Unknown (logged): a scope change then counts every namespace as in sight. */
        r = scope_self_netns(&m->self_netns);
        if (r < 0)
                log_warning_errno(r, "Cannot tell the daemon's own network namespace: %m");
        scope s = manager_scope(m);
        monitor_set_scope(m->monitor, &s);
        return 0;
}

/* The TLS probes; without their program, none (logged): the rest works. */
static int manager_open_tls(manager *m, const char *helper)
{
        char buf[4096];
        const char *h = sa_find_helper("sockaudit-tlsprobe", helper, buf, sizeof buf);
        int r;

        if (!h) {
                log_warning("The TLS probe's program sockaudit-tlsprobe was not found: TLS listeners are not probed");
                return 0;
        }
        r = tlsprobes_new(m, h, &m->tls);
        return r < 0 ? log_error_errno(r, "Cannot set up the TLS probes: %m") : 0;
}

int manager_new(const manager_options *o, manager **ret)
{
        _cleanup_(manager_freep) manager *m = NULL;
        int r;

        r = manager_alloc(o, &m);
        if (r < 0)
                return r;
        r = manager_load_config(m);
        if (r < 0)
                return r;
        /* Refuse before binding anything when the drop below could not succeed. */
        r = privs_check(m->config->namespaces == CONFIG_NAMESPACES_ALL);
        if (r < 0)
                return r;
        r = manager_open_event_loop(m);
        if (r < 0)
                return r;
        r = manager_open_scanner(m, o->no_ebpf);
        if (r < 0)
                return r;
        r = manager_open_control(m, o->socket_path);
        if (r < 0)
                return r;
        r = manager_open_monitor(m, o->state_dir);
        if (r < 0)
                return r;
        /* The watchers (proc connector, eBPF listen events) and the probes. */
        r = freshness_new(m, o->freshness, o->no_ebpf, &m->freshness);
        if (r < 0)
                return r;
        freshness_set_test_gate(m->freshness, o->test_resync_gate);
        r = provenance_new(m, &m->provenance);
        if (r < 0)
                return log_error_errno(r, "Cannot set up provenance: %m");
        r = manager_open_tls(m, o->tls_helper);
        if (r < 0)
                return r;
        /* The broker keeps what reading rulesets needs: started while the daemon has it. */
        char buf[4096];
        r = reachability_new(m, sa_find_helper("sockaudit-reach", o->reach_helper, buf, sizeof buf), &m->reach);
        if (r < 0)
                return log_error_errno(r, "Cannot set up reachability: %m");
        /* Everything bound and opened: from here on, only what scans need. */
        r = privs_drop(m->config->namespaces == CONFIG_NAMESPACES_ALL);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

int manager_run(manager *m)
{
        int r;

        /* Answer from real data from the first request on. */
        manager_scan(m, "start-up");

        r = freshness_start(m->freshness);
        if (r < 0)
                return r;

        log_info("Listening on %s%s; freshness: %s; full scan every %.3g s", control_socket_path(m->control) ?: "(unnamed)",
                 control_socket_activated(m->control) ? " (from systemd)" : "",
                 freshness_mode(m->freshness), freshness_resync_interval(m->freshness) / 1e6);
        manager_notify_status(m, "READY=1\n");

        r = sd_event_loop(m->event);
        sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
