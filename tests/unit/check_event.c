/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "event.h"

static sa_process nginx = { .pid = 812, .comm = "nginx", .exe = "/usr/sbin/nginx",
                            .user = "root", .unit = "nginx.service" };
static sa_process worker = { .pid = 813, .comm = "nginx", .exe = "/usr/sbin/nginx",
                             .user = "root", .unit = "nginx.service" };
static sa_process hostile = { .pid = 66, .comm = "x\nSOCKAUDIT_PID=1\x1b[2J", .exe = "/tmp/a\nb",
                              .user = "nobody" };

static sa_listener mk(sa_holder *h, size_t n)
{
        return (sa_listener) { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443,
                               .netns = 4026531840u, .netns_name = "host", .inode = 99, .holders = h,
                               .n_holders = n };
}

/* Values of FIELD in e, in order, as NUL-terminated copies in out[]. */
static size_t values(const journal_entry *e, const char *field, const char **out, size_t max)
{
        size_t n = 0, fl = strlen(field);
        for (size_t i = 0; i < e->n && n < max; i++) {
                const char *s = e->iov[i].iov_base;
                ck_assert_uint_eq(strlen(s), e->iov[i].iov_len);
                if (!strncmp(s, field, fl) && s[fl] == '=')
                        out[n++] = s + fl + 1;
        }
        return n;
}

START_TEST(messages_read_like_a_sentence)
{
        sa_holder h[2] = { { .proc = &nginx }, { .proc = &worker } }, r[1] = { { .proc = &hostile } };
        sa_listener a = mk(h, 2), b = mk(r, 1), none = mk(NULL, 0);
        char *m;

        m = event_message(EVENT_LISTENER_ADDED, &a, NULL, NULL);
        ck_assert_str_eq(m, "443/tcp on 0.0.0.0 opened by nginx (root, nginx.service) \xc3\x97" "2");
        free(m);
        m = event_message(EVENT_OWNER_CHANGED, &b, &a, NULL);
        ck_assert_str_eq(m, "443/tcp on 0.0.0.0 now owned by x\\nSOCKAUDIT_PID=1\\x1b[2J[66] (nobody) "
                            "(was nginx (root, nginx.service) \xc3\x97" "2)");
        free(m);
        m = event_message(EVENT_LISTENER_REMOVED, &none, NULL, NULL);
        ck_assert_str_eq(m, "443/tcp on 0.0.0.0 closed (was no process found)");
        free(m);
        m = event_message(EVENT_POLICY_VIOLATION, &b, NULL, "owner x not allowed");
        ck_assert_str_eq(m, "443/tcp on 0.0.0.0: policy violation: owner x not allowed");
        free(m);
}
END_TEST

START_TEST(journal_fields)
{
        sa_holder h[2] = { { .proc = &nginx }, { .proc = &worker } };
        sa_listener a = mk(h, 2);
        journal_entry *e = event_journal_entry(EVENT_LISTENER_ADDED, &a, NULL, NULL);
        const char *v[8];

        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->priority, LOG_NOTICE);
        ck_assert_int_eq(values(e, "MESSAGE_ID", v, 8), 1);
        ck_assert_str_eq(v[0], SA_MESSAGE_ID_LISTENER_ADDED);
        ck_assert_int_eq(values(e, "PRIORITY", v, 8), 1);
        ck_assert_str_eq(v[0], "5");
        ck_assert_int_eq(values(e, "SOCKAUDIT_EVENT", v, 8), 1);
        ck_assert_str_eq(v[0], "listener_added");
        ck_assert_int_eq(values(e, "SOCKAUDIT_PORT", v, 8), 1);
        ck_assert_str_eq(v[0], "443");
        ck_assert_int_eq(values(e, "SOCKAUDIT_ADDRESS", v, 8), 1);
        ck_assert_str_eq(v[0], "0.0.0.0");
        ck_assert_int_eq(values(e, "SOCKAUDIT_NETNS", v, 8), 1);
        ck_assert_str_eq(v[0], "4026531840");
        /* Both pids; the program once. */
        ck_assert_int_eq(values(e, "SOCKAUDIT_PID", v, 8), 2);
        ck_assert_str_eq(v[1], "813");
        ck_assert_int_eq(values(e, "SOCKAUDIT_EXE", v, 8), 1);
        ck_assert_int_eq(values(e, "SOCKAUDIT_UNIT", v, 8), 1);
        ck_assert_str_eq(v[0], "nginx.service");
        journal_entry_free(e);
}
END_TEST

START_TEST(untrusted_values_cannot_forge)
{
        sa_holder h[1] = { { .proc = &hostile } };
        sa_listener a = mk(h, 1);
        journal_entry *e = event_journal_entry(EVENT_POLICY_VIOLATION, &a, NULL, "bad\nPRIORITY=7");
        const char *v[8];

        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->priority, LOG_WARNING);
        for (size_t i = 0; i < e->n; i++)
                ck_assert_msg(memchr(e->iov[i].iov_base, '\n', e->iov[i].iov_len) == NULL,
                              "raw newline in %s", (char *) e->iov[i].iov_base);
        ck_assert_int_eq(values(e, "SOCKAUDIT_PID", v, 8), 1);
        ck_assert_str_eq(v[0], "66");
        ck_assert_int_eq(values(e, "PRIORITY", v, 8), 1);
        ck_assert_str_eq(v[0], "4");
        ck_assert_int_eq(values(e, "SOCKAUDIT_COMM", v, 8), 1);
        ck_assert_str_eq(v[0], "x\\nSOCKAUDIT_PID=1\\x1b[2J");
        journal_entry_free(e);
}
END_TEST

