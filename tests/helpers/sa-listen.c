/* SPDX-License-Identifier: MIT */
/*
 * sa-listen: opens listening sockets and holds them until SIGTERM, so the
 * integration tests have real listeners with known owners.
 *
 *   sa-listen [OPTION...]
 *     --tcp ADDR PORT | --udp ADDR PORT   a socket (repeatable); ADDR is an
 *                                         IPv4 or IPv6 literal (0.0.0.0, ::1)
 *     --tcp-range ADDR FIRST LAST         one TCP listener per port in
 *                                         FIRST..LAST (raises RLIMIT_NOFILE)
 *     --v6only 0|1        IPV6_V6ONLY for the following IPv6 sockets
 *                         (default: leave the kernel's default)
 *     --device IFNAME     SO_BINDTODEVICE for the following sockets ("" = none)
 *     --reuseport 0|1     SO_REUSEPORT for the following sockets
 *     --dup               hold every socket under a second fd as well
 *     --children N        fork N children that inherit and hold the sockets
 *     --exec-child PROG   children exec PROG 3600 holding the sockets, told
 *                         of them with LISTEN_FDS/LISTEN_PID (a supervisor and
 *                         the different program it activated)
 *     --leak-child PROG   the same without LISTEN_FDS/LISTEN_PID: the sockets
 *                         merely leaked to another program (no activation)
 *     --late-child MS     MS after READY, fork one more child and print
 *                         "CHILD <pid>" (holders change, sockets do not)
 *     --user NAME|UID     drop to that uid/gid (no supplementary groups) after
 *                         binding ...
 *     --bind-as-user      ... or before binding
 *     --comm NAME         prctl(PR_SET_NAME); any bytes, truncated to 15
 *     --orphan            put every socket in flight (SCM_RIGHTS to a socket
 *                         pair we keep) and close our fds: the socket is then
 *                         held by no process at all
 *     --argv-bytes N      first re-exec with N more bytes of argv: control
 *                         bytes (1-31, no NUL) in arguments of at most 4 KiB,
 *                         passed as "--filler K ARG..." (children share them)
 *
 * When every socket is bound and every child forked it prints one line,
 * "READY <pid> [<child pid>...]", flushes stdout and waits. SIGTERM or SIGINT
 * to the parent ends the children too (forwarded, and PR_SET_PDEATHSIG in
 * each child in case the parent is killed outright). Exit codes: 0 after a
 * signal, 2 usage, 1 any failure (message on stderr).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS 65536
#define MAX_CHILDREN 256
#define MAX_ARGV_BYTES (1024ul * 1024ul)
#define FILLER_ARG 4096ul

struct sock_spec {
        int type;               /* SOCK_STREAM or SOCK_DGRAM */
        const char *addr;
        unsigned port;
        int v6only;             /* -1 = kernel default */
        const char *device;     /* NULL or "" = none */
        bool reuseport;
        int fd;
        int fd_dup;
};

static struct sock_spec socks[MAX_SOCKS];
static size_t n_socks;
static const char *exec_child;  /* children exec this, keeping the sockets */
static bool exec_announced;     /* ... told of them with LISTEN_FDS/LISTEN_PID */

static void usage(void)
{
        fprintf(stderr,
                "usage: sa-listen [--v6only 0|1] [--device IF] [--reuseport 0|1] [--dup]\n"
                "                 (--tcp|--udp ADDR PORT | --tcp-range ADDR FIRST LAST)...\n"
                "                 [--children N] [--exec-child|--leak-child PROG] [--late-child MS]\n"
                "                 [--user NAME|UID [--bind-as-user]] [--comm NAME] [--orphan]\n"
                "                 [--argv-bytes N]\n");
        exit(2);
}

static void die(const char *what)
{
        fprintf(stderr, "sa-listen: %s: %s\n", what, strerror(errno));
        exit(1);
}

static unsigned long parse_num(const char *s, unsigned long max)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > max)
                usage();
        return v;
}

/* Resolves NAME or a numeric UID to uid and primary gid. */
static void resolve_user(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
        struct passwd *pw = getpwnam(name);
        char *end;
        unsigned long v;

        if (pw) {
                *ret_uid = pw->pw_uid;
                *ret_gid = pw->pw_gid;
                return;
        }
        errno = 0;
        v = strtoul(name, &end, 10);
        if (errno || end == name || *end || v >= (unsigned long)(uid_t)-1) {
                fprintf(stderr, "sa-listen: unknown user '%s'\n", name);
                exit(2);
        }
        pw = getpwuid((uid_t)v);
        *ret_uid = (uid_t)v;
        *ret_gid = pw ? pw->pw_gid : (gid_t)v;
}

