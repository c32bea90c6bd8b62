/* SPDX-License-Identifier: MIT */
/* Bounded reply text (daemon/replybuf.c) and the streamed who/list reply (daemon/listreply.c). */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "listreply.h"
#include "tlsprobe.h"
#include "provtable.h"
#include "replybuf.h"

/* A verdict for the records below: a package, or none; a reason that spells JSON and escapes. */
static const sa_exe_provenance *verdict(sa_prov_status st, const char *package)
{
        sa_provenance v = { .status = st, .location = package ? SA_EXE_NORMAL : SA_EXE_TMP };
        const sa_exe_provenance *e;

        snprintf(v.reason, sizeof v.reason, "\"owners\":null \x1b[2J\xff %s", package ? package : "-");
        if (package) {
                snprintf(v.package, sizeof v.package, "%s", package);
                snprintf(v.version, sizeof v.version, "1.22.1-9+deb12u12");
                snprintf(v.architecture, sizeof v.architecture, "amd64");
        }
        memset(v.exe_sha256, 'a', 64);
        e = sa_exe_provenance_new(&v);
        ck_assert_ptr_nonnull(e);
        return e;
}

START_TEST(buffer_bound)
{
        replybuf b;
        json_t *j = json_pack("{s:s}", "k", "0123456789");
        char *s;
        size_t len;

        replybuf_init(&b, 16);
        ck_assert_int_eq(replybuf_add_str(&b, "0123456789"), 0);
        ck_assert_int_eq(replybuf_add_str(&b, "0123456789"), -E2BIG);
        ck_assert_uint_eq(b.len, 10);
        ck_assert_int_eq(replybuf_add_json(&b, j), -E2BIG);
        ck_assert_uint_eq(b.len, 10);
        ck_assert_str_eq(b.data, "0123456789");
        ck_assert_int_eq(replybuf_add_str(&b, "abcdef"), 0);
        ck_assert_int_eq(replybuf_add(&b, "x", 1), -E2BIG);
        s = replybuf_take(&b, &len);
        ck_assert_str_eq(s, "0123456789abcdef");
        ck_assert_uint_eq(len, 16);
        ck_assert_uint_eq(b.len, 0);
        free(s);
        replybuf_done(&b);

        ck_assert_int_eq(replybuf_format(j, 18, &s, &len), -E2BIG);
        ck_assert_int_eq(replybuf_format(j, 19, &s, &len), 0);
        ck_assert_str_eq(s, "{\"k\":\"0123456789\"}\n");
        ck_assert_uint_eq(len, 19);
        free(s);
        json_decref(j);
}
END_TEST

/* A reply over the bound becomes an internal error, not a crash or a cut line. */
START_TEST(reply_over_bound_is_an_error)
{
        control_reply r = { 0 };
        json_t *big = json_pack("{s:b,s:s%}", "ok", 1, "x", "................................", (size_t) 32);
        json_t *e;

        ck_assert_int_eq(replybuf_reply_bounded(big, 32, &r), 0);
        ck_assert(!r.ok);
        ck_assert_uint_eq(r.len, strlen(r.text));
        ck_assert_int_eq(r.text[r.len - 1], '\n');
        e = json_loads(r.text, 0, NULL);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "error"), "code")), "internal");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_object_get(e, "error"), "message")),
                                     "reply too large"));
        json_decref(e);
        free(r.text);

        ck_assert_int_eq(replybuf_reply_from_json(json_pack("{s:b}", "ok", 1), &r), 0);
        ck_assert(r.ok);
        ck_assert_str_eq(r.text, "{\"ok\":true}\n");
        free(r.text);
        ck_assert_int_eq(replybuf_reply_from_json(NULL, &r), -ENOMEM);
}
END_TEST

enum { N_LISTENERS = 200, ARG = 4000 };

static char *hostile_arg(void)
{
        char *a = malloc(ARG + 1);

        ck_assert_ptr_nonnull(a);
        for (size_t i = 0; i < ARG; i++)
                a[i] = (char) (1 + (i % 31));
        a[ARG] = '\0';
        return a;
}

