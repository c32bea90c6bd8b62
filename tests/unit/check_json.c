/* SPDX-License-Identifier: MIT */
/* The JSON form of records: fields, hostile text, filters, and reading records back. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockaudit.h"

static char *argv_master[] = { "nginx: master process /usr/sbin/nginx", NULL };
static char *argv_hostile[] = { "evil\nname", "\x1b[31m", "bad\xff" "utf8", NULL };

static sa_process master = {
        .pid = 812, .ppid = 1, .uid = 0, .comm = "nginx", .exe = "/usr/sbin/nginx",
        .argv = argv_master, .argc = 1, .user = "root", .unit = "nginx.service",
        .cgroup = "/system.slice/nginx.service",
};
static sa_process worker = {
        .pid = 813, .ppid = 812, .uid = 33, .comm = "evil\n\x1b[2J\xff", .exe = "/usr/sbin/nginx",
        .exe_deleted = true, .argv = argv_hostile, .argc = 3, .argv_truncated = true,
        .user = "www-data", .unit = "nginx.service", .cgroup = "/system.slice/nginx.service",
};

/* A dual-stack [::]:443 held by a master (fd 6) and a worker (fds 6, 9). */
static void make_listener(sa_listener *l, sa_holder h[2], int fds_master[1], int fds_worker[2])
{
        memset(l, 0, sizeof *l);
        l->proto = IPPROTO_TCP;
        l->family = AF_INET6;
        l->port = 443;
        l->inode = 123456;
        l->cookie = 0x100000001ull;
        l->netns = 4026531840u;
        fds_master[0] = 6;
        fds_worker[0] = 6;
        fds_worker[1] = 9;
        h[0] = (sa_holder) { .proc = &master, .fds = fds_master, .n_fds = 1 };
        h[1] = (sa_holder) { .proc = &worker, .fds = fds_worker, .n_fds = 2 };
        l->holders = h;
        l->n_holders = 2;
        l->owner_status = SA_OWNER_OK;
}

/* Serialises and parses back, as a client would see it. */
static json_t *roundtrip(json_t *j)
{
        ck_assert_ptr_nonnull(j);
        char *s = json_dumps(j, JSON_COMPACT);
        ck_assert_ptr_nonnull(s);
        ck_assert_ptr_null(strchr(s, '\n'));
        json_error_t err;
        json_t *back = json_loads(s, 0, &err);
        ck_assert_msg(back != NULL, "output does not parse: %s", err.text);
        free(s);
        json_decref(j);
        return back;
}

START_TEST(listener_record_fields)
{
        sa_listener l;
        sa_holder h[2];
        int fm[1], fw[2];
        make_listener(&l, h, fm, fw);
        json_t *j = roundtrip(sa_listener_to_json(&l));

        ck_assert_str_eq(json_string_value(json_object_get(j, "proto")), "tcp");
        ck_assert_str_eq(json_string_value(json_object_get(j, "family")), "ipv6");
        ck_assert_str_eq(json_string_value(json_object_get(j, "address")), "::");
        ck_assert_int_eq(json_integer_value(json_object_get(j, "port")), 443);
        ck_assert(json_is_false(json_object_get(j, "v6only")));
        ck_assert(json_is_null(json_object_get(j, "interface")));
        ck_assert_int_eq(json_integer_value(json_object_get(j, "inode")), 123456);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "cookie")), 0x100000001ll);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "netns")), 4026531840ll);
        ck_assert(json_is_null(json_object_get(j, "netns_name")));
        ck_assert_str_eq(json_string_value(json_object_get(j, "owner_status")), "ok");

        json_t *owners = json_object_get(j, "owners");
        ck_assert_int_eq(json_array_size(owners), 2);
        json_t *m = json_array_get(owners, 0), *w = json_array_get(owners, 1);
        ck_assert_int_eq(json_integer_value(json_object_get(m, "pid")), 812);
        ck_assert_int_eq(json_integer_value(json_object_get(m, "ppid")), 1);
        ck_assert_str_eq(json_string_value(json_object_get(m, "exe")), "/usr/sbin/nginx");
        ck_assert_str_eq(json_string_value(json_object_get(m, "user")), "root");
        ck_assert_str_eq(json_string_value(json_object_get(m, "unit")), "nginx.service");
        ck_assert_str_eq(json_string_value(json_object_get(m, "cgroup")), "/system.slice/nginx.service");
        ck_assert(json_is_null(json_object_get(m, "user_unit")));
        ck_assert_int_eq(json_array_size(json_object_get(m, "fds")), 1);
        ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(w, "fds"), 1)), 9);
        ck_assert(json_is_true(json_object_get(w, "exe_deleted")));
        ck_assert(json_is_true(json_object_get(w, "cmdline_truncated")));
        json_decref(j);
}
END_TEST

