/* SPDX-License-Identifier: MIT */
/*
 * sockaudit tls PORT: the TCP listeners on PORT, probed now by the daemon
 * (the `tls` request), or with --direct found by a scan and probed by this
 * command (lib/include/tlsprobe.h), a few at once; the listener records
 * with their `tls` object, or a table of what each serves (docs/CLI.md#tls).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "sockaudit.h"
#include "table.h"
#include "tlsprobe.h"

#define TLS_PARALLEL 4
#define TLSPROBE_NAME "sockaudit-tlsprobe"

/* The probe's helper program ($SOCKAUDIT_TLSPROBE or beside this one: sa_tls_find_helper()). */
static const char *find_helper(char *buf, size_t size)
{
        return sa_tls_find_helper(getenv("SOCKAUDIT_TLSPROBE"), buf, size);
}

/* One probe target of listener record l; 0, or -EINVAL with why (the probe is not made). */
static int target_of(const json_t *l, uint64_t home, const char *helper, char *nspath, size_t nslen,
                     sa_tls_target *t, const char **why)
{
        const char *family = json_string_value(json_object_get(l, "family"));
        const char *addr = json_string_value(json_object_get(l, "address"));
        json_int_t port = json_integer_value(json_object_get(l, "port"));
        json_int_t ns = json_integer_value(json_object_get(l, "netns"));
        json_t *owner = json_array_get(json_object_get(l, "owners"), 0);
        json_int_t pid = json_integer_value(json_object_get(owner, "pid"));

        *t = (sa_tls_target) { .netns_fd = -1, .port = (uint16_t) port, .helper = helper };
        if (!helper) {
                *why = "the probe's helper " TLSPROBE_NAME " was not found (SOCKAUDIT_TLSPROBE)";
                return -EINVAL;
        }
        t->family = family && !strcmp(family, "ipv6") ? AF_INET6 : AF_INET;
        if (!addr || inet_pton(t->family, addr, t->addr) != 1 || port < 1 || port > 65535) {
                *why = "the listener record has no usable address";
                return -EINVAL;
        }
        if ((uint64_t) ns == home && home)
                return 0;
        if (pid <= 0) {
                *why = "no process holds it: its network namespace cannot be entered";
                return -EINVAL;
        }
        snprintf(nspath, nslen, "/proc/%lld/ns/net", (long long) pid);
        t->netns_path = nspath;
        return 0;
}

/* Adds a `tls` object to every listener record, probing them. 0 or -ENOMEM. */
static int probe_all(json_t *listeners)
{
        size_t n = json_array_size(listeners), m = 0;
        sa_tls_target *t = calloc(n ? n : 1, sizeof(*t));
        char (*paths)[48] = calloc(n ? n : 1, sizeof(*paths));
        json_t **res = calloc(n ? n : 1, sizeof(*res));
        size_t *of = calloc(n ? n : 1, sizeof(*of));
        uint64_t home = own_netns();
        char hbuf[4200];
        const char *helper = find_helper(hbuf, sizeof(hbuf));
        int r = -ENOMEM;

        if (!t || !paths || !res || !of)
                goto out;
        for (size_t i = 0; i < n; i++) {
                json_t *l = json_array_get(listeners, i);
                const char *why = NULL;

                if (target_of(l, home, helper, paths[m], sizeof(paths[m]), &t[m], &why) < 0) {
                        if (json_object_set_new(l, "tls", sa_tls_error_object("error", why)) < 0)
                                goto out;
                        continue;
                }
                if (t[m].netns_path)
                        t[m].netns_path = paths[m];
                of[m++] = i;
        }
        r = sa_tls_probe_run_many(t, m, TLS_PARALLEL, res);
        for (size_t k = 0; k < m; k++) {
                if (r == 0 && (!res[k] || json_object_set_new(json_array_get(listeners, of[k]), "tls", res[k]) < 0))
                        r = -ENOMEM;
                else if (r < 0)
                        json_decref(res[k]);
                res[k] = NULL;
        }
out:
        free(t);
        free(paths);
        free(res);
        free(of);
        return r;
}

/* "2026-03-07 (89 days)"; buf >= 64. */
static const char *expiry(const json_t *c, char *buf, size_t size)
{
        const char *na = json_string_value(json_object_get(c, "not_after"));
        json_t *d = json_object_get(c, "days_left");

        if (!na || !json_is_integer(d))
                return "?";
        snprintf(buf, size, "%.10s (%lld days)", na, (long long) json_integer_value(d));
        return buf;
}

