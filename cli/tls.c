/* SPDX-License-Identifier: MIT */
/*
 * sockaudit tls PORT: the TCP listeners on PORT, probed now by the daemon
 * (the `tls` request), or with --direct found by a scan and probed by this
 * command (cli/tlsrun.c), a few at once, with the names and certificate
 * files of its owners' configs; the listener records with their `tls`
 * object, or a table of what each serves (a STALE mark where the file on
 * disk is not what is served) (docs/CLI.md#tls).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "sockaudit.h"
#include "table.h"
#include "tlsexplain.h"
#include "tlsrun.h"

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

/* Whether certificate c's file on disk is another one than served. */
static bool stale(const json_t *c)
{
        return json_is_false(json_object_get(json_object_get(c, "config"), "matches"));
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
                snprintf(verified, sizeof(verified), "%s%s", stale(c) ? "STALE: renewed on disk, reload; " : "",
                         json_is_true(json_object_get(c, "chain_verified"))
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
                if (r == 0 && (r = add_rows(tb, l, home)) == 0)
                        r = tls_config_errors_put(stderr, json_object_get(l, "tls"), "sockaudit: note: server config ");
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
        r = o->direct ? tls_probe_listeners(listeners, NULL) : 0;
        if (r == 0)
                r = o->json ? print_json(reply, false) : print_table(o, listeners);
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(EXIT_FOUND);
}
