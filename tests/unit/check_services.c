/* SPDX-License-Identifier: MIT */
/* Service names to ports from a services(5) file (cli/services.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services.h"
#include "sockaudit.h"

static char path[] = "/tmp/sa-services-XXXXXX";

static void write_fixture(void)
{
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

        ck_assert_ptr_nonnull(f);
        fputs("# comment line\n"
              "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n"
              "https\t\t443/tcp\n"
              "https\t\t443/udp\n"
              "bootps\t\t67/udp\n"
              "odd\t\t1234/sctp\n"
              "broken\t\t99999/tcp\n"
              "nonum\t\tabc/tcp\n", f);
        /* A line longer than the reader's buffer is skipped, whole. */
        for (int i = 0; i < 3000; i++)
                fputc('x', f);
        fputs(" 7/tcp longname\n"
              "echo 7/tcp\n", f);
        ck_assert_int_eq(fclose(f), 0);
}

static void remove_fixture(void)
{
        unlink(path);
}

static int lookup(const char *name, unsigned protos, uint16_t *port)
{
        return services_lookup(path, name, protos, port);
}

START_TEST(names_and_aliases)
{
        uint16_t port = 0;

        ck_assert_int_eq(lookup("https", 0, &port), 0);
        ck_assert_uint_eq(port, 443);
        ck_assert_int_eq(lookup("www", SA_PROTO_TCP, &port), 0);
        ck_assert_uint_eq(port, 80);
        ck_assert_int_eq(lookup("echo", 0, &port), 0);
        ck_assert_uint_eq(port, 7);
}
END_TEST

START_TEST(protocol_must_match)
{
        uint16_t port = 1;

        ck_assert_int_eq(lookup("bootps", SA_PROTO_TCP, &port), -ENOENT);
        ck_assert_int_eq(lookup("http", SA_PROTO_UDP, &port), -ENOENT);
        ck_assert_uint_eq(port, 1);
        ck_assert_int_eq(lookup("bootps", SA_PROTO_UDP, &port), 0);
        ck_assert_uint_eq(port, 67);
}
END_TEST

START_TEST(bad_entries_and_unknown_names)
{
        uint16_t port = 1;

        ck_assert_int_eq(lookup("odd", 0, &port), -ENOENT);
        ck_assert_int_eq(lookup("broken", 0, &port), -ENOENT);
        ck_assert_int_eq(lookup("nonum", 0, &port), -ENOENT);
        ck_assert_int_eq(lookup("longname", 0, &port), -ENOENT);
        ck_assert_int_eq(lookup("comment", 0, &port), -ENOENT);
        ck_assert_int_eq(lookup("WorldWideWeb", 0, &port), -ENOENT);
        ck_assert_int_eq(services_lookup("/nonexistent/services", "http", 0, &port), -ENOENT);
        ck_assert_uint_eq(port, 1);
}
END_TEST

Suite *services_suite(void)
{
        Suite *s = suite_create("services");
        TCase *tc = tcase_create("services");

        tcase_add_unchecked_fixture(tc, write_fixture, remove_fixture);
        tcase_add_test(tc, names_and_aliases);
        tcase_add_test(tc, protocol_must_match);
        tcase_add_test(tc, bad_entries_and_unknown_names);
        suite_add_tcase(s, tc);
        return s;
}