static void drop_to(uid_t uid, gid_t gid)
{
        if (setgroups(0, NULL) < 0)
                die("setgroups");
        if (setresgid(gid, gid, gid) < 0)
                die("setresgid");
        if (setresuid(uid, uid, uid) < 0)
                die("setresuid");
}

static void open_socket(struct sock_spec *s)
{
        struct sockaddr_storage ss;
        socklen_t len;
        int one = 1;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, s->addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t)s->port);
                len = sizeof(*sin);
        } else if (inet_pton(AF_INET6, s->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t)s->port);
                len = sizeof(*sin6);
        } else {
                fprintf(stderr, "sa-listen: bad address '%s'\n", s->addr);
                exit(2);
        }

        s->fd = socket(ss.ss_family, s->type | SOCK_CLOEXEC, 0);
        if (s->fd < 0)
                die("socket");
        if (s->type == SOCK_STREAM &&
            setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                die("SO_REUSEADDR");
        if (s->reuseport &&
            setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
                die("SO_REUSEPORT");
        if (ss.ss_family == AF_INET6 && s->v6only >= 0 &&
            setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &s->v6only, sizeof(s->v6only)) < 0)
                die("IPV6_V6ONLY");
        if (s->device && *s->device &&
            setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, s->device,
                       (socklen_t)strlen(s->device)) < 0)
                die("SO_BINDTODEVICE");
        if (bind(s->fd, (struct sockaddr *)&ss, len) < 0) {
                fprintf(stderr, "sa-listen: bind %s %s:%u: %s\n",
                        s->type == SOCK_STREAM ? "tcp" : "udp", s->addr, s->port,
                        strerror(errno));
                exit(1);
        }
        if (s->type == SOCK_STREAM && listen(s->fd, 16) < 0)
                die("listen");
}

/*
 * Sends every socket fd over a datagram socket pair to ourselves and closes
 * the fds: the sockets stay open, held only by the queued message.
 */
static void orphan_sockets(void)
{
        int sp[2];
        size_t i;

        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
                die("socketpair");
        for (i = 0; i < n_socks; i++) {
                union {
                        char buf[CMSG_SPACE(sizeof(int))];
                        struct cmsghdr align;
                } u;
                char byte = 'x';
                struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = u.buf, .msg_controllen = sizeof(u.buf),
                };
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

                memset(&u, 0, sizeof(u));
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &socks[i].fd, sizeof(int));
                if (sendmsg(sp[1], &mh, 0) < 0)
                        die("sendmsg SCM_RIGHTS");
                close(socks[i].fd);
                socks[i].fd = -1;
                if (socks[i].fd_dup >= 0) {
                        close(socks[i].fd_dup);
                        socks[i].fd_dup = -1;
                }
        }
        /* sp[0] holds the queue; both ends stay open until we exit. */
}

/*
 * Blocks until SIGTERM or SIGINT (both blocked by the caller) and returns
 * it, reaping children meanwhile; or returns 0 once timeout_ms (>= 0) passed.
 */
static int wait_for_signal(const sigset_t *set, long timeout_ms)
{
        struct timespec end, now, left;

        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += timeout_ms / 1000;
        end.tv_nsec += (timeout_ms % 1000) * 1000000L;
        if (end.tv_nsec >= 1000000000L) {
                end.tv_sec++;
                end.tv_nsec -= 1000000000L;
        }
        for (;;) {
                int sig;

                if (timeout_ms < 0) {
                        if (sigwait(set, &sig) != 0)
                                continue;
                } else {
                        clock_gettime(CLOCK_MONOTONIC, &now);
                        left.tv_sec = end.tv_sec - now.tv_sec;
                        left.tv_nsec = end.tv_nsec - now.tv_nsec;
                        if (left.tv_nsec < 0) {
                                left.tv_sec--;
                                left.tv_nsec += 1000000000L;
                        }
                        if (left.tv_sec < 0)
                                return 0;
                        sig = sigtimedwait(set, NULL, &left);
                        if (sig < 0) {
                                if (errno == EAGAIN)
                                        return 0;
                                continue;
                        }
                }
                if (sig == SIGTERM || sig == SIGINT)
                        return sig;
                /* SIGCHLD: reap, keep waiting. */
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
        }
}

