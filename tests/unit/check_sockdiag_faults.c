/* SPDX-License-Identifier: MIT */
/*
 * Netlink faults on a real sock_diag socket: recvmsg(2) is interposed in
 * this test binary (passing through unless a test arms it) so a dump can
 * see EINTR or ENOBUFS at any of its reads, as the kernel reports them:
 * before any data of that read is consumed. NLM_F_DUMP_INTR and NLMSG_ERROR
 * are covered by the fake kernel of check_sockdiag.c (replay_*).
 *
 * What must hold: EINTR is retried and the dump is whole; ENOBUFS fails
 * that dump (nothing half-read reported), and the next dump on the same
 * socket, and the next scan of a scanner, are whole again.
 *
 * Runs in a fresh network namespace with a few hundred listeners (so a
 * dump takes several reads) when it can unshare one (root), else SKIP.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <netlink/socket.h>

#include "sockdiag.h"

#define N_LISTENERS 400

/* The armed fault: reads number `from` .. `from + count - 1` (1-based,
 * counted on sock_diag sockets only) fail with err. */
static struct {
        bool armed;
        unsigned reads, from, count;
        int err;
        unsigned injected;
} inj;

static bool is_sock_diag(int fd)
{
        int proto = -1;
        socklen_t len = sizeof(proto);

        return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
               proto == NETLINK_SOCK_DIAG;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
        static ssize_t (*real)(int, struct msghdr *, int);

        if (!real)
                real = (ssize_t (*)(int, struct msghdr *, int)) dlsym(RTLD_NEXT, "recvmsg");
        if (inj.armed && is_sock_diag(fd)) {
                inj.reads++;
                if (inj.reads >= inj.from && inj.reads < inj.from + inj.count) {
                        inj.injected++;
                        errno = inj.err;
                        return -1;
                }
        }
        return real(fd, msg, flags);
}

static void arm(unsigned from, unsigned count, int err)
{
        inj.reads = 0;
        inj.from = from;
        inj.count = count;
        inj.err = err;
        inj.injected = 0;
        inj.armed = true;
}

static int fds[N_LISTENERS];

/* A private network namespace with lo up and N_LISTENERS TCP listeners. */
static bool setup_netns(void)
{
        struct ifreq ifr;
        int s;

        const char *fork_mode = getenv("CK_FORK");

        /* Without a fork per test the namespace would outlive this test. */
        if ((fork_mode && strcmp(fork_mode, "no") == 0) || geteuid() != 0 ||
            unshare(CLONE_NEWNET) < 0)
                return false;
        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(s, 0);
        memset(&ifr, 0, sizeof(ifr));
        strcpy(ifr.ifr_name, "lo");
        ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
        ifr.ifr_flags |= IFF_UP;
        ck_assert_int_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
        close(s);
        for (int i = 0; i < N_LISTENERS; i++) {
                struct sockaddr_in sin = { .sin_family = AF_INET,
                                           .sin_port = htons((uint16_t) (20000 + i)),
                                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

                fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                ck_assert_int_ge(fds[i], 0);
                ck_assert_int_eq(bind(fds[i], (struct sockaddr *) &sin, sizeof(sin)), 0);
                ck_assert_int_eq(listen(fds[i], 1), 0);
        }
        return true;
}

#define NEED_NETNS()                                                                  \
        do {                                                                          \
                if (!setup_netns()) {                                                 \
                        fprintf(stderr, "SKIP: %s: needs root and CK_FORK=yes (a "    \
                                "private network namespace)\n", __func__);           \
                        return;                                                       \
                }                                                                     \
        } while (0)

/* One unfiltered TCP/IPv4 dump: its listener count, or -errno. */
static int dump_count(struct nl_sock *sk, sa_scan_stats *st)
{
        sa_listener_vec v = { 0 };
        int r = sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 0, 1, &v, st);

        if (r == 0)
                r = (int) v.n;
        else
                ck_assert_uint_eq(v.n, 0);     /* a failed dump reports nothing */
        sa_listener_vec_clear(&v);
        return r;
}

/* EINTR at every read position: retried inside libnl, the dump is whole. */
START_TEST(eintr_is_retried)
{
        struct nl_sock *sk = NULL;
        sa_scan_stats st = { 0 };
        unsigned reads;

        NEED_NETNS();
        ck_assert_int_eq(sa_sockdiag_open(&sk), 0);
        arm(1000, 0, 0);
        ck_assert_int_eq(dump_count(sk, &st), N_LISTENERS);
        reads = inj.reads;
        ck_assert_uint_ge(reads, 2);    /* several datagrams: the faults land mid-dump */
        for (unsigned at = 1; at <= reads; at++) {
                arm(at, 3, EINTR);
                ck_assert_int_eq(dump_count(sk, &st), N_LISTENERS);
                if (at == 1)
                        ck_assert_uint_eq(inj.injected, 3);
        }
        inj.armed = false;
        nl_socket_free(sk);
}
END_TEST

/*
 * ENOBUFS at read _i + 1 of a dump: that dump fails; the next dump on the
 * same socket (the reply of the failed one may still be queued) is whole.
 */
START_TEST(enobufs_fails_dump_then_next_is_whole)
{
        struct nl_sock *sk = NULL;
        sa_scan_stats st = { 0 };
        int r;

        NEED_NETNS();
        ck_assert_int_eq(sa_sockdiag_open(&sk), 0);
        arm((unsigned) _i + 1, 1, ENOBUFS);
        r = dump_count(sk, &st);
        if (inj.injected == 0) {
                /* The dump took fewer reads than that: nothing to test. */
                ck_assert_int_eq(r, N_LISTENERS);
        } else {
                ck_assert_int_eq(r, -ENOBUFS);
                inj.armed = false;
                ck_assert_int_eq(dump_count(sk, &st), N_LISTENERS);
                ck_assert_int_eq(dump_count(sk, &st), N_LISTENERS);
        }
        inj.armed = false;
        nl_socket_free(sk);
}
END_TEST

/* The same through a scanner (the daemon's view): one scan fails, the next
 * ones see every listener again. */
START_TEST(enobufs_scan_recovers)
{
        char root[] = "/tmp/sa-faults-proc.XXXXXX";
        sa_scan_config cfg = { .proc_root = root, .namespaces = SA_NETNS_SELF };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL;
        int r;

        NEED_NETNS();
        ck_assert_ptr_nonnull(mkdtemp(root));   /* an empty /proc: no holders to look for */
        ck_assert_int_eq(sa_scanner_new(&cfg, &s), 0);
        arm(2, 1, ENOBUFS);
        r = sa_scanner_scan(s, NULL, &snap);
        ck_assert_uint_eq(inj.injected, 1);
        ck_assert_int_eq(r, -ENOBUFS);
        inj.armed = false;
        for (int k = 0; k < 3; k++) {
                r = sa_scanner_scan(s, NULL, &snap);
                ck_assert_msg(r == 0, "scan %d after ENOBUFS: %s", k, strerror(-r));
                ck_assert_uint_eq(snap->n_listeners, N_LISTENERS);
                snap = sa_snapshot_free(snap);
        }
        sa_scanner_free(s);
        rmdir(root);
}
END_TEST

Suite *sockdiag_faults_suite(void)
{
        Suite *s = suite_create("sockdiag_faults");
        TCase *tc = tcase_create("faults");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, eintr_is_retried);
        tcase_add_loop_test(tc, enobufs_fails_dump_then_next_is_whole, 0, 4);
        tcase_add_test(tc, enobufs_scan_recovers);
        suite_add_tcase(s, tc);
        return s;
}
