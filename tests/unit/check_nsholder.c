/* SPDX-License-Identifier: MIT */
/* Namespaces reached through their holders (lib/nsholder.c): mountinfo, names, and real fds. */
#include <check.h>
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsholder.h"
#include "sockaudit-internal.h"
#include "unseen.h"

START_TEST(mountinfo_finds_net_nsfs_mounts)
{
        const char *text =
                "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                "40 22 0:4 net:[4026532001] /run/netns/a rw shared:5 - nsfs nsfs rw\n"
                "41 22 0:4 mnt:[4026532002] /run/snapd/ns/x.mnt rw - nsfs nsfs rw\n"
                "42 22 0:4 net:[4026532003] /tmp/with\\040space rw master:2 - nsfs nsfs rw\n"
                "43 22 0:50 net:[4026532004] /fake rw - tmpfs tmpfs rw\n"
                "44 22 0:4 net:[junk] /junk rw - nsfs nsfs rw\n"
                "45 22 0:4 net:[4026532005] /last rw - nsfs nsfs rw";
        const char *cur = text;
        char mp[64];
        uint32_t ino = 0;

        ck_assert_int_eq(sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp), 1);
        ck_assert_uint_eq(ino, 4026532001u);
        ck_assert_str_eq(mp, "/run/netns/a");
        ck_assert_int_eq(sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp), 1);
        ck_assert_uint_eq(ino, 4026532003u);
        ck_assert_str_eq(mp, "/tmp/with space");
        ck_assert_int_eq(sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp), 1);
        ck_assert_uint_eq(ino, 4026532005u);
        ck_assert_str_eq(mp, "/last");
        ck_assert_int_eq(sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp), 0);
}
END_TEST

START_TEST(mountinfo_skips_long_mount_points)
{
        const char *text = "40 22 0:4 net:[7] /a/very/long/mount/point rw - nsfs nsfs rw\n"
                           "41 22 0:4 net:[8] /b rw - nsfs nsfs rw\n";
        const char *cur = text;
        char mp[8];
        uint32_t ino = 0;

        ck_assert_int_eq(sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp), 1);
        ck_assert_uint_eq(ino, 8);
        ck_assert_str_eq(mp, "/b");
        cur = "";
        ck_assert_int_eq(sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp), 0);
}
END_TEST

START_TEST(names_say_the_holder)
{
        sa_nsholder fd = { .pid = 1234, .fd = 5, .kind = SA_NSHOLDER_SOCKET };
        sa_nsholder m = { .pid = 77, .fd = -1, .kind = SA_NSHOLDER_MOUNT };
        char buf[64], longmp[100];

        sa_nsholder_name(&fd, NULL, buf, sizeof buf);
        ck_assert_str_eq(buf, "held by pid 1234 fd 5");
        sa_nsholder_name(&m, "/tmp/x", buf, sizeof buf);
        ck_assert_str_eq(buf, "held by mount /tmp/x");
        memset(longmp, 'a', sizeof longmp - 1);
        longmp[0] = '/';
        longmp[sizeof longmp - 1] = '\0';
        sa_nsholder_name(&m, longmp, buf, sizeof buf);
        ck_assert_str_eq(buf, "held by a mount of pid 77");
        sa_nsholder_name(&m, "/tmp/\033[31mred", buf, sizeof buf);
        ck_assert_str_eq(buf, "held by a mount of pid 77");
}
END_TEST

START_TEST(unseen_known_namespaces)
{
        static const uint32_t known[] = { 3, 4026531840u, 4026532001u, 4026532777u };
        sa_unseen u = { .known = known, .n_known = 4 };
        sa_unseen none = { 0 };

        for (size_t i = 0; i < 4; i++)
                ck_assert(sa_unseen_known(&u, known[i]));
        ck_assert(sa_unseen_known(&u, 0)); /* not TCP/UDP: nothing to look for */
        ck_assert(!sa_unseen_known(&u, 1));
        ck_assert(!sa_unseen_known(&u, 4026532002u));
        ck_assert(!sa_unseen_known(&u, UINT32_MAX));
        ck_assert(!sa_unseen_known(&none, 5));
}
END_TEST

/* pidfd_open() and pidfd_getfd() work here (valgrind 3.19 has neither: ENOSYS). */
static bool pidfds_work(void)
{
        int pidfd = (int) pidfd_open(getpid(), 0), fd;

        if (pidfd < 0)
                return errno != ENOSYS;
        fd = (int) pidfd_getfd(pidfd, 0, 0);
        close(pidfd);
        if (fd < 0)
                return errno != ENOSYS;
        close(fd);
        return true;
}

/*
 * A socket and an nsfs fd of a namespace a child made and left: fds of
 * ours. False (why says it) when that, or taking a socket by pidfd, cannot be done here.
 */
