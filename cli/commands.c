/* SPDX-License-Identifier: MIT */
/* The verbs of sockaudit: a request to the daemon (or a scan), then output. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "compactreply.h"
#include "helperpath.h"
#include "human.h"
#include "provhelper.h"
#include "rawreply.h"
#include "sockaudit.h"
#include "table.h"
#include "util.h"

/* Flushes stdout; a write error (full disk, closed pipe) turns into exit 4. */
int finish(int code)
{
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "sockaudit: cannot write the output: %m\n");
                return EXIT_ERROR;
        }
        return code;
}

static int out_of_memory(void)
{
        fputs("sockaudit: out of memory\n", stderr);
        return EXIT_ERROR;
}

/* Formatting failures: -EIO is stdout's (reported by finish), the rest ours. */
int print_failed(int r)
{
        return r == -EIO ? finish(EXIT_ERROR) : out_of_memory();
}

/*
 * j as JSON on stdout: indented for a terminal, else one compact line
 * (always compact for a stream of objects).
 */
int print_json(const json_t *j, bool stream)
{
        size_t flags = !stream && isatty(STDOUT_FILENO) ? JSON_INDENT(2) | JSON_REAL_PRECISION(15)
                                                        : SA_JSON_DUMP_FLAGS;

        if (json_dumpf(j, stdout, flags) < 0 || putchar('\n') == EOF)
                return -EIO;
        return 0;
}

/* Prints daemon text (a code or message) escaped: it may echo our input. */
static void put_escaped(FILE *f, const char *s)
{
        char *e = sa_text_escape(s ? s : "?");

        fputs(e ? e : "?", f);
        free(e);
}

