/* SPDX-License-Identifier: MIT */
/*
 * How a network namespace no process lives in is held, and getting an fd
 * of it again from that holder: a socket fd of a process (pidfd_getfd +
 * SIOCGSKNS), an nsfs fd of a process (PROC_ROOT/PID/fd/N), or an nsfs bind
 * mount seen by a process (PROC_ROOT/PID/mountinfo, opened through
 * PROC_ROOT/PID/root). A leaf module: calls nothing else in lib/ but util.
 */
#ifndef SA_NSHOLDER_H
#define SA_NSHOLDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum sa_nsholder_kind {
        SA_NSHOLDER_NONE = 0,
        SA_NSHOLDER_SOCKET,     /* fd of pid is a socket inside the namespace */
        SA_NSHOLDER_NSFD,       /* fd of pid is the namespace's nsfs file */
        SA_NSHOLDER_MOUNT,      /* an nsfs bind mount in pid's mount namespace */
} sa_nsholder_kind;

typedef struct sa_nsholder {
        pid_t pid;
        int fd;                 /* SOCKET, NSFD: the fd number; MOUNT: unused */
        uint32_t sock_ino;      /* SOCKET: the socket's inode (checked after pidfd_getfd) */
        uint8_t kind;           /* sa_nsholder_kind */
} sa_nsholder;

/*
 * An fd (O_CLOEXEC) of the network namespace ino, reached from h (proc_fd:
 * an open PROC_ROOT) and checked to be that namespace. -ESRCH when h no
 * longer leads to it (closed, exited, unmounted, pid reused, or the
 * socket's namespace cannot be opened: sa_nsholder_socket_netns()),
 * -EMFILE and -ENFILE as such, -ENOMEM. Costs: SOCKET a pidfd_open,
 * pidfd_getfd (which, as for any received socket, sets its cgroup v1
 * net_cls/net_prio ids to ours), an ioctl or two; NSFD one open; MOUNT a
 * read of PID/mountinfo and an open.
 */
int sa_nsholder_open(int proc_fd, const sa_nsholder *h, uint64_t ino);

/*
 * The network namespace of socket fd of the process behind pidfd, when it
 * is the socket sock_ino: *ret_ino its inode and, when ret_nsfd is not
 * NULL, an fd of it (caller closes). By SIOCGSKNS, which takes
 * CAP_NET_ADMIN; refused that, by the sa_scan_set_skns() asker (if
 * any), then by an nsfs file handle when hint (the namespace's inode, as
 * the eBPF walk read it) is not 0 (kernel 6.18 and later). -ESRCH when the
 * fd is gone or is another file, -EPERM when no way is open, other -errno
 * of pidfd_getfd.
 */
int sa_nsholder_socket_netns(int pidfd, int fd, uint32_t sock_ino, uint64_t hint, uint64_t *ret_ino,
                             int *ret_nsfd);

/* How many times this process has called the sa_scan_set_skns() asker. */
unsigned long sa_nsholder_skns_lent(void);

/*
 * Whether the socket PROC_ROOT/PID/fd/FD is TCP or UDP (IPv4 or IPv6), from
 * its "system.sockprotoname" attribute: one getxattr, nothing received.
 * 1 yes, 0 no (another protocol, or unreadable), -ENOENT when it is gone.
 */
int sa_nsholder_socket_is_inet(int proc_fd, pid_t pid, int fd);

/*
 * The next nsfs mount of a network namespace in mountinfo text from
 * *cursor (advanced past it): its namespace inode and its mount point,
 * unescaped (\040 and the like) into mp (mp_size bytes; a longer one is
 * skipped). 1 found, 0 none left. Pure: no system call.
 */
int sa_nsholder_mountinfo_next(const char **cursor, uint32_t *ret_ino, char *mp, size_t mp_size);

/* PROC_ROOT/PID/mountinfo (at most 4 MiB of it), NUL-terminated: caller
 * frees; NULL (errno set) when unreadable. */
char *sa_nsholder_read_mountinfo(int proc_fd, pid_t pid);

/* netns_name for a namespace held by h: "held by pid N fd M", "held by mount PATH"
 * (mp; when it does not fit, or holds anything but printable ASCII, "held
 * by a mount of pid N"). */
void sa_nsholder_name(const sa_nsholder *h, const char *mp, char *buf, size_t size);

#endif
