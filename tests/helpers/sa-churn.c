/* SPDX-License-Identifier: MIT */
/*
 * sa-churn: listener churn, as a hostile local user makes it (issue 17 §1,
 * issue 18 §3).
 *
 *   sa-churn netns PORT HOLD_MS SECONDS
 *       Loop for SECONDS: fork; the child enters a new user and network
 *       namespace (unshare(CLONE_NEWUSER | CLONE_NEWNET)), listens on TCP
 *       PORT (0.0.0.0) for HOLD_MS and exits (or dies with the parent);
 *       the parent reaps it.
 *   sa-churn flap PORT EVERY_US SECONDS [KEEP_SECONDS]
 *       Loop for SECONDS in the caller's namespace: a TCP socket bound to
 *       0.0.0.0:PORT listens, is closed, and the next comes EVERY_US later;
 *       then, with KEEP_SECONDS, one more listens and stays that long.
 *
 * Prints "cycles N failed M" at the end; exits 0 when at least one cycle
 * worked, 1 otherwise (2: usage).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_sec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_us(long us)
{
        struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* A TCP listener on 0.0.0.0:port, or -1. */
static int listen_on(unsigned port)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -1;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &a, sizeof a) < 0 || listen(fd, 8) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* One cycle of netns mode: 0 if the child listened. */
static int netns_cycle(unsigned port, long hold_ms)
{
        int st = 0;
        pid_t pid = fork();

        if (pid < 0)
                return -1;
        if (pid == 0) {
                int fd;

                /* Ends with us (a test that ends us before HOLD_MS leaves nothing behind). */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
                        _exit(1);
                if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                        _exit(1);
                fd = listen_on(port);
                if (fd < 0)
                        _exit(1);
                sleep_us(hold_ms * 1000);
                _exit(0);
        }
        if (waitpid(pid, &st, 0) < 0)
                return -1;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* One cycle of flap mode: 0 if the socket listened. */
static int flap_cycle(unsigned port, long every_us)
{
        int fd = listen_on(port);

        if (fd >= 0)
                close(fd);
        sleep_us(every_us);
        return fd >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
        unsigned long cycles = 0, failed = 0;
        unsigned port;
        long arg, secs, keep;
        bool netns;
        double end;

        if (argc < 5 || argc > 6 || (strcmp(argv[1], "netns") && strcmp(argv[1], "flap")) ||
            (argc == 6 && strcmp(argv[1], "flap"))) {
                fprintf(stderr, "usage: sa-churn netns PORT HOLD_MS SECONDS | "
                                "flap PORT EVERY_US SECONDS [KEEP_SECONDS]\n");
                return 2;
        }
        netns = !strcmp(argv[1], "netns");
        port = (unsigned) strtoul(argv[2], NULL, 10);
        arg = strtol(argv[3], NULL, 10);
        secs = strtol(argv[4], NULL, 10);
        keep = argc == 6 ? strtol(argv[5], NULL, 10) : 0;
        if (port == 0 || port > 65535 || arg < 0 || arg > 10000000 || secs <= 0 || secs > 3600 ||
            keep < 0 || keep > 3600) {
                fprintf(stderr, "sa-churn: bad argument\n");
                return 2;
        }
        end = now_sec() + (double) secs;
        while (now_sec() < end) {
                int r = netns ? netns_cycle(port, arg) : flap_cycle(port, arg);

                cycles++;
                if (r < 0)
                        failed++;
        }
        printf("cycles %lu failed %lu\n", cycles, failed);
        fflush(stdout);
        if (keep > 0) {
                int fd = listen_on(port);

                if (fd < 0)
                        return 1;
                printf("KEPT %d\n", (int) getpid());
                fflush(stdout);
                sleep_us(keep * 1000000L);
                close(fd);
        }
        return cycles > failed ? 0 : 1;
}
