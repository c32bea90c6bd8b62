/* SPDX-License-Identifier: MIT */
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
#include "incremental.h"
#include "manager.h"
#include "privs.h"
#include "state.h"

#define STATUS_REFRESH_USEC (60 * USEC_PER_SEC)

/*
 * Freshness. Every PROBE_USEC the watched ports are refreshed
 * incrementally (sock_diag dumps, known owners re-verified, new processes
 * walked): a new listener reaches the watchers within ~0.5 s. A listen()
 * or UDP bind() on a watched port (eBPF, daemon/watchlisten.c) probes at
 * once; after it, after an exec (of a holder only, when eBPF tells of
 * every new listener), a fork of a holder or the exit of a holder (proc
 * connector) they are refreshed every HOT_PROBE_USEC for HOT_WINDOW_USEC,
 * without the re-verification (~0.3 ms a probe): a listener opened by a
 * program just started, or closed by one that exited, is seen within
 * ~20-50 ms, and one announced by eBPF within ~10 ms. The full scan
 * (ScanInterval) stays as a resync, for what no event shows (sockets passed
 * over SCM_RIGHTS or taken with pidfd_getfd), spaced so that it costs at
 * most 1/RESYNC_BUDGET of a core: at least RESYNC_BUDGET times the CPU time
 * the last one took.
 */
#define PROBE_USEC      (500 * USEC_PER_MSEC)
#define HOT_PROBE_USEC  (20 * USEC_PER_MSEC)
#define HOT_WINDOW_USEC (2 * USEC_PER_SEC)
/* From a listen event to its probe: a program that binds as root and then
 * drops privileges or sets its title is described as it runs, not as it
 * started (its details are read once, when the listener is new). */
#define LISTEN_SETTLE_USEC (10 * USEC_PER_MSEC)
#define RESYNC_BUDGET   200u

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

static void manager_resync(manager *m);

static int on_scan_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        manager_resync(userdata);
        return 0;
}

/* Coalescing slack: small against the interval, at most sd-event's default. */
static uint64_t scan_accuracy(uint64_t interval)
{
        uint64_t a = interval / 20;

        return a > 250 * USEC_PER_MSEC ? 250 * USEC_PER_MSEC : a ?: 1;
}

/* The resync period: ScanInterval, or longer when a full scan is costly. */
static uint64_t resync_interval(const manager *m)
{
        uint64_t iv = m->config->scan_interval_usec, budget = m->last_full_cpu_usec * RESYNC_BUDGET;

        return budget > iv ? budget : iv;
}

