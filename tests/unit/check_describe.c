/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "describe.h"

#define TIMES "\xc3\x97"      /* U+00D7 */

static sa_process apache = { .pid = 100, .comm = "apache2", .exe = "/usr/sbin/apache2",
                             .uid = 33, .user = "www-data", .unit = "apache2.service" };
static sa_process nameless = { .pid = 4242, .comm = "socat", .exe = "/usr/bin/socat", .uid = 4242 };
static sa_process app = { .pid = 7, .comm = "app", .uid = 1000, .user = "alice",
                          .unit = "user@1000.service", .user_unit = "app.service" };

static sa_listener mk(int family, const char *addr, const char *netns_name, sa_holder *h, size_t n)
{
        sa_listener l = { .proto = IPPROTO_TCP, .family = (uint8_t) family, .port = 443,
                          .netns = 4026532999u, .holders = h, .n_holders = n };
        ck_assert_int_eq(inet_pton(family, addr, l.addr), 1);
        snprintf(l.netns_name, sizeof l.netns_name, "%s", netns_name);
        return l;
}

static void expect_listener(const sa_listener *l, const char *want)
{
        char *got = NULL;
        ck_assert_int_eq(sa_describe_listener(l, &got), 0);
        ck_assert_str_eq(got, want);
        free(got);
}

START_TEST(listener_place)
{
        sa_listener l = mk(AF_INET, "0.0.0.0", "host", NULL, 0);
        expect_listener(&l, "443/tcp on 0.0.0.0");
        l = mk(AF_INET6, "::", "host", NULL, 0);
        expect_listener(&l, "443/tcp on [::]");
        l = mk(AF_INET, "0.0.0.0", "trialE", NULL, 0);
        expect_listener(&l, "443/tcp on 0.0.0.0 in netns trialE");
        l = mk(AF_INET6, "fe80::1", "", NULL, 0);
        snprintf(l.ifname, sizeof l.ifname, "eth0");
        l.proto = IPPROTO_UDP;
        expect_listener(&l, "443/udp on [fe80::1]%eth0 in netns net:[4026532999]");
}
END_TEST

START_TEST(user_and_unit)
{
        char buf[64];
        ck_assert_str_eq(sa_describe_user(&apache, buf, sizeof buf), "www-data");
        ck_assert_str_eq(sa_describe_user(&nameless, buf, sizeof buf), "4242");
        ck_assert_str_eq(sa_describe_unit(&apache, buf, sizeof buf), "apache2.service");
        ck_assert_str_eq(sa_describe_unit(&app, buf, sizeof buf), "user@1000.service/app.service");
        ck_assert_ptr_null(sa_describe_unit(&nameless, buf, sizeof buf));
}
END_TEST

static void expect_owners(const sa_listener *l, const char *want)
{
        char *got = NULL;
        ck_assert_int_eq(sa_describe_owners(l, &got), 0);
        ck_assert_str_eq(got, want);
        free(got);
}

START_TEST(one_line_per_program)
{
        sa_process workers[12];
        sa_holder h[16];
        sa_listener l;

        for (size_t i = 0; i < 12; i++) {
                workers[i] = apache;
                workers[i].pid = (pid_t) (100 + i);
                h[i] = (sa_holder) { .proc = &workers[i] };
        }
        l = mk(AF_INET, "0.0.0.0", "host", h, 12);
        expect_owners(&l, "apache2 (www-data, apache2.service) " TIMES "12");
        h[12] = (sa_holder) { .proc = &nameless };
        l.n_holders = 13;
        expect_owners(&l, "apache2 (www-data, apache2.service) " TIMES "12, socat[4242] (4242)");
        l = mk(AF_INET, "0.0.0.0", "host", NULL, 0);
        expect_owners(&l, "no process found");
}
END_TEST

START_TEST(programs_bounded)
{
        sa_process p[7];
        sa_holder h[7];
        char comm[7][8];

        for (size_t i = 0; i < 7; i++) {
                snprintf(comm[i], sizeof comm[i], "p%zu", i);
                p[i] = nameless;
                p[i].comm = comm[i];
                p[i].pid = (pid_t) (10 + i);
                h[i] = (sa_holder) { .proc = &p[i] };
        }
        sa_listener l = mk(AF_INET, "0.0.0.0", "host", h, 7);
        expect_owners(&l, "p0[10] (4242), p1[11] (4242), p2[12] (4242), p3[13] (4242) and 3 more processes");
}
END_TEST

Suite *describe_suite(void)
{
        Suite *s = suite_create("describe");
        TCase *tc = tcase_create("describe");

        tcase_add_test(tc, listener_place);
        tcase_add_test(tc, user_and_unit);
        tcase_add_test(tc, one_line_per_program);
        tcase_add_test(tc, programs_bounded);
        suite_add_tcase(s, tc);
        return s;
}