START_TEST(hostile_strings_stay_data)
{
        sa_listener l;
        sa_holder h[2];
        int fm[1], fw[2];
        make_listener(&l, h, fm, fw);
        json_t *j = roundtrip(sa_listener_to_json(&l));
        json_t *w = json_array_get(json_object_get(j, "owners"), 1);

        /* Valid bytes survive exactly; the invalid one becomes U+FFFD. */
        ck_assert_str_eq(json_string_value(json_object_get(w, "comm")), "evil\n\x1b[2J\xef\xbf\xbd");
        json_t *argv = json_object_get(w, "cmdline");
        ck_assert_int_eq(json_array_size(argv), 3);
        ck_assert_str_eq(json_string_value(json_array_get(argv, 0)), "evil\nname");
        ck_assert_str_eq(json_string_value(json_array_get(argv, 2)), "bad\xef\xbf\xbdutf8");
        json_decref(j);
}
END_TEST

START_TEST(unknown_owner_and_interface)
{
        sa_listener l = {
                .proto = IPPROTO_UDP, .family = AF_INET, .port = 443, .inode = 7,
                .ifindex = 3, .owner_status = SA_OWNER_UNKNOWN, .owner_reason = "no process holds it",
        };
        inet_pton(AF_INET, "127.0.0.1", l.addr);
        json_t *j = roundtrip(sa_listener_to_json(&l));
        ck_assert_str_eq(json_string_value(json_object_get(j, "proto")), "udp");
        ck_assert_str_eq(json_string_value(json_object_get(j, "address")), "127.0.0.1");
        ck_assert_str_eq(json_string_value(json_object_get(j, "interface")), "if3");
        ck_assert_str_eq(json_string_value(json_object_get(j, "owner_status")), "unknown");
        ck_assert_str_eq(json_string_value(json_object_get(j, "owner_reason")), "no process holds it");
        ck_assert_int_eq(json_array_size(json_object_get(j, "owners")), 0);
        json_decref(j);
}
END_TEST

START_TEST(snapshot_filter)
{
        sa_listener ls[3] = {
                { .proto = IPPROTO_TCP, .family = AF_INET, .port = 80 },
                { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443 },
                { .proto = IPPROTO_UDP, .family = AF_INET6, .port = 443 },
        };
        sa_snapshot snap = { .listeners = ls, .n_listeners = 3 };
        sa_filter f443 = { .port = 443 }, fudp = { .port = 443, .protos = SA_PROTO_UDP };
        json_t *a;

        a = sa_snapshot_listeners_to_json(&snap, NULL);
        ck_assert_int_eq(json_array_size(a), 3);
        json_decref(a);
        a = sa_snapshot_listeners_to_json(&snap, &f443);
        ck_assert_int_eq(json_array_size(a), 2);
        json_decref(a);
        a = sa_snapshot_listeners_to_json(&snap, &fudp);
        ck_assert_int_eq(json_array_size(a), 1);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "proto")), "udp");
        json_decref(a);
}
END_TEST

/* Saved records' names back into enums: absent status is ok, unknown text is unknown. */
START_TEST(names_read_back)
{
#define REC(status, owners) \
        "{\"proto\":\"udp\",\"family\":\"ipv6\",\"address\":\"::1\",\"port\":53,\"inode\":1," \
        "\"cookie\":1,\"uid\":0,\"netns\":1,\"interface\":\"lo\"" status ",\"owners\":[" owners "]}"
#define OWNER(role) \
        "{\"pid\":1,\"ppid\":0,\"uid\":0,\"cmdline\":[],\"fds\":[3]" role "}"
        static const char text[] = "["
                REC("", OWNER(",\"role\":\"activator\"") "," OWNER(",\"role\":\"service\"") "," OWNER("")) ","
                REC(",\"owner_status\":\"partial\"", OWNER(",\"role\":null")) ","
                REC(",\"owner_status\":\"unknown\"", OWNER(",\"role\":\"boss\"")) ","
                REC(",\"owner_status\":\"weird\"", "") "]";
#undef REC
#undef OWNER
        json_t *j = json_loads(text, 0, NULL);
        sa_snapshot *snap = NULL;
        char err[128] = "";

        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(sa_snapshot_from_json(j, &snap, err, sizeof err), 0);
        ck_assert_int_eq(snap->n_listeners, 4);
        const sa_listener *l = snap->listeners;
        ck_assert_int_eq(l[0].proto, IPPROTO_UDP);
        ck_assert_int_eq(l[0].family, AF_INET6);
        ck_assert_str_eq(l[0].ifname, "lo");
        ck_assert_int_eq(l[0].owner_status, SA_OWNER_OK);
        ck_assert_ptr_null(l[0].owner_reason);
        ck_assert_int_eq(l[0].holders[0].role, SA_ROLE_ACTIVATOR);
        ck_assert_int_eq(l[0].holders[1].role, SA_ROLE_SERVICE);
        ck_assert_int_eq(l[0].holders[2].role, SA_ROLE_NONE);
        ck_assert_int_eq(l[1].owner_status, SA_OWNER_PARTIAL);
        ck_assert_int_eq(l[1].holders[0].role, SA_ROLE_NONE);
        ck_assert_int_eq(l[2].owner_status, SA_OWNER_UNKNOWN);
        ck_assert_int_eq(l[2].holders[0].role, SA_ROLE_NONE);
        ck_assert_int_eq(l[3].owner_status, SA_OWNER_UNKNOWN);
        ck_assert_ptr_nonnull(l[3].owner_reason);

        /* Written again, a role is the same word. */
        json_t *again = sa_listener_to_json(&l[0]);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(again, "owners"), 0),
                                                           "role")), "activator");
        json_decref(again);
        sa_snapshot_free(snap);
        json_decref(j);
}
END_TEST