static int unreachable(const cli_options *o, int err)
{
        struct stat st;

        /* connect() says "Connection refused" for a regular file: say what it is. */
        if (stat(o->socket_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
                fprintf(stderr, "sockaudit: cannot reach sockauditd at %s: not a socket (a %s)\n",
                        o->socket_path, S_ISDIR(st.st_mode) ? "directory" : S_ISREG(st.st_mode) ?
                        "regular file" : "file of another type");
                fputs("Name the daemon's control socket with --socket or SOCKAUDIT_SOCKET, "
                      "or use --direct to scan without the daemon.\n", stderr);
                return EXIT_UNREACHABLE;
        }
        fprintf(stderr, "sockaudit: cannot reach sockauditd at %s: %s\n", o->socket_path, strerror(-err));
        if (err == -EACCES || err == -EPERM)
                fputs("Only root and members of group 'sockaudit' may query it; "
                      "or use --direct to scan without the daemon.\n", stderr);
        else
                fputs("Start it with 'systemctl start sockauditd.socket' (or run sockauditd), "
                      "or use --direct to scan without the daemon.\n", stderr);
        return EXIT_UNREACHABLE;
}

/* Trouble after connecting: no reply in time (3), or a bad one (4). */
static int reply_failed(const cli_options *o, int err)
{
        switch (err) {
        case -ETIMEDOUT:
                fprintf(stderr, "sockaudit: no reply from sockauditd at %s within %d s (see --timeout)\n",
                        o->socket_path, o->timeout_ms / 1000);
                return EXIT_UNREACHABLE;
        case 0:
        case -EBADMSG:
                fprintf(stderr, "sockaudit: sockauditd at %s closed the connection without a reply\n",
                        o->socket_path);
                return EXIT_ERROR;
        case -EMSGSIZE:
                fprintf(stderr, "sockaudit: reply from sockauditd larger than %u MiB\n",
                        CLIENT_LINE_MAX >> 20);
                return EXIT_ERROR;
        case -ENOMEM:
                return out_of_memory();
        default:
                fprintf(stderr, "sockaudit: talking to sockauditd at %s: %s\n", o->socket_path, strerror(-err));
                return EXIT_ERROR;
        }
}

/*
 * Parses one protocol line into an object with "ok". Returns 0 (*ret owned
 * by the caller) or prints why the line is not a reply and returns exit 4.
 */
static int parse_line(const char *line, size_t len, json_t **ret)
{
        json_error_t err;
        json_t *j = json_loadb(line, len, 0, &err);

        if (!json_is_object(j) || !json_is_boolean(json_object_get(j, "ok"))) {
                fputs("sockaudit: malformed reply from sockauditd: ", stderr);
                put_escaped(stderr, j ? "not an object with \"ok\"" : err.text);
                fputc('\n', stderr);
                json_decref(j);
                return EXIT_ERROR;
        }
        *ret = j;
        return 0;
}

/*
 * An "ok":false reply: "sockaudit: daemon error (CODE): MESSAGE", exit 4;
 * "busy" (no slot for this connection now) says so and exits 3, as when
 * the daemon cannot be reached: trying again later may work.
 */
static int daemon_error(const json_t *reply)
{
        const json_t *e = json_object_get(reply, "error");
        const char *code = json_string_value(json_object_get(e, "code"));

        if (code && strcmp(code, "busy") == 0) {
                fputs("sockaudit: sockauditd is too busy to serve this connection, try again later: ", stderr);
                put_escaped(stderr, json_string_value(json_object_get(e, "message")));
                fputc('\n', stderr);
                return EXIT_UNREACHABLE;
        }
        fputs("sockaudit: daemon error (", stderr);
        put_escaped(stderr, json_string_value(json_object_get(e, "code")));
        fputs("): ", stderr);
        put_escaped(stderr, json_string_value(json_object_get(e, "message")));
        fputc('\n', stderr);
        return EXIT_ERROR;
}

/*
 * Connects c, sends req (reference stolen) and reads the reply line:
 * *ret_line (borrowed from c until its next read) and *ret_len. Returns 0,
 * or an exit code after printing the reason.
 */
static int daemon_line(const cli_options *o, client *c, json_t *req, const char **ret_line, size_t *ret_len)
{
        int r;

        if (!req)
                return out_of_memory();
        r = client_connect(c, o->socket_path, o->timeout_ms);
        if (r < 0) {
                json_decref(req);
                return unreachable(o, r);
        }
        r = client_send(c, req, o->timeout_ms);
        json_decref(req);
        /* A daemon that refuses at once (denied, too many clients) may have
         * closed before our request went out: its reply can still be read. */
        if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                return reply_failed(o, r);
        r = client_read_line(c, o->timeout_ms, ret_line, ret_len);
        return r <= 0 ? reply_failed(o, r) : 0;
}

/* A reply line parsed: 0 with *ret the "ok":true reply minus "ok" (caller owns it), or an exit code. */
static int reply_from_line(const char *line, size_t len, json_t **ret)
{
        json_t *reply;
        int r = parse_line(line, len, &reply);

        if (r != 0)
                return r;
        if (!json_is_true(json_object_get(reply, "ok"))) {
                r = daemon_error(reply);
                json_decref(reply);
                return r;
        }
        json_object_del(reply, "ok");
        *ret = reply;
        return 0;
}

/*
 * Connects c, sends req (reference stolen) and reads the reply line. Returns
 * 0 with *ret the "ok":true reply (minus "ok"; caller owns it), or an exit
 * code after printing the reason. c stays open (watch reads on from it).
 */
static int daemon_call(const cli_options *o, client *c, json_t *req, json_t **ret)
{
        const char *line;
        size_t len;
        int r = daemon_line(o, c, req, &line, &len);

        return r != 0 ? r : reply_from_line(line, len, ret);
}

/* daemon_call for a one-shot request: the connection is closed after. */
static int daemon_request(const cli_options *o, json_t *req, json_t **ret)
{
        client c = CLIENT_INIT;
        int r = daemon_call(o, &c, req, ret);

        client_close(&c);
        return r;
}

/* {"cmd":CMD} plus "port" and "proto" when the options narrow them. */
static json_t *query_request(const cli_options *o)
{
        /* explain asks what who asks; tls asks the daemon to probe (an answer as who's). */
        json_t *req = json_pack("{s:s}", "cmd", o->verb == VERB_EXPLAIN ? "who" : verb_name(o->verb));
        int r = 0;

        if (!req)
                return NULL;
        if (o->port)
                r |= json_object_set_new(req, "port", json_integer(o->port));
        if (o->protos == SA_PROTO_TCP || o->protos == SA_PROTO_UDP)
                r |= json_object_set_new(req, "proto", json_string(o->protos == SA_PROTO_TCP ? "tcp" : "udp"));
        if (r < 0) {
                json_decref(req);
                return NULL;
        }
        return req;
}

/*
 * Namespaces a scan did not look into: found but not entered (setns refused),
 * and those of processes whose /proc/PID/ns/net could not be read (counted
 * per process: how many namespaces they are in is unknown).
 */
static void warn_netns_missed(const sa_scan_stats *st)
{
        if (st->netns_skipped > 0)
                fprintf(stderr, "sockaudit: %u namespace%s not scanned: permission denied; "
                        "query the daemon or run as root\n", st->netns_skipped,
                        st->netns_skipped == 1 ? "" : "s");
        if (st->netns_denied > 0)
                fprintf(stderr, "sockaudit: the network namespaces of %u process%s could not be checked: "
                        "permission denied; query the daemon or run as root\n", st->netns_denied,
                        st->netns_denied == 1 ? "" : "es");
}

static void netns_filter(const cli_options *o, json_t *a, const char *key);

/*
 * The owners shown: with --netns, the pids of the listeners there (into
 * *ret, malloc'd); else *ret NULL: all. -ENOMEM.
 */
static int shown_pids(const cli_options *o, sa_snapshot *snap, const sa_filter *f, pid_t **ret, size_t *ret_n)
{
        json_t *ls, *l, *ow;
        size_t i, k, n = 0;
        pid_t *pids;

        *ret = NULL;
        *ret_n = 0;
        if (!o->netns)
                return 0;
        ls = sa_snapshot_listeners_to_json(snap, f);
        pids = calloc(snap->n_procs + 1, sizeof *pids);
        if (!ls || !pids) {
                json_decref(ls);
                free(pids);
                return -ENOMEM;
        }
        netns_filter(o, ls, NULL);
        json_array_foreach(ls, i, l)
                json_array_foreach(json_object_get(l, "owners"), k, ow)
                        if (n < snap->n_procs)
                                pids[n++] = (pid_t) json_integer_value(json_object_get(ow, "pid"));
        json_decref(ls);
        *ret = pids;
        *ret_n = n;
        return 0;
}

/*
 * Is it the real program: the owners of what is shown (docs/PROVENANCE.md),
 * hashed by the helper; without it, owners without `package` and one line.
 */
static int direct_provenance(const cli_options *o, sa_snapshot *snap, const sa_filter *f)
{
        char buf[4200], why[256] = "";
        const char *helper = cli_find_helper(PROVENANCE_NAME, "SOCKAUDIT_PROVENANCE", buf, sizeof buf);
        pid_t *only = NULL;
        size_t n = 0;

        if (shown_pids(o, snap, f, &only, &n) < 0)
                return -ENOMEM;
        if (!helper)
                fputs("sockaudit: no provenance (package, exe_sha256): its helper " PROVENANCE_NAME
                      " was not found (SOCKAUDIT_PROVENANCE)\n", stderr);
        else if (sa_snapshot_provenance_helper(snap, only, n, helper, why, sizeof why) < 0)
                fprintf(stderr, "sockaudit: no provenance (package, exe_sha256): %s\n", why);
        free(only);
        return 0;
}

/*
 * --direct: scans in-process and builds what the daemon would have answered
 * (minus "ok"): {"port"?, "listeners", "scan_time"}.
 */
static int direct_query(const cli_options *o, json_t **ret)
{
        sa_filter f = { .port = o->port, .protos = o->protos };
        sa_snapshot *snap = NULL;
        char when[40];
        /* Like the daemon's default: every network namespace on the host. */
        sa_scan_config cfg = { .namespaces = SA_NETNS_ALL };
        const char *method = getenv("SOCKAUDIT_SCAN_METHOD");
        sa_scan_method want = SA_SCAN_AUTO;
        sa_scanner *s = NULL;
        int r;

        if (method && sa_scan_method_from_string(method, &want) < 0) {
                fprintf(stderr, "sockaudit: SOCKAUDIT_SCAN_METHOD=%.32s is not auto, ebpf or procfs\n",
                        method);
                return EXIT_USAGE;
        }
        /* ebpf or fail: opened as auto to learn why it did not load. */
        cfg.method = want == SA_SCAN_EBPF ? SA_SCAN_AUTO : want;
        r = sa_scanner_new(&cfg, &s);
        if (r >= 0 && want == SA_SCAN_EBPF && sa_scanner_method(s, NULL) != SA_SCAN_EBPF) {
                fprintf(stderr, "sockaudit: SOCKAUDIT_SCAN_METHOD=ebpf, but the eBPF iterator is not usable: %s\n",
                        sa_scanner_method_detail(s));
                sa_scanner_free(s);
                return EXIT_ERROR;
        }
        if (r >= 0)
                r = sa_scanner_scan(s, &f, &snap);
        sa_scanner_free(s);
        if (r < 0) {
                fprintf(stderr, "sockaudit: cannot scan the socket tables: %s%s\n", strerror(-r),
                        r == -EPERM || r == -EACCES ? " (try as root)" : "");
                return EXIT_ERROR;
        }
        if (direct_provenance(o, snap, &f) < 0) {
                sa_snapshot_free(snap);
                return out_of_memory();
        }
        /* As root, denials are rare and already explained by the "?" rows. */
        if (snap->stats.procs_denied > 0 && !o->json && geteuid() != 0)
                fprintf(stderr, "sockaudit: %u process%s could not be inspected; run as root to see every owner\n",
                        snap->stats.procs_denied, snap->stats.procs_denied == 1 ? "" : "es");
        /* Not "nothing listens" alone: where we could not look, we say so. */
        if (geteuid() != 0)
                warn_netns_missed(&snap->stats);

        json_t *reply = json_object();
        if (!reply ||
            ((o->verb == VERB_WHO || o->verb == VERB_EXPLAIN) &&
             json_object_set_new(reply, "port", json_integer(o->port)) < 0) ||
            json_object_set_new(reply, "listeners", sa_snapshot_listeners_to_json(snap, &f)) < 0 ||
            json_object_set_new(reply, "scan_time",
                                json_string(sa_format_time(&snap->taken, when, sizeof when))) < 0) {
                json_decref(reply);
                sa_snapshot_free(snap);
                return out_of_memory();
        }
        sa_snapshot_free(snap);
        *ret = reply;
        return 0;
}

/* "nothing listens on 443/tcp", "... 443/tcp or 443/udp", "... in netns NAME". */
void put_nothing_listens(FILE *f, const cli_options *o)
{
        fputs("nothing listens on ", f);
        if (o->protos == SA_PROTO_UDP)
                fprintf(f, "%u/udp", o->port);
        else if (o->protos == SA_PROTO_TCP)
                fprintf(f, "%u/tcp", o->port);
        else
                fprintf(f, "%u/tcp or %u/udp", o->port, o->port);
        if (o->netns) {
                fputs(" in netns ", f);
                put_escaped(f, o->netns);
        }
        fputc('\n', f);
}

/* Inode of our own network namespace (0 if unknown): rows elsewhere say so. */
uint64_t own_netns(void)
{
        struct stat st;

        return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t) st.st_ino : 0;
}

