/* SPDX-License-Identifier: MIT */
/* explain --direct's reachability, through the sockaudit-reach helper (see reach.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "helperpath.h"
#include "human.h"
#include "provhelper.h"
#include "reach.h"

#define REACH_OUT_MAX (4u << 20)        /* bytes of one helper's answer */
#define REACH_TIMEOUT_MS 10000          /* one helper's time: two dumps in one namespace */

/* The namespace file of record l into buf: "-" for our own. NULL when none can be named. */
static const char *netns_path(const json_t *l, uint64_t home, char *buf, size_t size)
{
        json_int_t ns = json_integer_value(json_object_get(l, "netns"));
        const char *name = json_string_value(json_object_get(l, "netns_name"));
        json_int_t pid = json_integer_value(json_object_get(json_array_get(json_object_get(l, "owners"), 0), "pid"));
        struct stat st;

        if (home && (uint64_t) ns == home)
                return "-";
        if (name && *name && !strchr(name, '/')) {
                snprintf(buf, size, "/run/netns/%s", name);
                if (stat(buf, &st) == 0 && (json_int_t) st.st_ino == ns)
                        return buf;
        }
        if (pid <= 0)
                return NULL;
        snprintf(buf, size, "/proc/%lld/ns/net", (long long) pid);
        return buf;
}

/* Runs the helper with argv: its stdout parsed, or an {"error"} object. Killed after REACH_TIMEOUT_MS. */
static json_t *run_helper(char **argv)
{
        char *out = NULL;
        size_t len = 0;
        int r = sa_helper_output(argv[0], argv, REACH_OUT_MAX, REACH_TIMEOUT_MS, &out, &len);
        json_t *o = r == 0 ? json_loadb(out, len, 0, NULL) : NULL;

        free(out);
        if (!o)
                o = json_pack("{s:s}", "error", r == -ECHILD ? "the helper " REACH_NAME " could not be started"
                                                : r == -ETIMEDOUT ? "the helper " REACH_NAME " gave no answer in 10 s"
                                                : r == 0 || r == -EMSGSIZE ? "the helper " REACH_NAME " gave no answer"
                                                : strerror(-r));
        return o;
}

static json_t *reach_one(const json_t *l, uint64_t home, const char *helper, const cli_options *o)
{
        const json_t *dev = json_object_get(l, "interface");
        char nsbuf[320], port[8], v6only[2] = "0";
        const char *ns = netns_path(l, home, nsbuf, sizeof(nsbuf));
        const char *addr = json_string_value(json_object_get(l, "address"));
        const char *proto = json_string_value(json_object_get(l, "proto"));
        char *argv[10];

        if (!helper)
                return json_pack("{s:s}", "error", "the helper " REACH_NAME " was not found (SOCKAUDIT_REACH)");
        if (!ns || !addr || !proto)
                return json_pack("{s:s}", "error", "no process holds it: its network namespace cannot be entered");
        snprintf(port, sizeof(port), "%d", (int) json_integer_value(json_object_get(l, "port")));
        v6only[0] = json_is_true(json_object_get(l, "v6only")) ? '1' : '0';
        argv[0] = (char *) helper;
        argv[1] = (char *) ns;
        argv[2] = (char *) proto;
        argv[3] = (char *) addr;
        argv[4] = port;
        argv[5] = v6only;
        argv[6] = (char *) (json_is_string(dev) ? json_string_value(dev) : "-");
        argv[7] = (char *) (o->from ? o->from : "-");
        argv[8] = (char *) (o->iface ? o->iface : "-");
        argv[9] = NULL;
        return run_helper(argv);
}

