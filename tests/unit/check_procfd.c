/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inomap.h"
#include "proc_fixture.h"
#include "procfd.h"

typedef struct hit {
        pid_t pid;
        int fd;
        uint32_t inode;
        size_t idx;
} hit;

typedef struct hits {
        hit items[8192];
        size_t n;
        int stop_after;         /* >0: return -ECANCELED at that many hits */
} hits;

static int record(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        hits *h = userdata;

        if (h->n >= sizeof(h->items) / sizeof(h->items[0]))
                return -ENOBUFS;
        h->items[h->n++] = (hit) { pid, fd, inode, idx };
        if (h->stop_after > 0 && h->n >= (size_t) h->stop_after)
                return -ECANCELED;
        return 1; /* positive returns are not errors */
}

static bool has_hit(const hits *h, pid_t pid, int fd, uint32_t inode, size_t idx)
{
        for (size_t i = 0; i < h->n; i++)
                if (h->items[i].pid == pid && h->items[i].fd == fd &&
                    h->items[i].inode == inode && h->items[i].idx == idx)
                        return true;
        return false;
}

static int cmp_pid(const void *a, const void *b)
{
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return x < y ? -1 : x > y;
}

/* Once a pid's run of hits ends, it never shows up again. */
static void assert_contiguous(const hits *h)
{
        pid_t *starts = calloc(h->n + 1, sizeof(*starts));
        size_t n = 0;

        ck_assert_ptr_nonnull(starts);
        for (size_t i = 0; i < h->n; i++)
                if (i == 0 || h->items[i].pid != h->items[i - 1].pid)
                        starts[n++] = h->items[i].pid;
        qsort(starts, n, sizeof(*starts), cmp_pid);
        for (size_t i = 1; i < n; i++)
                if (starts[i] == starts[i - 1])
                        ck_abort_msg("hits of pid %d are split", (int) starts[i]);
        free(starts);
}

static sa_inomap *want_of(const uint32_t *inos, size_t n)
{
        sa_inomap *m = NULL;

        ck_assert_int_eq(sa_inomap_new(n, &m), 0);
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(sa_inomap_put(m, inos[i], i), 0);
        return m;
}

/*
 * A master (100) and three workers sharing socket 123, other fds of every
 * kind, junk links that look almost like sockets, non-process entries, a
 * process without an fd dir (vanished) and one with no fds.
 */
static char *build_tree(unsigned long *ret_fds)
{
        char *root = pfx_new();
        unsigned long fds = 0;

        pfx_fd(root, 100, 0, "/dev/null");
        pfx_fd(root, 100, 1, "pipe:[9]");
        pfx_fd(root, 100, 2, "anon_inode:[eventfd]");
        pfx_fd(root, 100, 3, "socket:[123]");
        pfx_fd(root, 100, 4, "socket:[999]");
        pfx_fd(root, 100, 5, "socket:[456]");
        pfx_fd(root, 100, 6, "/var/log/nginx/access.log (deleted)");
        fds += 7;
        for (pid_t w = 101; w <= 103; w++) {
                pfx_fd(root, w, 0, "/dev/null");
                pfx_fd(root, w, 3, "socket:[123]");
                pfx_fd(root, w, 7, "socket:[123]");
                pfx_fd(root, w, 8, "socket:[124]");
                fds += 4;
        }
        /* Close to a wanted socket, but not one. */
        pfx_fd(root, 200, 0, "socket:[12]");
        pfx_fd(root, 200, 1, "socket:[1234]");
        pfx_fd(root, 200, 2, "socket:[123");
        pfx_fd(root, 200, 3, "socket:[]");
        pfx_fd(root, 200, 4, "socket:[4294967419]"); /* 123 + 2^32 */
        pfx_fd(root, 200, 5, "xsocket:[123]");
        pfx_fd(root, 200, 6, "socket:[ 123]");
        pfx_fd(root, 200, 7, "pipe:[123]");
        pfx_fd(root, 200, 8, "/tmp/socket:[123]");
        pfx_fd(root, 200, 9, "socket:[123]x");
        fds += 10;
        /* Not an fd: ignored, not counted. */
        pfx_mkdir(root, "200/fd/notanfd");

        pfx_mkdir(root, "300");         /* no fd dir: vanished */
        pfx_mkdir(root, "301");
        pfx_mkdir(root, "301/fd");      /* no fds (zombie) */
        pfx_mkdir(root, "self");
        pfx_mkdir(root, "sys");
        pfx_mkdir(root, "12ab");
        pfx_mkdir(root, "0");
        pfx_mkdir(root, "007");
        pfx_fd(root, 99999999, 3, "socket:[123]");  /* 8 digits: still a pid */
        fds += 1;
        pfx_mkdir(root, "99999999999");             /* beyond pid_t */
        pfx_mkdir(root, "99999999999/fd");
        *ret_fds = fds;
        return root;
}

