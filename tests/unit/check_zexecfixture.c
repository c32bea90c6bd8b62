/* SPDX-License-Identifier: MIT */
/* Real child processes for unit tests: tests/unit/exec_fixture.h. No suite. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_fixture.h"

pid_t xfx_run(const char *path, int fd)
{
        char *argv[] = { (char *) "sleep", (char *) "600", NULL };
        int p[2], err = 0;
        ssize_t n;
        pid_t pid;

        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                close(p[0]);
                if (path) {
                        execv(path, argv);
                } else {
                        /* What fexecve() falls back to; valgrind runs only this one. */
                        char self[64];

                        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
                        execv(self, argv);
                }
                err = errno;
                (void) !write(p[1], &err, sizeof err);
                _exit(127);
        }
        close(p[1]);
        do
                n = read(p[0], &err, sizeof err);
        while (n < 0 && errno == EINTR);
        close(p[0]);
        if (n != 0) {
                xfx_end(pid);
                ck_abort_msg("exec of %s failed: %s", path ? path : "fd", strerror(err));
        }
        return pid;
}

void xfx_end(pid_t pid)
{
        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}

void xfx_copy(const char *src, const char *dst)
{
        char buf[65536];
        int in = open(src, O_RDONLY | O_CLOEXEC), out;
        ssize_t n;

        ck_assert_int_ge(in, 0);
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        ck_assert_int_ge(out, 0);
        while ((n = read(in, buf, sizeof buf)) > 0)
                ck_assert_int_eq(write(out, buf, (size_t) n), n);
        ck_assert_int_eq(n, 0);
        close(in);
        ck_assert_int_eq(close(out), 0);
}

char *xfx_dir(const char *prefix)
{
        char tmpl[PATH_MAX], *real;

        snprintf(tmpl, sizeof tmpl, "%s-XXXXXX", prefix);
        ck_assert_ptr_nonnull(mkdtemp(tmpl));
        real = realpath(tmpl, NULL);
        ck_assert_ptr_nonnull(real);
        return real;
}

void xfx_rmdir(char *dir)
{
        char cmd[PATH_MAX + 32];

        if (!dir)
                return;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        (void) !system(cmd);
        free(dir);
}

int xfx_word(const char *cmd, char *out, size_t n)
{
        FILE *f = popen(cmd, "r");
        int ok;

        if (!f)
                return 0;
        ok = fgets(out, (int) n, f) != NULL;
        if (pclose(f) != 0)
                ok = 0;
        if (ok)
                out[strcspn(out, " \t\n")] = '\0';
        return ok;
}
