/* SPDX-License-Identifier: MIT */
/*
 * The JSON form of records (docs/RECORDS.md), shared by daemon and CLI:
 * listeners, their owners and scan counters to JSON, and saved listener
 * records back into a snapshot. Serialization only: the names and labels
 * written are listener.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "process.h"
#include "provtable.h"
#include "sockaudit.h"
#include "sockaudit-internal.h"
#include "util.h"

const sa_json_limits sa_json_limits_default = {
        .owners_max = SA_JSON_OWNERS_MAX,
        .cmdline_max = SA_JSON_CMDLINE_MAX,
};

/* A JSON string for the len bytes of untrusted s (valid UTF-8 guaranteed). */
static json_t *text_n(const char *s, size_t len)
{
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

/* A JSON string for untrusted s (valid UTF-8 guaranteed), or null for NULL. */
static json_t *text_or_null(const char *s)
{
        return s ? text_n(s, strlen(s)) : json_null();
}

/*
 * p's command line as an array, at most max bytes of it (0: all), the
 * arguments counting one separator each; *ret_cut when some was left out.
 */
static json_t *cmdline_to_json(const sa_process *p, size_t max, bool *ret_cut)
{
        size_t budget = max ? max : SIZE_MAX;
        json_t *a = json_array();

        *ret_cut = false;
        for (size_t i = 0; a && i < p->argc; i++) {
                const char *arg = p->argv[i];
                size_t n = strlen(arg);

                if (budget == 0) {
                        *ret_cut = true;
                        break;
                }
                if (n + 1 > budget) {
                        /* Cut before the character that crosses the bound. */
                        n = budget - 1;
                        while (n > 0 && ((unsigned char) arg[n] & 0xc0) == 0x80)
                                n--;
                        *ret_cut = true;
                }
                if (json_array_append_new(a, text_n(arg, n)) < 0) {
                        json_decref(a);
                        return NULL;
                }
                if (*ret_cut)
                        break;
                budget -= n + 1;
        }
        return a;
}

/* json_object_set_new that reports failure, so builders can bail out once. */
static int put(json_t *obj, const char *key, json_t *value)
{
        return value ? json_object_set_new(obj, key, value) : -1;
}

json_t *sa_process_to_json(const sa_process *p)
{
        return sa_process_to_json_limited(p, &sa_json_limits_default);
}

/* The package object of a verdict (docs/RECORDS.md): name, version, architecture null when none. */
static json_t *package_to_json(const sa_exe_provenance *e)
{
        json_t *o = json_object();
        int r = 0;

        if (!o)
                return NULL;
        r |= put(o, "name", text_or_null(e->package));
        r |= put(o, "version", text_or_null(e->version));
        r |= put(o, "architecture", text_or_null(e->architecture));
        r |= put(o, "status", json_string(sa_prov_status_name(e->status)));
        r |= put(o, "reason", text_or_null(e->reason));
        if (r == 0)
                return o;
        json_decref(o);
        return NULL;
}

/* The provenance members of an owner; none when it was not checked (yet). */
int sa_exe_provenance_to_json(json_t *o, const sa_exe_provenance *e)
{
        int r = 0;

        if (!e)
                return 0;
        r |= put(o, "exe_sha256", e->exe_sha256[0] ? json_string(e->exe_sha256) : json_null());
        r |= put(o, "exe_location", json_string(sa_exe_location_name(e->location)));
        r |= put(o, "package", package_to_json(e));
        return r;
}

json_t *sa_process_to_json_limited(const sa_process *p, const sa_json_limits *lim)
{
        bool cut = false;
        json_t *o = json_object(), *argv = cmdline_to_json(p, lim ? lim->cmdline_max : 0, &cut);
        int r = 0;

        if (!o || !argv)
                goto fail;

        r |= put(o, "pid", json_integer(p->pid));
        r |= put(o, "ppid", json_integer(p->ppid));
        r |= put(o, "pid_in_namespace", p->nspid > 0 && p->nspid != p->pid ? json_integer(p->nspid)
                                                                           : json_null());
        r |= put(o, "comm", text_or_null(p->comm));
        r |= put(o, "exe", text_or_null(p->exe));
        r |= put(o, "exe_deleted", json_boolean(p->exe_deleted));
        r |= put(o, "exe_replaced", json_boolean(p->exe_replaced));
        r |= sa_exe_provenance_to_json(o, p->provenance);
        r |= put(o, "cmdline", argv);
        argv = NULL;
        r |= put(o, "cmdline_truncated", json_boolean(p->argv_truncated || cut));
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

json_t *sa_holder_hold_to_json(const sa_holder *h)
{
        json_t *o = json_object(), *fds = json_array();
        const char *role = sa_holder_role_name(h->role);
        int r = 0;

        if (!o || !fds)
                goto fail;
        for (size_t i = 0; i < h->n_fds; i++)
                if (json_array_append_new(fds, json_integer(h->fds[i])) < 0)
                        goto fail;
        r |= put(o, "fds", fds);
        fds = NULL;
        r |= put(o, "role", role ? json_string(role) : json_null());
        if (h->role == SA_ROLE_ACTIVATOR) {
                r |= put(o, "socket_unit", text_or_null(h->socket_unit));
                r |= put(o, "service_unit", text_or_null(h->service_unit));
        }
        if (r == 0)
                return o;
fail:
        json_decref(fds);
        json_decref(o);
        return NULL;
}

/* One owner: the process record plus the fds by which it holds the socket. */
static json_t *holder_to_json(const sa_holder *h, const sa_json_limits *lim)
{
        json_t *o = sa_process_to_json_limited(h->proc, lim), *hold = sa_holder_hold_to_json(h);

        /* json_object_update_new() takes hold either way. */
        if (!o || !hold || json_object_update_new(o, TAKE_PTR(hold)) < 0) {
                json_decref(hold);
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *sa_listener_to_json(const sa_listener *l)
{
        return sa_listener_to_json_limited(l, &sa_json_limits_default);
}

size_t sa_listener_owners_shown(const sa_listener *l, const sa_json_limits *lim)
{
        return lim && lim->owners_max && l->n_holders > lim->owners_max ? lim->owners_max : l->n_holders;
}

/* The listener record; shell: with "owners" and "exposure" null, for the caller to fill. */
static json_t *listener_record(const sa_listener *l, const sa_json_limits *lim, bool shell)
{
        char addr[INET6_ADDRSTRLEN], ifname[SA_IFNAME_LABEL_MAX];
        json_t *o = json_object(), *owners = shell ? json_null() : json_array();
        size_t shown = sa_listener_owners_shown(l, lim);
        int r = 0;

        if (!o || !owners)
                goto fail;
        for (size_t i = 0; !shell && i < shown; i++)
                if (json_array_append_new(owners, holder_to_json(&l->holders[i], lim)) < 0)
                        goto fail;

        r |= put(o, "proto", json_string(sa_proto_name(l->proto)));
        r |= put(o, "family", json_string(sa_family_name(l->family)));
        r |= put(o, "address", json_string(sa_listener_address(l, addr, sizeof addr)));
        r |= put(o, "port", json_integer(l->port));
        r |= put(o, "v6only", json_boolean(l->v6only));
        r |= put(o, "interface", l->ifindex == 0 ? json_null() :
                                 text_or_null(sa_listener_ifname_label(l, ifname, sizeof ifname)));
        r |= put(o, "inode", json_integer(l->inode));
        r |= put(o, "cookie", json_integer((json_int_t) l->cookie));
        r |= put(o, "uid", json_integer(l->uid));
        r |= put(o, "netns", json_integer((json_int_t) l->netns));
        r |= put(o, "netns_name", l->netns_name[0] ? text_or_null(l->netns_name) : json_null());
        r |= put(o, "owners", owners);
        owners = NULL;
        r |= put(o, "owners_total", json_integer((json_int_t) l->n_holders));
        r |= put(o, "owners_truncated", json_boolean(shown < l->n_holders));
        r |= put(o, "owner_status", json_string(sa_owner_status_name(l->owner_status)));
        r |= put(o, "owner_reason", l->owner_reason ? json_string(l->owner_reason) : json_null());
        r |= put(o, "exposure", shell ? json_null() : sa_listener_exposure_to_json(l));
        if (r == 0)
                return o;
fail:
        json_decref(owners);
        json_decref(o);
        return NULL;
}

json_t *sa_listener_to_json_limited(const sa_listener *l, const sa_json_limits *lim)
{
        return listener_record(l, lim, false);
}

json_t *sa_listener_to_json_shell(const sa_listener *l, const sa_json_limits *lim)
{
        return listener_record(l, lim, true);
}

/*
 * Compact JSON text written by hand, as json_dumpb() would write it: into
 * at most size bytes of buf, counting all of it (len may pass size), with
 * failed set on allocation failure.
 */
typedef struct text_writer {
        char *buf;
        size_t size, len;
        bool failed;
} text_writer;

static void tw_put(text_writer *w, const char *s, size_t n)
{
        if (w->len < w->size)
                memcpy(w->buf + w->len, s, n < w->size - w->len ? n : w->size - w->len);
        w->len += n;
}

static void tw_str(text_writer *w, const char *s)
{
        tw_put(w, s, strlen(s));
}

/* v in decimal, as "%" JSON_INTEGER_FORMAT prints it (no printf: it is most of the cost). */
static void tw_int(text_writer *w, json_int_t v)
{
        char num[24], *p = num + sizeof num;
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;

        do
                *--p = (char) ('0' + u % 10);
        while ((u /= 10) > 0);
        if (v < 0)
                *--p = '-';
        tw_put(w, p, (size_t) (num + sizeof num - p));
}

/* s (valid UTF-8) quoted and escaped as jansson does without JSON_ENSURE_ASCII. */
static void tw_quoted(text_writer *w, const char *s, size_t len)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t from = 0;

        tw_put(w, "\"", 1);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                char esc[6] = { '\\', 0 };
                size_t n = 2;

                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                tw_put(w, s + from, i - from);
                from = i + 1;
                switch (c) {
                case '"': case '\\': esc[1] = (char) c; break;
                case '\b': esc[1] = 'b'; break;
                case '\f': esc[1] = 'f'; break;
                case '\n': esc[1] = 'n'; break;
                case '\r': esc[1] = 'r'; break;
                case '\t': esc[1] = 't'; break;
                default:
                        memcpy(esc + 1, "u00", 3);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 15];
                        n = 6;
                }
                tw_put(w, esc, n);
        }
        tw_put(w, s + from, len - from);
        tw_put(w, "\"", 1);
}

/* Untrusted s as text_or_null() has it: made valid UTF-8, or null for NULL. */
static void tw_text(text_writer *w, const char *s)
{
        size_t len;

        if (!s) {
                tw_put(w, "null", 4);
                return;
        }
        len = strlen(s);
        if (sa_utf8_valid(s, len)) {
                tw_quoted(w, s, len);
                return;
        }
        char *clean = sa_utf8_sanitize(s, len);
        if (!clean) {
                w->failed = true;
                return;
        }
        tw_quoted(w, clean, strlen(clean));
        free(clean);
}

static void tw_bool(text_writer *w, bool b)
{
        tw_str(w, b ? "true" : "false");
}

size_t sa_listener_shell_text(const sa_listener *l, const sa_json_limits *lim, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN], ifname[SA_IFNAME_LABEL_MAX];
        size_t shown = sa_listener_owners_shown(l, lim);
        text_writer w = { .buf = buf, .size = size };

        /* The members and their order are listener_record()'s (tests compare the two). */
        tw_str(&w, "{\"proto\":");
        tw_text(&w, sa_proto_name(l->proto));
        tw_str(&w, ",\"family\":");
        tw_text(&w, sa_family_name(l->family));
        tw_str(&w, ",\"address\":");
        tw_text(&w, sa_listener_address(l, addr, sizeof addr));
        tw_str(&w, ",\"port\":");
        tw_int(&w, l->port);
        tw_str(&w, ",\"v6only\":");
        tw_bool(&w, l->v6only);
        tw_str(&w, ",\"interface\":");
        tw_text(&w, l->ifindex == 0 ? NULL : sa_listener_ifname_label(l, ifname, sizeof ifname));
        tw_str(&w, ",\"inode\":");
        tw_int(&w, l->inode);
        tw_str(&w, ",\"cookie\":");
        tw_int(&w, (json_int_t) l->cookie);
        tw_str(&w, ",\"uid\":");
        tw_int(&w, l->uid);
        tw_str(&w, ",\"netns\":");
        tw_int(&w, (json_int_t) l->netns);
        tw_str(&w, ",\"netns_name\":");
        tw_text(&w, l->netns_name[0] ? l->netns_name : NULL);
        tw_str(&w, ",\"owners\":null,\"owners_total\":");
        tw_int(&w, (json_int_t) l->n_holders);
        tw_str(&w, ",\"owners_truncated\":");
        tw_bool(&w, shown < l->n_holders);
        tw_str(&w, ",\"owner_status\":");
        tw_text(&w, sa_owner_status_name(l->owner_status));
        tw_str(&w, ",\"owner_reason\":");
        tw_text(&w, l->owner_reason);
        tw_str(&w, ",\"exposure\":null}");
        return w.failed ? 0 : w.len;
}