/*
 * True when listener l lives in the network namespace want names: its
 * netns_name ("host", an ip-netns or container name), or its inode as
 * "4026531840" or "net:[4026531840]".
 */
static bool netns_matches(const char *want, const table_listener *l)
{
        const char *end;
        uint64_t v;

        if (l->netns_name && !strcmp(l->netns_name, want))
                return true;
        if (!strncmp(want, "net:[", 5)) {
                if (sa_parse_uint(want + 5, UINT64_MAX, &end, &v) < 0 || strcmp(end, "]") != 0)
                        return false;
        } else if (sa_parse_uint(want, UINT64_MAX, NULL, &v) < 0)
                return false;
        return l->has_netns && (uint64_t) l->netns == v;
}

/* netns_matches() for a listener record. */
static bool netns_matches_json(const char *want, const json_t *l)
{
        table_listener v;

        table_listener_from_json(l, &v);
        return netns_matches(want, &v);
}

/*
 * With --netns, drops from array a what lives elsewhere: a holds listener
 * records (key NULL) or records holding one under key (violations).
 */
static void netns_filter(const cli_options *o, json_t *a, const char *key)
{
        for (size_t i = json_array_size(a); o->netns && i-- > 0;) {
                const json_t *e = json_array_get(a, i);

                if (!netns_matches_json(o->netns, key ? json_object_get(e, key) : e))
                        json_array_remove(a, i);
        }
}

