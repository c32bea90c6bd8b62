/* SPDX-License-Identifier: MIT */
/*
 * The owner index (fixture trees: fd reuse, pid reuse told apart by start
 * time) and incremental refreshes of a scanner (live, in a network
 * namespace of the test's own).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockaudit-internal.h"
#include "netns_fixture.h"
#include "ownerindex.h"
#include "proc_fixture.h"

/* PROC_ROOT/PID/stat with this comm, parent and start time (field 22). */
static void fx_stat(const char *root, pid_t pid, const char *comm, pid_t ppid, unsigned long long start)
{
        char buf[512];

        snprintf(buf, sizeof buf, "%d (%s) S %d 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu "
                 "1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
                 (int) pid, comm, (int) ppid, start);
        pfx_text(root, pid, "stat", buf);
}

static void fx_sock(const char *root, pid_t pid, int fd, uint32_t inode)
{
        char target[32];

        snprintf(target, sizeof target, "socket:[%u]", inode);
        pfx_fd(root, pid, fd, target);
}

START_TEST(test_stat_read)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        uint64_t start = 0;
        pid_t ppid = 0;

        fx_stat(root, 10, "evil) S 99 (name", 7, 123456);
        pfx_text(root, 11, "stat", "11 (short) S 1 2\n");
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        ck_assert_int_eq(sa_proc_stat_read(sa_ownerindex_rootfd(ix), 10, &start, &ppid), 0);
        ck_assert_uint_eq(start, 123456);
        ck_assert_int_eq(ppid, 7);
        ck_assert_int_eq(sa_proc_stat_read(sa_ownerindex_rootfd(ix), 11, &start, NULL), -EBADMSG);
        ck_assert_int_eq(sa_proc_stat_read(sa_ownerindex_rootfd(ix), 12, &start, NULL), -ENOENT);
        /* Our own, for real. */
        ck_assert_int_eq(sa_proc_stat_read(sa_ownerindex_rootfd(ix), 10, &start, NULL), 0);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

