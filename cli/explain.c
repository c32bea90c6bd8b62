/* SPDX-License-Identifier: MIT */
/*
 * sockaudit explain PORT: the who request (or --direct scan), then, per
 * listener, who can reach it and why not, in plain words (lib/exposure.c
 * has the rules; docs/EXPOSURE.md the reasoning).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "describe.h"
#include "human.h"
#include "provenancetext.h"
#include "reach.h"
#include "sockaudit.h"
#include "table.h"
#include "tlsexplain.h"
#include "tlsrun.h"


/*
 * "held by comm[pid] (user, unit), ..." (describe.h's form, one per holder
 * with its pid in its own PID namespace), or why the owner is unknown.
 */
static int put_owners(FILE *f, const json_t *rec, const sa_listener *l)
{
        const char *reason = json_string_value(json_object_get(rec, "owner_reason"));

        if (l->n_holders == 0) {
                fprintf(f, "owner unknown: %s", reason ? reason : "no holder found");
                return 0;
        }
        fputs("held by ", f);
        for (size_t i = 0; i < l->n_holders; i++) {
                const sa_process *p = l->holders[i].proc;
                char *one = NULL;
                if (sa_describe_process(p, &one) < 0)
                        return -ENOMEM;
                fprintf(f, "%s%s", i ? ", " : "", one);
                free(one);
                if (p->nspid)
                        fprintf(f, " (pid %d in its PID namespace)", (int) p->nspid);
        }
        return 0;
}

/* Distinct programs' verdict lines shown per listener, then "and N more". */
#define EXPLAIN_PROGRAMS_MAX 16

/*
 * One line per distinct verdict among the owners (an nginx master and its
 * workers run one image: one line): what runs, and is it the package's.
 */
static int put_provenance(FILE *out, const json_t *l)
{
        const json_t *owners = json_object_get(l, "owners");
        char *seen[EXPLAIN_PROGRAMS_MAX];
        size_t n = 0, more = 0;
        int r = 0;

        for (size_t i = 0; r == 0 && i < json_array_size(owners); i++) {
                char *w = NULL;
                bool dup = false;

                if (provenance_words(json_array_get(owners, i), &w) < 0)
                        r = -ENOMEM;
                for (size_t k = 0; w && k < n && !dup; k++)
                        dup = strcmp(seen[k], w) == 0;
                if (!w || dup) {
                        free(w);
                        continue;
                }
                if (n == EXPLAIN_PROGRAMS_MAX) {
                        more++;
                        free(w);
                        continue;
                }
                seen[n++] = w;
                r = human_put_line(out, "  ", w);
        }
        if (r == 0 && more > 0)
                r = fprintf(out, "  and %zu more programs\n", more) < 0 ? -EIO : 0;
        while (n > 0)
                free(seen[--n]);
        return r;
}

/*
 * One listener: "PROTO LOCAL in netns NAME: held by ...", its programs'
 * package verdicts, then the summary and each reason indented. Everything
 * is escaped. 0 or -errno.
 */
static int print_one(FILE *out, const json_t *l, const sa_listener *lis, const char *summary, char **lines)
{
        const char *proto = json_string_value(json_object_get(l, "proto"));
        const char *ns_name = json_string_value(json_object_get(l, "netns_name"));
        const json_t *ns = json_object_get(l, "netns");
        char *local = listener_local(l), *raw = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!local)
                return -ENOMEM;
        f = open_memstream(&raw, &len);
        if (!f) {
                free(local);
                return -ENOMEM;
        }
        fprintf(f, "%s %s in netns ", proto ? proto : "?", local);
        if (ns_name)
                fputs(ns_name, f);
        else if (json_is_integer(ns))
                fprintf(f, "net:[%" JSON_INTEGER_FORMAT "]", json_integer_value(ns));
        else
                fputc('?', f);
        fputs(": ", f);
        r = put_owners(f, l, lis);
        free(local);
        if (fclose(f) != 0 || r < 0) {
                free(raw);
                return -ENOMEM;
        }
        r = human_put_line(out, "", raw);
        free(raw);
        if (r == 0)
                r = put_provenance(out, l);
        if (r == 0)
                r = human_put_line(out, "  ", summary);
        for (size_t i = 0; r == 0 && lines[i]; i++)
                r = human_put_line(out, "  - ", lines[i]);
        if (r == 0)
                r = reach_put(out, l);
        return r == 0 ? tls_explain_put(out, l) : r;
}