/* The daemon's snapshot could not be brought up to date: say so on stderr. */
static void warn_stale(const json_t *reply)
{
        const char *why = json_string_value(json_object_get(reply, "stale_reason"));
        const char *when = json_string_value(json_object_get(reply, "scan_time"));

        if (!json_is_true(json_object_get(reply, "stale")))
                return;
        fputs("sockaudit: warning: the daemon's answer may be out of date (", stderr);
        put_escaped(stderr, why ? why : "no reason given");
        fputs("); listeners as of ", stderr);
        put_escaped(stderr, when ? when : "?");
        fputc('\n', stderr);
}

int query_listeners(const cli_options *o, json_t **ret)
{
        json_t *reply = NULL;
        int r = o->direct ? direct_query(o, &reply) : daemon_request(o, query_request(o), &reply);

        if (r != 0)
                return r;
        warn_stale(reply);
        netns_filter(o, json_object_get(reply, "listeners"), NULL);
        *ret = reply;
        return 0;
}

/*
 * who and list's output of reply (consumed): JSON, "nothing listens" or
 * the table; who exits 1 when nothing listens.
 */
static int query_output(const cli_options *o, json_t *reply)
{
        const json_t *listeners = json_object_get(reply, "listeners");
        int r = 0;

        if (!json_is_array(listeners)) {
                fputs("sockaudit: malformed reply from sockauditd: no \"listeners\" array\n", stderr);
                json_decref(reply);
                return EXIT_ERROR;
        }
        int code = o->verb == VERB_WHO && json_array_size(listeners) == 0 ? EXIT_NONE : EXIT_FOUND;

        if (o->json)
                r = print_json(reply, false);
        else if (code == EXIT_NONE)
                put_nothing_listens(stdout, o);
        else
                r = listeners_print_table(stdout, listeners, own_netns(),
                                          o->wide ? 0 : table_out_width(stdout));
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(code);
}