static uint64_t cpu_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static void manager_schedule_scan(manager *m)
{
        uint64_t iv = resync_interval(m);

        if (!m->scan_timer)
                return;
        /* From now, not from the loop's cached time (taken before a scan that
         * may have lasted longer than iv): else the timer is due at once and
         * outranks every request. */
        sd_event_source_set_time(m->scan_timer, now_usec(CLOCK_MONOTONIC) + iv);
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

/* A new snapshot replaces the current one: changes become events. */
static void manager_install(manager *m, sa_snapshot *snap)
{
        monitor_update(m->monitor, m->snapshot, snap, &m->config->policy);
        sa_snapshot_free(m->snapshot);
        m->snapshot = snap;
        m->snapshot_gen++;
        manager_notify_status(m, "");
}

static void scan_failed(manager *m, int r, const char *why)
{
        unsigned skipped = 0;

        m->scan_errors++;
        m->last_scan_error = r;
        if (log_ratelimit_test(&m->scan_rl, &skipped))
                log_warning_errno(r, "Scan (%s) failed, keeping the snapshot of the last good "
                                  "scan: %m (failure %" PRIu64 "%s)",
                                  why, m->scan_errors, LOG_SUPPRESSED(skipped));
        manager_notify_status(m, "");
        manager_schedule_scan(m);
}

static void scan_succeeded(manager *m, sa_snapshot *snap, const char *why)
{
        if (m->last_scan_error < 0)
                log_info("Scanning works again after %" PRIu64 " failed scans in all", m->scan_errors);
        m->last_scan_error = 0;
        m->scans++;
        log_debug("Scan (%s): %zu listeners, %zu processes, %.1f ms", why, snap->n_listeners,
                  snap->n_procs, snap->duration_usec / 1000.0);
        manager_install(m, snap);
        manager_schedule_scan(m);
}

int manager_scan(manager *m, const char *why)
{
        sa_snapshot *snap = NULL;
        uint64_t cpu0 = cpu_usec();
        int r;

        if (m->watchproc)
                watchproc_drain(m->watchproc); /* what came before the scan is in it */
        r = sa_scanner_scan(m->scanner, NULL, &snap);
        m->last_full_cpu_usec = cpu_usec() - cpu0;
        if (r < 0) {
                scan_failed(m, r, why);
                return r;
        }
        scan_succeeded(m, snap, why);
        return 0;
}

static void manager_job_stop(manager *m)
{
        m->job_source = sd_event_source_disable_unref(m->job_source);
        sa_scan_job_cancel(m->job);
        m->job = NULL;
}

/*
 * The periodic resync's walk ended (its own thread): details and index
 * here, then a refresh of every listener, so that what is compared with the
 * current snapshot is as of now, not as of the resync's dumps.
 */
static int on_resync_done(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        manager *m = userdata;
        sa_scan_job *job = m->job;
        sa_snapshot *snap = NULL, *now = NULL;
        sa_refresh_info info;
        int r;

        m->job = NULL;
        m->job_source = sd_event_source_disable_unref(m->job_source);
        if (m->watchproc)
                watchproc_drain(m->watchproc);
        r = sa_scanner_scan_finish(m->scanner, job, &snap);
        m->last_full_cpu_usec = cpu_usec() - m->job_cpu0;
        if (r == -ESTALE) {             /* a full scan ran meanwhile */
                manager_schedule_scan(m);
                return 0;
        }
        if (r < 0) {
                scan_failed(m, r, "periodic");
                return 0;
        }
        r = sa_scanner_refresh(m->scanner, snap, NULL, 0,
                               SA_REFRESH_VERIFY | (m->watchproc ? SA_REFRESH_EXITS_KNOWN : SA_REFRESH_LIST_PIDS),
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
        scan_succeeded(m, snap, "periodic");
        return 0;
}

/* The periodic resync: the walk on a thread, the loop keeps serving. */
static void manager_resync(manager *m)
{
        int r;

        if (m->job)
                return;
        if (!m->snapshot) {
                (void) manager_scan(m, "periodic");
                return;
        }
        if (m->watchproc)
                watchproc_drain(m->watchproc);
        m->job_cpu0 = cpu_usec();
        r = sa_scanner_scan_start(m->scanner, &m->job);
        if (r >= 0)
                r = sd_event_add_io(m->event, &m->job_source, sa_scan_job_fd(m->job), EPOLLIN,
                                    on_resync_done, m);
        if (r < 0) {
                manager_job_stop(m);
                log_debug_errno(r, "Cannot start the resync in the background, scanning here: %m");
                (void) manager_scan(m, "periodic");
        }
}

/*
 * Incremental refresh of the listeners passing fs (n 0: all); list_pids:
 * when polling, list PROC_ROOT for new processes first; verify: re-read
 * the known owners (skipped by the fast probes after a process event,
 * which look for new listeners: exits come as events). Falls back to
 * a full scan by itself when it must (then counted and scheduled as one).
 * A failed refresh keeps the snapshot; <0 only when a full scan failed.
 */
static int manager_refresh(manager *m, const sa_filter *fs, size_t n, bool list_pids, bool verify,
                           const char *why)
{
        unsigned flags = (verify ? SA_REFRESH_VERIFY : 0) | (m->watchproc ? SA_REFRESH_EXITS_KNOWN : 0) |
                         (list_pids && !m->watchproc ? SA_REFRESH_LIST_PIDS : 0);
        sa_snapshot *snap = NULL;
        sa_refresh_info info;
        unsigned skipped = 0;
        uint64_t cpu0;
        int r;

        if (!m->snapshot)
                return manager_scan(m, why);
        if (m->watchproc)
                watchproc_drain(m->watchproc);
        cpu0 = cpu_usec();
        r = sa_scanner_refresh(m->scanner, m->snapshot, fs, n, flags, &info, &snap);
        m->refreshes++;
        if (info.full) {
                m->refresh_full++;
                m->last_full_cpu_usec = cpu_usec() - cpu0;
                log_debug("Refresh (%s) needed a full scan: %s", why, info.reason);
        }
        if (r < 0) {
                m->refresh_errors++;
                if (info.full) {
                        m->scan_errors++;
                        m->last_scan_error = r;
                }
                if (log_ratelimit_test(&m->probe_rl, &skipped))
                        log_warning_errno(r, "Refresh (%s) failed, answering from the last scan: %m%s",
                                          why, LOG_SUPPRESSED(skipped));
                if (info.full)
                        manager_schedule_scan(m);
                return info.full ? r : 0;
        }
        if (info.full) {
                m->scans++;
                m->last_scan_error = 0;
                manager_schedule_scan(m);
        }
        if (r == 0)
                return 0;
        m->refresh_changes++;
        log_debug("Refresh (%s): %u new listeners, %u gone, %u processes walked, %u pairs verified, "
                  "%u dropped, %.2f ms", why, info.new_sockets, info.gone_sockets, info.walked,
                  info.verified, info.dropped, info.usec / 1000.0);
        manager_install(m, snap);
        return 0;
}

/* The watched ports as filters (Ports=all: none, meaning every port). */
static int manager_watched_update(manager *m)
{
        const policy *p = &m->config->policy;
        sa_filter *fs;
        size_t n = 0;

        free(m->watched);
        m->watched = NULL;
        m->n_watched = 0;
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
                m->n_watched = SIZE_MAX; /* nothing watched: no probe */
                return 0;
        }
        m->watched = fs;
        m->n_watched = n;
        return 0;
}

static void manager_schedule_probe(manager *m)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), iv = PROBE_USEC;

        if (!m->probe_timer)
                return;
        if (m->config->scan_interval_usec < iv)
                iv = m->config->scan_interval_usec;
        if (now < m->hot_until)
                iv = HOT_PROBE_USEC;
        sd_event_source_set_time(m->probe_timer, now + iv);
        sd_event_source_set_time_accuracy(m->probe_timer, iv / 10 ?: 1);
        sd_event_source_set_enabled(m->probe_timer, SD_EVENT_ONESHOT);
}