/* lines as a JSON array of strings (valid UTF-8 ensured by jansson's check). */
static json_t *lines_to_json(char **lines)
{
        json_t *a = json_array();

        for (size_t i = 0; a && lines[i]; i++) {
                json_t *s = json_string(lines[i]);
                if (!s) {
                        /* Not UTF-8 (a hostile name): keep the line, escaped. */
                        char *e = sa_text_escape(lines[i]);
                        s = e ? json_string(e) : NULL;
                        free(e);
                }
                if (json_array_append_new(a, s) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

int cmd_explain(const cli_options *o)
{
        json_t *reply = NULL, *out = NULL, *items = NULL;
        sa_snapshot *snap = NULL;
        char err[128] = "";
        int r = query_listeners(o, &reply), code;

        if (r != 0)
                return r;
        const json_t *listeners = json_object_get(reply, "listeners");
        if (!json_is_array(listeners)) {
                fputs("sockaudit: malformed reply: no \"listeners\" array\n", stderr);
                json_decref(reply);
                return EXIT_ERROR;
        }
        /* The records back into listeners, so the library's rules apply as they are. */
        r = sa_snapshot_from_json(listeners, &snap, err, sizeof err);
        if (r < 0) {
                fputs("sockaudit: malformed reply: ", stderr);
                fputs(r == -ENOMEM ? "out of memory" : err, stderr);
                fputc('\n', stderr);
                json_decref(reply);
                return EXIT_ERROR;
        }
        code = snap->n_listeners == 0 ? EXIT_NONE : EXIT_FOUND;
        /* The daemon's records carry `tls`; --direct probes TLS-watched listeners itself. */
        if (o->direct)
                r = tls_probe_listeners(json_object_get(reply, "listeners"), tls_explain_wanted);
        /* The firewall's verdicts per entry point: the daemon's records carry them; --direct asks its helper (cli/reach.c). */
        if (r == 0 && o->direct)
                r = reach_listeners(json_object_get(reply, "listeners"), o);

        if (r == 0 && o->json) {
                items = json_array();
                out = json_pack("{s:i, s:O}", "port", (int) o->port, "listeners", items);
                r = out ? 0 : -ENOMEM;
        }
        for (size_t i = 0; r == 0 && i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];
                const json_t *rec = json_array_get(listeners, i);
                char **lines = NULL, *summary = NULL;

                r = sa_listener_explain(l, &lines);
                if (r == 0)
                        r = sa_listener_exposure_summary(l, &summary);
                if (r == 0 && o->json) {
                        json_t *item = json_pack("{s:O, s:o, s:o}", "listener", rec,
                                                 "exposure", sa_listener_exposure_to_json(l),
                                                 "explanation", lines_to_json(lines));
                        if (!item || json_array_append_new(items, item) < 0)
                                r = -ENOMEM;
                } else if (r == 0) {
                        if (i > 0 && putchar('\n') == EOF)
                                r = -EIO;
                        if (r == 0)
                                r = print_one(stdout, rec, l, summary, lines);
                }
                sa_strv_free(lines);
                free(summary);
        }
        if (r == 0 && o->json)
                r = print_json(out, false);
        else if (r == 0 && code == EXIT_NONE)
                put_nothing_listens(stdout, o);
        json_decref(items);
        json_decref(out);
        json_decref(reply);
        sa_snapshot_free(snap);
        return r < 0 ? print_failed(r) : finish(code);
}