/*
 * The members of an "ok":true reply line but "ok", "listeners" (and the
 * compact form's "form", "processes" and "exposures"), parsed (small: scan time, stale
 * and truncation marks); NULL when line is not such a reply, or a member
 * does not parse (the caller parses it all).
 */
static json_t *raw_rest(const raw_reply *rr)
{
        const raw_member *ok = raw_reply_get(rr, "ok"), *ls = raw_reply_get(rr, "listeners");
        json_t *rest;

        if (rr->n == 0 || ok != &rr->m[0] || ok->value_len != 4 || memcmp(ok->value, "true", 4) != 0 ||
            !ls || ls->value[0] != '[' || ls->value[ls->value_len - 1] != ']')
                return NULL;
        rest = json_object();
        for (size_t i = 1; rest && i < rr->n; i++) {
                const raw_member *m = &rr->m[i];
                char key[64];
                json_t *v;

                if (m == ls || m == raw_reply_get(rr, "processes") || m == raw_reply_get(rr, "exposures") ||
                    m == raw_reply_get(rr, "form"))
                        continue;
                if (m->key_len >= sizeof key || memchr(m->key, '\\', m->key_len) ||
                    !(v = json_loadb(m->value, m->value_len, JSON_DECODE_ANY, NULL))) {
                        json_decref(rest);
                        return NULL;
                }
                memcpy(key, m->key, m->key_len);
                key[m->key_len] = '\0';
                if (json_object_set_new(rest, key, v) < 0) {
                        json_decref(rest);
                        return NULL;
                }
        }
        return rest;
}

