/* SPDX-License-Identifier: MIT */
/* Prometheus metrics: the text format from the daemon's state, and MetricsFile= (metrics.h, docs/METRICS.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "monitor.h"
#include "reachability.h"
#include "sockaudit-internal.h"
#include "tlsprobes.h"
#include "util.h"

/* A growing text; failed set on ENOMEM, later appends do nothing. */
typedef struct text {
        char *s;
        size_t len, cap;
        bool failed;
} text;

static void put(text *t, const char *s, size_t n)
{
        if (t->failed)
                return;
        if (t->len + n + 1 > t->cap) {
                size_t cap = t->cap ? t->cap : 256;
                char *p;

                while (cap < t->len + n + 1)
                        cap *= 2;
                p = realloc(t->s, cap);
                if (!p) {
                        t->failed = true;
                        return;
                }
                t->s = p;
                t->cap = cap;
        }
        memcpy(t->s + t->len, s, n);
        t->len += n;
        t->s[t->len] = '\0';
}

/* A string literal, its length counted by the compiler. */
#define PUT_LITERAL(t, s) put(t, "" s "", sizeof(s) - 1)

__attribute__((format(printf, 2, 3)))
static void putf(text *t, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        put(t, buf, n < 0 ? 0 : (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1);
}

/* One metric's HELP and TYPE lines. */
static void head(text *t, const char *name, const char *type, const char *help)
{
        putf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *metrics_escape(const char *value)
{
        size_t n = value ? strnlen(value, METRICS_LABEL_MAX) : 0;
        _cleanup_free_ char *v = sa_utf8_sanitize(value ? value : "", n);
        text t = {};

        if (!v)
                return NULL;
        PUT_LITERAL(&t, "");
        for (const char *p = v; *p; p++)
                if (*p == '\\')
                        PUT_LITERAL(&t, "\\\\");
                else if (*p == '"')
                        PUT_LITERAL(&t, "\\\"");
                else if (*p == '\n')
                        PUT_LITERAL(&t, "\\n");
                else
                        put(&t, p, 1);
        if (t.failed) {
                free(t.s);
                return NULL;
        }
        return t.s;
}

/* A label, name="value" (metrics_escape()), after a comma unless first. */
static void label(text *t, bool first, const char *name, const char *value)
{
        _cleanup_free_ char *v = metrics_escape(value);

        if (!v) {
                t->failed = true;
                return;
        }
        putf(t, "%s%s=\"", first ? "" : ",", name);
        put(t, v, strlen(v));
        PUT_LITERAL(t, "\"");
}

static const char *jstr(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Sorted series lines, each once (sockets that differ only in what no label shows give one). */
typedef struct series {
        char **lines;
        size_t n, cap;
        bool failed;
} series;

static void series_add(series *s, text *line)
{
        if (line->failed || sa_grow((void **) &s->lines, &s->cap, s->n + 1, sizeof *s->lines) < 0) {
                free(line->s);
                s->failed = true;
                return;
        }
        s->lines[s->n++] = line->s;
}

static void series_flush(text *t, series *s)
{
        if (s->failed)
                t->failed = true;
        if (s->n > 0)   /* qsort() of NULL is undefined even for 0 lines */
                qsort(s->lines, s->n, sizeof *s->lines, cmp_str);
        for (size_t i = 0; i < s->n; i++) {
                if (i == 0 || strcmp(s->lines[i], s->lines[i - 1]) != 0)
                        put(t, s->lines[i], strlen(s->lines[i]));
        }
        for (size_t i = 0; i < s->n; i++)
                free(s->lines[i]);
        free(s->lines);
}

/* One listener's info line: its first owner's exe (else comm), unit, user and package status. */
static void listener_line(series *s, const sa_listener *l)
{
        _cleanup_json_ json_t *j = sa_listener_to_json(l);
        const json_t *owner = json_array_get(json_object_get(j, "owners"), 0);
        const char *exe = jstr(owner, "exe"), *netns = jstr(j, "netns_name");
        char port[8], ns[24];
        text t = {};

        if (!j) {
                s->failed = true;
                return;
        }
        snprintf(port, sizeof port, "%u", l->port);
        snprintf(ns, sizeof ns, "%" PRIu64, l->netns);
        PUT_LITERAL(&t, "sockaudit_listener_info{");
        label(&t, true, "proto", jstr(j, "proto"));
        label(&t, false, "address", jstr(j, "address"));
        label(&t, false, "port", port);
        label(&t, false, "netns", netns && *netns ? netns : ns);
        label(&t, false, "exe", exe ? exe : jstr(owner, "comm"));
        label(&t, false, "unit", jstr(owner, "unit"));
        label(&t, false, "user", jstr(owner, "user"));
        label(&t, false, "package_status", jstr(json_object_get(owner, "package"), "status"));
        PUT_LITERAL(&t, "} 1\n");
        series_add(s, &t);
}

/* "2026-12-07T01:12:37Z" as seconds since the epoch; -1 when not that. */
static long long rfc3339_seconds(const char *s)
{
        struct tm tm = {};
        const char *end;

        if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) || *end)
                return -1;
        return (long long) timegm(&tm);
}

/* The TLS listeners' certificates: at most METRICS_CERTS_MAX series. */
static void cert_lines(series *s, manager *m, const sa_listener *l, size_t *left)
{
        const json_t *tls = m->tls ? tlsprobes_get(m->tls, l) : NULL;
        const json_t *cert;
        size_t i;

        json_array_foreach(json_object_get(tls, "certificates"), i, cert) {
                long long na = rfc3339_seconds(jstr(cert, "not_after"));
                char port[8];
                text t = {};

                if (na < 0 || *left == 0)
                        continue;
                (*left)--;
                snprintf(port, sizeof port, "%u", l->port);
                PUT_LITERAL(&t, "sockaudit_tls_cert_not_after_timestamp_seconds{");
                label(&t, true, "port", port);
                label(&t, false, "sni", jstr(cert, "sni"));
                label(&t, false, "subject", jstr(cert, "subject"));
                putf(&t, "} %lld\n", na);
                series_add(s, &t);
        }
}

static void listeners_part(text *t, manager *m)
{
        const sa_snapshot *snap = m->snapshot;
        size_t n = snap ? snap->n_listeners : 0, shown = n < METRICS_LISTENERS_MAX ? n : METRICS_LISTENERS_MAX;
        size_t certs_left = METRICS_CERTS_MAX;
        series info = {}, certs = {};

        head(t, "sockaudit_listeners", "gauge", "Listening sockets seen by the last scan.");
        putf(t, "sockaudit_listeners %zu\n", n);
        head(t, "sockaudit_listener_info", "gauge",
             "One listener: its place and its first owner (at most 1000 series; docs/METRICS.md).");
        for (size_t i = 0; i < shown; i++)
                listener_line(&info, &snap->listeners[i]);
        series_flush(t, &info);
        head(t, "sockaudit_listener_info_omitted", "gauge",
             "Listeners left out of sockaudit_listener_info (beyond 1000).");
        putf(t, "sockaudit_listener_info_omitted %zu\n", n - shown);
        head(t, "sockaudit_tls_cert_not_after_timestamp_seconds", "gauge",
             "End of validity of a certificate a TLS listener served (at most 256 series).");
        for (size_t i = 0; i < n; i++)
                cert_lines(&certs, m, &snap->listeners[i], &certs_left);
        series_flush(t, &certs);
}

/* The current violations (as `check` gives them), counted by kind. */
static void violations_part(text *t, manager *m)
{
        _cleanup_json_ json_t *arr = NULL, *kinds = json_object();
        const char *kind;
        json_t *v;
        size_t i;

        head(t, "sockaudit_policy_violations", "gauge", "Policy violations now, by kind.");
        if (!m->snapshot)
                return;
        arr = monitor_check(m->snapshot, &m->config->policy);
        if (!arr || !kinds || tlsprobes_check(m->tls, m->snapshot, arr) < 0 ||
            reachability_check(m->reach, m->snapshot, arr) < 0) {
                t->failed = true;
                return;
        }
        json_array_foreach(arr, i, v) {
                const char *k = jstr(v, "violation");

                if (k && json_object_set_new(kinds, k, json_integer(
                                json_integer_value(json_object_get(kinds, k)) + 1)) < 0)
                        t->failed = true;
        }
        json_object_foreach(kinds, kind, v) {
                PUT_LITERAL(t, "sockaudit_policy_violations{");
                label(t, true, "kind", kind);
                putf(t, "} %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
        }
}

int metrics_render(manager *m, char **ret, size_t *ret_len)
{
        monitor_stats st;
        text t = {};

        monitor_get_stats(m->monitor, &st);
        head(&t, "sockaudit_build_info", "gauge", "The daemon's version.");
        PUT_LITERAL(&t, "sockaudit_build_info{");
        label(&t, true, "version", SA_VERSION);
        PUT_LITERAL(&t, "} 1\n");
        listeners_part(&t, m);
        violations_part(&t, m);
        head(&t, "sockaudit_events_total", "counter", "Events raised since the daemon started, by type.");
        for (int i = 0; i < _EVENT_TYPE_MAX; i++) {
                PUT_LITERAL(&t, "sockaudit_events_total{");
                label(&t, true, "type", event_type_name(i));
                putf(&t, "} %" PRIu64 "\n", st.events[i]);
        }
        head(&t, "sockaudit_journal_dropped_total", "counter",
             "Journal entries dropped because the writer's queue was full.");
        putf(&t, "sockaudit_journal_dropped_total %" PRIu64 "\n", st.journal.dropped);
        head(&t, "sockaudit_scans_total", "counter", "Full scans that succeeded since the daemon started.");
        putf(&t, "sockaudit_scans_total %" PRIu64 "\n", m->scans);
        head(&t, "sockaudit_scan_errors_total", "counter", "Full scans that failed since the daemon started.");
        putf(&t, "sockaudit_scan_errors_total %" PRIu64 "\n", m->scan_errors);
        if (m->snapshot) {
                head(&t, "sockaudit_scan_duration_seconds", "gauge", "How long the last scan took.");
                putf(&t, "sockaudit_scan_duration_seconds %.6f\n", m->snapshot->duration_usec / 1e6);
                head(&t, "sockaudit_last_scan_timestamp_seconds", "gauge", "When the last scan began.");
                putf(&t, "sockaudit_last_scan_timestamp_seconds %lld.%03ld\n",
                     (long long) m->snapshot->taken.tv_sec, m->snapshot->taken.tv_nsec / 1000000);
        }
        if (t.failed || !t.s) {
                free(t.s);
                return -ENOMEM;
        }
        *ret = t.s;
        *ret_len = t.len;
        return 0;
}

/* All of buf to fd. 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

int metrics_write(manager *m)
{
        const char *path = m->config->metrics_file;
        _cleanup_free_ char *body = NULL;
        char tmp[sizeof m->config->metrics_file + 16];
        size_t len;
        int fd, r;

        if (!*path)
                return 0;
        r = metrics_render(m, &body, &len);
        if (r < 0)
                return r;
        /* The collector reads *.prom only: the temp file beside it is never half read. */
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        r = write_all(fd, body, len);
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        manager *m = userdata;
        int r = metrics_write(m);

        if (r < 0 && r != m->metrics_error)
                log_warning_errno(r, "Cannot write MetricsFile=%s: %m", m->config->metrics_file);
        else if (r == 0 && m->metrics_error)
                log_notice("MetricsFile=%s written again", m->config->metrics_file);
        m->metrics_error = r;
        return 0;
}

void metrics_touch(manager *m)
{
        int r;

        if (!m->config || !*m->config->metrics_file)
                return;
        if (m->metrics_timer) {
                int enabled = SD_EVENT_OFF;

                if (sd_event_source_get_enabled(m->metrics_timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
                        return;         /* coalesced into the write already due */
                r = sd_event_source_set_time_relative(m->metrics_timer, USEC_PER_SEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(m->metrics_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(m->event, &m->metrics_timer, CLOCK_MONOTONIC, USEC_PER_SEC,
                                               0, on_timer, m);
        if (r < 0)
                log_warning_errno(r, "Cannot schedule the metrics file's write: %m");
}
