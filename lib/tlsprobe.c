/* SPDX-License-Identifier: MIT */
/* The TLS probe, the parent's side: fork, read, reap (lib/include/tlsprobe.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockaudit.h"
#include "tlsprobe.h"
#include "tlsprobechild.h"

struct sa_tls_probe {
        pid_t pid;              /* -1: adopted, nothing to reap; 0: reaped */
        int fd;                 /* the read end of the report pipe */
        int64_t deadline;       /* CLOCK_MONOTONIC ms */
        struct timespec started;/* CLOCK_REALTIME: probed_at */
        char *buf;              /* the report so far */
        size_t len;
        bool overflow;
};

/* Children we may not signal: they changed to another uid and the daemon has
 * no CAP_KILL. Each ends by its own deadline (and with the daemon: its
 * parent-death signal); reaped later without waiting, bounded. */
#define LATE_MAX 64
static pthread_mutex_t late_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t late[LATE_MAX];
static unsigned n_late;

/* Reaps the late children that have exited; with pid > 0 keeps it among them
 * (false: no room, the caller waits). */
static bool late_reap(pid_t pid)
{
        bool kept = pid <= 0;

        pthread_mutex_lock(&late_lock);
        for (unsigned i = 0; i < n_late;)
                if (waitpid(late[i], NULL, WNOHANG) != 0)
                        late[i] = late[--n_late];
                else
                        i++;
        if (pid > 0 && n_late < LATE_MAX) {
                late[n_late++] = pid;
                kept = true;
        }
        pthread_mutex_unlock(&late_lock);
        return kept;
}

int sa_tls_probe_start(const sa_tls_target *t, sa_tls_probe **ret)
{
        int timeout = t->timeout_ms ? t->timeout_ms : SA_TLS_TIMEOUT_MS_DEFAULT;
        sa_tls_probe *p;
        int pipefd[2], nsfd = -1, exe = -1, r;

        if ((t->family != AF_INET && t->family != AF_INET6) || !t->port || timeout < 0 ||
            timeout > SA_TLS_TIMEOUT_MS_MAX || t->n_sni > SA_TLS_SNI_MAX || (t->n_sni && !t->sni) ||
            !t->helper)
                return -EINVAL;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        exe = open(t->helper, O_PATH | O_CLOEXEC);
        if (exe < 0) {
                r = -errno;
                goto fail;
        }
        if (t->netns_fd < 0 && t->netns_path) {
                nsfd = open(t->netns_path, O_RDONLY | O_CLOEXEC);
                if (nsfd < 0) {
                        r = -errno;
                        goto fail;
                }
        }
        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
                r = -errno;
                goto fail;
        }
        late_reap(0);
        clock_gettime(CLOCK_REALTIME, &p->started);
        p->deadline = sa_tls_now_ms() + timeout;
        p->pid = fork();
        if (p->pid < 0) {
                r = -errno;
                close(pipefd[0]);
                close(pipefd[1]);
                goto fail;
        }
        if (p->pid == 0) {
                close(pipefd[0]);
                /* The child blocks on its writes; it stops a little before the parent kills it. */
                fcntl(pipefd[1], F_SETFL, 0);
                sa_tls_child_exec(t, t->netns_fd >= 0 ? t->netns_fd : nsfd, pipefd[1], exe,
                                  p->deadline - (timeout > 500 ? 100 : timeout / 5));
        }
        close(pipefd[1]);
        close(exe);
        if (nsfd >= 0)
                close(nsfd);
        p->fd = pipefd[0];
        *ret = p;
        return 0;
fail:
        if (exe >= 0)
                close(exe);
        if (nsfd >= 0)
                close(nsfd);
        free(p);
        return r;
}

int sa_tls_probe_adopt(int fd, int timeout_ms, sa_tls_probe **ret)
{
        sa_tls_probe *p;

        if (fd < 0 || timeout_ms <= 0 || timeout_ms > SA_TLS_TIMEOUT_MS_MAX)
                return -EINVAL;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (sa_tls_probe) { .pid = -1, .fd = fd, .deadline = sa_tls_now_ms() + timeout_ms };
        clock_gettime(CLOCK_REALTIME, &p->started);
        *ret = p;
        return 0;
}

int sa_tls_probe_fd(const sa_tls_probe *p)
{
        return p->fd;
}

pid_t sa_tls_probe_pid(const sa_tls_probe *p)
{
        return p->pid;
}

int64_t sa_tls_probe_deadline_ms(const sa_tls_probe *p)
{
        return p->deadline;
}

/* Kills and reaps the child (it may have exited already: its pid is ours until
 * reaped); one we may not kill is left to late_reap(). */
static void reap(sa_tls_probe *p)
{
        if (p->pid < 0)
                p->pid = 0;
        if (p->pid == 0)
                return;
        if (kill(p->pid, SIGKILL) < 0 && errno == EPERM &&
            waitpid(p->pid, NULL, WNOHANG) == 0 && late_reap(p->pid)) {
                p->pid = 0;
                return;
        }
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        p->pid = 0;
}

/* Reads what the pipe holds: 1 at EOF, 0 for more later, -ENOMEM. */
static int drain(sa_tls_probe *p)
{
        for (;;) {
                char chunk[16384];
                ssize_t n = read(p->fd, chunk, sizeof(chunk));
                char *b;

                if (n == 0)
                        return 1;
                if (n < 0)
                        return errno == EINTR ? 0 : errno == EAGAIN ? 0 : 1;
                if (p->len + (size_t) n > SA_TLS_REPORT_MAX) {
                        p->overflow = true;
                        return 1;
                }
                b = realloc(p->buf, p->len + (size_t) n);
                if (!b)
                        return -ENOMEM;
                memcpy(b + p->len, chunk, (size_t) n);
                p->buf = b;
                p->len += (size_t) n;
        }
}