/* N_LISTENERS TCP listeners on ports 1000.., all held by one process with a
 * 4,000-byte argv of control bytes (24 KB in JSON each). */
static sa_snapshot *hostile_snapshot(sa_process *p, sa_holder *h, int *fd)
{
        sa_snapshot *snap = calloc(1, sizeof *snap);

        ck_assert_ptr_nonnull(snap);
        snap->listeners = calloc(N_LISTENERS, sizeof *snap->listeners);
        ck_assert_ptr_nonnull(snap->listeners);
        snap->n_listeners = N_LISTENERS;
        *h = (sa_holder) { .proc = p, .fds = fd, .n_fds = 1 };
        for (size_t i = 0; i < N_LISTENERS; i++)
                snap->listeners[i] = (sa_listener) {
                        .proto = IPPROTO_TCP, .family = AF_INET, .port = (uint16_t) (1000 + i),
                        .inode = (uint32_t) (5000 + i), .cookie = 7000 + i,
                        .holders = h, .n_holders = 1, .owner_status = SA_OWNER_OK,
                };
        return snap;
}

static json_t *parse_line(const char *text, size_t len)
{
        json_error_t err;
        json_t *j;

        ck_assert_uint_eq(strlen(text), len);
        ck_assert_int_eq(text[len - 1], '\n');
        ck_assert_ptr_eq(strchr(text, '\n'), text + len - 1);
        j = json_loads(text, 0, &err);
        ck_assert_msg(j != NULL, "reply does not parse: %s", err.text);
        return j;
}

START_TEST(list_whole_and_bounded)
{
        char *arg = hostile_arg(), *args[] = { arg, NULL }, *text;
        sa_process p = { .pid = 4242, .uid = 65534, .argv = args, .argc = 1 };
        sa_holder h;
        int fd = 3;
        sa_snapshot *snap = hostile_snapshot(&p, &h, &fd);
        listreply_opts o = { 0 };
        size_t len, shown;
        json_t *j;

        /* Whole: every listener, no truncation marks. */
        ck_assert_int_eq(listreply_build(snap, &o, &text, &len), 0);
        j = parse_line(text, len);
        ck_assert(json_is_true(json_object_get(j, "ok")));
        ck_assert_uint_eq(json_array_size(json_object_get(j, "listeners")), N_LISTENERS);
        ck_assert_ptr_null(json_object_get(j, "truncated"));
        ck_assert_ptr_null(json_object_get(j, "port"));
        ck_assert_ptr_nonnull(json_object_get(j, "scan_time"));
        ck_assert_uint_gt(len, (size_t) N_LISTENERS * ARG * 5);
        json_decref(j);
        free(text);

        /* Bounded at 1 MiB: whole listeners until it is reached, the rest counted. */
        o.max = 1024 * 1024;
        o.stale_why = "a \"stale\" reason";
        ck_assert_int_eq(listreply_build(snap, &o, &text, &len), 0);
        ck_assert_uint_le(len, o.max);
        j = parse_line(text, len);
        shown = json_array_size(json_object_get(j, "listeners"));
        ck_assert_uint_gt(shown, 0);
        ck_assert_uint_lt(shown, N_LISTENERS);
        ck_assert(json_is_true(json_object_get(j, "truncated")));
        ck_assert_ptr_nonnull(json_string_value(json_object_get(j, "truncated_reason")));
        ck_assert_int_eq(json_integer_value(json_object_get(j, "listeners_omitted")), N_LISTENERS - shown);
        ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "listeners"),
                                                                           shown - 1), "port")),
                         (json_int_t) (1000 + shown - 1));
        ck_assert(json_is_true(json_object_get(j, "stale")));
        ck_assert_str_eq(json_string_value(json_object_get(j, "stale_reason")), "a \"stale\" reason");
        json_decref(j);
        free(text);

        free(snap->listeners);
        free(snap);
        free(arg);
}
END_TEST

