/* SPDX-License-Identifier: MIT */
/*
 * Network namespaces reached through what holds them (nsholder.h): a
 * process's socket or nsfs fd, or an nsfs bind mount its mount namespace
 * shows. Every fd obtained is checked to be the namespace asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "nsholder.h"
#include "sockaudit-internal.h"
#include "util.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
/* struct file_handle's type for nsfs handles (include/linux/exportfs.h, FILEID_NSFS). */
#define NSFS_FILEID 0xf1

/* PID/mountinfo read at most this far (a mount namespace of ~20000 mounts). */
#define MOUNTINFO_MAX ((size_t) 4 << 20)

static int errno_or_esrch(void)
{
        int e = errno;

        if (e == EMFILE || e == ENFILE || e == ENOMEM)
                return -e;
        return -ESRCH;
}

/* fd when it is the network namespace ino, else closed and -ESRCH. */
static int check_ns(int fd, uint64_t ino)
{
        struct stat st;

        if (fstat(fd, &st) < 0 || st.st_ino != ino) {
                close(fd);
                return -ESRCH;
        }
        return fd;
}

/*
 * The network namespace ino of socket sfd without SIOCGSKNS (which takes
 * CAP_NET_ADMIN, gone from the daemon after start-up): an nsfs file handle
 * {the socket's SO_NETNS_COOKIE, which is the namespace's id, CLONE_NEWNET,
 * ino} opened with open_by_handle_at (kernel 6.18 and later; it takes
 * CAP_DAC_READ_SEARCH and CAP_SYS_ADMIN, which Namespaces=all keeps).
 */
