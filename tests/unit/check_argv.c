/* SPDX-License-Identifier: MIT */
/* Shared command lines (lib/argv.c): blocks, interning, and the join that shares them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "process.h"
#include "proc_fixture.h"
#include "scanner.h"

/* A process with its own copies of args (n of them), as sa_process_read() leaves it. */
static sa_process *process_with(char *const *args, size_t n)
{
        sa_process *p = calloc(1, sizeof *p);

        ck_assert_ptr_nonnull(p);
        p->argv = calloc(n + 1, sizeof *p->argv);
        ck_assert_ptr_nonnull(p->argv);
        for (size_t i = 0; i < n; i++)
                ck_assert_ptr_nonnull(p->argv[i] = strdup(args[i]));
        p->argc = n;
        return p;
}

START_TEST(block_holds_copies)
{
        char *args[] = { "nginx", "-g", "daemon off;", "" };
        sa_argv *a = NULL;

        ck_assert_int_eq(sa_argv_new(args, 4, &a), 0);
        ck_assert_uint_eq(sa_argv_count(a), 4);
        for (size_t i = 0; i < 4; i++) {
                ck_assert_str_eq(sa_argv_strings(a)[i], args[i]);
                ck_assert_ptr_ne(sa_argv_strings(a)[i], args[i]);
        }
        ck_assert_ptr_null(sa_argv_strings(a)[4]);
        ck_assert_ptr_eq(sa_argv_ref(a), a);
        ck_assert_uint_eq(sa_argv_refs(a), 2);
        ck_assert_ptr_null(sa_argv_unref(a));
        ck_assert_uint_eq(sa_argv_refs(a), 1);
        sa_argv_unref(a);
        ck_assert_ptr_null(sa_argv_unref(NULL));
}
END_TEST

START_TEST(identical_argv_shared)
{
        char *same[] = { "/usr/sbin/server", "--port", "\x01\x02\x1b[2J" };
        char *other[] = { "/usr/sbin/server", "--port", "\x01\x02\x1b[2K" };
        char *fewer[] = { "/usr/sbin/server", "--port" };
        sa_process *p[5] = {
                process_with(same, 3), process_with(same, 3), process_with(other, 3),
                process_with(fewer, 2), process_with(NULL, 0),
        };
        sa_argv_table t = { 0 };

        for (size_t i = 0; i < 5; i++)
                ck_assert_int_eq(sa_argv_intern(&t, p[i]), 0);
        ck_assert_ptr_nonnull(p[0]->argv_block);
        ck_assert_ptr_eq(p[0]->argv_block, p[1]->argv_block);
        ck_assert_ptr_eq(p[0]->argv, p[1]->argv);
        ck_assert_ptr_ne(p[2]->argv_block, p[0]->argv_block);
        ck_assert_ptr_ne(p[3]->argv_block, p[0]->argv_block);
        ck_assert_uint_eq(t.n, 4);
        ck_assert_uint_eq(p[1]->argc, 3);
        ck_assert_str_eq(p[1]->argv[2], "\x01\x02\x1b[2J");
        ck_assert_str_eq(p[2]->argv[2], "\x01\x02\x1b[2K");
        ck_assert_uint_eq(p[3]->argc, 2);
        ck_assert_uint_eq(p[4]->argc, 0);
        ck_assert_ptr_null(p[4]->argv[0]);
        /* Two processes and the table. */
        ck_assert_uint_eq(sa_argv_refs(p[0]->argv_block), 3);
        /* Interning again changes nothing. */
        ck_assert_int_eq(sa_argv_intern(&t, p[1]), 0);
        ck_assert_uint_eq(sa_argv_refs(p[0]->argv_block), 3);
        sa_argv_table_clear(&t);
        ck_assert_uint_eq(sa_argv_refs(p[0]->argv_block), 2);
        ck_assert_ptr_null(t.slots);
        sa_process_free(p[0]);
        ck_assert_str_eq(p[1]->argv[0], "/usr/sbin/server");
        for (size_t i = 1; i < 5; i++)
                sa_process_free(p[i]);
}
END_TEST

