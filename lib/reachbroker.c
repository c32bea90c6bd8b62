/* SPDX-License-Identifier: MIT */
/*
 * The reachability broker (include/reach.h): both sides of its socket.
 * A request is {op, has_fd} with the namespace's fd as SCM_RIGHTS; a reply
 * is {r, len, legacy, err}, then len bytes of dumps (DUMP), or with the
 * two subscribed sockets as SCM_RIGHTS (SUBSCRIBE), or with the socket's
 * namespace as SCM_RIGHTS (SKNS: the request's fd is a socket). The broker only ever
 * sends nf_tables GET requests: its capability reads, never writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "nftread.h"
#include "reachbroker.h"
#include "util.h"

enum { OP_DUMP = 1, OP_SUBSCRIBE = 2, OP_SKNS = 3 };

struct req {
        uint32_t op, has_fd;
};

struct rep {
        int32_t r;
        uint32_t len;
        char legacy[128];
        char err[160];
};

struct sa_reach_broker {
        int fd;
        pid_t pid;
        pthread_mutex_t lock;   /* one request at a time */
};

/* Sends n bytes at p with fds (n_fds of them) on the first byte. */
static int send_with_fds(int fd, const void *p, size_t n, const int *fds, size_t n_fds)
{
        char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
        struct iovec iov = { .iov_base = (void *) p, .iov_len = n };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        const char *c = p;
        ssize_t k;

        if (n_fds > 0) {
                struct cmsghdr *cm;

                mh.msg_control = cbuf;
                mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
                memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
        }
        while (n > 0) {
                k = sendmsg(fd, &mh, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EPIPE;
                c += k;
                n -= (size_t) k;
                iov.iov_base = (void *) c;
                iov.iov_len = n;
                mh.msg_control = NULL;
                mh.msg_controllen = 0;
        }
        return 0;
}

/* Receives exactly n bytes into p; fds that came with them into fds (up to max, others closed). */
static int recv_with_fds(int fd, void *p, size_t n, int *fds, size_t max, size_t *ret_n_fds)
{
        char cbuf[CMSG_SPACE(4 * sizeof(int))];
        char *c = p;
        size_t got_fds = 0;

        while (n > 0) {
                struct iovec iov = { .iov_base = c, .iov_len = n };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                                     .msg_controllen = sizeof cbuf };
                ssize_t k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EPIPE;
                for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                                continue;
                        for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
                                int f;

                                memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
                                if (got_fds < max)
                                        fds[got_fds++] = f;
                                else
                                        close(f);
                        }
                }
                c += k;
                n -= (size_t) k;
        }
        if (ret_n_fds)
                *ret_n_fds = got_fds;
        else
                for (size_t i = 0; i < got_fds; i++)
                        close(fds[i]);
        return 0;
}

/* ---- the broker's side ---- */

/* The forwarding switches' changes (RTM_NEWNETCONF): a host's published ports depend on them. */
#define NETCONF_GROUPS (1u << (RTNLGRP_IPV4_NETCONF - 1) | 1u << (RTNLGRP_IPV6_NETCONF - 1))

