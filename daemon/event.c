/* SPDX-License-Identifier: MIT */
/* Change events: the watch/JSON form and the journal entry of each. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "describe.h"
#include "event.h"
#include "util.h"

static const struct {
        const char *name;
        const char *message_id;
} event_types[_EVENT_TYPE_MAX] = {
        [EVENT_LISTENER_ADDED] = { "listener_added", SA_MESSAGE_ID_LISTENER_ADDED },
        [EVENT_LISTENER_REMOVED] = { "listener_removed", SA_MESSAGE_ID_LISTENER_REMOVED },
        [EVENT_OWNER_CHANGED] = { "owner_changed", SA_MESSAGE_ID_OWNER_CHANGED },
        [EVENT_POLICY_VIOLATION] = { "policy_violation", SA_MESSAGE_ID_POLICY_VIOLATION },
        [EVENT_LISTENER_FLAPPING] = { "listener_flapping", SA_MESSAGE_ID_LISTENER_FLAPPING },
        [EVENT_LISTENERS_SHORT_LIVED] = { "listeners_short_lived", SA_MESSAGE_ID_LISTENERS_SHORT_LIVED },
        [EVENT_TLS_CHANGED] = { "tls_changed", SA_MESSAGE_ID_TLS_CHANGED },
        [EVENT_REACHABILITY_CHANGED] = { "reachability_changed", SA_MESSAGE_ID_REACHABILITY_CHANGED },
};

const char *event_type_name(event_type t)
{
        return t < _EVENT_TYPE_MAX ? event_types[t].name : "?";
}

event_type event_type_from_change(sa_change_kind kind)
{
        switch (kind) {
        case SA_CHANGE_ADDED:
                return EVENT_LISTENER_ADDED;
        case SA_CHANGE_REMOVED:
                return EVENT_LISTENER_REMOVED;
        case SA_CHANGE_OWNER:
                return EVENT_OWNER_CHANGED;
        }
        return EVENT_LISTENER_ADDED;
}

json_t *event_to_json(event_type t, const struct timespec *when, const sa_listener *listener,
                      const sa_listener *before, const char *reason)
{
        char tbuf[40];
        json_t *prev = NULL, *ev;

        if (before) {
                json_t *b = sa_listener_to_json(before);
                if (!b)
                        return NULL;
                prev = json_incref(json_object_get(b, "owners"));
                json_decref(b);
        } else
                prev = json_array();
        ev = json_pack("{s:s, s:s, s:o, s:o, s:o}",
                       "event", event_type_name(t),
                       "time", sa_format_time(when, tbuf, sizeof tbuf),
                       "listener", sa_listener_to_json(listener),
                       "previous_owners", prev,
                       "reason", reason ? json_string(reason) : json_null());
        return ev;
}

journal_entry *journal_entry_free(journal_entry *e)
{
        if (!e)
                return NULL;
        for (size_t i = 0; i < e->n; i++)
                free(e->iov[i].iov_base);
        free(e->iov);
        free(e);
        return NULL;
}

/* Appends "FIELD=value"; value is taken as bytes (it may come from a process). */
static int entry_add(journal_entry *e, const char *field, const char *value)
{
        size_t fl = strlen(field), vl = strlen(value);
        char *s = malloc(fl + 1 + vl + 1);

        if (!s)
                return -ENOMEM;
        if (sa_grow((void **) &e->iov, &e->cap, e->n, sizeof *e->iov) < 0) {
                free(s);
                return -ENOMEM;
        }
        memcpy(s, field, fl);
        s[fl] = '=';
        memcpy(s + fl + 1, value, vl + 1);
        e->iov[e->n++] = (struct iovec) { .iov_base = s, .iov_len = fl + 1 + vl };
        return 0;
}

/* Adds the escaped form of untrusted text (NULL: nothing). */
static int entry_add_text(journal_entry *e, const char *field, const char *value)
{
        if (!value)
                return 0;
        char *esc = sa_text_escape(value);
        if (!esc)
                return -ENOMEM;
        int r = entry_add(e, field, esc);
        free(esc);
        return r;
}

int event_entry_add_field(journal_entry *e, const char *field, const char *value)
{
        return entry_add_text(e, field, value);
}