START_TEST(test_add_and_owners)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        const sa_owner *o;
        size_t n;
        uint64_t cookie = 0;

        fx_stat(root, 20, "a", 1, 500);
        fx_stat(root, 10, "b", 1, 400);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        ck_assert_int_eq(sa_ownerindex_add_socket(ix, 77, 9001), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 77, 20, 4), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 77, 10, 6), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 77, 10, 3), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 77, 10, 3), 0); /* twice: once */
        ck_assert_int_eq(sa_ownerindex_add(ix, 77, 30, 3), -ENOENT); /* no such process */
        sa_ownerindex_owners(ix, 77, &o, &n);
        ck_assert_uint_eq(n, 3);
        ck_assert(o[0].pid == 10 && o[0].fd == 3);
        ck_assert(o[1].pid == 10 && o[1].fd == 6);
        ck_assert(o[2].pid == 20 && o[2].fd == 4);
        ck_assert(sa_ownerindex_has_socket(ix, 77, &cookie));
        ck_assert_uint_eq(cookie, 9001);
        ck_assert_uint_eq(sa_ownerindex_n_pairs(ix), 3);
        ck_assert_uint_eq(sa_ownerindex_n_procs(ix), 2);

        /* The inode wrapped: another cookie is another socket. */
        ck_assert_int_eq(sa_ownerindex_add_socket(ix, 77, 9002), 0);
        sa_ownerindex_owners(ix, 77, &o, &n);
        ck_assert_uint_eq(n, 0);
        ck_assert_uint_eq(sa_ownerindex_n_procs(ix), 0);
        ck_assert(sa_ownerindex_has_socket(ix, 77, &cookie));
        ck_assert_uint_eq(cookie, 9002);

        /* An exit drops every pair of the process, the socket stays known. */
        ck_assert_int_eq(sa_ownerindex_add(ix, 77, 10, 3), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 78, 10, 5), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 78, 20, 5), 0);
        uint64_t g = sa_ownerindex_generation(ix);
        sa_ownerindex_forget_pid(ix, 10);
        ck_assert_uint_gt(sa_ownerindex_generation(ix), g);
        sa_ownerindex_owners(ix, 77, &o, &n);
        ck_assert_uint_eq(n, 0);
        sa_ownerindex_owners(ix, 78, &o, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(o[0].pid, 20);
        ck_assert(!sa_ownerindex_has_pid(ix, 10, NULL));
        sa_ownerindex_remove_socket(ix, 78);
        ck_assert(!sa_ownerindex_has_socket(ix, 78, NULL));
        ck_assert_uint_eq(sa_ownerindex_n_pairs(ix), 0);
        ck_assert_uint_eq(sa_ownerindex_n_procs(ix), 0);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

START_TEST(test_verify_fd_reuse)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        sa_verify_result vr = { 0 };
        const sa_owner *o;
        size_t n;
        uint32_t inodes[] = { 100 };

        fx_stat(root, 40, "srv", 1, 1000);
        fx_sock(root, 40, 3, 100);
        fx_sock(root, 40, 4, 100);
        fx_sock(root, 40, 5, 100);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        for (int fd = 3; fd <= 5; fd++)
                ck_assert_int_eq(sa_ownerindex_add(ix, 100, 40, fd), 0);

        ck_assert_int_eq(sa_ownerindex_verify(ix, inodes, 1, &vr), 0);
        ck_assert_uint_eq(vr.checked, 3);
        ck_assert_uint_eq(vr.dropped, 0);

        /* fd 4 now another socket, fd 5 a pipe; fd 3 unchanged. */
        pfx_unlink(root, "40/fd/4");
        fx_sock(root, 40, 4, 101);
        pfx_unlink(root, "40/fd/5");
        pfx_fd(root, 40, 5, "pipe:[100]");
        vr = (sa_verify_result) { 0 };
        ck_assert_int_eq(sa_ownerindex_verify(ix, inodes, 1, &vr), 0);
        ck_assert_uint_eq(vr.dropped, 2);
        ck_assert_uint_eq(vr.n_reused, 0);
        sa_ownerindex_owners(ix, 100, &o, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(o[0].fd, 3);

        /* Closed. */
        pfx_unlink(root, "40/fd/3");
        ck_assert_int_eq(sa_ownerindex_verify(ix, inodes, 1, NULL), 0);
        sa_ownerindex_owners(ix, 100, &o, &n);
        ck_assert_uint_eq(n, 0);
        ck_assert(!sa_ownerindex_has_pid(ix, 40, NULL));
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

/* verify_fds: a socket with one pair read lately is skipped (closing that
 * fd would close it); one with several pairs is read every time. */
START_TEST(test_verify_fds_sole)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        sa_verify_result vr = { 0 };
        const sa_owner *o;
        size_t n;
        uint32_t inodes[] = { 100, 200 };

        fx_stat(root, 40, "srv", 1, 1000);
        fx_stat(root, 41, "wrk", 40, 1001);
        fx_sock(root, 40, 3, 100);
        fx_sock(root, 40, 4, 200);
        fx_sock(root, 41, 4, 200);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        sa_ownerindex_set_sole_interval(ix, UINT64_MAX); /* never due: no clock in the test */
        ck_assert_int_eq(sa_ownerindex_add(ix, 100, 40, 3), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 200, 40, 4), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 200, 41, 4), 0);

        /* Passed on and closed by both: the shared socket's pair is read, the sole one not yet. */
        pfx_unlink(root, "40/fd/3");
        pfx_unlink(root, "41/fd/4");
        ck_assert_int_eq(sa_ownerindex_verify_fds(ix, inodes, 2, &vr), 0);
        ck_assert_uint_eq(vr.checked, 2);
        ck_assert_uint_eq(vr.dropped, 1);
        sa_ownerindex_owners(ix, 100, &o, &n);
        ck_assert_uint_eq(n, 1);

        /* Due (interval 0): read, dropped. sa_ownerindex_verify always reads. */
        sa_ownerindex_set_sole_interval(ix, 0);
        vr = (sa_verify_result) { 0 };
        ck_assert_int_eq(sa_ownerindex_verify_fds(ix, inodes, 1, &vr), 0);
        ck_assert_uint_eq(vr.dropped, 1);
        sa_ownerindex_owners(ix, 100, &o, &n);
        ck_assert_uint_eq(n, 0);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