size_t sa_holder_hold_text(const sa_holder *h, char *buf, size_t size)
{
        text_writer w = { .buf = buf, .size = size };

        /* sa_holder_hold_to_json()'s members, in its order. */
        tw_str(&w, "{\"fds\":[");
        for (size_t i = 0; i < h->n_fds; i++) {
                if (i > 0)
                        tw_put(&w, ",", 1);
                tw_int(&w, h->fds[i]);
        }
        tw_str(&w, "],\"role\":");
        tw_text(&w, sa_holder_role_name(h->role));
        if (h->role == SA_ROLE_ACTIVATOR) {
                tw_str(&w, ",\"socket_unit\":");
                tw_text(&w, h->socket_unit);
                tw_str(&w, ",\"service_unit\":");
                tw_text(&w, h->service_unit);
        }
        tw_put(&w, "}", 1);
        return w.failed ? 0 : w.len;
}

json_t *sa_listener_exposure_to_json(const sa_listener *l)
{
        sa_exposure e;
        char *summary = NULL;
        json_t *o;

        if (sa_listener_exposure_summary(l, &summary) < 0)
                return NULL;
        sa_listener_exposure(l, &e);
        /* The summary holds netns and interface names: sanitised like all text. */
        o = json_pack("{s:s, s:b, s:b, s:s, s:o}",
                      "scope", sa_exposure_scope_name(e.scope),
                      "ipv4", (int) e.ipv4,
                      "ipv6", (int) e.ipv6,
                      "namespace", e.host_netns ? "host" : "other",
                      "summary", text_or_null(summary));
        free(summary);
        return o;
}