/*
 * who/list --json from the daemon with nothing to filter here, not to a
 * terminal: the reply line goes out as it came, minus its leading "ok"
 * member: what parsing it and dumping it compactly would print (jansson
 * keeps the members' order, and the daemon writes them compactly with
 * jansson too), without the parse and the tree (for 38,000 listeners: a
 * second of CPU and 270 MB). Only the small members after the listeners
 * are parsed (stale warning); any other reply takes the parsing path.
 */
static int query_passthrough(const cli_options *o)
{
        client c = CLIENT_INIT;
        const char *line;
        size_t len;
        raw_reply rr;
        json_t *rest = NULL, *reply = NULL;
        int r = daemon_line(o, &c, query_request(o), &line, &len);

        if (r == 0 && raw_reply_split(line, len, &rr) == 0)
                rest = raw_rest(&rr);
        if (r != 0 || !rest) {
                if (r == 0)
                        r = reply_from_line(line, len, &reply);
                client_close(&c);
                if (r != 0)
                        return r;
                warn_stale(reply);
                return query_output(o, reply);
        }
        warn_stale(rest);
        json_decref(rest);
        const raw_member *ls = raw_reply_get(&rr, "listeners");
        int code = o->verb == VERB_WHO && ls->value_len == 2 ? EXIT_NONE : EXIT_FOUND;
        /* Everything after "ok":true, (the members after it, in order) */
        const char *from = rr.n > 1 ? rr.m[1].key - 1 : line + len - 1;

        if (putchar('{') == EOF || fwrite(from, 1, (size_t) (line + len - from), stdout) != (size_t) (line + len - from) ||
            putchar('\n') == EOF)
                r = -EIO;
        client_close(&c);
        return r < 0 ? print_failed(r) : finish(code);
}

/* Whether line is a daemon's bad_request about "form": one from before the compact form. */
static bool form_unknown(const char *line, size_t len)
{
        json_t *j = json_loadb(line, len, 0, NULL);
        const json_t *e = json_object_get(j, "error");
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        bool yes = json_is_false(json_object_get(j, "ok")) && code && !strcmp(code, "bad_request") && msg &&
                   strstr(msg, "\"form\"");

        json_decref(j);
        return yes;
}

/*
 * The table of a compact reply (rr, split from its line; c still holds
 * it): the listeners read with compactreply.h, filtered by --netns.
 */
static int compact_output(const cli_options *o, client *c, const raw_reply *rr)
{
        const raw_member *ls = raw_reply_get(rr, "listeners"), *ps = raw_reply_get(rr, "processes");
        const table_listener **views = NULL;
        compact_table t;
        const char *why = NULL;
        size_t n = 0;
        int r = compact_table_read(ls->value, ls->value_len, ps->value, ps->value_len, &t, &why);

        /* Every string the table shows is in t now: the 20 MB line can go. */
        client_close(c);
        if (r == -ENOMEM)
                return out_of_memory();
        if (r < 0) {
                fputs("sockaudit: malformed reply from sockauditd: ", stderr);
                put_escaped(stderr, why);
                fputc('\n', stderr);
                return EXIT_ERROR;
        }
        views = calloc(t.n_listeners ? t.n_listeners : 1, sizeof *views);
        if (!views) {
                compact_table_free(&t);
                return out_of_memory();
        }
        for (size_t i = 0; i < t.n_listeners; i++)
                if (!o->netns || netns_matches(o->netns, &t.listeners[i]))
                        views[n++] = &t.listeners[i];
        int code = o->verb == VERB_WHO && n == 0 ? EXIT_NONE : EXIT_FOUND;

        if (code == EXIT_NONE)
                put_nothing_listens(stdout, o);
        else
                r = listener_views_print_table(stdout, views, n, own_netns(), o->wide ? 0 : table_out_width(stdout));
        free(views);
        compact_table_free(&t);
        return r < 0 ? print_failed(r) : finish(code);
}

