/* SPDX-License-Identifier: MIT */
/*
 * sa-netns-listen: a container host in miniature, for the namespaces bench
 * and test (issue 12): N processes, each alone in a network namespace of
 * its own, holding TCP 443 on IPv4 and TCP 8080 on IPv6 (v6only).
 *
 *   sa-netns-listen N [SINGLE_PORT]
 *
 * Needs root (unshare(CLONE_NEWNET)). Forks N children without an exec
 * each; child 0 also holds TCP SINGLE_PORT on IPv4 when given (a port held
 * in one namespace only). Prints one line per child, "PID", then "READY",
 * and waits. In a child, SIGUSR1 replaces its 443 listener (closed, then a
 * new socket on the lowest free fd) and SIGUSR2 closes it. SIGTERM or
 * SIGINT to the parent ends every child (PR_SET_PDEATHSIG too). Exit
 * codes: 0 after a signal, 2 usage, 1 failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_MAX 10000

static volatile sig_atomic_t stop, replace, drop;

static void on_signal(int sig)
{
        if (sig == SIGUSR1)
                replace = 1;
        else if (sig == SIGUSR2)
                drop = 1;
        else
                stop = 1;
}

/* A TCP listener on the wildcard address of family at port, or -1. */
static int listener(int family, unsigned port)
{
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
        struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
                                   .sin6_addr = IN6ADDR_ANY_INIT };

        if (fd < 0)
                return -1;
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if ((family == AF_INET ? bind(fd, (struct sockaddr *) &a4, sizeof a4)
                               : bind(fd, (struct sockaddr *) &a6, sizeof a6)) < 0 ||
            listen(fd, 16) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* A child's life: its namespace, its listeners, then signals until SIGTERM. */
static int child(int ready_fd, unsigned single)
{
        sigset_t none;
        int l443;

        if (unshare(CLONE_NEWNET) < 0)
                return 1;
        l443 = listener(AF_INET, 443);
        if (l443 < 0 || listener(AF_INET6, 8080) < 0 || (single && listener(AF_INET, single) < 0))
                return 1;
        if (write(ready_fd, "", 1) != 1)
                return 1;
        close(ready_fd);
        sigemptyset(&none);
        while (!stop) {
                sigsuspend(&none);
                if (replace || drop) {
                        if (l443 >= 0)
                                close(l443);
                        l443 = replace ? listener(AF_INET, 443) : -1;
                        replace = drop = 0;
                }
        }
        return 0;
}

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
        unsigned long single = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
        struct sigaction sa = { .sa_handler = on_signal };
        sigset_t block;
        pid_t *kids;
        long made = 0;
        int rc = 0;

        if (argc < 2 || argc > 3 || n <= 0 || n > N_MAX || single > 65535) {
                fprintf(stderr, "usage: sa-netns-listen N [SINGLE_PORT]\n");
                return 2;
        }
        kids = calloc((size_t) n, sizeof *kids);
        if (!kids)
                return 1;
        sigemptyset(&block);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGUSR1);
        sigaddset(&block, SIGUSR2);
        sigprocmask(SIG_BLOCK, &block, NULL);   /* delivered in sigsuspend only */
        for (int s = 0; s < 4; s++)
                sigaction((int[]) { SIGTERM, SIGINT, SIGUSR1, SIGUSR2 }[s], &sa, NULL);
        for (long i = 0; i < n; i++) {
                int p[2];
                char c;
                pid_t pid;

                if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
                        perror("sa-netns-listen");
                        rc = 1;
                        break;
                }
                if (pid == 0) {
                        close(p[0]);
                        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
                                _exit(1);
                        _exit(child(p[1], i == 0 ? (unsigned) single : 0));
                }
                kids[made++] = pid;
                close(p[1]);
                if (read(p[0], &c, 1) != 1) {
                        fprintf(stderr, "sa-netns-listen: child %ld could not listen\n", i);
                        close(p[0]);
                        rc = 1;
                        break;
                }
                close(p[0]);
                printf("%d\n", (int) pid);
        }
        if (rc == 0) {
                sigset_t none;

                printf("READY\n");
                fflush(stdout);
                sigemptyset(&none);
                while (!stop)
                        sigsuspend(&none);
        }
        for (long i = 0; i < made; i++)
                kill(kids[i], SIGTERM);
        for (long i = 0; i < made; i++)
                waitpid(kids[i], NULL, 0);
        free(kids);
        return rc;
}
