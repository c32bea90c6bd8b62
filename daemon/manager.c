/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "manager.h"
#include "privs.h"
#include "state.h"

#define STATUS_REFRESH_USEC (60 * USEC_PER_SEC)

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

static int on_scan_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        manager_scan(userdata, "periodic");
        return 0;
}

/* Coalescing slack: small against the interval, at most sd-event's default. */
static uint64_t scan_accuracy(uint64_t interval)
{
        uint64_t a = interval / 20;

        return a > 250 * USEC_PER_MSEC ? 250 * USEC_PER_MSEC : a ?: 1;
}

static void manager_schedule_scan(manager *m)
{
        uint64_t iv = m->config->scan_interval_usec;

        if (!m->scan_timer)
                return;
        sd_event_source_set_time_relative(m->scan_timer, iv);
        sd_event_source_set_time_accuracy(m->scan_timer, scan_accuracy(iv));
        sd_event_source_set_enabled(m->scan_timer, SD_EVENT_ONESHOT);
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

int manager_scan(manager *m, const char *why)
{
        sa_snapshot *snap = NULL;
        unsigned skipped = 0;
        int r;

        r = sa_scanner_scan(m->scanner, NULL, &snap);
        if (r < 0) {
                m->scan_errors++;
                m->last_scan_error = r;
                if (log_ratelimit_test(&m->scan_rl, &skipped))
                        log_warning_errno(r, "Scan (%s) failed, keeping the snapshot of the last good "
                                          "scan: %m (failure %" PRIu64 "%s)",
                                          why, m->scan_errors, LOG_SUPPRESSED(skipped));
                manager_notify_status(m, "");
                manager_schedule_scan(m);
                return r;
        }
        if (m->last_scan_error < 0)
                log_info("Scanning works again after %" PRIu64 " failed scans in all", m->scan_errors);
        m->last_scan_error = 0;
        monitor_update(m->monitor, m->snapshot, snap, &m->config->policy);
        sa_snapshot_free(m->snapshot);
        m->snapshot = snap;
        m->scans++;
        log_debug("Scan (%s): %zu listeners, %zu processes, %.1f ms", why, snap->n_listeners,
                  snap->n_procs, snap->duration_usec / 1000.0);
        manager_notify_status(m, "");
        manager_schedule_scan(m);
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Whether the snapshot's listeners passing f are exactly these (sorted) cookies. */
static int snapshot_matches(const sa_snapshot *snap, const sa_filter *f, const uint64_t *cookies,
                            size_t n)
{
        _cleanup_free_ uint64_t *mine = NULL;
        size_t k = 0;

        mine = malloc((snap->n_listeners ?: 1) * sizeof(uint64_t));
        if (!mine)
                return -ENOMEM;
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (sa_listener_match(&snap->listeners[i], f))
                        mine[k++] = snap->listeners[i].cookie;
        if (k != n)
                return 0;
        qsort(mine, k, sizeof(uint64_t), cmp_u64);
        return k == 0 || memcmp(mine, cookies, k * sizeof(uint64_t)) == 0;
}

int manager_ensure_fresh(manager *m, const sa_filter *f)
{
        _cleanup_free_ uint64_t *cookies = NULL;
        unsigned skipped = 0;
        size_t n = 0;
        int r;

        if (!m->snapshot)
                return manager_scan(m, "no snapshot yet");

        r = sa_scanner_probe(m->scanner, f, &cookies, &n);
        if (r < 0) {
                m->probe_errors++;
                if (log_ratelimit_test(&m->probe_rl, &skipped))
                        log_warning_errno(r, "Freshness probe failed, answering from the last scan: "
                                          "%m%s", LOG_SUPPRESSED(skipped));
                return 0;
        }
        r = snapshot_matches(m->snapshot, f, cookies, n);
        if (r < 0)
                return r;
        if (r > 0)
                return 0;
        return manager_scan(m, "listeners changed since the last scan");
}

/* A scanner for the configured namespaces (proc_root, Namespaces=). */
static int manager_open_scanner(manager *m, sa_scanner **ret)
{
        sa_scan_config sc = {
                .proc_root = m->proc_root,
                .namespaces = m->config->namespaces == CONFIG_NAMESPACES_ALL ? SA_NETNS_ALL : SA_NETNS_SELF,
        };

        return sa_scanner_new(&sc, ret);
}

int manager_reload(manager *m)
{
        config_namespaces before = m->config->namespaces;
        char err[512] = "";
        int r;

        sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
        r = config_reload(m->config_path, !m->config_explicit, err, sizeof(err), &m->config);
        if (r < 0)
                log_error("Reload refused, keeping the running configuration: %s", err);
        else {
                log_info("Reloaded the configuration from %s", m->config_path);
                if (m->config->namespaces != before) {
                        sa_scanner *s = NULL;
                        int k = manager_open_scanner(m, &s);
                        if (k < 0)
                                log_error_errno(k, "Cannot reopen the scanner for Namespaces=, keeping "
                                                "the old one: %m");
                        else {
                                sa_scanner_free(m->scanner);
                                m->scanner = s;
                        }
                }
                /* Judge what listens now by the new policy, and save what it watches. */
                monitor_policy_changed(m->monitor);
                manager_scan(m, "reload");
        }
        control_refresh_group(m->control);
        manager_notify_status(m, "READY=1\n");
        return r;
}

manager *manager_free(manager *m)
{
        if (!m)
                return NULL;
        control_free(m->control);
        monitor_free(m->monitor);
        sd_event_source_disable_unref(m->scan_timer);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        sa_snapshot_free(m->snapshot);
        sa_scanner_free(m->scanner);
        config_free(m->config);
        sd_event_unref(m->event);
        free(m->config_path);
        free(m->proc_root);
        free(m);
        return NULL;
}

/* Events to the watchers, one JSON line each. */
static void on_event(const json_t *event, void *userdata)
{
        manager *m = userdata;
        char *line = json_dumps(event, JSON_COMPACT);

        if (!line)
                return;
        size_t len = strlen(line);
        char *nl = realloc(line, len + 2);
        if (nl) {
                nl[len] = '\n';
                control_broadcast(m->control, nl, len + 1);
                line = nl;
        }
        free(line);
}

/*
 * The baseline file: under --state-dir, else $STATE_DIRECTORY (systemd's
 * StateDirectory=; the first of a colon-separated list), else
 * /var/lib/sockaudit. Made 0700 if missing. NULL (no persistence, logged)
 * when it cannot be had.
 */
static char *state_path(const char *dir)
{
        _cleanup_free_ char *first = NULL;
        char *path = NULL;
        const char *env = getenv("STATE_DIRECTORY");

        if (!dir && env && *env) {
                first = strndup(env, strcspn(env, ":"));
                dir = first;
        }
        if (!dir)
                dir = STATE_DEFAULT_DIR;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                log_warning_errno(errno, "Cannot create the state directory %s, alerts will not "
                                  "survive a restart: %m", dir);
                return NULL;
        }
        if (asprintf(&path, "%s/%s", dir, STATE_FILE_NAME) < 0)
                return NULL;
        return path;
}

int manager_new(const manager_options *o, manager **ret)
{
        _cleanup_free_ char *state_file = NULL;
        char err[512] = "";
        sigset_t mask;
        manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return log_error_errno(ENOMEM, "Out of memory");
        m->scan_rl = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->probe_rl = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->config_explicit = o->config_explicit;
        m->config_path = strdup(o->config_path ?: CONFIG_DEFAULT_PATH);
        m->proc_root = o->proc_root ? strdup(o->proc_root) : NULL;
        if (!m->config_path || (o->proc_root && !m->proc_root)) {
                r = log_error_errno(ENOMEM, "Out of memory");
                goto fail;
        }
        clock_gettime(CLOCK_REALTIME, &m->started);
        m->started_usec = now_usec(CLOCK_MONOTONIC);

        r = config_load(m->config_path, !m->config_explicit, err, sizeof(err), &m->config);
        if (r < 0) {
                log_error("Bad configuration, not starting: %s", err);
                goto fail;
        }

        r = sd_event_default(&m->event);
        if (r < 0) {
                log_error_errno(r, "Cannot create the event loop: %m");
                goto fail;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                r = log_error_errno(errno, "sigprocmask() failed: %m");
                goto fail;
        }
        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m);
        if (r >= 0)
                r = sd_event_set_watchdog(m->event, true);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the event loop: %m");
                goto fail;
        }

        r = manager_open_scanner(m, &m->scanner);
        if (r < 0) {
                log_error_errno(r, "Cannot open the scanner (sock_diag netlink): %m");
                goto fail;
        }

        r = control_new(m->event, o->socket_path, manager_handle_request, m, &m->control);
        if (r < 0)
                goto fail;        /* logged */

        state_file = state_path(o->state_dir);
        r = monitor_new(state_file, NULL, on_event, m, &m->monitor);
        if (r < 0) {
                log_error_errno(r, "Cannot start monitoring: %m");
                goto fail;
        }

        /* Everything bound and opened: from here on, only what scans need. */
        r = privs_drop(m->config->namespaces == CONFIG_NAMESPACES_ALL);
        if (r < 0)
                goto fail;        /* logged */

        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
}

int manager_run(manager *m)
{
        int r;

        /* Answer from real data from the first request on. */
        manager_scan(m, "start-up");

        r = sd_event_add_time_relative(m->event, &m->scan_timer, CLOCK_MONOTONIC,
                                       m->config->scan_interval_usec,
                                       scan_accuracy(m->config->scan_interval_usec), on_scan_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the scan timer: %m");

        log_info("Listening on %s%s; scanning every %.3g s", control_socket_path(m->control) ?: "(unnamed)",
                 control_socket_activated(m->control) ? " (from systemd)" : "",
                 m->config->scan_interval_usec / 1e6);
        manager_notify_status(m, "READY=1\n");

        r = sd_event_loop(m->event);
        sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
