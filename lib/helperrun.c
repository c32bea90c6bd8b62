/* SPDX-License-Identifier: MIT */
/* Runs a helper program and reads its bounded output (provhelper.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "provhelper.h"
#include "util.h"

/*
 * In the child: fd 3, stdout and stdin set up, then path. Never returns;
 * when path could not be started, a byte on err_fd (close-on-exec) says so.
 */
static void child(const char *path, char *const *argv, int pass_fd, int out_fd, int err_fd)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (null >= 0 && dup2(null, 0) >= 0 && dup2(out_fd, 1) >= 0 &&
            !(pass_fd >= 0 && pass_fd != 3 && dup2(pass_fd, 3) < 0) &&
            !(pass_fd == 3 && fcntl(3, F_SETFD, 0) < 0))   /* dup2 onto itself keeps O_CLOEXEC */
                execv(path, argv);
        (void) !write(err_fd, "", 1);
        _exit(127);
}

/* Reads fd until EOF into buf (max + 1 bytes) by the deadline: 0, -EMSGSIZE, -ETIMEDOUT, -errno. */
static int read_all(int fd, char *buf, size_t max, uint64_t deadline, size_t *len)
{
        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (now >= deadline)
                        return -ETIMEDOUT;
                if (poll(&p, 1, (int) ((deadline - now) / 1000) + 1) < 0 && errno != EINTR)
                        return -errno;
                if (p.revents == 0)
                        continue;
                n = read(fd, buf + *len, max + 1 - *len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return 0;
                *len += (size_t) n;
                if (*len > max)
                        return -EMSGSIZE;
        }
}

/*
 * Runs path and reads its stdout: 0 with *ret_out, -ENOEXEC when it could
 * not be started, else as sa_helper_run; *ret_status its wait status, or
 * -1 when it was not started (fork or exec failed).
 */
static int run(const char *path, char *const *argv, int pass_fd, size_t max, int timeout_ms, char **ret_out,
               size_t *ret_len, int *ret_status)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t) timeout_ms * 1000;
        char *buf = malloc(max + 1), c;
        size_t len = 0;
        int fds[2], err[2], r = 0;
        pid_t pid;

        if (!buf)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                free(buf);
                return -errno;
        }
        if (pipe2(err, O_CLOEXEC | O_NONBLOCK) < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                free(buf);
                return r;
        }
        pid = fork();
        if (pid == 0)
                child(path, argv, pass_fd, fds[1], err[1]);
        r = pid < 0 ? -errno : 0;
        close(fds[1]);
        close(err[1]);
        if (pid > 0) {
                r = read_all(fds[0], buf, max, deadline, &len);
                if (r < 0)
                        kill(pid, SIGKILL);
                while (waitpid(pid, ret_status, 0) < 0 && errno == EINTR)
                        ;
                /* The child is gone: its byte, when it wrote one, is there now. */
                if (read(err[0], &c, 1) == 1)
                        r = -ENOEXEC;
        }
        close(fds[0]);
        close(err[0]);
        if (pid < 0 || r == -ENOEXEC)
                *ret_status = -1;
        if (r < 0) {
                free(buf);
                return r;
        }
        buf[len] = '\0';
        *ret_out = buf;
        *ret_len = len;
        return 0;
}

int sa_helper_output(const char *path, char *const *argv, size_t max, int timeout_ms, char **ret_out,
                     size_t *ret_len)
{
        int status = 0, r = run(path, argv, -1, max, timeout_ms, ret_out, ret_len, &status);

        return status == -1 ? -ECHILD : r;
}

int sa_helper_run(const char *path, char *const *argv, int pass_fd, size_t max, int timeout_ms,
                  char **ret_out, size_t *ret_len)
{
        char *out = NULL;
        size_t len = 0;
        int status = 0, r = run(path, argv, pass_fd, max, timeout_ms, &out, &len, &status);

        if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
                free(out);
                return -ENOEXEC;
        }
        if (r < 0)
                return r;
        *ret_out = out;
        *ret_len = len;
        return 0;
}