START_TEST(event_json_shape)
{
        sa_holder h[1] = { { .proc = &nginx } }, r[1] = { { .proc = &hostile } };
        sa_listener before = mk(h, 1), after = mk(r, 1);
        struct timespec t = { .tv_sec = 1795446245, .tv_nsec = 123456000 };
        json_t *ev = event_to_json(EVENT_OWNER_CHANGED, &t, &after, &before, NULL);

        ck_assert_ptr_nonnull(ev);
        ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "owner_changed");
        ck_assert_str_eq(json_string_value(json_object_get(ev, "time")), "2026-11-23T15:04:05.123456Z");
        json_t *owners = json_object_get(json_object_get(ev, "listener"), "owners");
        ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(owners, 0), "pid")), 66);
        json_t *prev = json_object_get(ev, "previous_owners");
        ck_assert_int_eq(json_array_size(prev), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(prev, 0), "pid")), 812);
        ck_assert(json_is_null(json_object_get(ev, "reason")));
        json_decref(ev);

        ev = event_to_json(EVENT_LISTENER_ADDED, &t, &after, NULL, NULL);
        ck_assert_int_eq(json_array_size(json_object_get(ev, "previous_owners")), 0);
        json_decref(ev);
}
END_TEST

/* A package violation: its own MESSAGE_ID, the kind, and that owner's package facts only. */
START_TEST(violation_entry_carries_the_package)
{
        static const sa_exe_provenance good = { .status = SA_PROV_VERIFIED, .exe_sha256 = "aa", .package = "nginx",
                                                .version = "1.22.1-9+deb12u1", .reason = "verified" };
        static const sa_exe_provenance bad = { .status = SA_PROV_MODIFIED, .exe_sha256 = "bb",
                                               .package = "nginx\nPRIORITY=7", .version = "1", .reason = "differs" };
        sa_process master = nginx, swapped = { .pid = 900, .comm = "nginx", .exe = "/usr/sbin/nginx",
                                               .user = "www-data", .provenance = &bad };
        sa_holder h[2] = { { .proc = &master }, { .proc = &swapped } };
        sa_listener a = mk(h, 2);
        violation viol = { .listener = &a, .owner = &swapped, .kind = VIOLATION_EXE_MODIFIED, .reason = "modified" };
        struct timespec now = { 0 };
        const char *v[8];
        journal_entry *e;

        master.provenance = &good;
        e = event_violation_journal_entry(&viol);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->priority, LOG_WARNING);
        ck_assert_int_eq(values(e, "MESSAGE_ID", v, 8), 1);
        ck_assert_str_eq(v[0], SA_MESSAGE_ID_EXE_MODIFIED);
        ck_assert_int_eq(values(e, "SOCKAUDIT_EVENT", v, 8), 1);
        ck_assert_str_eq(v[0], "policy_violation");
        ck_assert_int_eq(values(e, "SOCKAUDIT_VIOLATION", v, 8), 1);
        ck_assert_str_eq(v[0], "exe_modified");
        ck_assert_int_eq(values(e, "SOCKAUDIT_PACKAGE", v, 8), 1);
        ck_assert_str_eq(v[0], "nginx\\nPRIORITY=7");       /* escaped like every untrusted value */
        ck_assert_int_eq(values(e, "SOCKAUDIT_PACKAGE_STATUS", v, 8), 1);
        ck_assert_str_eq(v[0], "modified");
        ck_assert_int_eq(values(e, "SOCKAUDIT_EXE_SHA256", v, 8), 1);
        ck_assert_str_eq(v[0], "bb");
        ck_assert_int_eq(values(e, "PRIORITY", v, 8), 1);
        journal_entry_free(e);

        /* Other kinds keep policy_violation's MESSAGE_ID. */
        viol.kind = VIOLATION_USER;
        e = event_violation_journal_entry(&viol);
        ck_assert_int_eq(values(e, "MESSAGE_ID", v, 8), 1);
        ck_assert_str_eq(v[0], SA_MESSAGE_ID_POLICY_VIOLATION);
        journal_entry_free(e);
        viol.kind = VIOLATION_PACKAGE;
        json_t *ev = event_violation_to_json(&now, &viol);
        ck_assert_str_eq(json_string_value(json_object_get(ev, "violation")), "package_not_allowed");
        ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "policy_violation");
        json_decref(ev);

        /* Other events: each distinct program's facts, where known. */
        e = event_journal_entry(EVENT_LISTENER_ADDED, &a, NULL, NULL);
        ck_assert_int_eq(values(e, "SOCKAUDIT_PACKAGE_STATUS", v, 8), 2);
        ck_assert_str_eq(v[0], "verified");
        ck_assert_int_eq(values(e, "SOCKAUDIT_PACKAGE_VERSION", v, 8), 2);
        ck_assert_str_eq(v[0], "1.22.1-9+deb12u1");
        journal_entry_free(e);
        master.provenance = NULL;
        e = event_journal_entry(EVENT_LISTENER_ADDED, &a, NULL, NULL);
        ck_assert_int_eq(values(e, "SOCKAUDIT_PACKAGE_STATUS", v, 8), 1);
        journal_entry_free(e);
}
END_TEST

Suite *event_suite(void)
{
        Suite *s = suite_create("event");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, messages_read_like_a_sentence);
        tcase_add_test(tc, journal_fields);
        tcase_add_test(tc, untrusted_values_cannot_forge);
        tcase_add_test(tc, event_json_shape);
        tcase_add_test(tc, violation_entry_carries_the_package);
        suite_add_tcase(s, tc);
        return s;
}