START_TEST(test_verify_pid_reuse)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        sa_verify_result vr = { 0 };
        const sa_owner *o;
        size_t n;
        uint32_t inodes[] = { 200, 201 };
        uint64_t start = 0;

        fx_stat(root, 50, "nginx", 1, 7000);
        fx_sock(root, 50, 6, 200);
        fx_sock(root, 50, 7, 201);
        fx_stat(root, 51, "nginx", 50, 7001);
        fx_sock(root, 51, 6, 200);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 200, 50, 6), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 201, 50, 7), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 200, 51, 6), 0);
        ck_assert(sa_ownerindex_has_pid(ix, 50, &start));
        ck_assert_uint_eq(start, 7000);

        /* pid 50 now another program, started later, even with the same
         * fds pointing at the same sockets (it inherited them): not the
         * process we knew, so none of its pairs stand; it is reported. */
        fx_stat(root, 50, "other", 51, 9999);
        ck_assert_int_eq(sa_ownerindex_verify(ix, inodes, 2, &vr), 0);
        ck_assert_uint_eq(vr.n_reused, 1);
        ck_assert_int_eq(vr.reused[0], 50);
        ck_assert_uint_eq(vr.dropped, 2);
        free(vr.reused);
        sa_ownerindex_owners(ix, 200, &o, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(o[0].pid, 51);
        sa_ownerindex_owners(ix, 201, &o, &n);
        ck_assert_uint_eq(n, 0);

        /* Adding the newcomer records its own start time. */
        ck_assert_int_eq(sa_ownerindex_add(ix, 200, 50, 6), 0);
        ck_assert(sa_ownerindex_has_pid(ix, 50, &start));
        ck_assert_uint_eq(start, 9999);
        /* And an add for a pid known with another start time drops the old pairs. */
        ck_assert_int_eq(sa_ownerindex_add_start(ix, 201, 50, 9, 12345), 0);
        sa_ownerindex_owners(ix, 200, &o, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(o[0].pid, 51);

        /* Gone entirely. */
        pfx_unlink(root, "51/stat");
        ck_assert_int_eq(sa_ownerindex_verify(ix, inodes, 1, NULL), 0);
        sa_ownerindex_owners(ix, 200, &o, &n);
        ck_assert_uint_eq(n, 0);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

/* Many sockets and removals: the maps keep finding what is left. */
/* One holder is kept inline, more in an array: growing past it and shrinking back keep the order. */
/* Verified in three steps with the index changing between the read and
 * the apply: what the reads found stale goes, except pairs of a process
 * the index learnt anew meanwhile. */
START_TEST(test_verify_split)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        sa_verify_result vr = { 0 };
        sa_verify_pair *pairs = NULL;
        size_t n_pairs = 0;
        const sa_owner *o;
        size_t n;

        fx_stat(root, 40, "srv", 1, 1000);
        fx_sock(root, 40, 3, 100);
        fx_sock(root, 40, 4, 100);
        fx_stat(root, 41, "srv", 1, 1001);
        fx_sock(root, 41, 5, 100);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 100, 40, 3), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 100, 40, 4), 0);
        ck_assert_int_eq(sa_ownerindex_add(ix, 100, 41, 5), 0);

        ck_assert_int_eq(sa_ownerindex_verify_take(ix, NULL, 0, &pairs, &n_pairs), 0);
        ck_assert_uint_eq(n_pairs, 3);
        /* fd 4 of 40 and fd 5 of 41 now point elsewhere. */
        pfx_unlink(root, "40/fd/4");
        fx_sock(root, 40, 4, 101);
        pfx_unlink(root, "41/fd/5");
        fx_sock(root, 41, 5, 102);
        sa_verify_read(sa_ownerindex_rootfd(ix), pairs, n_pairs, true);
        /* Meanwhile 41 is learnt anew (another start time: its old pairs go). */
        fx_stat(root, 41, "new", 1, 2000);
        ck_assert_int_eq(sa_ownerindex_add(ix, 100, 41, 5), 0);
        ck_assert_int_eq(sa_ownerindex_verify_apply(ix, pairs, n_pairs, &vr), 0);
        ck_assert_uint_eq(vr.dropped, 1);
        ck_assert_uint_eq(vr.checked, 2);
        sa_ownerindex_owners(ix, 100, &o, &n);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(o[0].pid, 40);
        ck_assert_int_eq(o[0].fd, 3);
        ck_assert_int_eq(o[1].pid, 41);
        ck_assert_int_eq(o[1].fd, 5);
        free(pairs);
        free(vr.reused);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