START_TEST(who_filtered_and_redacted)
{
        char *arg = hostile_arg(), *args[] = { arg, NULL }, *text;
        sa_process p = { .pid = 4242, .uid = 65534, .argv = args, .argc = 1 };
        sa_holder h;
        int fd = 3;
        sa_snapshot *snap = hostile_snapshot(&p, &h, &fd);
        sa_filter f = { .port = 1042 };
        listreply_opts o = { .filter = &f, .who = true, .redacted = true };
        const json_t *owner;
        size_t len;
        json_t *j;

        ck_assert_int_eq(listreply_build(snap, &o, &text, &len), 0);
        j = parse_line(text, len);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "port")), 1042);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "listeners")), 1);
        owner = json_array_get(json_object_get(json_array_get(json_object_get(j, "listeners"), 0), "owners"), 0);
        ck_assert_int_eq(json_integer_value(json_object_get(owner, "pid")), 4242);
        ck_assert_uint_eq(json_array_size(json_object_get(owner, "cmdline")), 0);
        ck_assert(json_is_true(json_object_get(owner, "cmdline_redacted")));
        json_decref(j);
        free(text);

        /* Nothing passes: an empty list. */
        f.port = 80;
        ck_assert_int_eq(listreply_build(snap, &o, &text, &len), 0);
        j = parse_line(text, len);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "listeners")), 0);
        json_decref(j);
        free(text);

        free(snap->listeners);
        free(snap);
        free(arg);
}
END_TEST

/* Records' texts kept across replies: the same bytes while texts_gen
 * stands, written again for another generation or redaction. */
START_TEST(texts_kept_across_replies)
{
        char *arg = hostile_arg(), *args[] = { arg, NULL }, *text[3];
        sa_process p = { .pid = 4242, .uid = 65534, .argv = args, .argc = 1 };
        sa_holder h;
        int fd = 3;
        sa_snapshot *snap = hostile_snapshot(&p, &h, &fd);
        listreply_texts *t = listreply_texts_new();
        listreply_opts o = { .redacted = true, .texts = t, .texts_gen = 1 };
        size_t len[3];
        json_t *j;

        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(listreply_build(snap, &o, &text[0], &len[0]), 0);
        ck_assert_int_eq(listreply_build(snap, &o, &text[1], &len[1]), 0);
        ck_assert_uint_eq(len[0], len[1]);
        ck_assert_int_eq(memcmp(text[0], text[1], len[0]), 0);
        free(text[1]);

        /* Not redacted: the command line is there. */
        o.redacted = false;
        ck_assert_int_eq(listreply_build(snap, &o, &text[1], &len[1]), 0);
        j = parse_line(text[1], len[1]);
        ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(json_object_get(json_array_get(
                json_object_get(j, "listeners"), 0), "owners"), 0), "cmdline")), 1);
        json_decref(j);

        /* The record changed, and so did the generation: written anew. */
        p.uid = 4321;
        o.texts_gen = 2;
        ck_assert_int_eq(listreply_build(snap, &o, &text[2], &len[2]), 0);
        j = parse_line(text[2], len[2]);
        ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(json_array_get(
                json_object_get(j, "listeners"), 0), "owners"), 0), "uid")), 4321);
        json_decref(j);
        for (int i = 0; i < 3; i++)
                free(text[i]);
        ck_assert_ptr_null(listreply_texts_free(t));
        free(snap->listeners);
        free(snap);
        free(arg);
}
END_TEST

/*
 * The streamed record is the record: byte for byte what
 * sa_listener_to_json() writes, for shared processes, activators, more
 * holders than are shown, and names that spell the placeholder.
 */
/* The daemon's `tls` for listeners on 443 (tlsprobes_get()'s stand-in): hostile text in it. */
static const json_t *tls_on_443(const void *userdata, const sa_listener *l)
{
        return l->port == 443 ? userdata : NULL;
}

static json_t *hostile_tls(void)
{
        json_t *t = sa_tls_error_object("ok", NULL);

        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(json_object_set_new(t, "certificates",
                                             json_pack("[{s:s,s:s,s:i}]", "subject", "CN=evil\n\"owners\":null\x1b[2J",
                                                       "sha256", "00ff", "key_bits", 1024)), 0);
        return t;
}