void sa_listener_exposure_key(const sa_listener *l, sa_exposure_key *ret)
{
        memset(ret, 0, sizeof *ret);   /* padding too: keys are compared with memcmp */
        ret->family = l->family;
        ret->v6only = l->v6only;
        memcpy(ret->addr, l->addr, l->family == AF_INET ? 4 : sizeof ret->addr);
        ret->ifindex = l->ifindex;
        memcpy(ret->ifname, l->ifname, sizeof ret->ifname);
        ret->netns = l->netns;
        memcpy(ret->netns_name, l->netns_name, sizeof ret->netns_name);
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
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                         "dumps", (json_int_t) st->dumps,
                         "dump_retries", (json_int_t) st->dump_retries,
                         "procs", (json_int_t) st->procs,
                         "fds", (json_int_t) st->fds,
                         "procs_vanished", (json_int_t) st->procs_vanished,
                         "procs_denied", (json_int_t) st->procs_denied,
                         "netlink_usec", (json_int_t) st->netlink_usec,
                         "proc_usec", (json_int_t) st->proc_usec,
                         "netns", (json_int_t) st->netns,
                         "netns_skipped", (json_int_t) st->netns_skipped,
                         "netns_denied", (json_int_t) st->netns_denied,
                         "netns_usec", (json_int_t) st->netns_usec,
                         "netns_held", (json_int_t) st->netns_held,
                         "netns_unchecked", (json_int_t) st->netns_unchecked);
}