/* Enough distinct command lines to grow the table several times. */
START_TEST(table_grows)
{
        enum { N = 1000 };
        static sa_process *p[2 * N];
        sa_argv_table t = { 0 };
        char buf[32];
        char *args[] = { buf };

        for (size_t i = 0; i < 2 * N; i++) {
                snprintf(buf, sizeof buf, "worker-%zu", i % N);
                p[i] = process_with(args, 1);
                ck_assert_int_eq(sa_argv_intern(&t, p[i]), 0);
        }
        ck_assert_uint_eq(t.n, N);
        for (size_t i = 0; i < N; i++) {
                ck_assert_ptr_eq(p[i]->argv_block, p[i + N]->argv_block);
                snprintf(buf, sizeof buf, "worker-%zu", i);
                ck_assert_str_eq(p[i]->argv[0], buf);
        }
        sa_argv_table_clear(&t);
        for (size_t i = 0; i < 2 * N; i++)
                sa_process_free(p[i]);
}
END_TEST

/*
 * The join reads each holder once and shares identical command lines: 100
 * forked children with the same 120 KiB of control bytes hold one copy.
 */
START_TEST(join_shares_forked_children)
{
        enum { KIDS = 100, ARG = 4000, NARGS = 30 };
        char *root = pfx_new(), *cmdline = malloc(ARG * NARGS);
        sa_snapshot *snap = calloc(1, sizeof *snap);
        sa_join j = { .proc_root = root, .snap = snap };
        size_t len = 0;

        ck_assert_ptr_nonnull(cmdline);
        ck_assert_ptr_nonnull(snap);
        for (size_t a = 0; a < NARGS; a++) {
                for (size_t i = 0; i < ARG - 1; i++)
                        cmdline[len++] = (char) (1 + (i % 31));
                cmdline[len++] = '\0';
        }
        for (pid_t pid = 100; pid < 100 + KIDS + 1; pid++) {
                pfx_process(root, pid, "server", "/usr/sbin/server", 1, 65534, "/");
                if (pid == 100 + KIDS)
                        pfx_text(root, pid, "cmdline", "other");
                else
                        pfx_file(root, pid, "cmdline", cmdline, len);
        }
        snap->listeners = calloc(1, sizeof *snap->listeners);
        snap->n_listeners = 1;
        ck_assert_ptr_nonnull(snap->listeners);
        for (pid_t pid = 100; pid < 100 + KIDS + 1; pid++)
                ck_assert_int_eq(sa_join_hit(&j, pid, 3, 0), 0);
        sa_join_done(&j);

        ck_assert_uint_eq(snap->n_procs, KIDS + 1);
        ck_assert_uint_eq(snap->listeners[0].n_holders, KIDS + 1);
        for (size_t i = 1; i < KIDS; i++)
                ck_assert_ptr_eq(snap->procs[i]->argv_block, snap->procs[0]->argv_block);
        ck_assert_uint_eq(sa_argv_refs(snap->procs[0]->argv_block), KIDS);
        ck_assert_uint_eq(snap->procs[0]->argc, NARGS);
        ck_assert_uint_eq(strlen(snap->procs[0]->argv[NARGS - 1]), ARG - 1);
        ck_assert_ptr_ne(snap->procs[KIDS]->argv_block, snap->procs[0]->argv_block);
        ck_assert_str_eq(snap->procs[KIDS]->argv[0], "other");
        sa_snapshot_free(snap);
        free(cmdline);
        pfx_free(root);
}
END_TEST

Suite *argv_suite(void)
{
        Suite *s = suite_create("argv");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, block_holds_copies);
        tcase_add_test(tc, identical_argv_shared);
        tcase_add_test(tc, table_grows);
        tcase_add_test(tc, join_shares_forked_children);
        suite_add_tcase(s, tc);
        return s;
}
