/* SPDX-License-Identifier: MIT */
/* Process events from the proc connector (see watchproc.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "watchproc.h"

/* Debian 12's headers predate per-listener event filters (Linux 6.6). */
struct sad_proc_input {
        enum proc_cn_mcast_op mcast_op;
        uint32_t event_type;
};

#define RCVBUF_BYTES (4 * 1024 * 1024)
#define RECV_BUF 65536

struct watchproc {
        int fd;
        sd_event_source *source;
        watchproc_fn fn;
        void *userdata;
        watchproc_stats stats;
        char *buf;
};

/* True from Linux 6.6 on: the subscription can carry an event filter. */
static bool kernel_filters(void)
{
        struct utsname u;
        unsigned major = 0, minor = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
                return false;
        return major > 6 || (major == 6 && minor >= 6);
}

static int send_op(int fd, enum proc_cn_mcast_op op, bool filtered)
{
        struct {
                struct nlmsghdr nl;
                struct cn_msg cn;
                struct sad_proc_input in;
        } __attribute__((packed)) msg;
        size_t len = filtered ? sizeof msg.in : sizeof msg.in.mcast_op;

        memset(&msg, 0, sizeof msg);
        msg.nl.nlmsg_len = (uint32_t) (sizeof msg.nl + sizeof msg.cn + len);
        msg.nl.nlmsg_type = NLMSG_DONE;
        msg.nl.nlmsg_pid = 0;
        msg.cn.id.idx = CN_IDX_PROC;
        msg.cn.id.val = CN_VAL_PROC;
        msg.cn.len = (uint16_t) len;
        msg.in.mcast_op = op;
        msg.in.event_type = PROC_EVENT_FORK | PROC_EVENT_EXEC | PROC_EVENT_EXIT;
        if (send(fd, &msg, msg.nl.nlmsg_len, 0) < 0)
                return -errno;
        return 0;
}

/* Forks a child that exits at once and waits (up to 500 ms) for its fork
 * event. -ENOTCONN when it never comes. */
static int self_test(watchproc *w)
{
        uint64_t deadline;
        struct timespec ts;
        pid_t kid = fork();

        if (kid < 0)
                return -errno;
        if (kid == 0)
                _exit(0);
        (void) waitpid(kid, NULL, 0);
        clock_gettime(CLOCK_MONOTONIC, &ts);
        deadline = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000 + 500;
        for (;;) {
                struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
                uint64_t now;
                ssize_t n;

                clock_gettime(CLOCK_MONOTONIC, &ts);
                now = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
                if (now >= deadline)
                        return -ENOTCONN;
                if (poll(&pfd, 1, (int) (deadline - now)) <= 0)
                        continue;
                n = recv(w->fd, w->buf, RECV_BUF, 0);
                if (n <= 0)
                        continue;
                for (struct nlmsghdr *nh = (struct nlmsghdr *) w->buf; NLMSG_OK(nh, (size_t) n);
                     nh = NLMSG_NEXT(nh, n)) {
                        const struct cn_msg *cn = NLMSG_DATA(nh);
                        struct proc_event ev;

                        if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *cn + sizeof ev))
                                continue;
                        /* The payload is only 4-byte aligned: copy it out. */
                        memcpy(&ev, cn->data, sizeof ev);
                        if (ev.what == PROC_EVENT_FORK && ev.event_data.fork.child_tgid == kid)
                                return 0;
                }
        }
}

/*
 * A NETLINK_CONNECTOR socket. The connector lives in the initial network
 * namespace only: from another one (a daemon started in a namespace) the
 * socket is made there, by setns into the namespace of kthreadd (pid 2,
 * always in the initial one) and back; needs CAP_SYS_ADMIN, like the
 * connector itself needs CAP_NET_ADMIN. -errno.
 */
static int connector_socket(void)
{
        int fd, init_ns = -1, own_ns = -1, r;
        struct stat a, b;

        if (stat("/proc/thread-self/ns/net", &a) < 0 || stat("/proc/2/ns/net", &b) < 0 ||
            a.st_ino == b.st_ino) {
                fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
                return fd < 0 ? -errno : fd;
        }
        own_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        init_ns = open("/proc/2/ns/net", O_RDONLY | O_CLOEXEC);
        if (own_ns < 0 || init_ns < 0 || setns(init_ns, CLONE_NEWNET) < 0) {
                r = -errno;
                goto out;
        }
        fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
        r = fd < 0 ? -errno : fd;
        if (setns(own_ns, CLONE_NEWNET) < 0) {
                /* Never expected: stay out of a namespace we do not report on. */
                if (fd >= 0)
                        close(fd);
                r = -errno;
                abort();
        }
out:
        if (own_ns >= 0)
                close(own_ns);
        if (init_ns >= 0)
                close(init_ns);
        return r;
}

