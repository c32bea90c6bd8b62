/* SPDX-License-Identifier: MIT */
/*
 * sa-loadhost: a loaded host for `make bench`. Run it inside a network
 * namespace made for the purpose.
 *
 *   sa-loadhost [--procs P] [--fds F] [--workers W] [--noise N] [--port PORT]
 *
 * Forks an nginx-like server (a master holding TCP and UDP PORT on IPv4 and
 * IPv6, and W workers that inherit them) and P idle processes holding F fds
 * each: regular files, pipe ends, unix socket pairs and unbound TCP sockets
 * in turn; the first N of them also hold one TCP listener each (noise
 * listeners, ports 20000 + i). When everything is open it prints one line,
 * "READY <master pid>", and waits; SIGTERM or SIGINT ends
 * every child (PR_SET_PDEATHSIG too). Exit codes: 0 after a signal, 2
 * usage, 1 failure.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *kids;
static size_t n_kids;
static volatile sig_atomic_t stop;

static void die(const char *what)
{
        fprintf(stderr, "sa-loadhost: %s: %s\n", what, strerror(errno));
        exit(1);
}

static unsigned long num(const char *s, unsigned long max)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > max) {
                fprintf(stderr, "usage: sa-loadhost [--procs P] [--fds F] [--workers W] "
                        "[--noise N] [--port PORT]\n");
                exit(2);
        }
        return v;
}

static int listener(int family, int type, unsigned port)
{
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t) port),
                                     .sin6_addr = IN6ADDR_ANY_INIT };
        int one = 1, fd = socket(family, type | SOCK_CLOEXEC, 0);

        if (fd < 0)
                die("socket");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (family == AF_INET ? bind(fd, (struct sockaddr *) &sin, sizeof sin)
                              : bind(fd, (struct sockaddr *) &sin6, sizeof sin6))
                die("bind");
        if (type == SOCK_STREAM && listen(fd, 128) < 0)
                die("listen");
        return fd;
}

/* F fds of every kind in turn. */
static void fill(unsigned fds, const char *file)
{
        unsigned n = 0, k = 0;

        while (n < fds) {
                int p[2];

                switch (k++ % 4) {
                case 0:
                        if (open(file, O_RDONLY) < 0)
                                die("open");
                        n++;
                        break;
                case 1:
                        if (fds - n < 2 || pipe(p) < 0)
                                continue;
                        n += 2;
                        break;
                case 2:
                        if (fds - n < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
                                continue;
                        n += 2;
                        break;
                default:
                        if (socket(AF_INET, SOCK_STREAM, 0) < 0)
                                die("socket");
                        n++;
                }
        }
}

/* A child: fn's fds, then "ready" on the pipe, then sleep until killed. */
static pid_t spawn(int ready, unsigned fds, const char *file, int noise_port, const char *comm)
{
        pid_t pid = fork();

        if (pid < 0)
                die("fork");
        if (pid > 0)
                return pid;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (comm)
                prctl(PR_SET_NAME, comm);
        if (noise_port > 0)
                listener(AF_INET, SOCK_STREAM, (unsigned) noise_port);
        fill(fds, file);
        if (write(ready, "r", 1) != 1)
                _exit(1);
        for (;;)
                pause();
}

static void on_signal(int sig)
{
        stop = 1;
}

int main(int argc, char **argv)
{
        unsigned long procs = 500, fds = 100, workers = 8, noise = 100, port = 443;
        char file[] = "/tmp/sa-loadhost-XXXXXX";
        struct rlimit rl;
        int ready[2], tfd;
        size_t want;

        for (int i = 1; i < argc; i++) {
                if (i + 1 >= argc)
                        num("", 0);
                if (!strcmp(argv[i], "--procs"))
                        procs = num(argv[++i], 30000);
                else if (!strcmp(argv[i], "--fds"))
                        fds = num(argv[++i], 1000000);
                else if (!strcmp(argv[i], "--workers"))
                        workers = num(argv[++i], 256);
                else if (!strcmp(argv[i], "--noise"))
                        noise = num(argv[++i], 30000);
                else if (!strcmp(argv[i], "--port"))
                        port = num(argv[++i], 65535);
                else
                        num("", 0);
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < fds + 64) {
                rl.rlim_cur = fds + 64 > rl.rlim_max ? rl.rlim_max : fds + 64;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        tfd = mkstemp(file);
        if (tfd < 0)
                die("mkstemp");
        close(tfd);
        if (pipe2(ready, O_CLOEXEC) < 0)
                die("pipe");
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        kids = calloc(procs + 1, sizeof *kids);
        if (!kids)
                die("calloc");

        /* The server: the master binds, then forks its workers. */
        pid_t master = fork();
        if (master < 0)
                die("fork");
        if (master == 0) {
                int pfd[2];

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                signal(SIGTERM, SIG_DFL);
                prctl(PR_SET_NAME, "nginx");
                listener(AF_INET, SOCK_STREAM, (unsigned) port);
                listener(AF_INET6, SOCK_STREAM, (unsigned) port);
                listener(AF_INET, SOCK_DGRAM, (unsigned) port);
                listener(AF_INET6, SOCK_DGRAM, (unsigned) port);
                fill(16, file);
                if (pipe(pfd) < 0)
                        die("pipe");
                for (unsigned long w = 0; w < workers; w++) {
                        pid_t wp = spawn(pfd[1], 16, file, 0, "nginx");
                        char b;
                        if (read(pfd[0], &b, 1) != 1)
                                die("worker");
                        (void) wp;
                }
                if (write(ready[1], "m", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        kids[n_kids++] = master;
        for (unsigned long i = 0; i < procs; i++)
                kids[n_kids++] = spawn(ready[1], (unsigned) fds, file,
                                       i < noise ? (int) (20000 + i) : 0, "idle");
        want = procs + 1;
        while (want > 0 && !stop) {
                char b[256];
                ssize_t n = read(ready[0], b, sizeof b);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        die("ready pipe");
                want -= (size_t) n;
        }
        printf("READY %d\n", (int) master);
        fflush(stdout);
        unlink(file);
        while (!stop)
                pause();
        for (size_t i = 0; i < n_kids; i++)
                kill(kids[i], SIGTERM);
        while (wait(NULL) > 0 || errno == EINTR)
                ;
        return 0;
}
