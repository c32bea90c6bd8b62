/* SPDX-License-Identifier: MIT */
/* Human forms other than the listener table: status lines, event lines. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "human.h"
#include "sockaudit.h"
#include "table.h"

/* Member at a dotted path ("last_scan.stats.dumps") of root, or NULL. */
static const json_t *lookup(const json_t *root, const char *path, size_t len)
{
        const json_t *v = root;

        while (v && len > 0) {
                const char *dot = memchr(path, '.', len);
                size_t n = dot ? (size_t) (dot - path) : len;
                v = json_object_getn(v, path, n);
                path += n + !!dot;
                len -= n + !!dot;
        }
        return v;
}

/* Writes a scalar v; false when v is missing or not a scalar. */
static bool put_scalar(FILE *f, const json_t *v)
{
        if (!v)
                return false;
        switch (json_typeof(v)) {
        case JSON_STRING:
                fwrite(json_string_value(v), 1, strlen(json_string_value(v)), f);
                return true;
        case JSON_INTEGER:
                fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return true;
        case JSON_REAL:
                fprintf(f, "%.1f", json_real_value(v));
                return true;
        case JSON_TRUE:
        case JSON_FALSE:
                fputs(json_is_true(v) ? "yes" : "no", f);
                return true;
        case JSON_NULL:
                fputc('-', f);
                return true;
        default:
                return false;
        }
}

/*
 * Escapes raw onto out as one line. Values hold no NUL: jansson refuses
 * "\u0000" unless asked to allow it.
 */
int human_put_line(FILE *out, const char *indent, const char *raw)
{
        char *clean = sa_text_escape(raw);

        if (!clean)
                return -ENOMEM;
        fprintf(out, "%s%s\n", indent, clean);
        free(clean);
        return ferror(out) ? -EIO : 0;
}

static int put_line(FILE *out, const char *raw)
{
        return human_put_line(out, "", raw);
}

int print_template(FILE *out, const json_t *root, const char *tmpl)
{
        char *raw = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&raw, &len);
        bool ok = true;
        int r;

        if (!f)
                return -ENOMEM;
        for (const char *p = tmpl; *p && ok;) {
                const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
                if (!close) {
                        fputs(p, f);
                        break;
                }
                fwrite(p, 1, (size_t) (open - p), f);
                ok = put_scalar(f, lookup(root, open + 1, (size_t) (close - open - 1)));
                p = close + 1;
        }
        if (fclose(f) != 0) {
                free(raw);
                return -ENOMEM;
        }
        r = ok ? put_line(out, raw) : 0;
        free(raw);
        return r < 0 ? r : ok;
}

/* "Watching:      443/tcp 443/udp" from status's config.watched; nothing when absent. */
static int watched_print(FILE *out, const json_t *watched)
{
        char *raw = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!json_is_array(watched))
                return 0;
        f = open_memstream(&raw, &len);
        if (!f)
                return -ENOMEM;
        fputs("Watching:     ", f);
        for (size_t i = 0; i < json_array_size(watched); i++) {
                const char *s = json_string_value(json_array_get(watched, i));
                fprintf(f, " %s", s ? s : "?");
        }
        if (json_array_size(watched) == 0)
                fputs(" nothing", f);
        if (fclose(f) != 0) {
                free(raw);
                return -ENOMEM;
        }
        r = put_line(out, raw);
        free(raw);
        return r;
}