START_TEST(records_as_written_whole)
{
        static char *argv_a[] = { "/usr/sbin/server", "-c", "\"owners\":null", NULL };
        static char *argv_b[] = { "\x01\x02", NULL };
        sa_process pa = { .pid = 10, .ppid = 1, .comm = "server", .exe = "/usr/sbin/server",
                          .argv = argv_a, .argc = 3, .user = "root", .unit = "a.service" };
        sa_process pb = { .pid = 1, .comm = "systemd", .argv = argv_b, .argc = 1 };
        static sa_process kids[70];
        static sa_holder many[70];
        static int fds[2] = { 3, 7 };
        sa_holder h1[2] = {
                { .proc = &pb, .fds = fds, .n_fds = 1, .role = SA_ROLE_ACTIVATOR,
                  .socket_unit = "a.socket", .service_unit = "a.service" },
                { .proc = &pa, .fds = fds, .n_fds = 2, .role = SA_ROLE_SERVICE },
        };
        sa_holder h2[1] = { { .proc = &pa, .fds = fds + 1, .n_fds = 1 } };
        /* l[3] shares l[0]'s exposure (its text is written once), l[4] differs by its namespace only. */
        sa_listener l[5] = {
                { .proto = IPPROTO_TCP, .family = AF_INET, .port = 80, .holders = h1, .n_holders = 2,
                  .netns_name = "\"owners\":null" },
                { .proto = IPPROTO_TCP, .family = AF_INET6, .port = 443, .holders = h2, .n_holders = 1,
                  .ifindex = 2, .ifname = "\"owners\":nul" },
                { .proto = IPPROTO_UDP, .family = AF_INET, .port = 53, .holders = many, .n_holders = 70,
                  .owner_status = SA_OWNER_PARTIAL, .owner_reason = "why" },
                { .proto = IPPROTO_TCP, .family = AF_INET, .port = 8080, .holders = h2, .n_holders = 1,
                  .netns_name = "\"owners\":null" },
                { .proto = IPPROTO_TCP, .family = AF_INET, .port = 8081, .holders = h2, .n_holders = 1,
                  .netns_name = "host", .netns = 1 },
        };
        sa_snapshot snap = { .listeners = l, .n_listeners = 5 };
        json_t *tls = hostile_tls();
        listreply_opts o = { .tls_of = tls_on_443, .tls_userdata = tls };
        char *text;
        size_t len;
        json_t *j;

        for (size_t i = 0; i < 70; i++) {
                kids[i] = (sa_process) { .pid = (pid_t) (100 + i % 3), .argv = argv_b, .argc = 1 };
                many[i] = (sa_holder) { .proc = &kids[i % 3], .fds = fds, .n_fds = 1 };
        }
        /* Provenance (docs/RECORDS.md): a package, none, and not checked (pb, kids 1 and 2). */
        pa.provenance = verdict(SA_PROV_MODIFIED, "nginx");
        kids[0].provenance = verdict(SA_PROV_NOT_PACKAGED, NULL);
        ck_assert_int_eq(listreply_build(&snap, &o, &text, &len), 0);
        ck_assert_ptr_nonnull(strstr(text, "\"package\":{\"name\":\"nginx\",\"version\":\"1.22.1-9+deb12u12\","
                                           "\"architecture\":\"amd64\",\"status\":\"modified\""));
        ck_assert_ptr_nonnull(strstr(text, "\"exe_location\":\"tmp\",\"package\":{\"name\":null"));
        j = parse_line(text, len);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "listeners")), 5);
        for (size_t i = 0; i < 5; i++) {
                json_t *want = sa_listener_to_json(&l[i]);
                char *a;

                /* The daemon's explain path: the tls object set last on jansson's record. */
                if (l[i].port == 443)
                        ck_assert_int_eq(json_object_set(want, "tls", tls), 0);
                a = json_dumps(want, JSON_COMPACT);
                char *b = json_dumps(json_array_get(json_object_get(j, "listeners"), i), JSON_COMPACT);

                ck_assert_str_eq(b, a);
                ck_assert_ptr_nonnull(strstr(text, a));
                free(a);
                free(b);
                json_decref(want);
        }
        ck_assert_ptr_nonnull(json_object_get(json_array_get(json_object_get(j, "listeners"), 1), "tls"));
        json_decref(j);
        json_decref(tls);
        free(text);
        sa_exe_provenance_unref(pa.provenance);
        sa_exe_provenance_unref(kids[0].provenance);
}
END_TEST