int watchproc_open(watchproc **ret)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
        int size = RCVBUF_BYTES, r;
        watchproc *w = calloc(1, sizeof *w);

        if (!w)
                return -ENOMEM;
        w->buf = malloc(RECV_BUF);
        if (!w->buf) {
                free(w);
                return -ENOMEM;
        }
        w->fd = connector_socket();
        if (w->fd < 0) {
                r = w->fd;
                goto fail;
        }
        if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
                (void) setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (bind(w->fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = -errno;
                goto fail;
        }
        r = send_op(w->fd, PROC_CN_MCAST_LISTEN, kernel_filters());
        if (r < 0)
                goto fail;
        /* The kernel ignores listeners outside the initial pid and user
         * namespaces, and refuses them without CAP_NET_ADMIN, with no
         * error to the sender: make sure a fork of ours is reported. */
        r = self_test(w);
        if (r < 0)
                goto fail;
        *ret = w;
        return 0;
fail:
        watchproc_free(w);
        return r;
}

static void handle(watchproc *w, const struct proc_event *ev)
{
        switch (ev->what) {
        case PROC_EVENT_FORK:
                if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid)
                        break; /* a thread */
                w->stats.events++;
                w->fn(WATCHPROC_NEW, ev->event_data.fork.child_tgid,
                      ev->event_data.fork.parent_tgid, w->userdata);
                return;
        case PROC_EVENT_EXEC:
                w->stats.events++;
                w->fn(WATCHPROC_EXEC, ev->event_data.exec.process_tgid, 0, w->userdata);
                return;
        case PROC_EVENT_EXIT:
                if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid)
                        break;
                w->stats.events++;
                w->fn(WATCHPROC_EXIT, ev->event_data.exit.process_tgid, 0, w->userdata);
                return;
        default:
                break;
        }
        w->stats.ignored++;
}

void watchproc_drain(watchproc *w)
{
        if (!w || !w->fn)
                return;
        for (;;) {
                ssize_t n = recv(w->fd, w->buf, RECV_BUF, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                w->stats.lost++;
                                w->fn(WATCHPROC_LOST, 0, 0, w->userdata);
                                continue;
                        }
                        return; /* EAGAIN: drained */
                }
                if (n == 0)
                        return;
                for (struct nlmsghdr *nh = (struct nlmsghdr *) w->buf; NLMSG_OK(nh, (size_t) n);
                     nh = NLMSG_NEXT(nh, n)) {
                        const struct cn_msg *cn;

                        if (nh->nlmsg_type == NLMSG_OVERRUN) {
                                w->stats.lost++;
                                w->fn(WATCHPROC_LOST, 0, 0, w->userdata);
                                continue;
                        }
                        if (nh->nlmsg_type == NLMSG_NOOP || nh->nlmsg_type == NLMSG_ERROR)
                                continue;
                        if (nh->nlmsg_len < NLMSG_LENGTH(sizeof *cn))
                                continue;
                        cn = NLMSG_DATA(nh);
                        if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC ||
                            cn->len < sizeof(struct proc_event) ||
                            nh->nlmsg_len < NLMSG_LENGTH(sizeof *cn + sizeof(struct proc_event)))
                                continue;
                        struct proc_event ev;
                        memcpy(&ev, cn->data, sizeof ev);     /* 4-byte aligned in the message */
                        handle(w, &ev);
                }
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        watchproc_drain(userdata);
        return 0;
}

int watchproc_attach(watchproc *w, sd_event *e, watchproc_fn fn, void *userdata)
{
        int r;

        w->fn = fn;
        w->userdata = userdata;
        r = sd_event_add_io(e, &w->source, w->fd, EPOLLIN, on_io, w);
        if (r < 0)
                return r;
        /* Before requests and timers: a who right after a fork sees it. */
        return sd_event_source_set_priority(w->source, SD_EVENT_PRIORITY_IMPORTANT);
}

void watchproc_get_stats(const watchproc *w, watchproc_stats *ret)
{
        *ret = w ? w->stats : (watchproc_stats) { 0 };
}

watchproc *watchproc_free(watchproc *w)
{
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        if (w->fd >= 0) {
                (void) send_op(w->fd, PROC_CN_MCAST_IGNORE, false);
                close(w->fd);
        }
        free(w->buf);
        free(w);
        return NULL;
}
