/* SPDX-License-Identifier: MIT */
/* One pass over PROC_ROOT/PID/fd for every PID, finding the holders of wanted sockets. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfd.h"

/*
 * getdents64 buffers, on the heap: one for PROC_ROOT, one for the fd dir
 * being read. 32 KiB holds ~1300 entries per syscall.
 */
#define DENTS_BUF ((size_t) 32 * 1024)
/* "socket:[4294967295]" is 19 bytes; anything longer is not a socket. */
#define LINK_BUF 32u

typedef struct walk {
        const sa_inomap *want;
        sa_procfd_hit_fn hit;
        void *userdata;
        sa_scan_stats *stats;
        char *fdbuf;
} walk;

static uint64_t now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* Decimal without sign, leading zero or overflow past max; -1 otherwise. */
static long long parse_num(const char *s, long long max)
{
        long long v = 0;

        if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -1;
                v = v * 10 + (*s - '0');
                if (v > max)
                        return -1;
        }
        return v;
}

/* Inode of a "socket:[N]" link of len bytes, 0 when it is anything else. */
static uint32_t socket_inode(const char *link, size_t len)
{
        static const char prefix[] = "socket:[";
        const size_t plen = sizeof(prefix) - 1;
        uint64_t v = 0;

        if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']')
                return 0;
        for (size_t i = plen; i < len - 1; i++) {
                if (link[i] < '0' || link[i] > '9')
                        return 0;
                v = v * 10 + (uint64_t) (link[i] - '0');
                if (v > UINT32_MAX)
                        return 0;
        }
        return (uint32_t) v;
}

/* errno after a failed call, never 0. */
static int last_errno(void)
{
        int e = errno;

        return e > 0 ? e : EIO;
}

static bool is_vanished(int err)
{
        return err == ENOENT || err == ESRCH;
}

/*
 * Errors that mean this walk cannot be trusted (we ran out of something),
 * as opposed to trouble with one process.
 */
static bool is_fatal(int err)
{
        return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS;
}

/*
 * Counts one process's failure. Vanished and denied are counted; any other
 * unreadable state of one process (EIO, ENOTDIR...) counts as denied. 0, or
 * -errno for errors that should stop the walk.
 */
static int proc_failed(walk *w, int err)
{
        if (is_fatal(err))
                return -err;
        if (is_vanished(err))
                w->stats->procs_vanished++;
        else
                w->stats->procs_denied++;
        return 0;
}

/*
 * Reads the fd directory of pid (open on dfd, which this closes). Every fd
 * costs one readlinkat; fds closed meanwhile are skipped. Returns 0, a
 * negative hit() result, or -errno for a fatal error.
 */
static int walk_fds(walk *w, pid_t pid, int dfd)
{
        int r = 0;

        for (;;) {
                ssize_t n = getdents64(dfd, w->fdbuf, DENTS_BUF);

                if (n < 0) {
                        r = proc_failed(w, last_errno());
                        break;
                }
                if (n == 0)
                        break;

                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) (w->fdbuf + off);
                        char link[LINK_BUF];
                        long long fd;
                        ssize_t len;
                        uint32_t ino;
                        size_t idx;

                        off += de->d_reclen;
                        fd = parse_num(de->d_name, INT_MAX);
                        if (fd < 0)
                                continue; /* ".", "..", junk */

                        w->stats->fds++;
                        len = readlinkat(dfd, de->d_name, link, sizeof(link));
                        if (len < 0) {
                                int err = last_errno();

                                if (err == ENOENT)
                                        continue; /* fd closed since getdents */
                                r = proc_failed(w, err);
                                goto out;
                        }
                        ino = socket_inode(link, (size_t) len);
                        if (ino == 0 || !sa_inomap_get(w->want, ino, &idx))
                                continue;
                        r = w->hit(pid, (int) fd, ino, idx, w->userdata);
                        if (r < 0)
                                goto out;
                        r = 0;
                }
        }
out:
        close(dfd);
        return r;
}

/* Visits one PROC_ROOT entry, if it is a process. 0, or a negative stop code. */
static int walk_pid(walk *w, int rootfd, const struct dirent64 *de)
{
        char path[32];
        long long pid;
        size_t len;
        int dfd;

        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                return 0;
        pid = parse_num(de->d_name, INT_MAX);
        if (pid <= 0)
                return 0;
        w->stats->procs++;

        /* d_name is at most 10 digits here, so "PID/fd" always fits. */
        len = strlen(de->d_name);
        memcpy(path, de->d_name, len);
        memcpy(path + len, "/fd", 4);
        dfd = openat(rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return proc_failed(w, last_errno());
        return walk_fds(w, (pid_t) pid, dfd);
}

int sa_procfd_walk(const char *proc_root, const sa_inomap *want,
                   sa_procfd_hit_fn hit, void *userdata, sa_scan_stats *stats)
{
        sa_scan_stats dummy = { 0 };
        uint64_t start;
        char *buf = NULL;
        walk w;
        int rootfd, r = 0;

        if (!want || !hit)
                return -EINVAL;
        if (!stats)
                stats = &dummy;
        if (!proc_root)
                proc_root = "/proc";
        /* Nothing to look for: spare the walk. */
        if (sa_inomap_size(want) == 0)
                return 0;

        start = now_usec();
        rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0) {
                r = -last_errno();
                goto done;
        }
        buf = malloc(2 * DENTS_BUF);
        if (!buf) {
                r = -ENOMEM;
                goto done;
        }
        w = (walk) {
                .want = want,
                .hit = hit,
                .userdata = userdata,
                .stats = stats,
                .fdbuf = buf + DENTS_BUF,
        };

        for (;;) {
                ssize_t n = getdents64(rootfd, buf, DENTS_BUF);

                if (n < 0) {
                        r = -last_errno();
                        break;
                }
                if (n == 0)
                        break;
                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buf + off);

                        off += de->d_reclen;
                        r = walk_pid(&w, rootfd, de);
                        if (r < 0)
                                goto done;
                }
        }

done:
        free(buf);
        if (rootfd >= 0)
                close(rootfd);
        stats->proc_usec += now_usec() - start;
        return r;
}
