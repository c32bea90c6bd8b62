/* SPDX-License-Identifier: MIT */
/* Prometheus label values (daemon/metrics.c): escaped, bounded, valid UTF-8; MetricsFile= parsed. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"

static void escapes_to(const char *in, const char *want)
{
        char *got = metrics_escape(in);

        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, want);
        free(got);
}

START_TEST(metrics_escape_hostile)
{
        escapes_to(NULL, "");
        escapes_to("nginx", "nginx");
        escapes_to("a\"b\\c\nd", "a\\\"b\\\\c\\nd");
        escapes_to("\\\\", "\\\\\\\\");
        escapes_to("tab\there", "tab\there");
        escapes_to("bad \xff byte", "bad \xef\xbf\xbd byte");
}
END_TEST

START_TEST(metrics_escape_bounded)
{
        char in[METRICS_LABEL_MAX * 2 + 1];
        char *got;

        memset(in, '"', sizeof in - 1);
        in[sizeof in - 1] = '\0';
        got = metrics_escape(in);
        ck_assert_ptr_nonnull(got);
        /* 256 quotes kept, each written as two bytes. */
        ck_assert_uint_eq(strlen(got), METRICS_LABEL_MAX * 2);
        free(got);
        /* A cut in the middle of a UTF-8 sequence leaves U+FFFD, not half a character. */
        memset(in, 'x', METRICS_LABEL_MAX - 1);
        memcpy(in + METRICS_LABEL_MAX - 1, "\xc3\xa9", 3);
        got = metrics_escape(in);
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got + METRICS_LABEL_MAX - 1, "\xef\xbf\xbd");
        free(got);
}
END_TEST

START_TEST(metrics_file_key)
{
        daemon_config *c = NULL;
        char err[256];

        ck_assert_int_eq(config_new_default(&c), 0);
        ck_assert_str_eq(c->metrics_file, "");
        config_free(c);
        c = NULL;
        ck_assert_int_eq(config_load_string("[Daemon]\nMetricsFile=/var/lib/x/s.prom\n", "t", err, sizeof err, &c), 0);
        ck_assert_str_eq(c->metrics_file, "/var/lib/x/s.prom");
        config_free(c);
        c = NULL;
        ck_assert_int_eq(config_load_string("[Daemon]\nMetricsFile=rel.prom\n", "t", err, sizeof err, &c), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "MetricsFile=: needs an absolute path"));
        ck_assert_ptr_null(c);
}
END_TEST

Suite *metrics_suite(void)
{
        Suite *s = suite_create("metrics");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, metrics_escape_hostile);
        tcase_add_test(tc, metrics_escape_bounded);
        tcase_add_test(tc, metrics_file_key);
        suite_add_tcase(s, tc);
        return s;
}