int status_print(FILE *out, const json_t *status)
{
        static const char *const lines[] = {
                "Version:       {version}",
                "PID:           {pid}",
                "Started:       {started} (up {uptime_sec} s)",
                "Socket:        {socket} (socket-activated: {socket_activated})",
                "Scan interval: {scan_interval_sec} s",
                "Scan method:   {scan_method.method} ({scan_method.detail}), "
                        "{scan_method.ebpf_fallbacks} walks redone by procfs",
                "Freshness:     {freshness.mode}; listen events: {freshness.listen_events.source} "
                        "(udp {freshness.listen_events.udp}, {freshness.listen_events.events} seen)",
                "Scans:         {scans} ({scan_errors} failed)",
                "Last scan:     {last_scan.time}, {last_scan.duration_ms} ms, "
                        "{last_scan.listeners} listeners, {last_scan.processes} processes",
                "Scan counters: {last_scan.stats.dumps} dumps ({last_scan.stats.dump_retries} retried), "
                        "{last_scan.stats.procs} processes, {last_scan.stats.fds} fds, "
                        "{last_scan.stats.procs_vanished} vanished, {last_scan.stats.procs_denied} denied",
                "Clients:       {clients.connected} connected (max {clients.max}), "
                        "{clients.accepted} accepted, {clients.denied} denied",
                "Requests:      {requests.total} ({requests.errors} errors)",
                "Watchers:      {watchers.connected} connected, {watchers.events_lost} events lost",
                "Events:        {monitor.events.listener_added} added, {monitor.events.listener_removed} removed, "
                        "{monitor.events.owner_changed} owner changes, "
                        "{monitor.events.policy_violation} policy violations "
                        "({monitor.active_violations} active)",
                "Baseline:      {monitor.baseline}; {monitor.state.saves} saves, {monitor.state.errors} failed",
                "Config:        {config.path}; namespaces {config.namespaces}",
                "Last reload:   {config.last_reload.time}: {config.last_reload.result}; {config.last_reload.changes}",
                "Last reload:   {config.last_reload.time}: {config.last_reload.result}: {config.last_reload.error}",
                "Journal:       {monitor.journal.sent} sent, {monitor.journal.queued} queued "
                        "(max {monitor.journal.max_queue}), {monitor.journal.dropped} dropped, "
                        "{monitor.journal.failed} failed, {monitor.journal.stderr} to stderr",
        };

        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
                int r = print_template(out, status, lines[i]);
                if (r < 0)
                        return r;
        }
        return watched_print(out, json_object_get(json_object_get(status, "config"), "watched"));
}

/*
 * The place and the programs of a listener record in describe.h's forms
 * ("443/tcp on [::] in netns trialE", "apache2 (www-data) ×12"); owners,
 * when non-NULL, stand in for the record's own (previous_owners). The
 * record goes back through sa_snapshot_from_json so the library's one
 * formatter applies. -EBADMSG for a record it refuses, -ENOMEM.
 */
static int describe_record(const json_t *l, const json_t *owners, char **ret_where, char **ret_who)
{
        json_t *copy = json_deep_copy(l), *one = json_array();
        sa_snapshot *snap = NULL;
        int r = -ENOMEM;

        if (!copy || !one || (owners && json_object_set(copy, "owners", (json_t *) owners) < 0) ||
            json_array_append(one, copy) < 0)
                goto out;
        r = sa_snapshot_from_json(one, &snap, NULL, 0);
        if (r < 0)
                goto out;
        r = -EBADMSG;
        if (snap->n_listeners != 1)
                goto out;
        r = ret_where ? sa_describe_listener(&snap->listeners[0], ret_where) : 0;
        if (r >= 0)
                r = sa_describe_owners(&snap->listeners[0], ret_who);
        if (r < 0 && ret_where) {
                free(*ret_where);
                *ret_where = NULL;
        }
out:
        sa_snapshot_free(snap);
        json_decref(copy);
        json_decref(one);
        return r;
}

int event_print(FILE *out, const json_t *event)
{
        const json_t *l = json_object_get(event, "listener");
        const json_t *prev = json_object_get(event, "previous_owners");
        const char *time = json_string_value(json_object_get(event, "time"));
        const char *name = json_string_value(json_object_get(event, "event"));
        const char *reason = json_string_value(json_object_get(event, "reason"));
        char *where = NULL, *who = NULL, *was = NULL, *raw = NULL;
        size_t len = 0;
        FILE *f;
        int r = 0;

        f = open_memstream(&raw, &len);
        if (!f)
                return -ENOMEM;
        /* A check result has neither time nor event name: just the listener and the reason. */
        if (time)
                fprintf(f, "%s ", time);
        if (name && !strcmp(name, "events_lost")) {
                fputs("events_lost: ", f);
                if (!put_scalar(f, json_object_get(event, "count")))
                        fputc('?', f);
                fputs(" events lost (this watcher fell behind)", f);
                goto done;
        }
        /* A summary (listeners_short_lived) names no one listener: its reason says it all. */
        if (!l && name && reason) {
                fprintf(f, "%s: %s", name, reason);
                goto done;
        }
        r = describe_record(l, NULL, &where, &who);
        if (r >= 0 && json_array_size(prev) > 0)
                r = describe_record(l, prev, NULL, &was);
        if (r == -ENOMEM)
                goto done;
        if (r < 0) {
                fprintf(f, "%s (a listener record this sockaudit cannot read)", name ? name : "violation");
                r = 0;
                goto done;
        }
        fprintf(f, "%s %s: %s", name ? name : "violation", where, who);
        if (was)
                fprintf(f, "; was %s", was);
        if (reason)
                fprintf(f, "; %s", reason);
done:
        free(where);
        free(who);
        free(was);
        if (fclose(f) != 0 || r < 0) {
                free(raw);
                return r < 0 ? r : -ENOMEM;
        }
        r = put_line(out, raw);
        free(raw);
        return r;
}
