/* SPDX-License-Identifier: MIT */
/*
 * The eBPF fd walk against the procfs walk, on this host's real processes:
 * the same (pid, fd) holders of a set of sockets this test opens (some in
 * a forked child). SKIP when the iterator cannot be loaded here.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfscan.h"
#include "inomap.h"
#include "procfd.h"

#define N_SOCKS 5

typedef struct pair {
        pid_t pid;
        int fd;
        uint32_t inode;
} pair;

typedef struct pairs {
        pair items[64];
        size_t n;
} pairs;

static int collect(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        pairs *p = userdata;

        ck_assert_uint_lt(p->n, 64);
        p->items[p->n++] = (pair) { pid, fd, inode };
        return 0;
}

static sa_bpfscan *open_or_skip(const char *test)
{
        sa_bpfscan *b = NULL;
        char why[160] = "";
        int r = sa_bpfscan_open(&b, why, sizeof why);

        if (r < 0) {
                printf("SKIP: %s: eBPF iterator not usable here: %s\n", test, why);
                return NULL;
        }
        return b;
}

START_TEST(test_bpfscan_matches_procfs)
{
        sa_bpfscan *b = open_or_skip("bpfscan_matches_procfs");
        int socks[N_SOCKS], ready[2];
        sa_inomap *want = NULL;
        pairs viaproc = { 0 }, viabpf = { 0 };
        sa_bpfscan_hit *hits = NULL;
        sa_scan_stats st = { 0 }, pst = { 0 };
        size_t n_hits = 0;
        pid_t kid;
        char c;

        if (!b)
                return;
        ck_assert_int_eq(sa_inomap_new(N_SOCKS, &want), 0);
        for (int i = 0; i < N_SOCKS; i++) {
                struct stat sb;

                socks[i] = socket(i % 2 ? AF_INET6 : AF_INET, i % 3 ? SOCK_DGRAM : SOCK_STREAM, 0);
                ck_assert_int_ge(socks[i], 0);
                ck_assert_int_eq(fstat(socks[i], &sb), 0);
                ck_assert_int_eq(sa_inomap_put(want, (uint32_t) sb.st_ino, (size_t) i), 0);
        }
        /* A second holder of every socket, and one fd moved to another number. */
        ck_assert_int_eq(pipe(ready), 0);
        kid = fork();
        ck_assert_int_ge(kid, 0);
        if (kid == 0) {
                if (dup2(socks[0], 200) < 0)
                        _exit(1);
                close(socks[0]);
                if (write(ready[1], "x", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        ck_assert_int_eq(read(ready[0], &c, 1), 1);

        ck_assert_int_eq(sa_procfd_walk(NULL, want, collect, &viaproc, &pst), 0);
        ck_assert_int_eq(sa_bpfscan_walk(b, want, NULL, &hits, &n_hits, &st), 0);
        for (size_t i = 0; i < n_hits; i++)
                collect(hits[i].pid, hits[i].fd, hits[i].inode, hits[i].idx, &viabpf);

        /* Both in pid order, each pid's fds ascending: the same list. */
        ck_assert_uint_eq(viabpf.n, 2 * N_SOCKS);
        ck_assert_uint_eq(viabpf.n, viaproc.n);
        for (size_t i = 0; i < viabpf.n; i++) {
                ck_assert_int_eq(viabpf.items[i].pid, viaproc.items[i].pid);
                ck_assert_int_eq(viabpf.items[i].fd, viaproc.items[i].fd);
                ck_assert_uint_eq(viabpf.items[i].inode, viaproc.items[i].inode);
        }
        /* Every fd on the host was seen: about as many as procfs read. */
        ck_assert_uint_gt(st.fds, 0);
        ck_assert_uint_gt(st.fds, pst.fds / 2);

        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
        for (int i = 0; i < N_SOCKS; i++)
                close(socks[i]);
        close(ready[0]);
        close(ready[1]);
        free(hits);
        sa_inomap_free(want);
        sa_bpfscan_free(b);
}
END_TEST

START_TEST(test_bpfscan_empty_want)
{
        sa_bpfscan *b = open_or_skip("bpfscan_empty_want");
        sa_inomap *want = NULL;
        sa_bpfscan_hit *hits = NULL;
        sa_scan_stats st = { 0 };
        size_t n = 99;

        if (!b)
                return;
        ck_assert_int_eq(sa_inomap_new(1, &want), 0);
        ck_assert_int_eq(sa_bpfscan_walk(b, want, NULL, &hits, &n, &st), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(hits);
        /* Twice: the loaded iterator is read again from the start. */
        ck_assert_int_eq(sa_bpfscan_walk(b, want, NULL, &hits, &n, &st), 0);
        ck_assert_uint_eq(n, 0);
        sa_inomap_free(want);
        sa_bpfscan_free(b);
}
END_TEST

Suite *bpfscan_suite(void)
{
        Suite *s = suite_create("bpfscan");
        TCase *tc = tcase_create("live");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_bpfscan_matches_procfs);
        tcase_add_test(tc, test_bpfscan_empty_want);
        suite_add_tcase(s, tc);
        return s;
}