/*
 * The compact form's listener l with each owner {"process":I,...} put back
 * together from processes[I] and the hold's members, and its exposure J
 * from exposures[J]: the full record. reply: the compact reply.
 */
static json_t *expand_compact(const json_t *l, const json_t *reply)
{
        const json_t *processes = json_object_get(reply, "processes"), *exposures = json_object_get(reply, "exposures");
        json_t *full = json_deep_copy(l), *owners = json_object_get(full, "owners");
        const json_t *expo = json_object_get(l, "exposure");
        size_t i;
        json_t *o;

        ck_assert_ptr_nonnull(full);
        ck_assert(json_is_integer(expo));
        ck_assert_int_lt(json_integer_value(expo), (json_int_t) json_array_size(exposures));
        json_object_set(full, "exposure", json_array_get(exposures, (size_t) json_integer_value(expo)));
        json_array_foreach(owners, i, o) {
                const json_t *ref = json_object_get(o, "process");
                json_t *rec;

                ck_assert(json_is_integer(ref));
                ck_assert_int_lt(json_integer_value(ref), (json_int_t) json_array_size(processes));
                rec = json_deep_copy(json_array_get(processes, (size_t) json_integer_value(ref)));
                json_object_del(o, "process");
                ck_assert_int_eq(json_object_update(rec, o), 0);
                ck_assert_int_eq(json_array_set_new(owners, i, rec), 0);
        }
        return full;
}

/*
 * The compact form says what the full one says: each listener, expanded,
 * equals the full reply's (owners in order, shared processes once).
 */
START_TEST(compact_form_same_records)
{
        static char *argv_a[] = { "/usr/sbin/server", "-c", "\x1b[2J\xff", NULL };
        sa_process pa = { .pid = 10, .ppid = 1, .comm = "ser\nver", .exe = "/usr/sbin/server",
                          .argv = argv_a, .argc = 3, .user = "root", .unit = "a.service" };
        sa_process pb = { .pid = 1, .comm = "systemd", .argv = argv_a, .argc = 1 };
        static sa_process kids[70];
        static sa_holder many[70];
        static int fds[2] = { 3, 7 };
        sa_holder h1[2] = {
                { .proc = &pb, .fds = fds, .n_fds = 1, .role = SA_ROLE_ACTIVATOR,
                  .socket_unit = "a.socket", .service_unit = "a.service" },
                { .proc = &pa, .fds = fds, .n_fds = 2, .role = SA_ROLE_SERVICE },
        };
        sa_holder h2[1] = { { .proc = &pa, .fds = fds + 1, .n_fds = 1 } };
        sa_listener l[4] = {
                { .proto = IPPROTO_TCP, .family = AF_INET, .port = 80, .holders = h1, .n_holders = 2 },
                { .proto = IPPROTO_TCP, .family = AF_INET6, .port = 443, .holders = h2, .n_holders = 1 },
                { .proto = IPPROTO_UDP, .family = AF_INET, .port = 53, .holders = many, .n_holders = 70,
                  .owner_status = SA_OWNER_PARTIAL, .owner_reason = "why" },
                { .proto = IPPROTO_UDP, .family = AF_INET, .port = 54, .owner_status = SA_OWNER_UNKNOWN },
        };
        sa_snapshot snap = { .listeners = l, .n_listeners = 4 };
        json_t *tls = hostile_tls();
        listreply_opts o = { .redacted = true, .tls_of = tls_on_443, .tls_userdata = tls };
        char *text[2];
        size_t len[2];
        json_t *j[2], *cl, *fl;

        for (size_t i = 0; i < 70; i++) {
                kids[i] = (sa_process) { .pid = (pid_t) (100 + i), .argv = argv_a, .argc = 1 };
                many[i] = (sa_holder) { .proc = &kids[i % 5], .fds = fds, .n_fds = 1 };
        }
        pa.provenance = verdict(SA_PROV_VERIFIED, "nginx");
        kids[1].provenance = verdict(SA_PROV_DELETED, NULL);
        for (unsigned redacted = 0; redacted < 2; redacted++) {
                o.redacted = redacted;
                for (unsigned c = 0; c < 2; c++) {
                        o.compact = c;
                        ck_assert_int_eq(listreply_build(&snap, &o, &text[c], &len[c]), 0);
                        j[c] = parse_line(text[c], len[c]);
                }
                ck_assert_ptr_null(json_object_get(j[0], "form"));
                ck_assert_ptr_null(json_object_get(j[0], "processes"));
                ck_assert_str_eq(json_string_value(json_object_get(j[1], "form")), "compact");
                /* pa, pb and the 5 kids shown: each once; exposures: IPv4 and IPv6 wildcards. */
                ck_assert_uint_eq(json_array_size(json_object_get(j[1], "processes")), 7);
                ck_assert_uint_eq(json_array_size(json_object_get(j[1], "exposures")), 2);
                cl = json_object_get(j[1], "listeners");
                fl = json_object_get(j[0], "listeners");
                ck_assert_uint_eq(json_array_size(cl), 4);
                for (size_t i = 0; i < 4; i++) {
                        json_t *full = expand_compact(json_array_get(cl, i), j[1]);

                        ck_assert(json_equal(full, json_array_get(fl, i)));
                        json_decref(full);
                }
                ck_assert(json_equal(json_object_get(j[0], "scan_time"), json_object_get(j[1], "scan_time")));
                for (unsigned c = 0; c < 2; c++) {
                        json_decref(j[c]);
                        free(text[c]);
                }
        }
        json_decref(tls);
        sa_exe_provenance_unref(pa.provenance);
        sa_exe_provenance_unref(kids[1].provenance);
}
END_TEST