/* Forks a child that holds everything we hold until a signal or our death. */
static pid_t spawn_child(pid_t parent, const sigset_t *set)
{
        pid_t pid = fork();

        if (pid < 0)
                die("fork");
        if (pid == 0) {
                if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
                        die("PR_SET_PDEATHSIG");
                if (getppid() != parent)
                        _exit(0); /* the parent is already gone */
                if (exec_child) {
                        char me[16], count[16];

                        for (size_t i = 0; i < n_socks; i++)
                                if (socks[i].fd >= 0 && fcntl(socks[i].fd, F_SETFD, 0) < 0)
                                        die("F_SETFD");
                        /* What sd_listen_fds(3) looks for; the fds are not
                         * moved to 3.., which no test here relies on. */
                        snprintf(me, sizeof(me), "%ld", (long)getpid());
                        snprintf(count, sizeof(count), "%zu", n_socks);
                        if (exec_announced && (setenv("LISTEN_PID", me, 1) < 0 ||
                                               setenv("LISTEN_FDS", count, 1) < 0))
                                die("setenv");
                        sigprocmask(SIG_UNBLOCK, set, NULL);
                        execl(exec_child, exec_child, "3600", (char *) NULL);
                        die("execl");
                }
                wait_for_signal(set, -1);
                _exit(0);
        }
        return pid;
}

/*
 * --argv-bytes N: execs ourselves again with the other arguments after
 * "--filler K" and K arguments of control bytes, N bytes in all (their
 * NULs counted). Returns only when there is no such option.
 */
static void reexec_with_filler(int argc, char **argv)
{
        unsigned long bytes = 0, k;
        char **nargv, *fill, count[32];
        int a, n = 0;

        for (a = 1; a < argc; a++)
                if (!strcmp(argv[a], "--filler"))
                        return; /* already done */
        for (a = 1; a + 1 < argc; a++)
                if (!strcmp(argv[a], "--argv-bytes"))
                        break;
        if (a + 1 >= argc)
                return;
        bytes = parse_num(argv[a + 1], MAX_ARGV_BYTES);
        k = (bytes + FILLER_ARG - 1) / FILLER_ARG;
        nargv = calloc((size_t)argc + k + 3, sizeof(*nargv));
        fill = malloc(bytes + 1);
        if (!nargv || !fill)
                die("malloc");
        for (unsigned long i = 0; i < bytes; i++)
                fill[i] = (char)(1 + (i % 31));
        /* Each argument ends where its NUL goes: every FILLER_ARG-th byte. */
        for (unsigned long i = FILLER_ARG - 1; i < bytes; i += FILLER_ARG)
                fill[i] = '\0';
        fill[bytes] = '\0';
        snprintf(count, sizeof(count), "%lu", k);
        nargv[n++] = argv[0];
        nargv[n++] = (char *)"--filler";
        nargv[n++] = count;
        for (unsigned long i = 0; i < k; i++)
                nargv[n++] = fill + i * FILLER_ARG;
        for (int b = 1; b < argc; b++)
                if (b != a && b != a + 1)
                        nargv[n++] = argv[b];
        nargv[n] = NULL;
        execv("/proc/self/exe", nargv);
        die("execv /proc/self/exe");
}