/* The protocol versions of t, space separated; buf >= 64. */
static const char *versions(const json_t *tls, char *buf, size_t size)
{
        const json_t *v;
        size_t i, len = 0;

        buf[0] = '\0';
        json_array_foreach(json_object_get(tls, "versions"), i, v)
                if (json_is_string(v))
                        len += (size_t) snprintf(buf + len, len < size ? size - len : 0, "%s%s",
                                                 len ? " " : "", json_string_value(v));
        return len ? buf : "-";
}

/* l's namespace when it is not home: its name, else its inode; NULL at home. */
static const char *netns_of(const json_t *l, uint64_t home, char *buf, size_t size)
{
        const char *name = json_string_value(json_object_get(l, "netns_name"));
        json_int_t ns = json_integer_value(json_object_get(l, "netns"));

        if ((uint64_t) ns == home)
                return NULL;
        if (name)
                return name;
        snprintf(buf, size, "%lld", (long long) ns);
        return buf;
}

/* The rows of one listener: one per certificate, or its status and error. */
static int add_rows(table *tb, const json_t *l, uint64_t home)
{
        const json_t *tls = json_object_get(l, "tls"), *c;
        const char *status = json_string_value(json_object_get(tls, "status"));
        char *local = listener_local(l);
        char exp[64], key[64], vers[64], verified[300], nsbuf[32];
        const char *ns = netns_of(l, home, nsbuf, sizeof(nsbuf));
        size_t i;
        int r = 0;

        if (!local)
                return -ENOMEM;
        versions(tls, vers, sizeof(vers));
        if (!status || strcmp(status, "ok") || json_array_size(json_object_get(tls, "certificates")) == 0) {
                const char *cells[] = { local, ns, status ? status : "?", NULL, NULL, NULL, NULL, NULL,
                                        NULL, json_string_value(json_object_get(tls, "error")) };
                r = table_add_row(tb, cells);
                free(local);
                return r;
        }
        json_array_foreach(json_object_get(tls, "certificates"), i, c) {
                const char *chain_error = json_string_value(json_object_get(c, "chain_error"));

                snprintf(key, sizeof(key), "%s %lld", json_string_value(json_object_get(c, "key_type")) ?: "?",
                         (long long) json_integer_value(json_object_get(c, "key_bits")));
                snprintf(verified, sizeof(verified), "%s", json_is_true(json_object_get(c, "chain_verified"))
                         ? "chain verified" : chain_error ? chain_error : "chain not verified");
                const char *cells[] = {
                        i ? "" : local, i ? "" : ns, i ? "" : "ok",
                        json_string_value(json_object_get(c, "sni")),
                        json_string_value(json_object_get(c, "subject")),
                        json_string_value(json_object_get(c, "issuer")),
                        expiry(c, exp, sizeof(exp)), key, i ? "" : vers, verified,
                };
                r = table_add_row(tb, cells);
                if (r < 0)
                        break;
        }
        free(local);
        return r;
}

/* LOCAL NETNS STATUS SNI SUBJECT ISSUER EXPIRES KEY VERSIONS NOTE. */
static int print_table(const cli_options *o, const json_t *listeners)
{
        static const char *const header[] = {
                "LOCAL", "NETNS", "STATUS", "SNI", "SUBJECT", "ISSUER", "EXPIRES", "KEY", "VERSIONS", "NOTE",
        };
        table *tb = table_new(10, header);
        uint64_t home = own_netns();
        const json_t *l;
        size_t i;
        int r = tb ? 0 : -ENOMEM;

        json_array_foreach(listeners, i, l)
                if (r == 0)
                        r = add_rows(tb, l, home);
        if (r == 0) {
                table_set_shrinkable(tb, 4);
                table_set_shrinkable(tb, 5);
                table_set_shrinkable(tb, 9);
                r = table_print(tb, stdout, o->wide ? 0 : table_out_width(stdout));
        }
        table_free(tb);
        return r;
}

int cmd_tls(const cli_options *o)
{
        cli_options q = *o;
        json_t *reply = NULL, *listeners;
        int r;

        q.protos = SA_PROTO_TCP;
        r = query_listeners(&q, &reply);
        if (r != 0)
                return r;
        listeners = json_object_get(reply, "listeners");
        if (!json_is_array(listeners)) {
                fputs("sockaudit: malformed reply from sockauditd: no \"listeners\" array\n", stderr);
                json_decref(reply);
                return EXIT_ERROR;
        }
        if (json_array_size(listeners) == 0) {
                if (o->json)
                        r = print_json(reply, false);
                else
                        put_nothing_listens(stdout, &q);
                json_decref(reply);
                return r < 0 ? print_failed(r) : finish(EXIT_NONE);
        }
        /* The daemon's reply holds its probes' answers; --direct probes here. */
        r = o->direct ? probe_all(listeners) : 0;
        if (r == 0)
                r = o->json ? print_json(reply, false) : print_table(o, listeners);
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(EXIT_FOUND);
}