static int open_by_cookie(int sfd, uint64_t ino)
{
        struct {
                struct file_handle fh;
                struct { uint64_t ns_id; uint32_t ns_type, ns_inum; } nsfs;
        } h = { .fh.handle_bytes = sizeof h.nsfs, .fh.handle_type = NSFS_FILEID };
        uint64_t cookie = 0;
        socklen_t len = sizeof cookie;
        int mfd, fd;

        if (ino == 0 || ino > UINT32_MAX || getsockopt(sfd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
                return -EPERM;
        h.nsfs.ns_id = cookie;
        h.nsfs.ns_type = CLONE_NEWNET;
        h.nsfs.ns_inum = (uint32_t) ino;
        mfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC); /* any fd on nsfs */
        if (mfd < 0)
                return errno_or_esrch();
        fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
        close(mfd);
        if (fd < 0)
                return errno == EMFILE || errno == ENFILE ? -errno : -EPERM;
        return check_ns(fd, ino);
}

static sa_skns_fn skns_fn;
static void *skns_ctx;
static unsigned long skns_calls;

unsigned long sa_nsholder_skns_lent(void)
{
        return skns_calls;
}

void sa_scan_set_skns(sa_skns_fn fn, void *ctx)
{
        skns_fn = fn;
        skns_ctx = ctx;
}

int sa_nsholder_socket_netns(int pidfd, int fd, uint32_t sock_ino, uint64_t hint, uint64_t *ret_ino,
                             int *ret_nsfd)
{
        struct stat st;
        int sfd, nsfd, r;

        sfd = (int) pidfd_getfd(pidfd, fd, 0);
        if (sfd < 0)
                return errno == EBADF || errno == ESRCH ? -ESRCH : -errno;
        if (fstat(sfd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_ino != sock_ino) {
                close(sfd);
                return -ESRCH; /* closed and reused meanwhile */
        }
        nsfd = ioctl(sfd, SIOCGSKNS);
        if (nsfd < 0)
                nsfd = -errno;
        if (nsfd == -EPERM && skns_fn) {
                skns_calls++;
                nsfd = skns_fn(skns_ctx, sfd);
        }
        if (nsfd == -EPERM)
                nsfd = open_by_cookie(sfd, hint);
        close(sfd);
        if (nsfd < 0)
                return nsfd;
        if (fstat(nsfd, &st) < 0) {
                r = -errno;
                close(nsfd);
                return r;
        }
        *ret_ino = st.st_ino;
        if (ret_nsfd)
                *ret_nsfd = nsfd;
        else
                close(nsfd);
        return 0;
}

int sa_nsholder_socket_is_inet(int proc_fd, pid_t pid, int fd)
{
        static const char *const inet[] = { "TCP", "TCPv6", "UDP", "UDPv6" };
        char path[80], name[16];
        ssize_t n;

        /* getxattr follows the fd's magic link to the socket (no getxattrat before 6.13):
         * PROC_ROOT reached through our own fd of it. */
        snprintf(path, sizeof path, "/proc/self/fd/%d/%d/fd/%d", proc_fd, (int) pid, fd);
        n = getxattr(path, "system.sockprotoname", name, sizeof name - 1);
        if (n < 0)
                return errno == ENOENT ? -ENOENT : 0;
        name[n] = '\0';
        for (size_t i = 0; i < sizeof inet / sizeof inet[0]; i++)
                if (strcmp(name, inet[i]) == 0)
                        return 1;
        return 0;
}

/* One mountinfo field from *p (space-separated), unescaped into out; false if it does not fit. */
static bool mi_field(const char **p, char *out, size_t size)
{
        const char *s = *p;
        size_t n = 0;
        bool fits = true;

        while (*s == ' ')
                s++;
        while (*s && *s != ' ' && *s != '\n') {
                char c = *s++;

                if (c == '\\' && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
                    s[2] >= '0' && s[2] <= '7') {
                        c = (char) ((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
                        s += 3;
                }
                if (n + 1 < size)
                        out[n++] = c;
                else
                        fits = false;
        }
        if (size > 0)
                out[n] = '\0';
        *p = s;
        return fits && size > 0;
}

/* "net:[N]" as N; 0 otherwise. */
static uint32_t net_root_ino(const char *root)
{
        uint64_t v;
        size_t len = strlen(root);
        char num[16];

        if (len < 7 || len - 6 >= sizeof num || strncmp(root, "net:[", 5) != 0 || root[len - 1] != ']')
                return 0;
        memcpy(num, root + 5, len - 6);
        num[len - 6] = '\0';
        return sa_parse_uint(num, UINT32_MAX, NULL, &v) == 0 ? (uint32_t) v : 0;
}

int sa_nsholder_mountinfo_next(const char **cursor, uint32_t *ret_ino, char *mp, size_t mp_size)
{
        const char *line = *cursor;

        while (line && *line) {
                const char *eol = strchr(line, '\n');
                const char *p = line, *sep;
                char root[32], fstype[16], skip[32];
                bool mp_ok;
                uint32_t ino;

                *cursor = eol ? eol + 1 : line + strlen(line);
                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
                mi_field(&p, skip, sizeof skip);
                mi_field(&p, skip, sizeof skip);
                mi_field(&p, skip, sizeof skip);
                if (!mi_field(&p, root, sizeof root)) {
                        line = *cursor;
                        continue;
                }
                mp_ok = mi_field(&p, mp, mp_size);
                sep = strstr(p, " - ");
                if (sep && (!eol || sep < eol)) {
                        p = sep + 3;
                        if (mi_field(&p, fstype, sizeof fstype) && strcmp(fstype, "nsfs") == 0 &&
                            mp_ok && (ino = net_root_ino(root)) != 0) {
                                *ret_ino = ino;
                                return 1;
                        }
                }
                line = *cursor;
        }
        return 0;
}

char *sa_nsholder_read_mountinfo(int proc_fd, pid_t pid)
{
        char path[32];
        size_t have = 0, cap = 64 * 1024;
        char *buf = malloc(cap);
        int fd;

        snprintf(path, sizeof path, "%d/mountinfo", (int) pid);
        fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !buf) {
                int e = fd < 0 ? errno : ENOMEM;
                if (fd >= 0)
                        close(fd);
                free(buf);
                errno = e;
                return NULL;
        }
        for (;;) {
                ssize_t n;

                if (have + 1 >= cap) {
                        char *b = cap < MOUNTINFO_MAX ? realloc(buf, cap * 2) : NULL;
                        if (!b)
                                break; /* what was read is used */
                        buf = b;
                        cap *= 2;
                }
                n = read(fd, buf + have, cap - have - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                have += (size_t) n;
        }
        close(fd);
        buf[have] = '\0';
        return buf;
}

/* MOUNT: the mount of ino pid's mountinfo shows, opened through PID/root. */
static int open_mount(int proc_fd, pid_t pid, uint64_t ino)
{
        char *text = sa_nsholder_read_mountinfo(proc_fd, pid);
        const char *cur = text;
        char mp[4096], path[4096 + 32];
        uint32_t found;
        int fd = -ESRCH;

        if (!text)
                return errno_or_esrch();
        while (sa_nsholder_mountinfo_next(&cur, &found, mp, sizeof mp) == 1) {
                if (found != ino)
                        continue;
                snprintf(path, sizeof path, "%d/root%s", (int) pid, mp);
                fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd < 0) {
                        fd = errno_or_esrch();
                        continue;
                }
                fd = check_ns(fd, ino);
                if (fd >= 0)
                        break;
        }
        free(text);
        return fd;
}

int sa_nsholder_open(int proc_fd, const sa_nsholder *h, uint64_t ino)
{
        char path[48];
        uint64_t got = 0;
        int fd, pidfd, r;

        switch (h->kind) {
        case SA_NSHOLDER_SOCKET:
                pidfd = (int) pidfd_open(h->pid, 0);
                if (pidfd < 0)
                        return errno_or_esrch();
                r = sa_nsholder_socket_netns(pidfd, h->fd, h->sock_ino, ino, &got, &fd);
                close(pidfd);
                if (r < 0)
                        return r == -EMFILE || r == -ENFILE ? r : -ESRCH;
                if (got != ino) {
                        close(fd);
                        return -ESRCH;
                }
                return fd;
        case SA_NSHOLDER_NSFD:
                snprintf(path, sizeof path, "%d/fd/%d", (int) h->pid, h->fd);
                fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
                return fd < 0 ? errno_or_esrch() : check_ns(fd, ino);
        case SA_NSHOLDER_MOUNT:
                return open_mount(proc_fd, h->pid, ino);
        default:
                return -ESRCH;
        }
}

void sa_nsholder_name(const sa_nsholder *h, const char *mp, char *buf, size_t size)
{
        int n;

        if (h->kind != SA_NSHOLDER_MOUNT) {
                snprintf(buf, size, "held by pid %d fd %d", (int) h->pid, h->fd);
                return;
        }
        /* A mount point is a user's choice (in a mount namespace of their own):
         * printable ASCII only, else the pid names it. */
        for (const char *c = mp; c && *c; c++)
                if (*c < 0x20 || *c > 0x7e)
                        mp = NULL;
        n = snprintf(buf, size, "held by mount %s", mp ? mp : "");
        if (!mp || n < 0 || (size_t) n >= size)
                snprintf(buf, size, "held by a mount of pid %d", (int) h->pid);
}