int main(int argc, char **argv)
{
        static pid_t children[MAX_CHILDREN + 1];
        unsigned long n_children = 0;
        const char *user = NULL, *comm = NULL, *device = NULL;
        bool bind_as_user = false, orphan = false, dup_fds = false, reuseport = false;
        long late_child_ms = -1;
        int v6only = -1;
        uid_t uid = 0;
        gid_t gid = 0;
        sigset_t set;
        pid_t self;
        size_t i;
        int sig;

        reexec_with_filler(argc, argv);
        for (int a = 1; a < argc; a++) {
                const char *o = argv[a];

                if (!strcmp(o, "--tcp") || !strcmp(o, "--udp")) {
                        if (a + 2 >= argc || n_socks >= MAX_SOCKS)
                                usage();
                        socks[n_socks] = (struct sock_spec){
                                .type = o[2] == 't' ? SOCK_STREAM : SOCK_DGRAM,
                                .addr = argv[a + 1],
                                .port = (unsigned)parse_num(argv[a + 2], 65535),
                                .v6only = v6only,
                                .device = device,
                                .reuseport = reuseport,
                                .fd = -1,
                                .fd_dup = -1,
                        };
                        n_socks++;
                        a += 2;
                } else if (!strcmp(o, "--tcp-range") && a + 3 < argc) {
                        unsigned first = (unsigned)parse_num(argv[a + 2], 65535);
                        unsigned last = (unsigned)parse_num(argv[a + 3], 65535);

                        if (first == 0 || last < first || n_socks + (last - first + 1) > MAX_SOCKS)
                                usage();
                        for (unsigned port = first; port <= last; port++)
                                socks[n_socks++] = (struct sock_spec){
                                        .type = SOCK_STREAM,
                                        .addr = argv[a + 1],
                                        .port = port,
                                        .v6only = v6only,
                                        .device = device,
                                        .reuseport = reuseport,
                                        .fd = -1,
                                        .fd_dup = -1,
                                };
                        a += 3;
                } else if (!strcmp(o, "--v6only") && a + 1 < argc) {
                        v6only = (int)parse_num(argv[++a], 1);
                } else if (!strcmp(o, "--device") && a + 1 < argc) {
                        device = argv[++a];
                } else if (!strcmp(o, "--reuseport") && a + 1 < argc) {
                        reuseport = parse_num(argv[++a], 1) == 1;
                } else if (!strcmp(o, "--dup")) {
                        dup_fds = true;
                } else if (!strcmp(o, "--children") && a + 1 < argc) {
                        n_children = parse_num(argv[++a], MAX_CHILDREN);
                } else if ((!strcmp(o, "--exec-child") || !strcmp(o, "--leak-child")) && a + 1 < argc) {
                        exec_announced = o[2] == 'e';
                        exec_child = argv[++a];
                } else if (!strcmp(o, "--late-child") && a + 1 < argc) {
                        late_child_ms = (long)parse_num(argv[++a], 3600000);
                } else if (!strcmp(o, "--user") && a + 1 < argc) {
                        user = argv[++a];
                } else if (!strcmp(o, "--bind-as-user")) {
                        bind_as_user = true;
                } else if (!strcmp(o, "--comm") && a + 1 < argc) {
                        comm = argv[++a];
                } else if (!strcmp(o, "--orphan")) {
                        orphan = true;
                } else if (!strcmp(o, "--filler") && a + 1 < argc) {
                        unsigned long k = parse_num(argv[a + 1], (unsigned long)argc);

                        if (k > (unsigned long)(argc - a - 2))
                                usage();
                        a += 1 + (int)k;
                } else {
                        usage();
                }
        }
        if (n_socks == 0 || (bind_as_user && !user))
                usage();
        if (user)
                resolve_user(user, &uid, &gid);

        /* Signals are taken synchronously with sigwait(); children inherit the mask. */
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                die("sigprocmask");

        if (n_socks * (dup_fds ? 2 : 1) + 16 > 1024) {
                struct rlimit rl;

                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                        rl.rlim_cur = rl.rlim_max;
                        (void)setrlimit(RLIMIT_NOFILE, &rl);
                }
        }
        /* Named before the first listen(): a daemon told of it by eBPF reads
         * the holder's details within a millisecond. */
        if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0) < 0)
                die("PR_SET_NAME");
        if (user && bind_as_user)
                drop_to(uid, gid);
        for (i = 0; i < n_socks; i++) {
                open_socket(&socks[i]);
                if (dup_fds) {
                        socks[i].fd_dup = fcntl(socks[i].fd, F_DUPFD_CLOEXEC, 0);
                        if (socks[i].fd_dup < 0)
                                die("dup");
                }
        }
        if (user && !bind_as_user)
                drop_to(uid, gid);
        if (orphan)
                orphan_sockets();

        self = getpid();
        for (i = 0; i < n_children; i++)
                children[i] = spawn_child(self, &set);

        printf("READY %ld", (long)self);
        for (i = 0; i < n_children; i++)
                printf(" %ld", (long)children[i]);
        printf("\n");
        if (fflush(stdout) != 0)
                die("stdout");

        sig = wait_for_signal(&set, late_child_ms);
        if (sig == 0) {
                children[n_children] = spawn_child(self, &set);
                printf("CHILD %ld\n", (long)children[n_children]);
                n_children++;
                if (fflush(stdout) != 0)
                        die("stdout");
                sig = wait_for_signal(&set, -1);
        }
        for (i = 0; i < n_children; i++)
                kill(children[i], sig);
        for (i = 0; i < n_children; i++)
                while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
                        ;
        return 0;
}