START_TEST(test_one_then_many_holders)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        const sa_owner *o;
        size_t n;

        fx_stat(root, 50, "a", 1, 1);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        ck_assert_int_eq(sa_ownerindex_add_start(ix, 90, 50, 20, 1), 0);
        sa_ownerindex_owners(ix, 90, &o, &n);
        ck_assert_uint_eq(n, 1);
        ck_assert(o[0].pid == 50 && o[0].fd == 20);
        for (int fd = 19; fd >= 10; fd--)        /* each goes first: moves the others */
                ck_assert_int_eq(sa_ownerindex_add_start(ix, 90, 50, fd, 1), 0);
        sa_ownerindex_owners(ix, 90, &o, &n);
        ck_assert_uint_eq(n, 11);
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(o[i].fd, 10 + (int) i);
        /* Other sockets added meanwhile move the records: still right. */
        for (uint32_t i = 1; i <= 100; i++)
                ck_assert_int_eq(sa_ownerindex_add_start(ix, 1000 + i, 50, 100 + (int) i, 1), 0);
        sa_ownerindex_owners(ix, 1050, &o, &n);
        ck_assert(n == 1 && o[0].fd == 150);
        sa_ownerindex_remove_socket(ix, 90);
        ck_assert_uint_eq(sa_ownerindex_n_pairs(ix), 100);
        sa_ownerindex_owners(ix, 1100, &o, &n);
        ck_assert(n == 1 && o[0].fd == 200);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

START_TEST(test_many)
{
        char *root = pfx_new();
        sa_ownerindex *ix = NULL;
        const sa_owner *o;
        size_t n;

        fx_stat(root, 60, "a", 1, 1);
        fx_stat(root, 61, "b", 1, 2);
        ck_assert_int_eq(sa_ownerindex_new(root, &ix), 0);
        for (uint32_t i = 1; i <= 3000; i++) {
                ck_assert_int_eq(sa_ownerindex_add_socket(ix, i * 7, i), 0);
                ck_assert_int_eq(sa_ownerindex_add_start(ix, i * 7, 60, (int) i, 1), 0);
                ck_assert_int_eq(sa_ownerindex_add_start(ix, i * 7, 61, (int) i, 2), 0);
        }
        for (uint32_t i = 1; i <= 3000; i += 2)
                sa_ownerindex_remove_socket(ix, i * 7);
        ck_assert_uint_eq(sa_ownerindex_n_sockets(ix), 1500);
        ck_assert_uint_eq(sa_ownerindex_n_pairs(ix), 3000);
        for (uint32_t i = 1; i <= 3000; i++) {
                sa_ownerindex_owners(ix, i * 7, &o, &n);
                ck_assert_uint_eq(n, i % 2 ? 0 : 2);
                ck_assert(sa_ownerindex_has_socket(ix, i * 7, NULL) == !(i % 2));
        }
        sa_ownerindex_forget_pid(ix, 60);
        ck_assert_uint_eq(sa_ownerindex_n_pairs(ix), 1500);
        sa_ownerindex_forget_pid(ix, 61);
        ck_assert_uint_eq(sa_ownerindex_n_pairs(ix), 0);
        ck_assert_uint_eq(sa_ownerindex_n_procs(ix), 0);
        sa_ownerindex_free(ix);
        pfx_free(root);
}
END_TEST

/* ------------------------------------------------------------ live */

static const sa_listener *on_port(const sa_snapshot *snap, uint16_t port)
{
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (snap->listeners[i].port == port)
                        return &snap->listeners[i];
        return NULL;
}

static bool holds(const sa_listener *l, pid_t pid)
{
        for (size_t i = 0; l && i < l->n_holders; i++)
                if (l->holders[i].proc->pid == pid)
                        return true;
        return false;
}

/* A child that waits for a byte on p, then (cmd 'l') listens on port and
 * says so on q, or exits ('x'). */
