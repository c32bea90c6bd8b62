/* SPDX-License-Identifier: MIT */
/* lib/tlsprobe.c's adopted probes (a transient unit's pipe) and the helper's argv. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlsprobe.h"

/* A probe on a pipe whose write end is returned in *w. */
static sa_tls_probe *adopted(int timeout_ms, int *w)
{
        int p[2];
        sa_tls_probe *probe = NULL;

        ck_assert_int_eq(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        ck_assert_int_eq(sa_tls_probe_adopt(p[0], timeout_ms, &probe), 0);
        ck_assert_int_eq(sa_tls_probe_fd(probe), p[0]);
        *w = p[1];
        return probe;
}

START_TEST(adopted_report_read_at_eof)
{
        static const char report[] = "{\"status\":\"not_tls\",\"error\":\"the peer does not speak TLS\"}";
        json_t *o = NULL;
        int w;
        sa_tls_probe *p = adopted(5000, &w);

        ck_assert_int_eq(write(w, report, 10), 10);
        ck_assert_int_eq(sa_tls_probe_collect(p, &o), -EAGAIN);
        ck_assert_int_eq(write(w, report + 10, sizeof(report) - 11), (ssize_t) sizeof(report) - 11);
        close(w);
        ck_assert_int_eq(sa_tls_probe_collect(p, &o), 0);
        ck_assert_str_eq(json_string_value(json_object_get(o, "status")), "not_tls");
        ck_assert_ptr_nonnull(json_string_value(json_object_get(o, "probed_at")));
        /* Collected once: nothing to reap, nothing more to read. */
        ck_assert_int_eq(sa_tls_probe_collect(p, &o), -EINVAL);
        json_decref(o);
        sa_tls_probe_free(p);
}
END_TEST

START_TEST(adopted_deadline_and_silence)
{
        json_t *o = NULL;
        int w;
        sa_tls_probe *p = adopted(20, &w);

        usleep(40 * 1000);
        ck_assert_int_eq(sa_tls_probe_collect(p, &o), 0);
        ck_assert_str_eq(json_string_value(json_object_get(o, "error")), "timeout");
        json_decref(o);
        close(w);
        sa_tls_probe_free(p);
        p = adopted(5000, &w);
        close(w);
        ck_assert_int_eq(sa_tls_probe_collect(p, &o), 0);
        ck_assert_str_eq(json_string_value(json_object_get(o, "error")), "the probe ended without a report");
        json_decref(o);
        sa_tls_probe_free(p);
}
END_TEST

START_TEST(adopt_refuses_bad_arguments)
{
        sa_tls_probe *p = NULL;

        ck_assert_int_eq(sa_tls_probe_adopt(-1, 1000, &p), -EINVAL);
        ck_assert_int_eq(sa_tls_probe_adopt(0, 0, &p), -EINVAL);
        ck_assert_int_eq(sa_tls_probe_adopt(0, SA_TLS_TIMEOUT_MS_MAX + 1, &p), -EINVAL);
        ck_assert_ptr_null(p);
}
END_TEST

START_TEST(helper_argv_as_the_child_execs)
{
        char long_name[SA_TLS_SNI_LEN_MAX + 2];
        const char *sni[] = { "a.example", "", long_name, "b.example" };
        sa_tls_target t = { .family = AF_INET6, .port = 443, .sni = sni, .n_sni = 4 };
        sa_tls_argv a;

        memset(long_name, 'x', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        t.addr[15] = 1;
        ck_assert_int_eq(sa_tls_helper_argv(&t, 3750, &a), 0);
        ck_assert_str_eq(a.argv[0], "sockaudit-tlsprobe");
        ck_assert_str_eq(a.argv[1], "ipv6");
        ck_assert_str_eq(a.argv[2], "::1");
        ck_assert_str_eq(a.argv[3], "443");
        ck_assert_str_eq(a.argv[4], "3750");
        /* Empty and overlong names are left out, as the helper would refuse them. */
        ck_assert_str_eq(a.argv[5], "a.example");
        ck_assert_str_eq(a.argv[6], "b.example");
        ck_assert_ptr_null(a.argv[7]);
        ck_assert_int_eq(sa_tls_helper_argv(&t, -5, &a), 0);
        ck_assert_str_eq(a.argv[4], "0");
        t.family = AF_INET;
        memcpy(t.addr, (const unsigned char[]) { 127, 0, 0, 1 }, 4);
        ck_assert_int_eq(sa_tls_helper_argv(&t, 1, &a), 0);
        ck_assert_str_eq(a.argv[1], "ipv4");
        ck_assert_str_eq(a.argv[2], "127.0.0.1");
}
END_TEST

Suite *tlsadopt_suite(void)
{
        Suite *s = suite_create("tlsadopt");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, adopted_report_read_at_eof);
        tcase_add_test(tc, adopted_deadline_and_silence);
        tcase_add_test(tc, adopt_refuses_bad_arguments);
        tcase_add_test(tc, helper_argv_as_the_child_execs);
        suite_add_tcase(s, tc);
        return s;
}