/* text (len bytes) is exactly json_dumpb(j, JSON_COMPACT); j consumed. */
static void assert_text_is_dump(const char *text, size_t len, json_t *j)
{
        char *want;

        ck_assert_ptr_nonnull(j);
        want = json_dumps(j, JSON_COMPACT);
        ck_assert_ptr_nonnull(want);
        ck_assert_uint_eq(len, strlen(want));
        ck_assert_msg(memcmp(text, want, len) == 0, "%.*s\n!=\n%s", (int) len, text, want);
        free(want);
        json_decref(j);
}

/*
 * The hand-written shell and hold text are jansson's dump byte for byte:
 * every ASCII byte, invalid and 4-byte UTF-8 in the untrusted names,
 * numbers past INT64_MAX, IPv6 with an interface, activators; and a
 * buffer too small gets the prefix and the whole length.
 */
START_TEST(shell_text_is_the_dump)
{
        static int fds[3] = { 0, 7, 65535 };
        sa_holder h[2];
        int fm[1], fw[2];
        sa_listener l;
        char buf[4096], small[16];
        size_t n;

        make_listener(&l, h, fm, fw);
        for (unsigned pass = 0; pass < 4; pass++) {
                /* Names of every ASCII byte (a netns name holds 63 at most), then hostile UTF-8. */
                for (unsigned c = 1; c < 0x80; c++)
                        if (pass < 2)
                                l.netns_name[(c - 1) % 63] = (char) (pass == 0 ? c : 0x80 - c);
                l.netns_name[63] = '\0';
                if (pass >= 2)
                        strcpy(l.netns_name, pass == 2 ? "bad\xff\xfe utf8 \xc0\xaf" : "ok \xf0\x9f\x98\x80 \xe2\x80\xae");
                l.ifindex = pass % 2 ? 3 : 0;
                snprintf(l.ifname, sizeof l.ifname, "%s", pass == 1 ? "e\"th\\0\x1b\x7f" : "\xff\xfeth0");
                l.cookie = pass == 1 ? UINT64_MAX : 12345;
                l.owner_reason = pass == 3 ? "why \"\n\t\b\f\r\x01" : NULL;
                l.owner_status = pass == 3 ? SA_OWNER_UNKNOWN : SA_OWNER_OK;
                l.family = pass == 2 ? AF_INET : AF_INET6;
                n = sa_listener_shell_text(&l, &sa_json_limits_default, buf, sizeof buf);
                ck_assert_uint_le(n, sizeof buf);
                assert_text_is_dump(buf, n, sa_listener_to_json_shell(&l, &sa_json_limits_default));
                /* Owners over the limit: "owners_truncated". */
                l.n_holders = pass == 3 ? 100 : 2;
                n = sa_listener_shell_text(&l, &sa_json_limits_default, buf, sizeof buf);
                assert_text_is_dump(buf, n, sa_listener_to_json_shell(&l, &sa_json_limits_default));
                l.n_holders = 2;
        }
        n = sa_listener_shell_text(&l, NULL, buf, sizeof buf);
        memset(small, '#', sizeof small);
        ck_assert_uint_eq(sa_listener_shell_text(&l, NULL, small, 10), n);
        ck_assert_int_eq(memcmp(small, buf, 10), 0);
        ck_assert_int_eq(small[10], '#');

        sa_holder a = { .fds = fds, .n_fds = 3, .role = SA_ROLE_ACTIVATOR,
                        .socket_unit = "a\x01\"b.socket", .service_unit = "\xff.service" };
        for (unsigned pass = 0; pass < 4; pass++) {
                a.role = pass == 0 ? SA_ROLE_ACTIVATOR : pass == 1 ? SA_ROLE_SERVICE : SA_ROLE_NONE;
                a.n_fds = pass == 3 ? 0 : 3;
                a.service_unit = pass == 2 ? NULL : a.service_unit;
                n = sa_holder_hold_text(&a, buf, sizeof buf);
                assert_text_is_dump(buf, n, sa_holder_hold_to_json(&a));
        }
        a.role = SA_ROLE_ACTIVATOR;
        a.service_unit = NULL;
        n = sa_holder_hold_text(&a, buf, sizeof buf);
        assert_text_is_dump(buf, n, sa_holder_hold_to_json(&a));
}
END_TEST

Suite *json_suite(void)
{
        Suite *s = suite_create("json");
        TCase *tc = tcase_create("records");
        tcase_add_test(tc, listener_record_fields);
        tcase_add_test(tc, hostile_strings_stay_data);
        tcase_add_test(tc, unknown_owner_and_interface);
        tcase_add_test(tc, snapshot_filter);
        tcase_add_test(tc, names_read_back);
        tcase_add_test(tc, shell_text_is_the_dump);
        suite_add_tcase(s, tc);
        return s;
}