static int on_probe_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        manager *m = userdata;
        bool hot = now_usec(CLOCK_MONOTONIC) < m->hot_until;

        if (m->n_watched != SIZE_MAX)
                (void) manager_refresh(m, m->watched, m->n_watched, true, !hot, "probe");
        manager_schedule_probe(m);
        return 0;
}

/* Something happened: probe after delay (at most), then fast for a while. */
static void manager_heat_after(manager *m, uint64_t delay)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC), next = 0;

        m->hot_until = now + HOT_WINDOW_USEC;
        if (!m->probe_timer)
                return;
        if (sd_event_source_get_time(m->probe_timer, &next) < 0 || next > now + delay) {
                sd_event_source_set_time(m->probe_timer, now + delay);
                sd_event_source_set_time_accuracy(m->probe_timer, delay / 10 ?: 1);
                sd_event_source_set_enabled(m->probe_timer, SD_EVENT_ONESHOT);
        }
}

static void manager_heat(manager *m)
{
        manager_heat_after(m, HOT_PROBE_USEC);
}

static bool port_watched(const manager *m, uint16_t port, int proto)
{
        unsigned bit = proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP;

        if (m->n_watched == SIZE_MAX)
                return false;
        for (size_t i = 0; i < m->n_watched; i++)
                if ((m->watched[i].port == 0 || m->watched[i].port == port) &&
                    ((m->watched[i].protos ?: SA_PROTO_ANY) & bit))
                        return true;
        return m->n_watched == 0; /* Ports=all */
}

/*
 * A listen() or UDP bind() somewhere (eBPF). On a watched port: probe
 * after LISTEN_SETTLE_USEC (it may come before the socket can be dumped:
 * the hot probes that follow catch it then); in a namespace no refresh
 * dumps yet: a full scan.
 */
static void on_listen_event(const sa_listen_note *note, void *userdata)
{
        manager *m = userdata;

        if (!port_watched(m, note->port, note->proto))
                return;
        m->listen_probes++;
        if (note->netns && m->snapshot && sa_scanner_netns_status(m->scanner, note->netns) == 0) {
                /* A resync already walking found its namespaces before this one. */
                if (m->job)
                        (void) manager_scan(m, "a listener in a new network namespace");
                else
                        manager_resync(m);
                return;
        }
        manager_heat_after(m, LISTEN_SETTLE_USEC);
}