/* ---- records back into a snapshot (a saved baseline) ---- */

/* strdup of an optional string member; 0 ok (NULL for null/absent), -1 wrong type. */
static int get_text(const json_t *o, const char *key, char **ret)
{
        const json_t *v = json_object_get(o, key);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return -1;
        *ret = strdup(json_string_value(v));
        return *ret ? 0 : -1;
}

static int get_int(const json_t *o, const char *key, json_int_t min, json_int_t max, json_int_t *ret)
{
        const json_t *v = json_object_get(o, key);
        if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
                return -1;
        *ret = json_integer_value(v);
        return 0;
}

/* A saved verdict back (a baseline's owners): NULL when absent or not understood. 0, -ENOMEM. */
int sa_exe_provenance_from_json(const json_t *o, const sa_exe_provenance **ret)
{
        const json_t *pkg = json_object_get(o, "package");
        const char *status = json_string_value(json_object_get(pkg, "status"));
        const char *loc = json_string_value(json_object_get(o, "exe_location"));
        const char *sha = json_string_value(json_object_get(o, "exe_sha256"));
        const char *f[] = { "name", "version", "architecture", "reason" };
        _cleanup_free_ sa_provenance *v = NULL;
        char *dst[4];
        size_t cap[4];
        bool found = false;

        if (!json_is_object(pkg) || !status)
                return 0;
        v = calloc(1, sizeof *v);
        if (!v)
                return -ENOMEM;
        dst[0] = v->package, cap[0] = sizeof v->package;
        dst[1] = v->version, cap[1] = sizeof v->version;
        dst[2] = v->architecture, cap[2] = sizeof v->architecture;
        dst[3] = v->reason, cap[3] = sizeof v->reason;
        for (int s = SA_PROV_VERIFIED; s <= SA_PROV_UNVERIFIABLE; s++)
                if (strcmp(status, sa_prov_status_name(s)) == 0) {
                        v->status = s;
                        found = true;
                }
        for (int l = SA_EXE_NORMAL; loc && l <= SA_EXE_WORLD_WRITABLE_DIR; l++)
                if (strcmp(loc, sa_exe_location_name(l)) == 0)
                        v->location = l;
        if (!found)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                snprintf(dst[i], cap[i], "%s", json_string_value(json_object_get(pkg, f[i])) ?: "");
        if (sha && strlen(sha) == 64)
                memcpy(v->exe_sha256, sha, 65);
        *ret = sa_exe_provenance_new(v);
        return *ret ? 0 : -ENOMEM;
}

