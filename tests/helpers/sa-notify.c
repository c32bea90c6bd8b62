/* SPDX-License-Identifier: MIT */
/*
 * sa-notify: stands in for systemd's notification socket (sd_notify).
 *
 *   sa-notify [--until VAR=VALUE] [--timeout-ms MS] PATH
 *
 * Binds an AF_UNIX datagram socket at PATH (replacing a stale one), with
 * SO_PASSCRED, prints "BOUND" and then one line per datagram received:
 * "MSG pid=<sender pid> <assignments separated by spaces>" (newlines in the
 * datagram become spaces, other control bytes '?'). File descriptors sent
 * along (systemd-notify's BARRIER=1) are closed at once. Exits 0 once a
 * datagram holds the line VAR=VALUE given by --until (default READY=1),
 * 2 on timeout (default 10000 ms), 1 on error. Removes PATH on exit.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* True when buf (len bytes, '\n'-separated assignments) has line want. */
static int has_line(const char *buf, size_t len, const char *want)
{
        size_t wl = strlen(want), i = 0;

        while (i < len) {
                const char *nl = memchr(buf + i, '\n', len - i);
                size_t l = nl ? (size_t)(nl - (buf + i)) : len - i;

                if (l == wl && !memcmp(buf + i, want, wl))
                        return 1;
                i += l + 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        const char *until = "READY=1", *path = NULL;
        long timeout_ms = 10000, deadline;
        int fd, one = 1;

        for (int a = 1; a < argc; a++) {
                if (!strcmp(argv[a], "--until") && a + 1 < argc)
                        until = argv[++a];
                else if (!strcmp(argv[a], "--timeout-ms") && a + 1 < argc)
                        timeout_ms = strtol(argv[++a], NULL, 10);
                else if (argv[a][0] != '-' && !path)
                        path = argv[a];
                else {
                        fprintf(stderr, "usage: sa-notify [--until VAR=VALUE] [--timeout-ms MS] PATH\n");
                        return 1;
                }
        }
        if (!path || strlen(path) >= sizeof(sun.sun_path)) {
                fprintf(stderr, "sa-notify: missing or too long PATH\n");
                return 1;
        }
        strcpy(sun.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                perror("sa-notify: socket");
                return 1;
        }
        (void)unlink(path);
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
                perror("sa-notify: bind");
                return 1;
        }
        printf("BOUND\n");
        fflush(stdout);

        deadline = now_ms() + timeout_ms;
        for (;;) {
                static char buf[4096];
                union {
                        char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
                        struct cmsghdr align;
                } ctl;
                struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b),
                };
                struct pollfd p = { .fd = fd, .events = POLLIN };
                long left = deadline - now_ms();
                struct cmsghdr *c;
                long pid = -1;
                ssize_t n;
                int r;

                if (left <= 0) {
                        fprintf(stderr, "sa-notify: timeout waiting for %s\n", until);
                        unlink(path);
                        return 2;
                }
                r = poll(&p, 1, (int)left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        continue;
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("sa-notify: recvmsg");
                        unlink(path);
                        return 1;
                }
                for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET)
                                continue;
                        if (c->cmsg_type == SCM_CREDENTIALS) {
                                struct ucred uc;

                                memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                                pid = uc.pid;
                        } else if (c->cmsg_type == SCM_RIGHTS) {
                                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                                for (size_t i = 0; i < k; i++) {
                                        int rfd;

                                        memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                                        close(rfd);
                                }
                        }
                }
                printf("MSG pid=%ld ", pid);
                for (ssize_t i = 0; i < n; i++) {
                        unsigned char ch = (unsigned char)buf[i];

                        putchar(ch == '\n' ? ' ' : (ch < 0x20 || ch == 0x7f) ? '?' : ch);
                }
                putchar('\n');
                fflush(stdout);
                if (has_line(buf, (size_t)n, until)) {
                        unlink(path);
                        return 0;
                }
        }
}