static void on_proc_event(watchproc_event ev, pid_t pid, pid_t parent, void *userdata)
{
        manager *m = userdata;

        switch (ev) {
        case WATCHPROC_NEW:
                if (sa_scanner_note_new(m->scanner, pid, parent) < 0)
                        sa_scanner_note_lost(m->scanner);
                /* A fork of a holder (a server starting workers, maybe
                 * after opening a socket): a listener may come next. Other
                 * forks (shells, pools) hold what their parent held, found
                 * by the next probe. */
                if (sa_scanner_knows_owner(m->scanner, parent))
                        manager_heat(m);
                break;
        case WATCHPROC_EXEC:
                /* A new program: a listener may come next (eBPF says when it
                 * does); a holder's exec changes what its row says. */
                if (!watchlisten_has_udp(m->watchlisten) || sa_scanner_knows_owner(m->scanner, pid))
                        manager_heat(m);
                if (sa_scanner_note_exec(m->scanner, pid) < 0)
                        sa_scanner_note_lost(m->scanner);
                break;
        case WATCHPROC_EXIT:
                if (sa_scanner_knows_owner(m->scanner, pid))
                        manager_heat(m);
                sa_scanner_note_exit(m->scanner, pid);
                break;
        case WATCHPROC_LOST:
                sa_scanner_note_lost(m->scanner);
                manager_heat(m);
                break;
        }
}

const char *manager_freshness(const manager *m)
{
        return m->watchproc ? "proc-connector" : "polling";
}

json_t *manager_freshness_to_json(manager *m)
{
        sa_incremental_stats is;
        watchproc_stats ws;
        uint64_t probe = PROBE_USEC;
        json_t *le = watchlisten_to_json(m->watchlisten, m->listen_why);

        if (le && json_object_set_new(le, "probes", json_integer((json_int_t) m->listen_probes)) < 0) {
                json_decref(le);
                return NULL;
        }
        if (m->config->scan_interval_usec < probe)
                probe = m->config->scan_interval_usec;
        sa_scanner_incremental_stats(m->scanner, &is);
        watchproc_get_stats(m->watchproc, &ws);
        return json_pack("{s:s,s:o,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:{s:I,s:I}}",
                         "mode", manager_freshness(m),
                         "listen_events", le,
                         "probe_interval_sec", probe / 1e6,
                         "resync_interval_sec", resync_interval(m) / 1e6,
                         "last_full_scan_cpu_ms", m->last_full_cpu_usec / 1e3,
                         "refreshes", (json_int_t) m->refreshes,
                         "refresh_changes", (json_int_t) m->refresh_changes,
                         "refresh_full_scans", (json_int_t) m->refresh_full,
                         "refresh_errors", (json_int_t) m->refresh_errors,
                         "owner_index",
                                 "sockets", (json_int_t) is.sockets,
                                 "pairs", (json_int_t) is.pairs,
                                 "processes", (json_int_t) is.procs,
                                 "new_processes", (json_int_t) is.fresh,
                         "process_events",
                                 "handled", (json_int_t) ws.events,
                                 "lost", (json_int_t) ws.lost);
}

int manager_ensure_fresh(manager *m, const sa_filter *f)
{
        if (!m->snapshot)
                return manager_scan(m, "no snapshot yet");
        /* Polling: new processes are listed by the probe, not per request. */
        return manager_refresh(m, f, f ? 1 : 0, false, true, "request");
}

/* A scanner for the configured namespaces (proc_root, Namespaces=). */
static int manager_open_scanner(manager *m, sa_scanner **ret)
{
        sa_scan_config sc = {
                .proc_root = m->proc_root,
                .namespaces = m->config->namespaces == CONFIG_NAMESPACES_ALL ? SA_NETNS_ALL : SA_NETNS_SELF,
                /* ebpf or fail: opened as auto to learn why it did not load. */
                .method = m->scan_method == SA_SCAN_EBPF ? SA_SCAN_AUTO : m->scan_method,
        };

        return sa_scanner_new(&sc, ret);
}