int sa_tls_probe_collect(sa_tls_probe *p, json_t **ret)
{
        char err[SA_TLS_ERROR_MAX], msg[SA_TLS_ERROR_MAX + 64], when[64];
        bool timed_out = false;
        json_t *o = NULL;
        int r;

        if (p->pid == 0)
                return -EINVAL;
        r = drain(p);
        if (r < 0)
                return r;
        if (r == 0) {
                if (sa_tls_now_ms() < p->deadline)
                        return -EAGAIN;
                timed_out = true;
        }
        reap(p);
        if (timed_out)
                o = sa_tls_error_object("error", "timeout");
        else if (p->overflow)
                o = sa_tls_error_object("error", "the probe's report grew past its bound");
        else if (p->len == 0)
                o = sa_tls_error_object("error", SA_TLS_NO_REPORT);
        else {
                r = sa_tls_report_parse(p->buf, p->len, p->started.tv_sec, &o, err, sizeof(err));
                if (r == -EBADMSG) {
                        snprintf(msg, sizeof(msg), "the probe's report was refused: %s", err);
                        o = sa_tls_error_object("error", msg);
                } else if (r < 0)
                        return r;
        }
        if (!o || json_object_set_new(o, "probed_at",
                                      json_string(sa_format_time(&p->started, when, sizeof(when)))) < 0) {
                json_decref(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

sa_tls_probe *sa_tls_probe_free(sa_tls_probe *p)
{
        if (!p)
                return NULL;
        reap(p);
        if (p->fd >= 0)
                close(p->fd);
        free(p->buf);
        free(p);
        return NULL;
}

/* Starts targets[i] into slot, or sets ret[i] to the error. 0 or -ENOMEM. */
static int start_one(const sa_tls_target *t, sa_tls_probe **slot, json_t **ret)
{
        char msg[SA_TLS_ERROR_MAX];
        int r = sa_tls_probe_start(t, slot);

        if (r >= 0)
                return 0;
        *slot = NULL;
        snprintf(msg, sizeof(msg), "the probe could not start: %s", strerror(-r));
        *ret = sa_tls_error_object("error", msg);
        return *ret ? 0 : -ENOMEM;
}

int sa_tls_probe_run_many(const sa_tls_target *targets, size_t n, unsigned parallel, json_t **ret)
{
        sa_tls_probe **run;
        struct pollfd *pfd;
        size_t *idx, next = 0, active = 0;
        int r = 0;

        if (parallel == 0)
                parallel = 1;
        run = calloc(parallel, sizeof(*run));
        pfd = calloc(parallel, sizeof(*pfd));
        idx = calloc(parallel, sizeof(*idx));
        if (!run || !pfd || !idx) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                ret[i] = NULL;
        while (next < n || active > 0) {
                int64_t soonest = INT64_MAX, left;

                /* Fill free slots. */
                for (unsigned s = 0; s < parallel && next < n; s++) {
                        if (run[s])
                                continue;
                        r = start_one(&targets[next], &run[s], &ret[next]);
                        if (r < 0)
                                goto out;
                        idx[s] = next++;
                        active += run[s] != NULL;
                }
                if (!active)
                        continue;
                for (unsigned s = 0; s < parallel; s++) {
                        pfd[s].fd = run[s] ? sa_tls_probe_fd(run[s]) : -1;
                        pfd[s].events = POLLIN;
                        if (run[s] && sa_tls_probe_deadline_ms(run[s]) < soonest)
                                soonest = sa_tls_probe_deadline_ms(run[s]);
                }
                left = soonest - sa_tls_now_ms();
                if (poll(pfd, parallel, left < 0 ? 0 : left > 60000 ? 60000 : (int) left) < 0 && errno != EINTR) {
                        r = -errno;
                        goto out;
                }
                for (unsigned s = 0; s < parallel; s++) {
                        if (!run[s])
                                continue;
                        r = sa_tls_probe_collect(run[s], &ret[idx[s]]);
                        if (r == -EAGAIN)
                                continue;
                        if (r < 0)
                                goto out;
                        run[s] = sa_tls_probe_free(run[s]);
                        active--;
                }
                r = 0;
        }
out:
        for (unsigned s = 0; run && s < parallel; s++)
                sa_tls_probe_free(run[s]);
        free(run);
        free(pfd);
        free(idx);
        return r;
}

json_t *sa_tls_probe_run(const sa_tls_target *t)
{
        json_t *o = NULL;

        return sa_tls_probe_run_many(t, 1, 1, &o) < 0 ? NULL : o;
}

const char *sa_find_helper(const char *name, const char *override, char *buf, size_t size)
{
        char self[4096], *slash;
        ssize_t n;

        if (override && *override)
                return override;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return NULL;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (!slash)
                return NULL;
        *slash = '\0';
        snprintf(buf, size, "%s/%s", self, name);
        if (access(buf, X_OK) == 0)
                return buf;
        snprintf(buf, size, "%s/../libexec/sockaudit/%s", self, name);
        return access(buf, X_OK) == 0 ? buf : NULL;
}