static pid_t child(int p, int q, uint16_t port)
{
        pid_t pid = fork();
        char c;

        ck_assert_int_ge(pid, 0);
        if (pid > 0)
                return pid;
        while (read(p, &c, 1) == 1) {
                if (c == 'x')
                        _exit(0);
                if (c == 'l') {
                        fixture_tcp_listen(port);
                        if (write(q, "k", 1) != 1)
                                _exit(1);
                }
        }
        _exit(0);
}

static void cmd(int p, int q, char c)
{
        char k;

        ck_assert_int_eq(write(p, &c, 1), 1);
        if (c == 'l')
                ck_assert_int_eq(read(q, &k, 1), 1);
}

START_TEST(test_refresh_live)
{
        if (!fixture_enter_netns("test_refresh_live"))
                return;
        sa_filter f443 = { .port = 443 }, f444 = { .port = 444 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL, *next = NULL;
        sa_refresh_info info;
        int p[2], q[2];
        int fd = fixture_tcp_listen(443);

        ck_assert_int_eq(pipe(p), 0);
        ck_assert_int_eq(pipe(q), 0);
        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        /* Before any unfiltered scan: a full scan. */
        ck_assert_int_eq(sa_scanner_refresh(s, NULL, &f443, 1, SA_REFRESH_VERIFY, &info, &snap), 1);
        ck_assert(info.full);
        ck_assert(holds(on_port(snap, 443), getpid()));

        /* Nothing changed: 0, no walk. */
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f443, 1, SA_REFRESH_VERIFY, &info, &next), 0);
        ck_assert(!info.full);
        ck_assert_uint_eq(info.walked, 0);
        ck_assert_uint_eq(info.verified, 1);

        /* A worker forked: seen once noted, without a full scan. */
        pid_t kid = child(p[0], q[1], 444);
        ck_assert_int_eq(sa_scanner_note_new(s, kid, getpid()), 0);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f443, 1, SA_REFRESH_VERIFY, &info, &next), 1);
        ck_assert(!info.full);
        ck_assert_uint_eq(info.walked, 1);
        ck_assert(holds(on_port(next, 443), kid));
        ck_assert(holds(on_port(next, 443), getpid()));
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;

        /* We close our fd: verification drops us. */
        close(fd);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f443, 1, SA_REFRESH_VERIFY, &info, &next), 1);
        ck_assert(!info.full);
        ck_assert_uint_eq(info.dropped, 1);
        ck_assert(!holds(on_port(next, 443), getpid()));
        ck_assert(holds(on_port(next, 443), kid));
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;

        /* The new process makes a listener: found among the new ones. */
        cmd(p[1], q[0], 'l');
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f444, 1, SA_REFRESH_VERIFY, &info, &next), 1);
        ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
        ck_assert_uint_eq(info.new_sockets, 1);
        ck_assert(holds(on_port(next, 444), kid));
        ck_assert(holds(on_port(next, 443), kid)); /* out of scope, kept */
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;

        /* An old process (us) makes one: nobody new holds it, full scan. */
        int mine = fixture_tcp_listen(445);
        sa_filter f445 = { .port = 445 };
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f445, 1, SA_REFRESH_VERIFY, &info, &next), 1);
        ck_assert(info.full);
        ck_assert(holds(on_port(next, 445), getpid()));
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;

        /* The worker exits: its sockets close. */
        cmd(p[1], q[0], 'x');
        ck_assert_int_eq(waitpid(kid, NULL, 0), kid);
        sa_scanner_note_exit(s, kid);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, NULL, 0, SA_REFRESH_VERIFY, &info, &next), 1);
        ck_assert(!info.full);
        ck_assert_uint_eq(info.gone_sockets, 2);
        ck_assert_ptr_null(on_port(next, 443));
        ck_assert_ptr_null(on_port(next, 444));
        ck_assert(holds(on_port(next, 445), getpid()));
        sa_snapshot_free(snap);
        snap = next;

        close(mine);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
}
END_TEST

