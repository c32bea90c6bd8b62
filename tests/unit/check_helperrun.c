/* SPDX-License-Identifier: MIT */
/* A helper's output bounded in size and time, its failure told apart (lib/helperrun.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provhelper.h"

static int run_sh(const char *script, int pass_fd, size_t max, int ms, char **out, size_t *len)
{
        char *argv[] = { "sh", "-c", (char *) script, NULL };

        return sa_helper_run("/bin/sh", argv, pass_fd, max, ms, out, len);
}

START_TEST(output_read)
{
        char *out = NULL;
        size_t len = 0;

        ck_assert_int_eq(run_sh("echo hello", -1, 64, 5000, &out, &len), 0);
        ck_assert_uint_eq(len, 6);
        ck_assert_str_eq(out, "hello\n");
        free(out);
}
END_TEST

START_TEST(bounds_and_failures)
{
        char *out = NULL;
        size_t len = 0;

        ck_assert_int_eq(run_sh("yes", -1, 4096, 5000, &out, &len), -EMSGSIZE);
        ck_assert_int_eq(run_sh("sleep 5", -1, 64, 100, &out, &len), -ETIMEDOUT);
        ck_assert_int_eq(run_sh("echo x; exit 3", -1, 64, 5000, &out, &len), -ENOEXEC);
        ck_assert_int_eq(sa_helper_run("/nonexistent", (char *[]) { "x", NULL }, -1, 64, 5000, &out, &len),
                         -ENOEXEC);
}
END_TEST

/* sa_helper_output: the output whatever the exit, a program not started told apart. */
START_TEST(output_any_exit)
{
        char *argv[] = { "sh", "-c", "echo x; exit 3", NULL }, *out = NULL;
        size_t len = 0;

        ck_assert_int_eq(sa_helper_output("/bin/sh", argv, 64, 5000, &out, &len), 0);
        ck_assert_str_eq(out, "x\n");
        free(out);
        ck_assert_int_eq(sa_helper_output("/nonexistent", (char *[]) { "x", NULL }, 64, 5000, &out, &len),
                         -ECHILD);
        ck_assert_int_eq(sa_helper_output("/", (char *[]) { "x", NULL }, 64, 5000, &out, &len), -ECHILD);
}
END_TEST

/* The passed fd is the helper's 3, also when it already is 3 and close-on-exec. */
START_TEST(fd_passed)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), moved;
        char *out = NULL;
        size_t len = 0;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(run_sh("readlink /proc/self/fd/3", fd, 64, 5000, &out, &len), 0);
        ck_assert_str_eq(out, "/dev/null\n");
        free(out);
        if (fd != 3) {
                moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (moved == 3) {
                        ck_assert_int_eq(run_sh("readlink /proc/self/fd/3", 3, 64, 5000, &out, &len), 0);
                        ck_assert_str_eq(out, "/dev/null\n");
                        free(out);
                }
                close(moved);
        }
        close(fd);
}
END_TEST

Suite *helperrun_suite(void)
{
        Suite *s = suite_create("helperrun");
        TCase *tc = tcase_create("helperrun");

        tcase_add_test(tc, output_read);
        tcase_add_test(tc, bounds_and_failures);
        tcase_add_test(tc, output_any_exit);
        tcase_add_test(tc, fd_passed);
        suite_add_tcase(s, tc);
        return s;
}