START_TEST(test_walk_finds_all_holders)
{
        static const uint32_t inos[] = { 123, 456 };
        sa_inomap *want = want_of(inos, 2);
        sa_scan_stats st = { .proc_usec = 1 };
        unsigned long fds;
        char *root = build_tree(&fds);
        hits *h = calloc(1, sizeof(*h));

        ck_assert_int_eq(sa_procfd_walk(root, want, record, h, &st), 0);

        ck_assert_uint_eq(h->n, 9);
        ck_assert(has_hit(h, 100, 3, 123, 0));
        ck_assert(has_hit(h, 100, 5, 456, 1));
        for (pid_t w = 101; w <= 103; w++) {
                ck_assert(has_hit(h, w, 3, 123, 0));
                ck_assert(has_hit(h, w, 7, 123, 0));
        }
        ck_assert(has_hit(h, 99999999, 3, 123, 0));
        assert_contiguous(h);

        /* 100-103, 200, 300, 301, 99999999. */
        ck_assert_uint_eq(st.procs, 8);
        ck_assert_uint_eq(st.fds, fds);
        ck_assert_uint_eq(st.procs_vanished, 1);
        ck_assert_uint_eq(st.procs_denied, 0);
        ck_assert_uint_ge(st.proc_usec, 1); /* added to, not overwritten */

        /* Stats accumulate over walks; NULL stats is fine. */
        h->n = 0;
        ck_assert_int_eq(sa_procfd_walk(root, want, record, h, &st), 0);
        ck_assert_uint_eq(st.procs, 16);
        ck_assert_uint_eq(h->n, 9);
        h->n = 0;
        ck_assert_int_eq(sa_procfd_walk(root, want, record, h, NULL), 0);
        ck_assert_uint_eq(h->n, 9);

        free(h);
        sa_inomap_free(want);
        pfx_free(root);
}
END_TEST

START_TEST(test_walk_stops_on_negative)
{
        static const uint32_t inos[] = { 123 };
        sa_inomap *want = want_of(inos, 1);
        sa_scan_stats st = { 0 };
        unsigned long fds;
        char *root = build_tree(&fds);
        hits *h = calloc(1, sizeof(*h));

        h->stop_after = 2;
        ck_assert_int_eq(sa_procfd_walk(root, want, record, h, &st), -ECANCELED);
        ck_assert_uint_eq(h->n, 2);
        ck_assert_uint_lt(st.fds, fds);

        free(h);
        sa_inomap_free(want);
        pfx_free(root);
}
END_TEST

START_TEST(test_walk_edge_inputs)
{
        static const uint32_t inos[] = { 123 };
        sa_inomap *want = want_of(inos, 1), *none = want_of(NULL, 0);
        sa_scan_stats st = { 0 };
        unsigned long fds;
        char *root = build_tree(&fds), *missing = NULL;
        hits *h = calloc(1, sizeof(*h));

        /* Nothing wanted: nothing to walk. */
        ck_assert_int_eq(sa_procfd_walk(root, none, record, h, &st), 0);
        ck_assert_uint_eq(h->n, 0);
        ck_assert_uint_eq(st.procs, 0);

        ck_assert_int_eq(sa_procfd_walk(root, NULL, record, h, &st), -EINVAL);
        ck_assert_int_eq(sa_procfd_walk(root, want, NULL, h, &st), -EINVAL);

        ck_assert_int_ge(asprintf(&missing, "%s/nonexistent", root), 0);
        ck_assert_int_eq(sa_procfd_walk(missing, want, record, h, &st), -ENOENT);
        ck_assert_uint_eq(h->n, 0);

        free(missing);
        free(h);
        sa_inomap_free(none);
        sa_inomap_free(want);
        pfx_free(root);
}
END_TEST