/* A netlink socket of protocol proto bound to groups, joined to group (0: none), non-blocking. */
static int open_sub(int proto, uint32_t groups, int group)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = groups };
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto), rcv = 1 << 20;

        if (fd < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            (group && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

/* Both subscriptions in the namespace nsfd (-1: here); home: the broker's own, to go back to. */
static int subscribe_in(int nsfd, int home, int fds[2], char *err, size_t errlen)
{
        int r = 0;

        if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) {
                snprintf(err, errlen, "entering the namespace: %s", strerror(errno));
                return -errno;
        }
        fds[0] = open_sub(NETLINK_NETFILTER, 0, NFNLGRP_NFTABLES);
        fds[1] = fds[0] < 0 ? -1 : open_sub(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | NETCONF_GROUPS, 0);
        if (fds[0] < 0 || fds[1] < 0) {
                r = fds[0] < 0 ? fds[0] : fds[1];
                snprintf(err, errlen, "%s group: %s", fds[0] < 0 ? "nftables" : "rtnetlink", strerror(-r));
                if (fds[0] >= 0)
                        close(fds[0]);
        }
        if (nsfd >= 0 && setns(home, CLONE_NEWNET) < 0)
                _exit(1);       /* cannot go home: every later answer would be about the wrong namespace */
        return r;
}

static int serve_one(int fd, int home, const struct req *q, int nsfd)
{
        struct rep p = { 0 };
        void *buf = NULL;
        size_t len = 0;
        int subs[2] = { -1, -1 }, r;

        if (q->op == OP_DUMP) {
                r = sa_nft_read_bytes(nsfd, &buf, &len, p.legacy, sizeof p.legacy, p.err, sizeof p.err);
                p.r = r;
                p.len = r < 0 ? 0 : (uint32_t) len;
                r = send_with_fds(fd, &p, sizeof p, NULL, 0);
                if (r >= 0 && p.len)
                        r = send_with_fds(fd, buf, len, NULL, 0);
                free(buf);
                return r;
        }
        if (q->op == OP_SUBSCRIBE) {
                p.r = subscribe_in(nsfd, home, subs, p.err, sizeof p.err);
                r = send_with_fds(fd, &p, sizeof p, subs, p.r < 0 ? 0 : 2);
                if (subs[0] >= 0)
                        close(subs[0]), close(subs[1]);
                return r;
        }
        if (q->op == OP_SKNS) {
                int ns = nsfd >= 0 ? ioctl(nsfd, SIOCGSKNS) : -1;

                p.r = ns < 0 ? (nsfd < 0 ? -EBADF : -errno) : 0;
                if (ns < 0)
                        snprintf(p.err, sizeof p.err, "SIOCGSKNS: %s", strerror(-p.r));
                r = send_with_fds(fd, &p, sizeof p, &ns, ns < 0 ? 0 : 1);
                if (ns >= 0)
                        close(ns);
                return r;
        }
        p.r = -EINVAL;
        snprintf(p.err, sizeof p.err, "unknown request %u", q->op);
        return send_with_fds(fd, &p, sizeof p, NULL, 0);
}

/* Keeps CAP_NET_ADMIN and CAP_SYS_ADMIN (when held), nothing else; no new privileges. */
static void confine(void)
{
        static const cap_value_t keep[] = { CAP_NET_ADMIN, CAP_SYS_ADMIN };
        cap_t have = cap_get_proc(), want = cap_init();

        for (cap_value_t c = 0; cap_valid(c); c++)
                if (c != CAP_NET_ADMIN && c != CAP_SYS_ADMIN && c != CAP_SETPCAP)
                        (void) cap_drop_bound(c);
        for (size_t i = 0; have && want && i < ELEMENTSOF(keep); i++) {
                cap_flag_value_t v = CAP_CLEAR;

                if (cap_get_flag(have, keep[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET) {
                        (void) cap_set_flag(want, CAP_PERMITTED, 1, &keep[i], CAP_SET);
                        (void) cap_set_flag(want, CAP_EFFECTIVE, 1, &keep[i], CAP_SET);
                }
        }
        (void) cap_drop_bound(CAP_SETPCAP);
        if (!want || cap_set_proc(want) < 0)
                _exit(1);
        cap_free(have);
        cap_free(want);
        (void) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

int sa_reach_broker_serve(int fd)
{
        int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

        confine();
        if (home < 0)
                return 1;
        for (;;) {
                struct req q;
                int nsfd = -1;
                size_t n_fds = 0;
                int r = recv_with_fds(fd, &q, sizeof q, &nsfd, 1, &n_fds);

                if (r == -EPIPE)
                        return 0;
                if (r < 0 || (q.has_fd != 0) != (n_fds == 1)) {
                        if (n_fds)
                                close(nsfd);
                        return 1;
                }
                r = serve_one(fd, home, &q, n_fds ? nsfd : -1);
                if (n_fds)
                        close(nsfd);
                if (r < 0)
                        return 1;
        }
}

/* ---- the daemon's side ---- */

int sa_reach_broker_start(const char *helper, sa_reach_broker **ret, char *err, size_t errlen)
{
        extern char **environ;
        char *argv[] = { (char *) helper, (char *) "--broker", NULL };
        posix_spawn_file_actions_t fa;
        sa_reach_broker *b;
        int sv[2], r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                snprintf(err, errlen, "socketpair: %s", strerror(errno));
                return -errno;
        }
        b = calloc(1, sizeof *b);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
        r = b ? posix_spawn(&b->pid, helper, &fa, NULL, argv, environ) : ENOMEM;
        posix_spawn_file_actions_destroy(&fa);
        close(sv[1]);
        if (r) {
                snprintf(err, errlen, "%s: %s", helper, strerror(r));
                close(sv[0]);
                free(b);
                return -r;
        }
        b->fd = sv[0];
        pthread_mutex_init(&b->lock, NULL);
        *ret = b;
        return 0;
}

void sa_reach_broker_stop(sa_reach_broker *b)
{
        if (b)
                (void) shutdown(b->fd, SHUT_RDWR);
}

sa_reach_broker *sa_reach_broker_free(sa_reach_broker *b)
{
        if (!b)
                return NULL;
        close(b->fd);
        for (int i = 0; i < 100 && waitpid(b->pid, NULL, WNOHANG) == 0; i++) {
                if (i == 99) {
                        kill(b->pid, SIGKILL);
                        (void) waitpid(b->pid, NULL, 0);
                }
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10000000 }, NULL);
        }
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
}

/* One request and its reply's header; fds as the reply carried them. */
static int ask(sa_reach_broker *b, uint32_t op, int netns_fd, struct rep *p, int *fds, size_t *n_fds)
{
        struct req q = { .op = op, .has_fd = netns_fd >= 0 };
        int r = send_with_fds(b->fd, &q, sizeof q, &netns_fd, netns_fd >= 0 ? 1 : 0);

        if (r >= 0)
                r = recv_with_fds(b->fd, p, sizeof *p, fds, 2, n_fds);
        if (r < 0)
                snprintf(p->err, sizeof p->err, "the broker: %s", strerror(-r));
        p->err[sizeof p->err - 1] = 0;
        p->legacy[sizeof p->legacy - 1] = 0;
        return r;
}

int sa_reach_broker_subscribe(sa_reach_broker *b, int netns_fd, int *ret_nft, int *ret_rtnl, char *err,
                              size_t errlen)
{
        struct rep p = { 0 };
        int fds[2] = { -1, -1 };
        size_t n = 0;
        int r;

        pthread_mutex_lock(&b->lock);
        r = ask(b, OP_SUBSCRIBE, netns_fd, &p, fds, &n);
        pthread_mutex_unlock(&b->lock);
        if (r >= 0 && p.r >= 0 && n != 2) {
                snprintf(p.err, sizeof p.err, "the broker sent %zu sockets", n);
                r = -EBADMSG;
        }
        if (r < 0 || p.r < 0) {
                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
                snprintf(err, errlen, "%s", p.err);
                return r < 0 ? r : (p.r < 0 ? p.r : -EIO);
        }
        *ret_nft = fds[0];
        *ret_rtnl = fds[1];
        return 0;
}

int sa_reach_broker_dump(sa_reach_broker *b, int netns_fd, void **ret_buf, size_t *ret_len, char *legacy,
                         size_t legacylen, char *err, size_t errlen)
{
        struct rep p = { 0 };
        char *buf = NULL;
        int r;

        pthread_mutex_lock(&b->lock);
        r = ask(b, OP_DUMP, netns_fd, &p, NULL, NULL);
        if (r >= 0 && p.r >= 0 && p.len > SA_NFT_DUMP_MAX)
                r = -EBADMSG, snprintf(p.err, sizeof p.err, "the broker: %u bytes of dumps", p.len);
        if (r >= 0 && p.r >= 0 && !(buf = malloc(p.len ? p.len : 1)))
                r = -ENOMEM, snprintf(p.err, sizeof p.err, "out of memory");
        if (r >= 0 && p.r >= 0 && p.len)
                r = recv_with_fds(b->fd, buf, p.len, NULL, 0, NULL);
        pthread_mutex_unlock(&b->lock);
        if (r < 0 || p.r < 0) {
                free(buf);
                snprintf(err, errlen, "%s", p.err[0] ? p.err : strerror(-(r < 0 ? r : p.r)));
                return r < 0 ? r : p.r;
        }
        *ret_buf = buf;
        *ret_len = p.len;
        snprintf(legacy, legacylen, "%s", p.legacy);
        return 0;
}

int sa_reach_broker_skns(sa_reach_broker *b, int sock_fd, char *err, size_t errlen)
{
        struct rep p = { 0 };
        int ns = -1;
        size_t n = 0;
        int r;

        pthread_mutex_lock(&b->lock);
        r = ask(b, OP_SKNS, sock_fd, &p, &ns, &n);
        pthread_mutex_unlock(&b->lock);
        if (r >= 0 && p.r >= 0 && n != 1) {
                snprintf(p.err, sizeof p.err, "the broker sent %zu namespaces", n);
                r = -EBADMSG;
        }
        if (r < 0 || p.r < 0) {
                if (n)
                        close(ns);
                snprintf(err, errlen, "%s", p.err);
                return r < 0 ? r : p.r;
        }
        return ns;
}