int reach_listeners(json_t *listeners, const cli_options *o)
{
        char hbuf[4200];
        const char *helper = cli_find_helper(REACH_NAME, "SOCKAUDIT_REACH", hbuf, sizeof(hbuf));
        uint64_t home = own_netns();
        json_t *l;
        size_t i;

        json_array_foreach(listeners, i, l) {
                json_t *r = reach_one(l, home, helper, o);
                if (!r || json_object_set_new(l, "reachability", r) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* One entry: "IFACE ADDRESS:PORT -> VERDICT (RULE)", then its branches when conditional. */
static int put_entry(FILE *out, const json_t *e)
{
        const char *addr = json_string_value(json_object_get(e, "address"));
        const char *rule = json_string_value(json_object_get(e, "rule"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        const char *via = json_string_value(json_object_get(e, "via"));
        const json_t *b;
        char *line = NULL;
        size_t i;
        int r;

        if (asprintf(&line, "%s %s%s%s:%d -> %s%s%s%s%s%s", json_string_value(json_object_get(e, "interface")),
                     strchr(addr ? addr : "", ':') ? "[" : "", addr ? addr : "?",
                     strchr(addr ? addr : "", ':') ? "]" : "", (int) json_integer_value(json_object_get(e, "port")),
                     json_string_value(json_object_get(e, "verdict")), rule ? " (" : "", rule ? rule : "",
                     rule ? ")" : "", reason ? ": " : "", reason ? reason : "") < 0)
                return -ENOMEM;
        r = human_put_line(out, "  - ", line);
        free(line);
        if (r == 0 && via && json_is_string(json_object_get(e, "netns"))) {
                /* a host's DNAT: in which namespace, to which address, for which of its ports */
                const char *ports = json_string_value(json_object_get(e, "ports"));

                if (asprintf(&line, "%s (netns %s, to %s%s%s)", via, json_string_value(json_object_get(e, "netns")),
                             json_string_value(json_object_get(e, "forwarded_to")),
                             ports ? "; standing for ports " : "", ports ? ports : "") < 0)
                        return -ENOMEM;
                r = human_put_line(out, "      via ", line);
                free(line);
        } else if (r == 0 && via) {
                r = human_put_line(out, "      via ", via);
        }
        json_array_foreach(json_object_get(e, "conditions"), i, b) {
                rule = json_string_value(json_object_get(b, "rule"));
                if (r == 0 && asprintf(&line, "%s when %s%s%s%s", json_string_value(json_object_get(b, "verdict")),
                                       json_string_value(json_object_get(b, "conditions")), rule ? " (" : "",
                                       rule ? rule : "", rule ? ")" : "") < 0)
                        return -ENOMEM;
                if (r == 0)
                        r = human_put_line(out, "      ", line);
                free(line);
                line = NULL;
        }
        return r;
}

/* How an interface joins the namespace to others: "IFACE: veth to PEER in netns INO (NAME)", "port of bridge B". */
static int put_link(FILE *out, const json_t *nif)
{
        const char *peer = json_string_value(json_object_get(nif, "peer"));
        const char *ns_name = json_string_value(json_object_get(nif, "peer_netns_name"));
        const char *master = json_string_value(json_object_get(nif, "master"));
        const json_t *ns = json_object_get(nif, "peer_netns");
        char *line = NULL, where[96] = "";
        int r;

        if (!peer && !json_is_integer(ns) && !master)
                return 0;
        if (json_is_integer(ns))
                snprintf(where, sizeof where, " in netns %" JSON_INTEGER_FORMAT "%s%s%s", json_integer_value(ns),
                         ns_name ? " (" : "", ns_name ? ns_name : "", ns_name ? ")" : "");
        if (asprintf(&line, "%s:%s%s%s%s%s", json_string_value(json_object_get(nif, "name")),
                     peer || *where ? " veth to " : "", peer ? peer : *where ? "?" : "", where,
                     master ? ", port of bridge " : "", master ? master : "") < 0)
                return -ENOMEM;
        r = human_put_line(out, "  link ", line);
        free(line);
        return r;
}

int reach_put(FILE *out, const json_t *rec)
{
        const json_t *reach = json_object_get(rec, "reachability"), *e;
        const char *err = json_string_value(json_object_get(reach, "error"));
        const char *note = json_string_value(json_object_get(reach, "note"));
        size_t i;
        int r = 0;

        if (!reach)
                return 0;
        if (err)
                return human_put_line(out, "  reachability unknown: ", err);
        json_array_foreach(json_object_get(reach, "interfaces"), i, e)
                if (r == 0)
                        r = put_link(out, e);
        if (r == 0)
                r = human_put_line(out, "  ", "entry points and the firewall's verdict:");
        json_array_foreach(json_object_get(reach, "entries"), i, e)
                if (r == 0)
                        r = put_entry(out, e);
        if (r == 0 && note)
                r = human_put_line(out, "  ", note);
        return r;
}
