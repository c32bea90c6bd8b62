/* SPDX-License-Identifier: MIT */
/*
 * The control commands (docs/PROTOCOL.md), answered from the manager's
 * state: one handler per command, the table of them (commands.h) and the
 * dispatcher the control socket calls for every request line.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "commands.h"
#include "listreply.h"
#include "sockaudit-internal.h"
#include "manager.h"
#include "metrics.h"
#include "privs.h"
#include "provenance.h"
#include "reachability.h"
#include "redact.h"
#include "reload.h"
#include "request.h"
#include "tlsprobes.h"

/* A JSON number for a duration: an integer when whole, else a real. */
static json_t *seconds_to_json(uint64_t usec)
{
        if (usec % USEC_PER_SEC == 0)
                return json_integer((json_int_t) (usec / USEC_PER_SEC));
        return json_real((double) usec / 1e6);
}

/* The figures of one scan: "last_scan" in status, "scan" in refresh. */
static json_t *scan_to_json(const sa_snapshot *snap)
{
        char when[64];
        json_t *stats;

        stats = sa_scan_stats_to_json(&snap->stats);
        if (!stats)
                return NULL;
        return json_pack("{s:s,s:f,s:I,s:I,s:o}",
                         "time", sa_format_time(&snap->taken, when, sizeof(when)),
                         "duration_ms", snap->duration_usec / 1000.0,
                         "listeners", (json_int_t) snap->n_listeners,
                         "processes", (json_int_t) snap->n_procs,
                         "stats", stats);
}

static json_t *no_snapshot_error(const manager *m)
{
        return reply_error(REQUEST_ERROR_INTERNAL, "no scan has succeeded yet: %s",
                           m->last_scan_error < 0 ? strerror(-m->last_scan_error) : "still starting");
}

/*
 * who and list: the listeners passing the request's filter, after a
 * freshness check, streamed into bounded text (listreply.h); command lines
 * redacted for non-root clients when so configured; stale_why (NULL:
 * fresh) marks a snapshot that could not be refreshed.
 */
static const json_t *tls_of(const void *userdata, const sa_listener *l)
{
        return tlsprobes_get(userdata, l);
}

static const json_t *reach_of(const void *userdata, const sa_listener *l)
{
        return reachability_get(userdata, l);
}

static int listeners_reply(manager *m, const request *req, bool redacted, const char *stale_why,
                           control_reply *ret)
{
        sa_filter f = { .port = req->port, .protos = req->protos };
        listreply_opts o = {
                .filter = &f,
                .who = req->cmd == REQUEST_WHO,
                .redacted = redacted,
                .compact = req->form == REQUEST_FORM_COMPACT,
                .stale_why = stale_why,
                .tls_of = tls_of,
                .tls_userdata = m->tls,
                .reach_of = reach_of,
                .reach_userdata = m->reach,
                .texts_gen = m->records_gen,
        };
        int r;

        /* Kept for the next reply: a TLS answer changes one listener's record, not its owners'. */
        if (!m->texts[redacted])
                m->texts[redacted] = listreply_texts_new();
        o.texts = m->texts[redacted];
        r = listreply_build(m->snapshot, &o, &ret->text, &ret->len);

        if (r < 0)
                return r;
        ret->ok = true;
        return 0;
}

/*
 * The same question about an unchanged snapshot gets the same bytes: kept
 * per snapshot generation (replycache.h).
 */
static int command_listeners(manager *m, client *c, const request *req, control_reply *ret)
{
        sa_filter f = { .port = req->port, .protos = req->protos };
        bool redacted = redact_for(m->config, client_uid(c));
        char stale_why[160];
        int r;

        r = manager_ensure_fresh(m, &f);
        /* Only a full scan can tell: it runs on the resync's thread, the answer waits for its end. */
        if (r == FRESHNESS_WAITS) {
                client_defer(c, FRESHNESS_WAIT_KIND, freshness_park(m->freshness, req));
                return 0;
        }
        /* Never plain ok from a snapshot that could not be refreshed (a
         * failed rescan included): stale, and not cached. */
        if (m->snapshot && freshness_stale(m->freshness, stale_why, sizeof stale_why))
                return listeners_reply(m, req, redacted, stale_why, ret);
        if (r < 0)
                return control_reply_from_json(reply_error(REQUEST_ERROR_INTERNAL, "rescan failed: %s",
                                                           strerror(-r)), ret);
        if (!m->snapshot)
                return control_reply_from_json(no_snapshot_error(m), ret);

        /* Owners whose verdict is being made: the answer waits for it (bounded). */
        if (provenance_defer(m->provenance, c, req))
                return 0;
        r = reply_cache_get(&m->replies, m->snapshot_gen, req, redacted, &ret->text, &ret->len);
        if (r != 0) {
                ret->ok = true;
                return r < 0 ? r : 0;
        }
        r = listeners_reply(m, req, redacted, NULL, ret);
        if (r >= 0 && ret->ok)
                reply_cache_put(&m->replies, m->snapshot_gen, req, redacted, ret->text, ret->len);
        return r;
}