static sa_process *process_from_json(const json_t *o)
{
        sa_process *p = calloc(1, sizeof *p);
        const json_t *argv = json_object_get(o, "cmdline");
        const json_t *nspid = json_object_get(o, "pid_in_namespace");
        json_int_t pid, ppid, uid;

        if (!p)
                return NULL;
        if (!json_is_object(o) || !json_is_array(argv) ||
            get_int(o, "pid", 0, INT32_MAX, &pid) < 0 ||
            get_int(o, "ppid", 0, INT32_MAX, &ppid) < 0 ||
            get_int(o, "uid", 0, UINT32_MAX, &uid) < 0 ||
            get_text(o, "comm", &p->comm) < 0 || get_text(o, "exe", &p->exe) < 0 ||
            get_text(o, "user", &p->user) < 0 || get_text(o, "unit", &p->unit) < 0 ||
            get_text(o, "user_unit", &p->user_unit) < 0 || get_text(o, "cgroup", &p->cgroup) < 0)
                goto fail;
        p->pid = (pid_t) pid;
        p->ppid = (pid_t) ppid;
        p->uid = (uid_t) uid;
        if (json_is_integer(nspid) && json_integer_value(nspid) > 0 &&
            json_integer_value(nspid) <= INT32_MAX)
                p->nspid = (pid_t) json_integer_value(nspid);
        p->exe_deleted = json_is_true(json_object_get(o, "exe_deleted"));
        p->exe_replaced = json_is_true(json_object_get(o, "exe_replaced"));
        p->argv_truncated = json_is_true(json_object_get(o, "cmdline_truncated"));
        p->incomplete = json_is_true(json_object_get(o, "incomplete"));
        if (sa_exe_provenance_from_json(o, &p->provenance) < 0)
                goto fail;
        p->argv = calloc(json_array_size(argv) + 1, sizeof *p->argv);
        if (!p->argv)
                goto fail;
        for (size_t i = 0; i < json_array_size(argv); i++) {
                const json_t *a = json_array_get(argv, i);
                if (!json_is_string(a) || !(p->argv[p->argc++] = strdup(json_string_value(a))))
                        goto fail;
        }
        return p;
fail:
        return sa_process_free(p);
}