/*
 * who and list's table from the daemon, asked for in the compact form
 * (docs/PROTOCOL.md): each process read once, and only what the table
 * shows decoded (for 38,000 listeners: a twentieth of parsing the full
 * reply with jansson). A daemon that does not know the form is asked
 * again without it; a reply without "form":"compact" is read as the full
 * one. *ret_again: ask the full form instead.
 */
static int query_compact(const cli_options *o, bool *ret_again)
{
        client c = CLIENT_INIT;
        json_t *req = query_request(o), *rest = NULL, *reply = NULL;
        const raw_member *form, *ls, *ps;
        const char *line;
        size_t len;
        raw_reply rr;
        int r;

        if (req && json_object_set_new(req, "form", json_string("compact")) < 0)
                json_decref(TAKE_PTR(req));
        r = daemon_line(o, &c, req, &line, &len);
        if (r == 0 && raw_reply_split(line, len, &rr) == 0 && (rest = raw_rest(&rr)) &&
            (form = raw_reply_get(&rr, "form")) && form->value_len == 9 && !memcmp(form->value, "\"compact\"", 9) &&
            (ls = raw_reply_get(&rr, "listeners")) && (ps = raw_reply_get(&rr, "processes"))) {
                warn_stale(rest);
                json_decref(rest);
                return compact_output(o, &c, &rr);
        }
        json_decref(rest);
        /* An error is a short line: a long one is never parsed twice. */
        if (r == 0 && len < 4096 && form_unknown(line, len)) {
                client_close(&c);
                *ret_again = true;
                return 0;
        }
        if (r == 0)
                r = reply_from_line(line, len, &reply);
        client_close(&c);
        if (r != 0)
                return r;
        warn_stale(reply);
        netns_filter(o, json_object_get(reply, "listeners"), NULL);
        return query_output(o, reply);
}

/*
 * who and list: the same request, the same output; they differ only in
 * who's exit code (1 when nothing listens) and its "nothing listens" line.
 */
static int query(const cli_options *o)
{
        json_t *reply = NULL;
        bool again = false;
        int r;

        if (o->json && !o->direct && !o->netns && !isatty(STDOUT_FILENO))
                return query_passthrough(o);
        /* A table of 38,000 rows goes out in 64 KiB writes, not a pipe's 4 KiB (before any output). */
        if (!o->json && !isatty(STDOUT_FILENO))
                setvbuf(stdout, NULL, _IOFBF, 1u << 16);
        if (!o->json && !o->direct && !o->table_full) {
                r = query_compact(o, &again);
                if (!again)
                        return r;
        }
        r = query_listeners(o, &reply);
        if (r != 0)
                return r;
        return query_output(o, reply);
}

int cmd_who(const cli_options *o)
{
        return query(o);
}

int cmd_list(const cli_options *o)
{
        return query(o);
}

int cmd_status(const cli_options *o)
{
        json_t *reply = NULL;
        int r = daemon_request(o, json_pack("{s:s}", "cmd", "status"), &reply);

        if (r != 0)
                return r;
        const json_t *status = json_object_get(reply, "status");
        if (!json_is_object(status)) {
                fputs("sockaudit: malformed reply from sockauditd: no \"status\" object\n", stderr);
                json_decref(reply);
                return EXIT_ERROR;
        }
        r = o->json ? print_json(status, false) : status_print(stdout, status);
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(EXIT_FOUND);
}

int cmd_metrics(const cli_options *o)
{
        json_t *reply = NULL;
        int r = daemon_request(o, json_pack("{s:s}", "cmd", "metrics"), &reply);
        const char *text;

        if (r != 0)
                return r;
        text = json_string_value(json_object_get(reply, "metrics"));
        if (!text) {
                fputs("sockaudit: malformed reply from sockauditd: no \"metrics\" text\n", stderr);
                json_decref(reply);
                return EXIT_ERROR;
        }
        r = o->json ? print_json(reply, false) : (fputs(text, stdout) == EOF ? -EIO : 0);
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(EXIT_FOUND);
}

