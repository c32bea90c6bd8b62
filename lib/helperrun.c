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

/* In the child: fd 3, stdout and stdin set up, then path. Never returns. */
static void child(const char *path, char *const *argv, int pass_fd, int out_fd)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 ||
            (pass_fd >= 0 && pass_fd != 3 && dup2(pass_fd, 3) < 0) ||
            (pass_fd == 3 && fcntl(3, F_SETFD, 0) < 0))   /* dup2 onto itself keeps O_CLOEXEC */
                _exit(127);
        execv(path, argv);
        _exit(127);
}

int sa_helper_run(const char *path, char *const *argv, int pass_fd, size_t max, int timeout_ms,
                  char **ret_out, size_t *ret_len)
{
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + (uint64_t) timeout_ms * 1000;
        char *buf = malloc(max + 1);
        size_t len = 0;
        int fds[2], status = 0, r = 0;
        pid_t pid;

        if (!buf)
                return -ENOMEM;
        if (pipe2(fds, O_CLOEXEC) < 0) {
                free(buf);
                return -errno;
        }
        pid = fork();
        if (pid == 0)
                child(path, argv, pass_fd, fds[1]);
        close(fds[1]);
        if (pid < 0) {
                r = -errno;
                close(fds[0]);
                free(buf);
                return r;
        }
        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                ssize_t n;

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(&p, 1, (int) ((deadline - now) / 1000) + 1) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (p.revents == 0)
                        continue;
                n = read(fds[0], buf + len, max + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t) n;
                if (len > max) {
                        r = -EMSGSIZE;
                        break;
                }
        }
        close(fds[0]);
        if (r < 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                r = -ENOEXEC;
        if (r < 0) {
                free(buf);
                return r;
        }
        buf[len] = '\0';
        *ret_out = buf;
        *ret_len = len;
        return 0;
}