static int listener_from_json(const json_t *o, sa_snapshot *snap, sa_listener *l)
{
        const char *proto = json_string_value(json_object_get(o, "proto"));
        const char *family = json_string_value(json_object_get(o, "family"));
        const char *addr = json_string_value(json_object_get(o, "address"));
        const char *status = json_string_value(json_object_get(o, "owner_status"));
        const json_t *ifname = json_object_get(o, "interface");
        const json_t *owners = json_object_get(o, "owners");
        json_int_t port, inode, cookie, uid, netns;

        memset(l, 0, sizeof *l);
        if (!proto || !family || !addr || !json_is_array(owners) ||
            get_int(o, "port", 1, 65535, &port) < 0 ||
            get_int(o, "inode", 0, UINT32_MAX, &inode) < 0 ||
            get_int(o, "cookie", INT64_MIN, INT64_MAX, &cookie) < 0 ||
            get_int(o, "uid", 0, UINT32_MAX, &uid) < 0 ||
            get_int(o, "netns", 0, INT64_MAX, &netns) < 0)
                return -1;
        if (sa_proto_from_name(proto, &l->proto) < 0 || sa_family_from_name(family, &l->family) < 0 ||
            inet_pton(l->family, addr, l->addr) != 1)
                return -1;
        l->port = (uint16_t) port;
        l->inode = (uint32_t) inode;
        l->cookie = (uint64_t) cookie;
        l->uid = (uid_t) uid;
        l->netns = (uint64_t) netns;
        l->v6only = json_is_true(json_object_get(o, "v6only"));
        if (json_is_string(ifname))
                snprintf(l->ifname, sizeof l->ifname, "%s", json_string_value(ifname));
        if (json_is_string(json_object_get(o, "netns_name")))
                snprintf(l->netns_name, sizeof l->netns_name, "%s",
                         json_string_value(json_object_get(o, "netns_name")));
        /* Absent means ok; text that names no status means unknown. */
        if (!status)
                l->owner_status = SA_OWNER_OK;
        else if (sa_owner_status_from_name(status, &l->owner_status) < 0)
                l->owner_status = SA_OWNER_UNKNOWN;
        if (l->owner_status != SA_OWNER_OK)
                l->owner_reason = "as recorded in the saved state";

        l->holders = calloc(json_array_size(owners) + 1, sizeof *l->holders);
        if (!l->holders)
                return -1;
        for (size_t i = 0; i < json_array_size(owners); i++) {
                const json_t *ow = json_array_get(owners, i), *fds = json_object_get(ow, "fds");
                sa_process *p = process_from_json(ow);
                if (!p)
                        return -1;
                snap->procs[snap->n_procs++] = p;
                sa_holder *h = &l->holders[l->n_holders++];
                const char *role = json_string_value(json_object_get(ow, "role"));
                h->proc = p;
                if (sa_holder_role_from_name(role, &h->role) < 0)
                        h->role = SA_ROLE_NONE;
                if (get_text(ow, "socket_unit", &h->socket_unit) < 0 ||
                    get_text(ow, "service_unit", &h->service_unit) < 0)
                        return -1;
                if (!json_is_array(fds))
                        return -1;
                h->fds = calloc(json_array_size(fds) + 1, sizeof *h->fds);
                if (!h->fds)
                        return -1;
                for (size_t k = 0; k < json_array_size(fds); k++) {
                        const json_t *fd = json_array_get(fds, k);
                        if (!json_is_integer(fd))
                                return -1;
                        h->fds[h->n_fds++] = (int) json_integer_value(fd);
                }
        }
        return 0;
}

int sa_snapshot_from_json(const json_t *listeners, sa_snapshot **ret, char *err, size_t errlen)
{
        sa_snapshot *snap = calloc(1, sizeof *snap);
        size_t n = json_array_size(listeners), owners = 0;

        if (!snap)
                return -ENOMEM;
        if (!json_is_array(listeners)) {
                if (err)
                        snprintf(err, errlen, "listeners is not an array");
                goto bad;
        }
        for (size_t i = 0; i < n; i++)
                owners += json_array_size(json_object_get(json_array_get(listeners, i), "owners"));
        snap->listeners = calloc(n + 1, sizeof *snap->listeners);
        snap->procs = calloc(owners + 1, sizeof *snap->procs);
        if (!snap->listeners || !snap->procs) {
                sa_snapshot_free(snap);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                /* Counted first, so a half-built record is freed with the rest. */
                snap->n_listeners++;
                if (listener_from_json(json_array_get(listeners, i), snap, &snap->listeners[i]) < 0) {
                        if (err)
                                snprintf(err, errlen, "listener record %zu is malformed", i);
                        goto bad;
                }
        }
        *ret = snap;
        return 0;
bad:
        sa_snapshot_free(snap);
        return -EBADMSG;
}