/* A who/list/tls that waited (for a provenance job, its probes or the resync): the answer to
 * the question its ticket packs (request_listeners_pack()). */
static int listeners_deferred_reply(client *c, uint64_t ticket, uint64_t waited_usec, control_reply *ret,
                                    void *userdata)
{
        manager *m = userdata;
        request parked = request_listeners_unpack(ticket);
        char stale_why[160];

        /* A `tls` whose listeners could not be probed: a who of its port (command_tls()). */
        if (parked.cmd == REQUEST_TLS)
                parked.cmd = REQUEST_WHO;
        if (!m->snapshot)
                return control_reply_from_json(no_snapshot_error(m), ret);
        return listeners_reply(m, &parked, redact_for(m->config, client_uid(c)),
                               freshness_stale(m->freshness, stale_why, sizeof stale_why) ? stale_why : NULL, ret);
}

size_t commands_answer_listeners(manager *m, unsigned kind, uint64_t upto)
{
        return control_answer_deferred(m->control, kind, upto, listeners_deferred_reply, m);
}

/* status: the daemon, its clients, scans and freshness. */
/* {"path","watched":["443/tcp"…],"namespaces":"all"|"self","last_reload":…} (docs/RECORDS.md). */
static json_t *config_status(manager *m)
{
        return json_pack("{s:s, s:o, s:s, s:o}",
                         "path", m->config_path,
                         "watched", reload_watched_to_json(&m->config->policy),
                         "namespaces", scope_name(m->config->namespaces == CONFIG_NAMESPACES_ALL),
                         "last_reload", reload_record_to_json(&m->last_reload));
}

static json_t *status_reply(manager *m)
{
        _cleanup_json_ json_t *reply = NULL, *status = NULL;
        const char *path = control_socket_path(m->control);
        json_t *last_scan = json_null(), *monitoring;
        control_stats cs;
        char started[64];

        if (m->snapshot) {
                last_scan = scan_to_json(m->snapshot);
                if (!last_scan)
                        return NULL;
        }
        control_get_stats(m->control, &cs);
        status = json_pack("{s:s,s:i,s:s,s:f,s:o,s:b,s:o,s:I,s:o,"
                           "s:{s:i,s:i,s:i,s:I,s:I,s:I,s:I},s:{s:I,s:I},s:I}",
                           "version", SA_VERSION,
                           "pid", (int) getpid(),
                           "started", sa_format_time(&m->started, started, sizeof(started)),
                           "uptime_sec", (now_usec(CLOCK_MONOTONIC) - m->started_usec) / 1e6,
                           "socket", path ? json_string(path) : json_null(),
                           "socket_activated", control_socket_activated(m->control),
                           "scan_interval_sec", seconds_to_json(m->config->scan_interval_usec),
                           "scans", (json_int_t) m->scans,
                           "last_scan", last_scan,
                           "clients",
                                   "connected", (int) cs.connected,
                                   "max", (int) cs.max,
                                   "max_per_user", (int) cs.max_per_user,
                                   "accepted", (json_int_t) cs.accepted,
                                   "denied", (json_int_t) cs.denied,
                                   "evicted", (json_int_t) cs.evicted,
                                   "refused_busy", (json_int_t) cs.rejected,
                           "requests",
                                   "total", (json_int_t) cs.requests,
                                   "errors", (json_int_t) cs.errors,
                           "scan_errors", (json_int_t) m->scan_errors);
        if (!status)
                return NULL;
        {
                const char *method = sa_scan_method_name(sa_scanner_method(m->scanner, NULL));
                sa_incremental_stats is;

                sa_scanner_incremental_stats(m->scanner, &is);
                if (json_object_set_new(status, "scan_method",
                                        json_pack("{s:s,s:s,s:I}", "method", method,
                                                  "detail", sa_scanner_method_detail(m->scanner),
                                                  "ebpf_fallbacks", (json_int_t) is.ebpf_fallbacks)) < 0)
                        return NULL;
        }
        monitoring = monitor_stats_to_json(m->monitor);
        if (!monitoring || json_object_set_new(status, "monitor", monitoring) < 0 ||
            json_object_set_new(status, "config", config_status(m)) < 0 ||
            json_object_set_new(status, "capabilities", privs_to_json()) < 0 ||
            json_object_set_new(status, "freshness", manager_freshness_to_json(m)) < 0 ||
            json_object_set_new(status, "provenance", provenance_to_json(m->provenance)) < 0 ||
            json_object_set_new(status, "tls", m->tls ? tlsprobes_to_json(m->tls) : json_null()) < 0 ||
            json_object_set_new(status, "reachability", reachability_to_json(m->reach)) < 0 ||
            json_object_set_new(status, "watchers", json_pack("{s:i,s:I}", "connected", (int) cs.watchers,
                                                              "events_lost", (json_int_t) cs.events_lost)) < 0)
                return NULL;
        reply = reply_ok();
        if (!reply || json_object_set(reply, "status", status) < 0)
                return NULL;
        return TAKE_PTR(reply);
}