static bool hidden_fds(int *ret_sock, int *ret_nsfd, uint64_t *ret_ino, const char **why)
{
        int sp[2], fds[2];
        char c, cbuf[CMSG_SPACE(sizeof fds)];
        struct iovec iov = { &c, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
        struct stat st;
        pid_t pid;

        if (!pidfds_work()) {
                *why = "pidfd_open() or pidfd_getfd() is not implemented here (ENOSYS: valgrind 3.19)";
                return false;
        }
        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                fds[0] = socket(AF_INET, SOCK_STREAM, 0);
                fds[1] = open("/proc/self/ns/net", O_RDONLY);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof fds);
                memcpy(CMSG_DATA(cm), fds, sizeof fds);
                _exit(sendmsg(sp[0], &m, 0) == 1 ? 0 : 1);
        }
        close(sp[0]);
        waitpid(pid, NULL, 0);
        if (recvmsg(sp[1], &m, MSG_CMSG_CLOEXEC) != 1 || !CMSG_FIRSTHDR(&m)) {
                close(sp[1]);
                *why = "cannot make a network namespace"; /* no CAP_SYS_ADMIN: the child could not unshare */
                return false;
        }
        close(sp[1]);
        memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fds);
        ck_assert_int_eq(fstat(fds[1], &st), 0);
        *ret_sock = fds[0];
        *ret_nsfd = fds[1];
        *ret_ino = st.st_ino;
        return true;
}

START_TEST(open_from_socket_and_nsfd)
{
        int sock, nsfd, proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
        const char *why;
        struct stat st, ss;
        uint64_t ino;

        if (!hidden_fds(&sock, &nsfd, &ino, &why)) {
                fprintf(stderr, "SKIP open_from_socket_and_nsfd: %s\n", why);
                close(proc);
                return;
        }
        ck_assert_int_eq(fstat(sock, &ss), 0);
        sa_nsholder hs = { .pid = getpid(), .fd = sock, .sock_ino = (uint32_t) ss.st_ino,
                           .kind = SA_NSHOLDER_SOCKET };
        sa_nsholder hn = { .pid = getpid(), .fd = nsfd, .kind = SA_NSHOLDER_NSFD };

        fd = sa_nsholder_open(proc, &hs, ino);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(fstat(fd, &st), 0);
        ck_assert_uint_eq(st.st_ino, ino);
        close(fd);
        fd = sa_nsholder_open(proc, &hn, ino);
        ck_assert_int_ge(fd, 0);
        close(fd);
        /* Another namespace asked for: no fd. */
        ck_assert_int_eq(sa_nsholder_open(proc, &hn, ino + 1), -ESRCH);
        ck_assert_int_eq(sa_nsholder_open(proc, &hs, ino + 1), -ESRCH);
        /* The fd closed: the holder leads nowhere. */
        close(sock);
        ck_assert_int_eq(sa_nsholder_open(proc, &hs, ino), -ESRCH);
        close(nsfd);
        close(proc);
}
END_TEST

/* The asker stands in for the daemon's broker: it hands out a dup of *ctx. */
static int ask_dup(void *ctx, int sfd)
{
        (void) sfd;
        return fcntl(*(int *) ctx, F_DUPFD_CLOEXEC, 3);
}

START_TEST(socket_refused_asks_the_asker)
{
        int sock, nsfd, proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), status;
        const char *why;
        struct stat ss;
        uint64_t ino;
        pid_t child;

        if (!hidden_fds(&sock, &nsfd, &ino, &why)) {
                fprintf(stderr, "SKIP socket_refused_asks_the_asker: %s\n", why);
                close(proc);
                return;
        }
        ck_assert_int_eq(fstat(sock, &ss), 0);
        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                /* Without CAP_NET_ADMIN SIOCGSKNS says EPERM: the asker answers. */
                sa_nsholder hs = { .pid = getpid(), .fd = sock, .sock_ino = (uint32_t) ss.st_ino,
                                   .kind = SA_NSHOLDER_SOCKET };
                cap_value_t na = CAP_NET_ADMIN;
                cap_t c = cap_get_proc();
                unsigned long before = sa_nsholder_skns_lent();
                int fd;

                if (!c || cap_set_flag(c, CAP_EFFECTIVE, 1, &na, CAP_CLEAR) < 0 || cap_set_proc(c) < 0)
                        _exit(2);
                sa_scan_set_skns(ask_dup, &nsfd);
                fd = sa_nsholder_open(proc, &hs, ino);
                _exit(fd >= 0 && sa_nsholder_skns_lent() == before + 1 ? 0 : 1);
        }
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
        close(sock);
        close(nsfd);
        close(proc);
}
END_TEST

Suite *nsholder_suite(void)
{
        Suite *s = suite_create("nsholder");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, mountinfo_finds_net_nsfs_mounts);
        tcase_add_test(tc, mountinfo_skips_long_mount_points);
        tcase_add_test(tc, names_say_the_holder);
        tcase_add_test(tc, unseen_known_namespaces);
        tcase_add_test(tc, open_from_socket_and_nsfd);
        tcase_add_test(tc, socket_refused_asks_the_asker);
        suite_add_tcase(s, tc);
        return s;
}