int manager_reload(manager *m)
{
        config_namespaces before = m->config->namespaces;
        sa_scan_method method_before = m->config->scan_method;
        char err[512] = "";
        int r;

        sd_notify(false, "RELOADING=1\nSTATUS=Reloading the configuration");
        r = config_reload(m->config_path, !m->config_explicit, err, sizeof(err), &m->config);
        if (r < 0)
                log_error("Reload refused, keeping the running configuration: %s", err);
        else {
                log_info("Reloaded the configuration from %s", m->config_path);
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
                monitor_policy_changed(m->monitor);
                manager_scan(m, "reload");
        }
        control_refresh_group(m->control);
        control_set_max_clients(m->control, m->config->max_clients);
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
        sd_event_source_disable_unref(m->probe_timer);
        manager_job_stop(m);
        watchproc_free(m->watchproc);
        watchlisten_free(m->watchlisten);
        free(m->watched);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        sa_snapshot_free(m->snapshot);
        reply_cache_clear(&m->replies);
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

        /* SOCKAUDITD_EBPF=0 leaves eBPF out altogether (`make valgrind`). */
        m->no_ebpf = getenv("SOCKAUDITD_EBPF") && strcmp(getenv("SOCKAUDITD_EBPF"), "0") == 0;
        m->scan_method = m->no_ebpf ? SA_SCAN_PROCFS : m->config->scan_method;
        if (m->no_ebpf)
                log_info("eBPF off (SOCKAUDITD_EBPF=0): fds walked through /proc, no listen events");
        r = manager_open_scanner(m, &m->scanner);
        if (r < 0) {
                log_error_errno(r, "Cannot open the scanner (sock_diag netlink): %m");
                goto fail;
        }
        {
                sa_scan_method got = sa_scanner_method(m->scanner, NULL);
                const char *method = sa_scan_method_name(got);
                const char *why = got == SA_SCAN_EBPF ? NULL : sa_scanner_method_detail(m->scanner);

                if (m->scan_method == SA_SCAN_EBPF && why) {
                        log_error("ScanMethod=ebpf, but the eBPF iterator is not usable: %s", why);
                        r = -EOPNOTSUPP;
                        goto fail;
                }
                if (why)
                        log_info("Scan method: %s (no eBPF: %s)", method, why);
                else
                        log_info("Scan method: %s (iter/task_file)", method);
        }

        r = control_new(m->event, o->socket_path, commands_dispatch, m, &m->control);
        if (r < 0)
                goto fail;        /* logged */
        control_set_max_clients(m->control, m->config->max_clients);

        state_file = state_path(o->state_dir);
        r = monitor_new(state_file, NULL, on_event, m, &m->monitor);
        if (r < 0) {
                log_error_errno(r, "Cannot start monitoring: %m");
                goto fail;
        }

        r = manager_watched_update(m);
        if (r < 0) {
                log_error_errno(r, "Out of memory");
                goto fail;
        }

        /* Process events need CAP_NET_ADMIN, listen events CAP_BPF: open
         * both before dropping them. SOCKAUDITD_FRESHNESS=polling forces
         * listing /proc instead, =proc-connector leaves eBPF out. */
        {
                const char *want = getenv("SOCKAUDITD_FRESHNESS");
                bool polling = want && strcmp(want, "polling") == 0;

                if (polling)
                        log_info("Freshness: polling (SOCKAUDITD_FRESHNESS=polling)");
                else if ((r = watchproc_open(&m->watchproc)) < 0)
                        log_info_errno(r, "Freshness: polling /proc (no proc connector: %m)");
                else if ((r = watchproc_attach(m->watchproc, m->event, on_proc_event, m)) < 0) {
                        log_error_errno(r, "Cannot watch process events: %m");
                        goto fail;
                }
                if (polling || (want && strcmp(want, "proc-connector") == 0))
                        snprintf(m->listen_why, sizeof m->listen_why, "SOCKAUDITD_FRESHNESS=%s", want);
                else if (m->no_ebpf)
                        snprintf(m->listen_why, sizeof m->listen_why, "SOCKAUDITD_EBPF=0");
                else if (watchlisten_open(m->event, on_listen_event, m, &m->watchlisten, m->listen_why,
                                          sizeof m->listen_why) < 0)
                        log_info("Listen events: none (%s); new listeners are found by probes",
                                 m->listen_why);
                else
                        log_info("Listen events: eBPF (TCP listen%s%s)",
                                 watchlisten_has_udp(m->watchlisten) ? ", UDP bind" : "; ",
                                 watchlisten_has_udp(m->watchlisten) ? "" : m->listen_why);
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
        manager_schedule_scan(m); /* spaced by the first scan's cost */
        r = sd_event_add_time_relative(m->event, &m->probe_timer, CLOCK_MONOTONIC, PROBE_USEC,
                                       PROBE_USEC / 10, on_probe_timer, m);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the probe timer: %m");
        manager_schedule_probe(m);

        log_info("Listening on %s%s; freshness: %s; full scan every %.3g s", control_socket_path(m->control) ?: "(unnamed)",
                 control_socket_activated(m->control) ? " (from systemd)" : "",
                 manager_freshness(m), resync_interval(m) / 1e6);
        manager_notify_status(m, "READY=1\n");

        r = sd_event_loop(m->event);
        sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}