static int command_status(manager *m, client *c, const request *req, control_reply *ret)
{
        return control_reply_from_json(status_reply(m), ret);
}

/* {"ok":true,"metrics":TEXT}: what MetricsFile= holds (docs/METRICS.md). */
static int command_metrics(manager *m, client *c, const request *req, control_reply *ret)
{
        _cleanup_free_ char *text = NULL;
        json_t *reply;
        size_t len;

        if (metrics_render(m, &text, &len) < 0)
                return control_reply_from_json(reply_error(REQUEST_ERROR_INTERNAL, "out of memory"), ret);
        reply = reply_ok();
        if (reply && json_object_set_new(reply, "metrics", json_stringn(text, len)) < 0) {
                json_decref(reply);
                reply = NULL;
        }
        return control_reply_from_json(reply, ret);
}

/*
 * check and refresh wait (client_defer()) for a verification of every
 * listener, or a full scan, that starts after they came and is shared by
 * all that wait by then (freshness_wait(), coalesce.h); the answer is
 * commands_answer_deferred()'s.
 */
static int command_deferred(manager *m, client *c, const request *req, control_reply *ret)
{
        client_defer(c, req->cmd, freshness_wait(m->freshness, req->cmd));
        return 0;
}

/* What every waiter of one scan shares; built once, referenced by each reply. */
typedef struct deferred_answer {
        manager *m;
        request_cmd cmd;
        bool shared;
        json_t *error;            /* the scan failed: this, to all */
        json_t *body;             /* refresh: the scan; check: the violations */
        size_t tls_queued;        /* refresh: TLS probes it queued (tlsprobes_refresh()) */
        json_t *redacted;         /* check: the violations without command lines, made when first needed */
} deferred_answer;

static int deferred_reply(client *c, uint64_t ticket, uint64_t waited_usec, control_reply *ret,
                          void *userdata)
{
        deferred_answer *a = userdata;
        _cleanup_json_ json_t *reply = NULL;
        json_t *body = a->body;

        if (a->error)
                return control_reply_from_json(json_incref(a->error), ret);
        if (a->cmd == REQUEST_CHECK && redact_for(a->m->config, client_uid(c))) {
                if (!a->redacted) {
                        a->redacted = json_deep_copy(a->body);
                        if (!a->redacted || redact_cmdlines(a->redacted) < 0)
                                return -ENOMEM;
                }
                body = a->redacted;
        }
        reply = reply_ok();
        if (!reply || json_object_set(reply, a->cmd == REQUEST_CHECK ? "violations" : "scan", body) < 0 ||
            json_object_set_new(reply, "waited_ms", json_real((double) waited_usec / 1000.0)) < 0 ||
            json_object_set_new(reply, "shared", json_boolean(a->shared)) < 0 ||
            (a->cmd == REQUEST_REFRESH &&
             json_object_set_new(reply, "tls_probes_queued", json_integer((json_int_t) a->tls_queued)) < 0))
                return -ENOMEM;
        return control_reply_from_json(TAKE_PTR(reply), ret);
}