/* The bound counts the processes a listener brings: the line stays under it, every reference resolves. */
START_TEST(compact_form_bounded)
{
        char *arg = hostile_arg(), *args[] = { arg, NULL }, *text;
        static sa_process p[N_LISTENERS];
        static sa_holder h[N_LISTENERS];
        int fd = 3;
        sa_snapshot *snap = hostile_snapshot(&p[0], &h[0], &fd);
        listreply_opts o = { .compact = true, .max = 1024 * 1024 };
        size_t len, shown;
        json_t *j, *ls;

        for (size_t i = 0; i < N_LISTENERS; i++) {
                p[i] = (sa_process) { .pid = (pid_t) (5000 + i), .argv = args, .argc = 1 };
                h[i] = (sa_holder) { .proc = &p[i], .fds = &fd, .n_fds = 1 };
                snap->listeners[i].holders = &h[i];
        }
        ck_assert_int_eq(listreply_build(snap, &o, &text, &len), 0);
        ck_assert_uint_le(len, o.max);
        j = parse_line(text, len);
        ls = json_object_get(j, "listeners");
        shown = json_array_size(ls);
        ck_assert_uint_gt(shown, 0);
        ck_assert_uint_lt(shown, N_LISTENERS);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "processes")), shown);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "listeners_omitted")), N_LISTENERS - shown);
        for (size_t i = 0; i < shown; i++) {
                json_t *full = expand_compact(json_array_get(ls, i), j);

                ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(full, "owners"), 0),
                                                                    "pid")), (json_int_t) (5000 + i));
                json_decref(full);
        }
        json_decref(j);
        free(text);
        free(snap->listeners);
        free(snap);
        free(arg);
}
END_TEST

Suite *listreply_suite(void)
{
        Suite *s = suite_create("listreply");
        TCase *tc = tcase_create("reply");

        tcase_add_test(tc, buffer_bound);
        tcase_add_test(tc, reply_over_bound_is_an_error);
        tcase_add_test(tc, list_whole_and_bounded);
        tcase_add_test(tc, who_filtered_and_redacted);
        tcase_add_test(tc, texts_kept_across_replies);
        tcase_add_test(tc, records_as_written_whole);
        tcase_add_test(tc, compact_form_same_records);
        tcase_add_test(tc, compact_form_bounded);
        suite_add_tcase(s, tc);
        return s;
}