/* More pids and more fds per pid than one getdents64 buffer holds. */
START_TEST(test_walk_many)
{
        static const uint32_t inos[] = { 5000, 5001 };
        sa_inomap *want = want_of(inos, 2);
        sa_scan_stats st = { 0 };
        char *root = pfx_new();
        hits *h = calloc(1, sizeof(*h));
        const int nfd = 3000, npid = 1500;
        size_t big = 0;

        for (int fd = 0; fd < nfd; fd++)
                pfx_fd(root, 42, fd, fd % 1000 == 999 ? "socket:[5000]" : "socket:[77]");
        for (pid_t pid = 1000; pid < 1000 + npid; pid++)
                pfx_fd(root, pid, 3, "socket:[5001]");

        ck_assert_int_eq(sa_procfd_walk(root, want, record, h, &st), 0);
        ck_assert_uint_eq(st.procs, (unsigned) npid + 1);
        ck_assert_uint_eq(st.fds, (unsigned long) nfd + (unsigned long) npid);
        ck_assert_uint_eq(h->n, 3 + (size_t) npid);
        for (size_t i = 0; i < h->n; i++) {
                const hit *x = &h->items[i];

                if (x->pid == 42 && x->inode == 5000 && x->idx == 0 && x->fd % 1000 == 999)
                        big++;
                else if (x->pid == 42 || x->inode != 5001 || x->idx != 1 || x->fd != 3)
                        ck_abort_msg("unexpected hit %d/%d", (int) x->pid, x->fd);
        }
        ck_assert_uint_eq(big, 3);
        assert_contiguous(h);

        free(h);
        sa_inomap_free(want);
        pfx_free(root);
}
END_TEST

/*
 * EACCES on an fd dir. Root ignores mode 000, so the walk runs in a child
 * that gives up root (uid/gid 65534) when it has it.
 */
START_TEST(test_walk_denied)
{
        static const uint32_t inos[] = { 123 };
        sa_inomap *want = want_of(inos, 1);
        char *root = pfx_new();
        int pfd[2], status;
        sa_scan_stats st = { 0 };
        pid_t child;

        pfx_fd(root, 10, 3, "socket:[123]");
        pfx_fd(root, 11, 3, "socket:[123]");
        pfx_chmod(root, "11/fd", 0);
        pfx_fd(root, 12, 3, "socket:[123]");

        ck_assert_int_eq(pipe(pfd), 0);
        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                hits *h = calloc(1, sizeof(*h));
                int code = 0;

                close(pfd[0]);
                if (geteuid() == 0 &&
                    (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
                        code = 90;
                else if (sa_procfd_walk(root, want, record, h, &st) < 0 || h->n != 2 ||
                         !has_hit(h, 10, 3, 123, 0) || !has_hit(h, 12, 3, 123, 0))
                        code = 91;
                else if (write(pfd[1], &st, sizeof(st)) != (ssize_t) sizeof(st))
                        code = 92;
                free(h);
                sa_inomap_free(want);
                free(root);
                _exit(code);
        }
        close(pfd[1]);
        ck_assert_int_eq(read(pfd[0], &st, sizeof(st)), (ssize_t) sizeof(st));
        close(pfd[0]);
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
        ck_assert_uint_eq(st.procs, 3);
        ck_assert_uint_eq(st.procs_denied, 1);
        ck_assert_uint_eq(st.procs_vanished, 0);
        ck_assert_uint_eq(st.fds, 2);

        pfx_chmod(root, "11/fd", 0755);
        sa_inomap_free(want);
        pfx_free(root);
}
END_TEST

/* The real /proc: a socket this process holds is found at (getpid(), fd). */
START_TEST(test_walk_real_proc)
{
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sa_scan_stats st = { 0 };
        hits *h = calloc(1, sizeof(*h));
        struct stat sb;
        sa_inomap *want;
        uint32_t ino;

        ck_assert_int_ge(s, 0);
        ck_assert_int_eq(fstat(s, &sb), 0);
        ino = (uint32_t) sb.st_ino;
        want = want_of(&ino, 1);

        ck_assert_int_eq(sa_procfd_walk("/proc", want, record, h, &st), 0);
        ck_assert_uint_eq(h->n, 1);
        ck_assert_int_eq(h->items[0].pid, getpid());
        ck_assert_int_eq(h->items[0].fd, s);
        ck_assert_uint_eq(h->items[0].inode, ino);
        ck_assert_uint_ge(st.procs, 2);
        ck_assert_uint_ge(st.fds, 3);
        ck_assert_uint_gt(st.proc_usec, 0);

        /* proc_root NULL means /proc. */
        h->n = 0;
        ck_assert_int_eq(sa_procfd_walk(NULL, want, record, h, NULL), 0);
        ck_assert_uint_eq(h->n, 1);

        close(s);
        free(h);
        sa_inomap_free(want);
}
END_TEST

Suite *procfd_suite(void)
{
        Suite *s = suite_create("procfd");
        TCase *tc = tcase_create("fixture");
        TCase *real = tcase_create("real");

        tcase_add_test(tc, test_walk_finds_all_holders);
        tcase_add_test(tc, test_walk_stops_on_negative);
        tcase_add_test(tc, test_walk_edge_inputs);
        tcase_add_test(tc, test_walk_many);
        tcase_add_test(tc, test_walk_denied);
        suite_add_tcase(s, tc);
        tcase_add_test(real, test_walk_real_proc);
        suite_add_tcase(s, real);
        return s;
}
