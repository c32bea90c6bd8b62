/* SPDX-License-Identifier: MIT */
/* The JSON form of records (SPEC.md "Records"), shared by daemon and CLI. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockaudit.h"
#include "text.h"

const char *sa_proto_name(uint8_t proto)
{
        return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

const char *sa_family_name(uint8_t family)
{
        return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "?";
}

const char *sa_owner_status_name(sa_owner_status st)
{
        switch (st) {
        case SA_OWNER_OK:
                return "ok";
        case SA_OWNER_UNKNOWN:
                return "unknown";
        case SA_OWNER_PARTIAL:
                return "partial";
        }
        return "?";
}

const char *sa_listener_address(const sa_listener *l, char *buf, size_t size)
{
        if (!inet_ntop(l->family, l->addr, buf, (socklen_t) size))
                snprintf(buf, size, "?");
        return buf;
}

const char *sa_format_time(const struct timespec *ts, char *buf, size_t size)
{
        struct tm tm;
        char sec[24];

        if (!gmtime_r(&ts->tv_sec, &tm) || strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                snprintf(buf, size, "?");
                return buf;
        }
        snprintf(buf, size, "%s.%06ldZ", sec, ts->tv_nsec / 1000);
        return buf;
}

/* A JSON string for untrusted s (valid UTF-8 guaranteed), or null for NULL. */
static json_t *text_or_null(const char *s)
{
        if (!s)
                return json_null();
        size_t len = strlen(s);
        json_t *j = json_stringn(s, len);
        if (j)
                return j;
        /* Not valid UTF-8: the common case needs no copy, this one does. */
        char *clean = sa_utf8_sanitize(s, len);
        if (!clean)
                return NULL;
        j = json_string(clean);
        free(clean);
        return j;
}

/* json_object_set_new that reports failure, so builders can bail out once. */
static int put(json_t *obj, const char *key, json_t *value)
{
        return value ? json_object_set_new(obj, key, value) : -1;
}

json_t *sa_process_to_json(const sa_process *p)
{
        json_t *o = json_object(), *argv = json_array();
        int r = 0;

        if (!o || !argv)
                goto fail;
        for (size_t i = 0; i < p->argc; i++)
                if (json_array_append_new(argv, text_or_null(p->argv[i])) < 0)
                        goto fail;

        r |= put(o, "pid", json_integer(p->pid));
        r |= put(o, "ppid", json_integer(p->ppid));
        r |= put(o, "comm", text_or_null(p->comm));
        r |= put(o, "exe", text_or_null(p->exe));
        r |= put(o, "exe_deleted", json_boolean(p->exe_deleted));
        r |= put(o, "cmdline", argv);
        argv = NULL;
        r |= put(o, "cmdline_truncated", json_boolean(p->argv_truncated));
        r |= put(o, "uid", json_integer(p->uid));
        r |= put(o, "user", text_or_null(p->user));
        r |= put(o, "unit", text_or_null(p->unit));
        r |= put(o, "user_unit", text_or_null(p->user_unit));
        r |= put(o, "cgroup", text_or_null(p->cgroup));
        if (p->incomplete)
                r |= put(o, "incomplete", json_true());
        if (r == 0)
                return o;
fail:
        json_decref(argv);
        json_decref(o);
        return NULL;
}

/* One owner: the process record plus the fds by which it holds the socket. */
static json_t *holder_to_json(const sa_holder *h)
{
        json_t *o = sa_process_to_json(h->proc), *fds = json_array();

        if (!o || !fds)
                goto fail;
        for (size_t i = 0; i < h->n_fds; i++)
                if (json_array_append_new(fds, json_integer(h->fds[i])) < 0)
                        goto fail;
        if (json_object_set_new(o, "fds", fds) < 0) {
                fds = NULL;
                goto fail;
        }
        return o;
fail:
        json_decref(fds);
        json_decref(o);
        return NULL;
}

json_t *sa_listener_to_json(const sa_listener *l)
{
        char addr[INET6_ADDRSTRLEN];
        json_t *o = json_object(), *owners = json_array();
        int r = 0;

        if (!o || !owners)
                goto fail;
        for (size_t i = 0; i < l->n_holders; i++)
                if (json_array_append_new(owners, holder_to_json(&l->holders[i])) < 0)
                        goto fail;

        r |= put(o, "proto", json_string(sa_proto_name(l->proto)));
        r |= put(o, "family", json_string(sa_family_name(l->family)));
        r |= put(o, "address", json_string(sa_listener_address(l, addr, sizeof addr)));
        r |= put(o, "port", json_integer(l->port));
        r |= put(o, "v6only", json_boolean(l->v6only));
        r |= put(o, "interface", l->ifindex == 0 ? json_null() :
                                 l->ifname[0] ? text_or_null(l->ifname) :
                                 json_sprintf("if%u", (unsigned) l->ifindex));
        r |= put(o, "inode", json_integer(l->inode));
        r |= put(o, "cookie", json_integer((json_int_t) l->cookie));
        r |= put(o, "uid", json_integer(l->uid));
        r |= put(o, "netns", json_integer((json_int_t) l->netns));
        r |= put(o, "netns_name", json_null());
        r |= put(o, "owners", owners);
        owners = NULL;
        r |= put(o, "owner_status", json_string(sa_owner_status_name(l->owner_status)));
        r |= put(o, "owner_reason", l->owner_reason ? json_string(l->owner_reason) : json_null());
        if (r == 0)
                return o;
fail:
        json_decref(owners);
        json_decref(o);
        return NULL;
}

json_t *sa_snapshot_listeners_to_json(const sa_snapshot *snap, const sa_filter *f)
{
        json_t *a = json_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < snap->n_listeners; i++) {
                if (!sa_listener_match(&snap->listeners[i], f))
                        continue;
                if (json_array_append_new(a, sa_listener_to_json(&snap->listeners[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

json_t *sa_scan_stats_to_json(const sa_scan_stats *st)
{
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                         "dumps", (json_int_t) st->dumps,
                         "dump_retries", (json_int_t) st->dump_retries,
                         "procs", (json_int_t) st->procs,
                         "fds", (json_int_t) st->fds,
                         "procs_vanished", (json_int_t) st->procs_vanished,
                         "procs_denied", (json_int_t) st->procs_denied,
                         "netlink_usec", (json_int_t) st->netlink_usec,
                         "proc_usec", (json_int_t) st->proc_usec);
}