/* Without events: listing PROC_ROOT finds the new process. */
START_TEST(test_refresh_listing)
{
        if (!fixture_enter_netns("test_refresh_listing"))
                return;
        sa_filter f = { .port = 443 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL, *next = NULL;
        sa_refresh_info info;
        int p[2], q[2];
        int fd = fixture_tcp_listen(443);

        ck_assert_int_eq(pipe(p), 0);
        ck_assert_int_eq(pipe(q), 0);
        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);
        pid_t kid = child(p[0], q[1], 446);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY | SA_REFRESH_LIST_PIDS,
                                            &info, &next), 1);
        ck_assert(!info.full);
        ck_assert_uint_ge(info.walked, 1);
        ck_assert(holds(on_port(next, 443), kid));
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;
        /* Again: nothing new. */
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY | SA_REFRESH_LIST_PIDS,
                                            &info, &next), 0);
        cmd(p[1], q[0], 'x');
        ck_assert_int_eq(waitpid(kid, NULL, 0), kid);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY | SA_REFRESH_LIST_PIDS,
                                            &info, &next), 1);
        ck_assert(!holds(on_port(next, 443), kid));
        ck_assert(holds(on_port(next, 443), getpid()));
        sa_snapshot_free(next);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
        close(fd);
}
END_TEST

/*
 * The resync's walk on its own thread: the same holders as a scan here; a
 * process noted while it ran stays new (walked by the next refresh); a full
 * scan finishing first makes the job stale.
 */
START_TEST(test_scan_job)
{
        if (!fixture_enter_netns("test_scan_job"))
                return;
        static const sa_scan_method methods[] = { SA_SCAN_PROCFS, SA_SCAN_AUTO };
        sa_filter f443 = { .port = 443 };
        int fd = fixture_tcp_listen(443);

        for (size_t m = 0; m < sizeof methods / sizeof *methods; m++) {
                sa_scan_config cfg = { .method = methods[m] };
                sa_scanner *s = NULL;
                sa_snapshot *snap = NULL, *sync = NULL, *next = NULL, *stale = NULL;
                sa_scan_job *job = NULL;
                sa_incremental_stats st;
                sa_refresh_info info;
                struct pollfd pfd;
                int p[2], q[2], r;

                ck_assert_int_eq(pipe(p), 0);
                ck_assert_int_eq(pipe(q), 0);
                ck_assert_int_eq(sa_scanner_new(&cfg, &s), 0);
                ck_assert_int_eq(sa_scanner_scan(s, NULL, &sync), 0);

                ck_assert_int_eq(sa_scanner_scan_start(s, &job), 0);
                pid_t kid = child(p[0], q[1], 444);
                ck_assert_int_eq(sa_scanner_note_new(s, kid, getpid()), 0);
                pfd = (struct pollfd) { .fd = sa_scan_job_fd(job), .events = POLLIN };
                ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
                ck_assert_int_eq(sa_scanner_scan_finish(s, job, &snap), 0);
                ck_assert_uint_eq(snap->n_listeners, sync->n_listeners);
                ck_assert(holds(on_port(snap, 443), getpid()));
                sa_scanner_incremental_stats(s, &st);
                ck_assert_uint_eq(st.fresh, 1);
                /* The child, noted during the walk, is walked again now; it
                 * holds 443 either way (the eBPF walk sees processes the
                 * listing taken at the start missed, procfs does not). */
                r = sa_scanner_refresh(s, snap, &f443, 1, SA_REFRESH_VERIFY, &info, &next);
                ck_assert_int_ge(r, 0);
                ck_assert(!info.full);
                ck_assert_uint_eq(info.walked, 1);
                ck_assert(holds(on_port(r > 0 ? next : snap, 443), kid));

                /* A full scan here completes first: the job is stale. */
                ck_assert_int_eq(sa_scanner_scan_start(s, &job), 0);
                sa_snapshot_free(sync);
                ck_assert_int_eq(sa_scanner_scan(s, NULL, &sync), 0);
                ck_assert_int_eq(sa_scanner_scan_finish(s, job, &stale), -ESTALE);
                ck_assert_ptr_null(stale);

                /* Cancelled: waits for the walk, frees. */
                ck_assert_int_eq(sa_scanner_scan_start(s, &job), 0);
                sa_scan_job_cancel(job);

                cmd(p[1], q[0], 'x');
                waitpid(kid, NULL, 0);
                for (int i = 0; i < 2; i++) {
                        close(p[i]);
                        close(q[i]);
                }
                sa_snapshot_free(snap);
                sa_snapshot_free(next);
                sa_snapshot_free(sync);
                sa_scanner_free(s);
        }
        close(fd);
}
END_TEST

