/* SPDX-License-Identifier: MIT */
/*
 * sa-send: a raw client for the control socket, for tests that must send
 * bytes the real CLI never would.
 *
 *   sa-send [--count N] [--timeout-ms MS] [--hold-ms MS] [--linger-ms MS]
 *           [--conns N] PATH < REQUEST-BYTES
 *
 * Connects to the UNIX stream socket PATH, writes all of stdin (while
 * reading, so a peer that answers early never deadlocks us), then prints
 * every reply line to stdout as received.
 *   --count N      stop after N reply lines, then keep reading --linger-ms
 *                  (default 200) and print any extra line too. Without
 *                  --count: shut down our write side after stdin and read
 *                  until the peer closes.
 *   --hold-ms MS   after writing stdin, wait MS before reading on (a slow
 *                  client holding a partial line).
 *   --conns N      first open N-1 extra idle connections and hold them
 *                  open until we exit (client-limit tests).
 *   --no-read      never read: after writing stdin, hold the connection for
 *                  --hold-ms and exit 0 (a client that does not drain its
 *                  replies).
 *   --timeout-ms   overall limit (default 5000).
 * Exit codes: 0 done (count reached, or peer closed when no --count),
 * 1 error, 2 timeout, 3 connect failed, 4 peer closed before --count lines.
 * stderr gets "sa-send: peer closed" when the peer closed the connection.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
        fprintf(stderr, "usage: sa-send [--count N] [--timeout-ms MS] [--hold-ms MS] "
                        "[--linger-ms MS] [--conns N] [--no-read] PATH < bytes\n");
        exit(1);
}

static long parse_num(const char *s)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0)
                usage();
        return v;
}

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int connect_to(const char *path)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sun.sun_path)) {
                fprintf(stderr, "sa-send: path too long\n");
                exit(1);
        }
        strcpy(sun.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                fprintf(stderr, "sa-send: connect %s: %s\n", path, strerror(errno));
                exit(3);
        }
        return fd;
}

/* Reads all of stdin. Caller frees. */
static char *slurp_stdin(size_t *ret_len)
{
        size_t cap = 65536, len = 0;
        char *buf = malloc(cap);
        ssize_t n;

        if (!buf)
                exit(1);
        for (;;) {
                if (len == cap) {
                        cap *= 2;
                        buf = realloc(buf, cap);
                        if (!buf)
                                exit(1);
                }
                n = read(STDIN_FILENO, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        perror("sa-send: stdin");
                        exit(1);
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret_len = len;
        return buf;
}

int main(int argc, char **argv)
{
        long count = -1, timeout_ms = 5000, hold_ms = 0, linger_ms = 200, conns = 1;
        const char *path = NULL;
        static char rbuf[1 << 20];
        char *out;
        size_t out_len, out_off = 0, rlen = 0;
        long deadline, linger_end = -1;
        long lines = 0;
        bool held = false, shut = false, no_read = false;
        int fd, rc;

        for (int a = 1; a < argc; a++) {
                if (!strcmp(argv[a], "--count") && a + 1 < argc)
                        count = parse_num(argv[++a]);
                else if (!strcmp(argv[a], "--timeout-ms") && a + 1 < argc)
                        timeout_ms = parse_num(argv[++a]);
                else if (!strcmp(argv[a], "--hold-ms") && a + 1 < argc)
                        hold_ms = parse_num(argv[++a]);
                else if (!strcmp(argv[a], "--linger-ms") && a + 1 < argc)
                        linger_ms = parse_num(argv[++a]);
                else if (!strcmp(argv[a], "--no-read"))
                        no_read = true;
                else if (!strcmp(argv[a], "--conns") && a + 1 < argc)
                        conns = parse_num(argv[++a]);
                else if (argv[a][0] != '-' && !path)
                        path = argv[a];
                else
                        usage();
        }
        if (!path || conns < 1)
                usage();

        out = slurp_stdin(&out_len);
        deadline = now_ms() + timeout_ms;
        for (long i = 1; i < conns; i++)
                (void)connect_to(path); /* held until exit */
        fd = connect_to(path);

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                long t = now_ms(), wait_ms;
                int r;

                if (count >= 0 && lines >= count && linger_end < 0)
                        linger_end = t + linger_ms;
                if (linger_end >= 0 && t >= linger_end)
                        break;
                if (t >= deadline) {
                        fflush(stdout);
                        fprintf(stderr, "sa-send: timeout after %ld lines\n", lines);
                        rc = 2;
                        goto done;
                }
                if (out_off == out_len && !held) {
                        held = true;
                        if (hold_ms > 0)
                                usleep((useconds_t)hold_ms * 1000);
                        if (no_read) {
                                rc = 0;
                                goto done;
                        }
                }
                if (out_off == out_len && held && count < 0 && !shut) {
                        shutdown(fd, SHUT_WR);
                        shut = true;
                }
                if (out_off < out_len)
                        p.events |= POLLOUT;
                if (no_read)
                        p.events &= ~POLLIN;
                wait_ms = (linger_end >= 0 ? linger_end : deadline) - t;
                r = poll(&p, 1, (int)(wait_ms > 0 ? wait_ms : 0));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        perror("sa-send: poll");
                        rc = 1;
                        goto done;
                }
                if (p.revents & POLLOUT) {
                        ssize_t n = send(fd, out + out_off, out_len - out_off, MSG_NOSIGNAL);

                        if (n < 0 && errno != EAGAIN && errno != EINTR) {
                                /* The peer may have closed; read what it said. */
                                fprintf(stderr, "sa-send: send: %s\n", strerror(errno));
                                out_off = out_len;
                        } else if (n > 0) {
                                out_off += (size_t)n;
                        }
                }
                if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = recv(fd, rbuf + rlen, sizeof(rbuf) - rlen, 0);
                        char *nl;

                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (n <= 0) {
                                if (rlen > 0) /* unterminated tail */
                                        printf("%.*s\n", (int)rlen, rbuf);
                                fflush(stdout);
                                fprintf(stderr, "sa-send: peer closed%s%s\n",
                                        n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
                                if (count >= 0 && lines < count) {
                                        rc = 4;
                                        goto done;
                                }
                                rc = 0;
                                goto done;
                        }
                        rlen += (size_t)n;
                        while ((nl = memchr(rbuf, '\n', rlen))) {
                                size_t l = (size_t)(nl - rbuf) + 1;

                                fwrite(rbuf, 1, l, stdout);
                                fflush(stdout);
                                memmove(rbuf, rbuf + l, rlen - l);
                                rlen -= l;
                                lines++;
                        }
                        if (rlen == sizeof(rbuf)) {
                                fprintf(stderr, "sa-send: reply line over %zu bytes\n",
                                        sizeof(rbuf));
                                rc = 1;
                                goto done;
                        }
                }
        }
        fflush(stdout);
        rc = 0;
done:
        free(out);
        return rc;
}