size_t commands_answer_deferred(manager *m, request_cmd cmd, uint64_t upto, int r, bool shared)
{
        deferred_answer a = { .m = m, .cmd = cmd, .shared = shared };
        size_t n;

        /* Violations of owners being checked (provenance.h): after their verdicts. */
        if (cmd == REQUEST_CHECK && r >= 0 && provenance_hold_check(m->provenance))
                return 0;
        if (r < 0)
                a.error = reply_error(REQUEST_ERROR_INTERNAL, "%s failed: %s",
                                      cmd == REQUEST_CHECK ? "rescan" : "scan", strerror(-r));
        else if (!m->snapshot)
                a.error = no_snapshot_error(m);
        else if (cmd == REQUEST_CHECK) {
                a.body = monitor_check(m->snapshot, &m->config->policy);
                if (a.body && (tlsprobes_check(m->tls, m->snapshot, a.body) < 0 ||
                               reachability_check(m->reach, m->snapshot, a.body) < 0)) {
                        json_decref(a.body);
                        a.body = NULL;
                }
        }
        else {
                a.body = scan_to_json(m->snapshot);
                /* "refresh asks for a probe now" (docs/TLS.md), after the scan that found the listeners. */
                a.tls_queued = tlsprobes_refresh(m->tls);
        }
        /* Out of memory: each waiter gets the internal error (deferred_reply() fails). */
        n = control_answer_deferred(m->control, cmd, upto, deferred_reply, &a);
        json_decref(a.error);
        json_decref(a.body);
        json_decref(a.redacted);
        return n;
}

/*
 * tls: the TCP listeners on the port probed now (tlsprobes.h), answered as
 * who when every probe ended (each bounded by TLSTimeout=).
 */
static int command_tls(manager *m, client *c, const request *req, control_reply *ret)
{
        sa_filter f = { .port = req->port, .protos = SA_PROTO_TCP };
        request who = *req;
        int r;

        if (!m->tls)
                return control_reply_from_json(reply_error(REQUEST_ERROR_INTERNAL, "the daemon cannot probe TLS: "
                                                           "its probe program sockaudit-tlsprobe was not found"), ret);
        r = manager_ensure_fresh(m, &f);
        /* Only a full scan can tell: the probes start when the resync has installed it. */
        if (r == FRESHNESS_WAITS) {
                client_defer(c, FRESHNESS_WAIT_KIND, freshness_park(m->freshness, req));
                return 0;
        }
        if (r < 0 || !m->snapshot)
                return control_reply_from_json(r < 0 ? reply_error(REQUEST_ERROR_INTERNAL, "rescan failed: %s",
                                                                   strerror(-r)) : no_snapshot_error(m), ret);
        if (tlsprobes_request(m->tls, c, req->port))
                return 0;
        who.cmd = REQUEST_WHO;
        return listeners_reply(m, &who, redact_for(m->config, client_uid(c)), NULL, ret);
}

/* watch: from now on this client gets every event as one line. */
static int command_watch(manager *m, client *c, const request *req, control_reply *ret)
{
        client_set_watching(c);
        return control_reply_from_json(reply_ok(), ret);
}

/*
 * Who may call what: today every admitted peer (root or group sockaudit)
 * may call every command; COMMAND_ACCESS_ROOT is there for verbs that
 * must not be delegated.
 */
const command command_table[_REQUEST_CMD_MAX] = {
        [REQUEST_WHO]     = { command_listeners, COMMAND_ACCESS_PEER },
        [REQUEST_LIST]    = { command_listeners, COMMAND_ACCESS_PEER },
        [REQUEST_STATUS]  = { command_status,    COMMAND_ACCESS_PEER },
        [REQUEST_REFRESH] = { command_deferred,  COMMAND_ACCESS_PEER },
        [REQUEST_CHECK]   = { command_deferred,  COMMAND_ACCESS_PEER },
        [REQUEST_WATCH]   = { command_watch,     COMMAND_ACCESS_PEER },
        [REQUEST_TLS]     = { command_tls,       COMMAND_ACCESS_PEER },
        [REQUEST_METRICS] = { command_metrics,   COMMAND_ACCESS_PEER },
};

int commands_dispatch(client *c, const char *line, size_t len, control_reply *ret, void *userdata)
{
        manager *m = userdata;
        const command *cmd;
        request_error err;
        request req;
        int r;

        r = request_parse(line, len, &err, &req);
        if (r < 0) {
                log_debug("Request from pid %d refused: %s: %s", (int) client_pid(c),
                          request_error_code_name(err.code), err.message);
                return control_reply_from_json(reply_error(err.code, "%s", err.message), ret);
        }
        log_debug("Request from pid %d: %s", (int) client_pid(c), request_cmd_name(req.cmd));

        cmd = &command_table[req.cmd];
        if (!cmd->handler)
                return control_reply_from_json(reply_error(REQUEST_ERROR_INTERNAL, "unhandled command"), ret);
        if (cmd->access == COMMAND_ACCESS_ROOT && client_uid(c) != 0)
                return control_reply_from_json(reply_error(REQUEST_ERROR_DENIED,
                                                           "permission denied: \"%s\" is for root only",
                                                           request_cmd_name(req.cmd)), ret);
        return cmd->handler(m, c, &req, ret);
}