/*
 * A refresh of a snapshot older than the index (the daemon's resync: the
 * index is rebuilt when its walk ends, its snapshot installed after its
 * owners' verification): a listener only the newer scan saw (a socket bound
 * before the older one, listening since; a UDP bind) is a change, named
 * with its holder, without a full scan, by a probe's refresh too. With
 * namespace events, the changed namespace is dumped again: the older
 * snapshot's records of it are not current.
 */
static void refresh_behind_index(bool events)
{
        static const unsigned flags[] = { SA_REFRESH_EXITS_KNOWN | SA_REFRESH_VERIFY,
                                          SA_REFRESH_EXITS_KNOWN | SA_REFRESH_NO_FULL, SA_REFRESH_LIST_PIDS };
        sa_filter f447 = { .port = 447 };
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(447) };
        int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sa_snapshot *old = NULL, *snap = NULL, *next = NULL;
        sa_scanner *s = NULL;
        sa_scan_job *job = NULL;
        sa_refresh_info info;
        struct pollfd pfd;
        struct stat ns;

        ck_assert_int_ge(t, 0);
        ck_assert_int_ge(u, 0);
        ck_assert_int_eq(stat("/proc/self/ns/net", &ns), 0);
        ck_assert_int_eq(bind(t, (struct sockaddr *) &a, sizeof a), 0);
        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        sa_scanner_netns_events(s, events);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &old), 0);
        ck_assert_ptr_null(on_port(old, 447));
        ck_assert_int_eq(listen(t, 8), 0);
        a.sin_port = htons(448);
        ck_assert_int_eq(bind(u, (struct sockaddr *) &a, sizeof a), 0);
        sa_scanner_netns_changed(s, ns.st_ino, 0, 0);   /* the events, no hot window */

        ck_assert_int_eq(sa_scanner_scan_start(s, &job), 0);
        pfd = (struct pollfd) { .fd = sa_scan_job_fd(job), .events = POLLIN };
        ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
        ck_assert_int_eq(sa_scanner_scan_finish(s, job, &snap), 0);
        ck_assert(holds(on_port(snap, 447), getpid()));

        for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
                ck_assert_int_eq(sa_scanner_refresh(s, old, &f447, 1, flags[i], &info, &next), 1);
                ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
                ck_assert(holds(on_port(next, 447), getpid()));
                sa_snapshot_free(next);
                next = NULL;
        }
        ck_assert_int_eq(sa_scanner_refresh(s, old, NULL, 0, SA_REFRESH_EXITS_KNOWN, &info, &next), 1);
        ck_assert(holds(on_port(next, 447), getpid()));
        ck_assert(holds(on_port(next, 448), getpid()));
        sa_snapshot_free(next);
        next = NULL;
        /* The resync's own snapshot shows it all already. */
        ck_assert_int_eq(sa_scanner_refresh(s, snap, NULL, 0, SA_REFRESH_EXITS_KNOWN, &info, &next), 0);
        close(t);
        close(u);
        sa_snapshot_free(old);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
}

START_TEST(test_refresh_behind_index)
{
        if (!fixture_enter_netns("test_refresh_behind_index"))
                return;
        refresh_behind_index(false);
        refresh_behind_index(true);
}
END_TEST

Suite *ownerindex_suite(void)
{
        Suite *s = suite_create("ownerindex");
        TCase *tc = tcase_create("fixture");
        tcase_add_test(tc, test_stat_read);
        tcase_add_test(tc, test_add_and_owners);
        tcase_add_test(tc, test_verify_fd_reuse);
        tcase_add_test(tc, test_verify_pid_reuse);
        tcase_add_test(tc, test_verify_fds_sole);
        tcase_add_test(tc, test_verify_split);
        tcase_add_test(tc, test_one_then_many_holders);
        tcase_add_test(tc, test_many);
        suite_add_tcase(s, tc);
        tc = tcase_create("live");
        tcase_add_test(tc, test_refresh_live);
        tcase_add_test(tc, test_refresh_listing);
        tcase_add_test(tc, test_scan_job);
        tcase_add_test(tc, test_refresh_behind_index);
        suite_add_tcase(s, tc);
        return s;
}
