/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's child between fork and exec (lib/tlsprobechild.h): the
 * parent's fds closed, the listener's namespace entered, every privilege
 * dropped, then the helper exec'd. No OpenSSL here: the handshakes run in
 * the helper's fresh image (libexec/sockaudit-tlsprobe.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tlsprobechild.h"

/*
 * Drops what the process holds: the bounding set, supplementary groups,
 * uid and gid (when root), every capability, ambient ones, then no new
 * privileges (the seccomp filter comes in the helper: it forbids exec).
 * 0, or the step that failed in why.
 */
static int drop_all(const sa_tls_target *t, const char **why)
{
        uid_t uid = t->uid ? t->uid : SA_TLS_NOBODY;
        gid_t gid = t->gid ? t->gid : SA_TLS_NOBODY;
        struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

        if (geteuid() == 0) {
                /* EPERM: no CAP_SETPCAP (the daemon dropped it): the bounding set stays
                 * as the daemon's, which grants nothing to nobody under no_new_privs. */
                for (int c = 0; c <= 63; c++)
                        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL && errno != EPERM) {
                                *why = "dropping the capability bounding set";
                                return -errno;
                        }
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
                        *why = "changing to the unprivileged uid";
                        return -errno;
                }
        }
        if (syscall(__NR_capset, &hdr, none) < 0) {
                *why = "dropping capabilities";
                return -errno;
        }
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                *why = "setting no_new_privs";
                return -errno;
        }
        return 0;
}

/* Writes {"status":"error","error":"STEP: ERRNO TEXT"} to fd 1 and exits. */
_Noreturn static void fail(const char *step, int err)
{
        char buf[SA_TLS_ERROR_MAX + 64];
        int n = snprintf(buf, sizeof(buf), "{\"status\":\"error\",\"error\":\"%s: %s\"}", step, strerror(err));

        if (n > 0 && (size_t) n < sizeof(buf))
                (void) !write(1, buf, (size_t) n);
        _exit(0);
}

/* fd moved to at least 5, close-on-exec; -1 stays -1. */
static int lift(int fd)
{
        return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 5);
}

/*
 * Leaves the child with stdin and stderr on /dev/null, the report pipe as
 * stdout, the namespace as fd 3 and the helper as fd 4 (both
 * close-on-exec), and nothing else of the parent's: its sockets (the
 * daemon's control socket, netlink) do not reach the helper.
 */
static void close_inherited(int *nsfd, int out, int *exe)
{
        int o = lift(out), n = lift(*nsfd), e = lift(*exe), null;

        if (o < 0 || e < 0 || (*nsfd >= 0 && n < 0))
                fail("keeping the probe's fds", errno);
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(o, 1) < 0 || dup2(null, 2) < 0 || dup2(e, 4) < 0 ||
            fcntl(4, F_SETFD, FD_CLOEXEC) < 0)
                fail("moving the probe's fds", errno);
        if (n >= 0 && (dup2(n, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0))
                fail("moving the probe's fds", errno);
        close_range(5, ~0U, 0);
        *nsfd = n >= 0 ? 3 : -1;
        *exe = 4;
}

int sa_tls_helper_argv(const sa_tls_target *t, int64_t left_ms, sa_tls_argv *a)
{
        size_t n = 5;

        if (!inet_ntop(t->family, t->addr, a->addr, sizeof(a->addr)))
                return -errno;
        snprintf(a->port, sizeof(a->port), "%u", (unsigned) t->port);
        snprintf(a->left, sizeof(a->left), "%lld", (long long) (left_ms < 0 ? 0 : left_ms));
        a->argv[0] = "sockaudit-tlsprobe";
        a->argv[1] = t->family == AF_INET6 ? "ipv6" : "ipv4";
        a->argv[2] = a->addr;
        a->argv[3] = a->port;
        a->argv[4] = a->left;
        for (size_t i = 0; i < t->n_sni && i < SA_TLS_SNI_MAX; i++)
                if (t->sni[i] && *t->sni[i] && strlen(t->sni[i]) <= SA_TLS_SNI_LEN_MAX)
                        a->argv[n++] = t->sni[i];
        a->argv[n] = NULL;
        return 0;
}

_Noreturn void sa_tls_child_exec(const sa_tls_target *t, int nsfd, int out, int exe, int64_t deadline_ms)
{
        char *const envp[] = { NULL };
        const char *step = NULL;
        sa_tls_argv a;
        sigset_t all;
        pid_t parent = getppid();
        int r;

        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        /* A peer that closes first makes libssl's alert write EPIPE, not kill the
         * helper before its report (SIG_IGN survives exec; the CLI leaves SIGPIPE default). */
        signal(SIGPIPE, SIG_IGN);
        close_inherited(&nsfd, out, &exe);
        if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0)
                fail("entering the network namespace", errno);
        if (nsfd >= 0)
                close(nsfd);
        r = drop_all(t, &step);
        if (r < 0)
                fail(step, -r);
        /* A new uid cleared the parent-death signal; the parent may not kill us now. */
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (getppid() != parent)
                _exit(0);
        /* Past the deadline already (a slow setns): 0, the helper reports a timeout. */
        r = sa_tls_helper_argv(t, deadline_ms - sa_tls_now_ms(), &a);
        if (r < 0)
                fail("the address", -r);
        syscall(__NR_execveat, exe, "", a.argv, envp, AT_EMPTY_PATH);
        if (errno == ENOSYS)    /* valgrind 3.19 knows no execveat */
                execve("/proc/self/fd/4", (char *const *) a.argv, envp);
        fail("starting the probe's helper", errno);
}
