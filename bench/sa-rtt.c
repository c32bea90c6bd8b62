/* SPDX-License-Identifier: MIT */
/*
 * sa-rtt: a request's round trip on the control socket, without the CLI.
 *
 *   sa-rtt SOCKET ROUNDS REQUEST [REQUEST...]
 *
 * Connects once, then ROUNDS times sends each REQUEST (one JSON line, the
 * "\n" added) and reads its whole reply line. Prints one line per request,
 * "median_ms max_ms reply_bytes", in order. Exit 1 on any failure
 * (connect, a reply without "\"ok\":true", the peer closing).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchtime.h"

#define ROUNDS_MAX 10000
#define REQS_MAX 8

static char *buf;
static size_t cap, have;

/* One reply line into buf[0..*ret_len) (the "\n" excluded); bytes after it kept. */
static int read_line(int fd, size_t *ret_len)
{
        for (;;) {
                char *nl = have ? memchr(buf, '\n', have) : NULL;
                ssize_t k;

                if (nl) {
                        *ret_len = (size_t) (nl - buf);
                        return 0;
                }
                if (have == cap) {
                        char *b = realloc(buf, cap = cap ? cap * 2 : 1 << 16);
                        if (!b)
                                return -1;
                        buf = b;
                }
                k = read(fd, buf + have, cap - have);
                if (k <= 0)
                        return -1;
                have += (size_t) k;
        }
}

int main(int argc, char **argv)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
        int n = argc - 3, fd;
        double *t;
        size_t bytes[REQS_MAX] = { 0 };

        if (argc < 4 || n > REQS_MAX || rounds <= 0 || rounds > ROUNDS_MAX ||
            strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "usage: sa-rtt SOCKET ROUNDS REQUEST [REQUEST...]\n");
                return 1;
        }
        strcpy(sa.sun_path, argv[1]);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                perror("sa-rtt: connect");
                return 1;
        }
        t = calloc((size_t) (rounds * n), sizeof *t);
        if (!t)
                return 1;
        for (long r = 0; r < rounds; r++)
                for (int i = 0; i < n; i++) {
                        size_t len;
                        double t0 = now_ms();

                        if (dprintf(fd, "%s\n", argv[3 + i]) < 0 || read_line(fd, &len) < 0) {
                                fprintf(stderr, "sa-rtt: no reply to %s\n", argv[3 + i]);
                                return 1;
                        }
                        t[i * rounds + r] = now_ms() - t0;
                        if (!memmem(buf, len, "\"ok\":true", 9)) {
                                fprintf(stderr, "sa-rtt: %.*s\n", (int) (len < 300 ? len : 300), buf);
                                return 1;
                        }
                        bytes[i] = len + 1;
                        have -= len + 1;
                        memmove(buf, buf + len + 1, have);
                }
        for (int i = 0; i < n; i++) {
                double *ti = &t[i * rounds];

                qsort(ti, (size_t) rounds, sizeof *ti, cmp_d);
                printf("%.3f %.3f %zu\n", ti[(rounds - 1) / 2], ti[rounds - 1], bytes[i]);
        }
        free(t);
        free(buf);
        close(fd);
        return 0;
}