int cmd_refresh(const cli_options *o)
{
        json_t *reply = NULL;
        int r = daemon_request(o, json_pack("{s:s}", "cmd", "refresh"), &reply);

        if (r != 0)
                return r;
        if (o->json)
                r = print_json(reply, false);
        else {
                r = print_template(stdout, reply,
                                   "Rescanned: {scan.listeners} listeners, {scan.processes} processes "
                                   "in {scan.duration_ms} ms");
                if (r == 0 && puts("Rescanned.") == EOF)
                        r = -EIO;
                /* Probes of the TLS listeners it queued (docs/TLS.md): their answers come later. */
                if (r >= 0 && json_integer_value(json_object_get(reply, "tls_probes_queued")) > 0)
                        r = print_template(stdout, reply, "TLS probes queued: {tls_probes_queued}");
        }
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(EXIT_FOUND);
}

/* One event or violation: compact JSON, or its human line. */
static int print_event(const cli_options *o, const json_t *ev)
{
        int r = o->json ? print_json(ev, true) : event_print(stdout, ev);

        if (r == 0 && fflush(stdout) != 0)
                r = -EIO;
        return r;
}

static volatile sig_atomic_t watch_stop;

static void on_stop_signal(int sig)
{
        watch_stop = 1;
}

int cmd_watch(const cli_options *o)
{
        client c = CLIENT_INIT;
        json_t *reply = NULL;
        int r = daemon_call(o, &c, json_pack("{s:s}", "cmd", "watch"), &reply);

        json_decref(reply);
        /*
         * Ctrl-C or SIGTERM is how a watch normally ends: exit 0. No
         * SA_RESTART, so the wait returns -EINTR; SA_RESETHAND, so a second
         * signal (one that slipped in before the wait began) still ends us.
         */
        struct sigaction sa = { .sa_handler = on_stop_signal, .sa_flags = SA_RESETHAND };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        /* Events come when they come: no timeout from here on. */
        while (r == 0 && !watch_stop) {
                const char *line;
                size_t len;
                json_t *ev;

                int n = client_read_line(&c, -1, &line, &len);
                if (n == -EINTR)
                        continue;
                if (n == 0) {
                        fprintf(stderr, "sockaudit: sockauditd at %s ended the watch\n", o->socket_path);
                        break;
                }
                if (n < 0) {
                        r = reply_failed(o, n);
                        break;
                }
                ev = json_loadb(line, len, 0, NULL);
                if (!json_is_object(ev)) {
                        json_decref(ev);
                        fputs("sockaudit: malformed event from sockauditd\n", stderr);
                        r = EXIT_ERROR;
                        break;
                }
                n = print_event(o, ev);
                json_decref(ev);
                if (n < 0)
                        r = print_failed(n);
        }
        client_close(&c);
        return r != 0 ? r : finish(EXIT_FOUND);
}

int cmd_check(const cli_options *o)
{
        json_t *reply = NULL;
        int r = daemon_request(o, json_pack("{s:s}", "cmd", "check"), &reply);

        if (r != 0)
                return r;
        json_t *violations = json_object_get(reply, "violations");
        netns_filter(o, violations, "listener");
        int code = json_array_size(violations) > 0 ? EXIT_NONE : EXIT_FOUND;

        if (o->json)
                r = print_json(reply, false);
        else if (code == EXIT_FOUND)
                r = puts("no policy violations") == EOF ? -EIO : 0;
        for (size_t i = 0; !o->json && r == 0 && i < json_array_size(violations); i++)
                r = print_event(o, json_array_get(violations, i));
        json_decref(reply);
        return r < 0 ? print_failed(r) : finish(code);
}

int cmd_help(const cli_options *o)
{
        cli_usage(stdout);
        return finish(EXIT_FOUND);
}

int cmd_version(const cli_options *o)
{
        puts("sockaudit " SA_VERSION);
        return finish(EXIT_FOUND);
}
