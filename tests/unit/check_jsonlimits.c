/* SPDX-License-Identifier: MIT */
/* Bounds on records in JSON (sa_json_limits): owners per listener, command line bytes. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockaudit.h"

/* Bytes of a "cmdline" array as /proc counts them: each argument and its NUL. */
static size_t cmdline_bytes(const json_t *proc)
{
        const json_t *a = json_object_get(proc, "cmdline"), *v;
        size_t i, n = 0;

        json_array_foreach(a, i, v)
                n += json_string_length(v) + 1;
        return n;
}

/* 130 KiB of control bytes in 40 arguments, as a hostile process sets it. */
START_TEST(cmdline_cut_in_listings)
{
        enum { NARGS = 40, ARG = 130 * 1024 / NARGS };
        char *args[NARGS + 1];
        sa_process p = { .pid = 4242, .uid = 65534, .argv = args, .argc = NARGS };
        json_t *j;

        for (size_t i = 0; i < NARGS; i++) {
                ck_assert_ptr_nonnull(args[i] = malloc(ARG + 1));
                for (size_t k = 0; k < ARG; k++)
                        args[i][k] = (char) (1 + (k % 31));
                args[i][ARG] = '\0';
        }
        args[NARGS] = NULL;

        j = sa_process_to_json(&p);
        ck_assert_ptr_nonnull(j);
        ck_assert_uint_le(cmdline_bytes(j), SA_JSON_CMDLINE_MAX);
        ck_assert_uint_ge(cmdline_bytes(j), SA_JSON_CMDLINE_MAX - 1);
        ck_assert(json_is_true(json_object_get(j, "cmdline_truncated")));
        ck_assert_mem_eq(json_string_value(json_array_get(json_object_get(j, "cmdline"), 0)), args[0], ARG);
        json_decref(j);

        /* No bound: all of it. */
        j = sa_process_to_json_limited(&p, NULL);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "cmdline")), NARGS);
        ck_assert_uint_eq(cmdline_bytes(j), (size_t) NARGS * (ARG + 1));
        ck_assert(json_is_false(json_object_get(j, "cmdline_truncated")));
        json_decref(j);
        for (size_t i = 0; i < NARGS; i++)
                free(args[i]);
}
END_TEST

/* A command line that just fits is not cut; one more argument, even empty, is. */
START_TEST(cmdline_exact_fit)
{
        static char a[2048], b[2048];
        char *args[] = { a, b, (char *) "", NULL };
        sa_process p = { .pid = 1, .argv = args, .argc = 2 };
        json_t *j;

        memset(a, 'a', sizeof a - 1);
        memset(b, 'b', sizeof b - 1);
        j = sa_process_to_json(&p);
        ck_assert_uint_eq(cmdline_bytes(j), SA_JSON_CMDLINE_MAX);
        ck_assert(json_is_false(json_object_get(j, "cmdline_truncated")));
        json_decref(j);

        p.argc = 3;
        j = sa_process_to_json(&p);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "cmdline")), 2);
        ck_assert(json_is_true(json_object_get(j, "cmdline_truncated")));
        json_decref(j);
}
END_TEST

/* The cut never splits a character: no U+FFFD appears where the text was valid. */
START_TEST(cmdline_cut_on_character)
{
        static char arg[6001];
        char *args[] = { arg, NULL };
        sa_process p = { .pid = 1, .argv = args, .argc = 1 };
        sa_json_limits lim = { .cmdline_max = 102 };
        const char *s;
        json_t *j;

        for (size_t i = 0; i + 2 <= 6000; i += 2)
                memcpy(arg + i, "\xc3\xa9", 2); /* é */
        j = sa_process_to_json_limited(&p, &lim);
        s = json_string_value(json_array_get(json_object_get(j, "cmdline"), 0));
        ck_assert_uint_eq(strlen(s), 100);
        ck_assert_ptr_null(strstr(s, "\xef\xbf\xbd"));
        ck_assert(json_is_true(json_object_get(j, "cmdline_truncated")));
        json_decref(j);
}
END_TEST

/* 101 holders of one socket (a parent and 100 children): 64 shown, all counted. */
START_TEST(owners_capped)
{
        enum { N = 101 };
        static sa_process procs[N];
        static sa_holder h[N];
        static int fd = 3;
        char *args[] = { (char *) "server", NULL };
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 4444, .holders = h,
                          .n_holders = N, .owner_status = SA_OWNER_OK };
        json_t *j;

        for (size_t i = 0; i < N; i++) {
                procs[i] = (sa_process) { .pid = (pid_t) (1000 + i), .argv = args, .argc = 1 };
                h[i] = (sa_holder) { .proc = &procs[i], .fds = &fd, .n_fds = 1 };
        }
        j = sa_listener_to_json(&l);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "owners")), SA_JSON_OWNERS_MAX);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "owners_total")), N);
        ck_assert(json_is_true(json_object_get(j, "owners_truncated")));
        ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(j, "owners"), 63),
                                                            "pid")), 1063);
        json_decref(j);

        j = sa_listener_to_json_limited(&l, NULL);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "owners")), N);
        ck_assert(json_is_false(json_object_get(j, "owners_truncated")));
        json_decref(j);

        l.n_holders = 2;
        j = sa_listener_to_json(&l);
        ck_assert_uint_eq(json_array_size(json_object_get(j, "owners")), 2);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "owners_total")), 2);
        ck_assert(json_is_false(json_object_get(j, "owners_truncated")));
        json_decref(j);
}
END_TEST

Suite *jsonlimits_suite(void)
{
        Suite *s = suite_create("jsonlimits");
        TCase *tc = tcase_create("limits");

        tcase_add_test(tc, cmdline_cut_in_listings);
        tcase_add_test(tc, cmdline_exact_fit);
        tcase_add_test(tc, cmdline_cut_on_character);
        tcase_add_test(tc, owners_capped);
        suite_add_tcase(s, tc);
        return s;
}
