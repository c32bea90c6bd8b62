/* SPDX-License-Identifier: MIT */
/* The state directory's lock: a second daemon on the same directory refuses to start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "statelock.h"
#include "util.h"

/* The holder's pid as the lock file says, into err; "" when it says nothing usable. */
static void holder_pid(int fd, char *buf, size_t size)
{
        char text[24];
        ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
        uint64_t pid;

        buf[0] = '\0';
        if (n <= 0)
                return;
        text[n] = '\0';
        text[strcspn(text, "\n")] = '\0';
        if (sa_parse_uint(text, INT32_MAX, NULL, &pid) == 0 && pid > 0)
                snprintf(buf, size, " (pid %u)", (unsigned) pid);
}

int statelock_acquire(const char *dir, char *err, size_t errlen)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        char why[256] = "", pid[32];
        struct stat st;
        int r;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(err, errlen, "cannot create the state directory %s: %s", dir, strerror(-r));
                return r;
        }
        r = state_dir_check(dir, why, sizeof(why));
        if (r < 0) {
                snprintf(err, errlen, "state directory %s: %s", dir, r == -EPERM ? why : strerror(-r));
                return r;
        }
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                r = -errno;
                snprintf(err, errlen, "cannot open the state directory %s: %s", dir, strerror(-r));
                return r;
        }
        /* O_NONBLOCK: a FIFO planted there must not hang us (refused below). */
        fd = openat(dfd, STATELOCK_FILE_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0 || fstat(fd, &st) < 0)
                r = -errno;
        else
                r = S_ISREG(st.st_mode) ? 0 : -EPERM;
        if (r < 0) {
                snprintf(err, errlen, "cannot open the lock %s/%s: %s", dir, STATELOCK_FILE_NAME,
                         r == -EPERM ? "not a regular file" : strerror(-r));
                return r;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                if (r == -EBUSY) {
                        holder_pid(fd, pid, sizeof(pid));
                        snprintf(err, errlen, "another sockauditd%s uses the state directory %s", pid, dir);
                } else
                        snprintf(err, errlen, "cannot lock %s/%s: %s", dir, STATELOCK_FILE_NAME, strerror(-r));
                return r;
        }
        /* Whose lock it is, for the next one's message; the lock holds without it. */
        if (ftruncate(fd, 0) == 0)
                dprintf(fd, "%ld\n", (long) getpid());
        return TAKE_FD(fd);
}