static int entry_addf(journal_entry *e, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int entry_addf(journal_entry *e, const char *field, const char *fmt, ...)
{
        char buf[128];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        return entry_add(e, field, buf);
}

/*
 * The MESSAGE of an event, raw: place and programs in describe.h's forms
 * ("443/tcp on [::] in netns trialE opened by socat[13422] (root)").
 */
static char *message_raw(event_type t, const sa_listener *listener, const sa_listener *before,
                         const char *reason)
{
        _cleanup_free_ char *where = NULL, *now = NULL, *was = NULL;
        char *msg = NULL;
        int r = -1;

        if (sa_describe_listener(listener, &where) < 0 || sa_describe_owners(listener, &now) < 0 ||
            (before && sa_describe_owners(before, &was) < 0))
                return NULL;
        switch (t) {
        case EVENT_LISTENER_ADDED:
                r = asprintf(&msg, "%s opened by %s", where, now);
                break;
        case EVENT_LISTENER_REMOVED:
                r = asprintf(&msg, "%s closed (was %s)", where, now);
                break;
        case EVENT_OWNER_CHANGED:
                r = asprintf(&msg, "%s now owned by %s (was %s)", where, now, was ? was : "?");
                break;
        case EVENT_LISTENER_FLAPPING:
                r = asprintf(&msg, "%s flapping: %s", where, reason ? reason : "?");
                break;
        case EVENT_TLS_CHANGED:
        case EVENT_REACHABILITY_CHANGED:
                r = asprintf(&msg, "%s (%s): %s", where, now, reason ? reason : "?");
                break;
        default:
                r = asprintf(&msg, "%s: policy violation: %s", where, reason ? reason : "not allowed");
                break;
        }
        return r < 0 ? NULL : msg;
}

char *event_message(event_type t, const sa_listener *listener, const sa_listener *before,
                    const char *reason)
{
        _cleanup_free_ char *raw = message_raw(t, listener, before, reason);

        /* One escape over the whole line: every name in it came from outside. */
        return raw ? sa_text_escape(raw) : NULL;
}

/* Same program twice in one entry adds nothing: compare with earlier holders. */
static bool seen_program(const sa_listener *l, size_t i)
{
        const sa_process *p = l->holders[i].proc;
        for (size_t k = 0; k < i; k++) {
                const sa_process *q = l->holders[k].proc;
                if (!strcmp(p->comm ? p->comm : "", q->comm ? q->comm : "") &&
                    !strcmp(p->exe ? p->exe : "", q->exe ? q->exe : "") &&
                    !strcmp(p->unit ? p->unit : "", q->unit ? q->unit : "") &&
                    !strcmp(p->user ? p->user : "", q->user ? q->user : ""))
                        return true;
        }
        return false;
}

#define JOURNAL_MAX_PIDS 64

/* An owner's package facts (docs/PROVENANCE.md); nothing before its verdict. */
static int entry_add_provenance(journal_entry *e, const sa_process *p)
{
        const sa_exe_provenance *pv = p->provenance;
        int r = 0;

        if (!pv)
                return 0;
        r |= entry_add_text(e, "SOCKAUDIT_PACKAGE", pv->package);
        r |= entry_add_text(e, "SOCKAUDIT_PACKAGE_VERSION", pv->package ? pv->version : NULL);
        r |= entry_add(e, "SOCKAUDIT_PACKAGE_STATUS", sa_prov_status_name(pv->status));
        if (pv->exe_sha256[0])
                r |= entry_add_text(e, "SOCKAUDIT_EXE_SHA256", pv->exe_sha256);
        return r;
}

/*
 * event_journal_entry() with its MESSAGE_ID; with owner set (a
 * violation's), the package fields are that owner's only, else each
 * distinct program's.
 */
static journal_entry *entry_build(event_type t, const char *message_id, const sa_listener *listener,
                                  const sa_listener *before, const char *reason, const sa_process *owner)
{
        journal_entry *e = calloc(1, sizeof *e);
        char addr[64], *msg = event_message(t, listener, before, reason);
        int r = 0;

        if (!e || !msg)
                goto fail;
        e->priority = t == EVENT_POLICY_VIOLATION || t == EVENT_LISTENER_FLAPPING ? LOG_WARNING : LOG_NOTICE;
        sa_listener_address(listener, addr, sizeof addr);

        r |= entry_add(e, "MESSAGE_ID", message_id);
        r |= entry_add(e, "MESSAGE", msg);
        r |= entry_addf(e, "PRIORITY", "%d", e->priority);
        r |= entry_add(e, "SYSLOG_IDENTIFIER", "sockauditd");
        r |= entry_add(e, "SOCKAUDIT_EVENT", event_type_name(t));
        r |= entry_add(e, "SOCKAUDIT_PROTO", sa_proto_name(listener->proto));
        r |= entry_add(e, "SOCKAUDIT_ADDRESS", addr);
        r |= entry_addf(e, "SOCKAUDIT_PORT", "%u", listener->port);
        r |= entry_addf(e, "SOCKAUDIT_NETNS", "%llu", (unsigned long long) listener->netns);
        r |= entry_addf(e, "SOCKAUDIT_INODE", "%u", listener->inode);
        r |= entry_addf(e, "SOCKAUDIT_OWNERS", "%zu", listener->n_holders);
        for (size_t i = 0; i < listener->n_holders && i < JOURNAL_MAX_PIDS; i++)
                r |= entry_addf(e, "SOCKAUDIT_PID", "%d", (int) listener->holders[i].proc->pid);
        for (size_t i = 0; i < listener->n_holders; i++) {
                const sa_process *p = listener->holders[i].proc;
                char user[24];
                if (seen_program(listener, i))
                        continue;
                r |= entry_add_text(e, "SOCKAUDIT_COMM", p->comm);
                r |= entry_add_text(e, "SOCKAUDIT_EXE", p->exe);
                r |= entry_add_text(e, "SOCKAUDIT_UNIT", p->unit);
                r |= entry_add_text(e, "SOCKAUDIT_USER_UNIT", p->user_unit);
                r |= entry_add_text(e, "SOCKAUDIT_USER", sa_describe_user(p, user, sizeof user));
                if (!owner)
                        r |= entry_add_provenance(e, p);
        }
        if (owner)
                r |= entry_add_provenance(e, owner);
        if (reason)
                r |= entry_add_text(e, "SOCKAUDIT_REASON", reason);
        if (before) {
                char *was = NULL;
                r |= sa_describe_owners(before, &was) < 0 ? -1 : entry_add_text(e, "SOCKAUDIT_PREVIOUS_OWNERS", was);
                free(was);
        }
        if (r != 0)
                goto fail;
        free(msg);
        return e;
fail:
        free(msg);
        return journal_entry_free(e);
}

/* Borrowed from the manager, which sets it at start and clears it at its end. */
static const char *config_path;

void event_set_config_path(const char *path)
{
        config_path = path;
}

journal_entry *event_journal_entry(event_type t, const sa_listener *listener,
                                   const sa_listener *before, const char *reason)
{
        return entry_build(t, t < _EVENT_TYPE_MAX ? event_types[t].message_id : "", listener, before, reason, NULL);
}

/* The package checks' own MESSAGE_IDs; the others share policy_violation's. */
static const char *violation_message_id(violation_kind k)
{
        switch (k) {
        case VIOLATION_EXE_MODIFIED:
                return SA_MESSAGE_ID_EXE_MODIFIED;
        case VIOLATION_EXE_NOT_PACKAGED:
                return SA_MESSAGE_ID_EXE_NOT_PACKAGED;
        case VIOLATION_EXE_UNVERIFIABLE:
                return SA_MESSAGE_ID_EXE_UNVERIFIABLE;
        case VIOLATION_PACKAGE:
                return SA_MESSAGE_ID_PACKAGE_NOT_ALLOWED;
        case VIOLATION_CERT_EXPIRING:
                return SA_MESSAGE_ID_CERT_EXPIRING;
        case VIOLATION_CERT_EXPIRED:
                return SA_MESSAGE_ID_CERT_EXPIRED;
        case VIOLATION_TLS_VERSION_WEAK:
                return SA_MESSAGE_ID_TLS_VERSION_WEAK;
        case VIOLATION_KEY_WEAK:
                return SA_MESSAGE_ID_KEY_WEAK;
        case VIOLATION_CHAIN_UNVERIFIED:
                return SA_MESSAGE_ID_CHAIN_UNVERIFIED;
        case VIOLATION_CERT_STALE_ON_DISK:
                return SA_MESSAGE_ID_CERT_STALE_ON_DISK;
        case VIOLATION_EXPOSURE_EXCEEDED:
                return SA_MESSAGE_ID_EXPOSURE_EXCEEDED;
        default:
                return SA_MESSAGE_ID_POLICY_VIOLATION;
        }
}

/* exposure_exceeded: the level allowed, and per entry beyond it "INTERFACE ADDRESS VERDICT". */
static int entry_add_exposure(journal_entry *e, const violation *v)
{
        const json_t *x;
        size_t i;
        int r = entry_add(e, "SOCKAUDIT_EXPOSURE", policy_exposure_name(v->exposure));

        json_array_foreach(json_object_get(v->reach, "entries"), i, x) {
                if (!policy_exposure_exceeds(v->exposure, x))
                        continue;
                char *s = NULL, place[200];

                /* One value per entry: journald keeps identical FIELD=value pairs of an entry once. */
                policy_entry_place(x, place, sizeof place);
                if (asprintf(&s, "%s %s", place, json_string_value(json_object_get(x, "verdict")) ?: "?") < 0)
                        return -ENOMEM;
                r |= entry_add_text(e, "SOCKAUDIT_REACH_ENTRY", s);
                free(s);
        }
        return r ? -ENOMEM : 0;
}

json_t *event_violation_to_json(const struct timespec *when, const violation *v)
{
        json_t *ev = event_to_json(EVENT_POLICY_VIOLATION, when, v->listener, NULL, v->reason);

        if (ev && json_object_set_new(ev, "violation", json_string(violation_kind_name(v->kind))) < 0) {
                json_decref(ev);
                return NULL;
        }
        return ev;
}

journal_entry *event_violation_journal_entry(const violation *v)
{
        journal_entry *e = entry_build(EVENT_POLICY_VIOLATION, violation_message_id(v->kind), v->listener, NULL,
                                       v->reason, v->owner);

        if (e && entry_add(e, "SOCKAUDIT_VIOLATION", violation_kind_name(v->kind)) < 0)
                return journal_entry_free(e);
        if (e && v->tls && event_entry_add_tls(e, v->tls, v->cert) < 0)
                return journal_entry_free(e);
        if (e && v->reach && entry_add_exposure(e, v) < 0)
                return journal_entry_free(e);
        if (e && config_path && entry_add_text(e, "SOCKAUDIT_CONFIG", config_path) < 0)
                return journal_entry_free(e);
        return e;
}

/* Violations repeat their listener: 100 of them must not repeat 64 owners
 * 100 times (RECORDS.md, "Violation"). */
static const sa_json_limits violation_limits = { .owners_max = 8, .cmdline_max = 1024 };

json_t *event_violation_record(const violation *v)
{
        return json_pack("{s:o, s:s, s:s}", "listener", sa_listener_to_json_limited(v->listener, &violation_limits),
                         "reason", v->reason, "violation", violation_kind_name(v->kind));
}

/* One certificate's fields; every text comes from the server. */
static int entry_add_cert(journal_entry *e, const json_t *c)
{
        static const char *const texts[][2] = {
                { "SOCKAUDIT_TLS_SNI", "sni" },          { "SOCKAUDIT_TLS_SUBJECT", "subject" },
                { "SOCKAUDIT_TLS_ISSUER", "issuer" },    { "SOCKAUDIT_TLS_NOT_AFTER", "not_after" },
                { "SOCKAUDIT_TLS_SHA256", "sha256" },
        };
        const json_t *days = json_object_get(c, "days_left"), *bits = json_object_get(c, "key_bits");
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                r |= entry_add_text(e, texts[i][0], json_string_value(json_object_get(c, texts[i][1])));
        if (json_is_integer(days))
                r |= entry_addf(e, "SOCKAUDIT_TLS_DAYS_LEFT", "%lld", (long long) json_integer_value(days));
        if (json_is_integer(bits))
                r |= entry_addf(e, "SOCKAUDIT_TLS_KEY_BITS", "%lld", (long long) json_integer_value(bits));
        return r;
}

int event_entry_add_tls(journal_entry *e, const json_t *tls, const json_t *cert)
{
        const json_t *x;
        size_t i;
        int r = 0;

        json_array_foreach(json_object_get(tls, "versions"), i, x)
                r |= entry_add_text(e, "SOCKAUDIT_TLS_VERSION", json_string_value(x));
        if (cert)
                r |= entry_add_cert(e, cert);
        else
                json_array_foreach(json_object_get(tls, "certificates"), i, x)
                        r |= entry_add_cert(e, x);
        return r ? -ENOMEM : 0;
}

json_t *event_flapping_to_json(const struct timespec *when, const sa_listener *listener, const char *reason,
                               const event_flapping *f)
{
        char first[40], last[40];
        json_t *ev = event_to_json(EVENT_LISTENER_FLAPPING, when, listener, NULL, reason);

        if (ev && json_object_set_new(ev, "flapping",
                                      json_pack("{s:s, s:I, s:I, s:s, s:s, s:I}",
                                                "program", f->program,
                                                "opens", (json_int_t) f->opens,
                                                "closes", (json_int_t) f->closes,
                                                "first", sa_format_time(&f->first, first, sizeof first),
                                                "last", sa_format_time(&f->last, last, sizeof last),
                                                "window_sec", (json_int_t) (f->window_usec / 1000000))) < 0) {
                json_decref(ev);
                return NULL;
        }
        return ev;
}

journal_entry *event_flapping_journal_entry(const sa_listener *listener, const char *reason,
                                            const event_flapping *f)
{
        journal_entry *e = event_journal_entry(EVENT_LISTENER_FLAPPING, listener, NULL, reason);
        char first[40], last[40];
        int r = 0;

        if (!e)
                return NULL;
        r |= entry_addf(e, "SOCKAUDIT_OPENS", "%llu", (unsigned long long) f->opens);
        r |= entry_addf(e, "SOCKAUDIT_CLOSES", "%llu", (unsigned long long) f->closes);
        r |= entry_add(e, "SOCKAUDIT_FIRST", sa_format_time(&f->first, first, sizeof first));
        r |= entry_add(e, "SOCKAUDIT_LAST", sa_format_time(&f->last, last, sizeof last));
        r |= entry_addf(e, "SOCKAUDIT_WINDOW_SEC", "%llu", (unsigned long long) (f->window_usec / 1000000));
        if (f->program[0])
                r |= entry_add_text(e, "SOCKAUDIT_PROGRAM", f->program);
        return r ? journal_entry_free(e) : e;
}

json_t *event_short_lived_to_json(const struct timespec *when, const char *reason, const event_short_lived *s)
{
        char tbuf[40];

        return json_pack("{s:s, s:s, s:s, s:{s:I, s:I, s:I, s:b, s:s, s:s, s:I, s:f}}",
                         "event", event_type_name(EVENT_LISTENERS_SHORT_LIVED),
                         "time", sa_format_time(when, tbuf, sizeof tbuf),
                         "reason", reason,
                         "short_lived",
                         "listeners", (json_int_t) s->listeners,
                         "violating", (json_int_t) s->violating,
                         "namespaces", (json_int_t) s->namespaces,
                         "namespaces_at_least", s->namespaces_at_least,
                         "ports", s->ports,
                         "last", s->last,
                         "window_sec", (json_int_t) (s->window_usec / 1000000),
                         "debounce_sec", s->debounce_usec / 1e6);
}

journal_entry *event_short_lived_journal_entry(const char *reason, const event_short_lived *s)
{
        journal_entry *e = calloc(1, sizeof *e);
        int r = 0;

        if (!e)
                return NULL;
        e->priority = s->violating > 0 ? LOG_WARNING : LOG_NOTICE;
        r |= entry_add(e, "MESSAGE_ID", SA_MESSAGE_ID_LISTENERS_SHORT_LIVED);
        r |= entry_add_text(e, "MESSAGE", reason);
        r |= entry_addf(e, "PRIORITY", "%d", e->priority);
        r |= entry_add(e, "SYSLOG_IDENTIFIER", "sockauditd");
        r |= entry_add(e, "SOCKAUDIT_EVENT", event_type_name(EVENT_LISTENERS_SHORT_LIVED));
        r |= entry_addf(e, "SOCKAUDIT_COUNT", "%llu", (unsigned long long) s->listeners);
        r |= entry_addf(e, "SOCKAUDIT_VIOLATING", "%llu", (unsigned long long) s->violating);
        r |= entry_addf(e, "SOCKAUDIT_NAMESPACES", "%llu", (unsigned long long) s->namespaces);
        r |= entry_add(e, "SOCKAUDIT_PORTS", s->ports);
        if (s->last[0])
                r |= entry_add_text(e, "SOCKAUDIT_LAST_LISTENER", s->last);
        r |= entry_addf(e, "SOCKAUDIT_WINDOW_SEC", "%llu", (unsigned long long) (s->window_usec / 1000000));
        r |= entry_addf(e, "SOCKAUDIT_DEBOUNCE_SEC", "%g", s->debounce_usec / 1e6);
        return r ? journal_entry_free(e) : e;
}
