/* SPDX-License-Identifier: MIT */
/*
 * sa-fresh: how long a new listener takes to reach a `watch` client.
 *
 *   sa-fresh SOCKET PORT COUNT
 *
 * Subscribes to the daemon's events, then COUNT times: forks a process
 * that listens on TCP 0.0.0.0:PORT, and times from just before listen() to
 * the "listener_added" event for PORT in its own network namespace (a
 * daemon watching every namespace reports other jobs' PORT too); then ends
 * it and times from just before its exit to "listener_removed". Prints
 * "added median_ms max_ms removed median_ms max_ms". Exit 1 when an event
 * did not come within 10 s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchtime.h"

static char buf[1 << 20];
static size_t have;

/* Waits for a line holding the three needles; its arrival time, or -1. */
static double wait_line(int fd, const char *a, const char *b, const char *c)
{
        double end = now_ms() + 10000;

        for (;;) {
                char *nl;

                while ((nl = memchr(buf, '\n', have))) {
                        *nl = '\0';
                        bool hit = strstr(buf, a) && strstr(buf, b) && strstr(buf, c);
                        size_t used = (size_t) (nl - buf) + 1;
                        memmove(buf, nl + 1, have - used);
                        have -= used;
                        if (hit)
                                return now_ms();
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                double left = end - now_ms();
                if (left <= 0 || poll(&p, 1, (int) left + 1) <= 0)
                        return -1;
                ssize_t n = read(fd, buf + have, sizeof buf - have - 1);
                if (n <= 0)
                        return -1;
                have += (size_t) n;
        }
}

int main(int argc, char **argv)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        char port_s[32], netns_s[48];
        struct stat ns;
        double *add, *rem;
        int fd, count, port;

        if (argc != 4 || (port = atoi(argv[2])) <= 0 || (count = atoi(argv[3])) <= 0) {
                fprintf(stderr, "usage: sa-fresh SOCKET PORT COUNT\n");
                return 2;
        }
        add = calloc((size_t) count, sizeof *add);
        rem = calloc((size_t) count, sizeof *rem);
        snprintf(port_s, sizeof port_s, "\"port\":%d,", port);
        if (stat("/proc/self/ns/net", &ns) < 0) {
                perror("sa-fresh: /proc/self/ns/net");
                return 1;
        }
        snprintf(netns_s, sizeof netns_s, "\"netns\":%llu,", (unsigned long long) ns.st_ino);
        snprintf(sun.sun_path, sizeof sun.sun_path, "%s", argv[1]);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
                perror("sa-fresh: connect");
                return 1;
        }
        if (write(fd, "{\"cmd\":\"watch\"}\n", 16) != 16 || wait_line(fd, "\"ok\"", "", "") < 0) {
                fprintf(stderr, "sa-fresh: no answer to watch\n");
                return 1;
        }
        for (int i = 0; i < count; i++) {
                int up[2], down[2];
                double t;
                char c;

                if (pipe(up) < 0 || pipe(down) < 0)
                        return 1;
                usleep(300000); /* let the daemon settle: not a burst of processes */
                pid_t kid = fork();
                if (kid == 0) {
                        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
                        int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

                        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
                        if (bind(s, (struct sockaddr *) &in, sizeof in) < 0)
                                _exit(1);
                        t = now_ms();
                        if (listen(s, 8) < 0 || write(up[1], &t, sizeof t) != sizeof t)
                                _exit(1);
                        if (read(down[0], &c, 1) != 1)
                                _exit(1);
                        t = now_ms();
                        if (write(up[1], &t, sizeof t) != sizeof t)
                                _exit(1);
                        _exit(0);
                }
                if (kid < 0 || read(up[0], &t, sizeof t) != sizeof t)
                        return 1;
                double got = wait_line(fd, "listener_added", port_s, netns_s);
                if (got < 0) {
                        fprintf(stderr, "sa-fresh: no listener_added for port %d within 10 s\n", port);
                        kill(kid, SIGKILL);
                        return 1;
                }
                add[i] = got - t;
                usleep(300000);
                if (write(down[1], "x", 1) != 1 || read(up[0], &t, sizeof t) != sizeof t)
                        return 1;
                waitpid(kid, NULL, 0);
                got = wait_line(fd, "listener_removed", port_s, netns_s);
                if (got < 0) {
                        fprintf(stderr, "sa-fresh: no listener_removed for port %d within 10 s\n", port);
                        return 1;
                }
                rem[i] = got - t;
                fprintf(stderr, "   sa-fresh round %d: added %.1f ms, removed %.1f ms\n", i + 1, add[i], rem[i]);
                close(up[0]); close(up[1]); close(down[0]); close(down[1]);
        }
        qsort(add, (size_t) count, sizeof *add, cmp_d);
        qsort(rem, (size_t) count, sizeof *rem, cmp_d);
        printf("added %.1f %.1f removed %.1f %.1f\n", add[count / 2], add[count - 1], rem[count / 2],
               rem[count - 1]);
        return 0;
}
