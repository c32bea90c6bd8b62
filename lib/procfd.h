/* SPDX-License-Identifier: MIT */
/* Walks of PROC_ROOT/PID/fd, finding the holders of wanted sockets. */
#ifndef SA_PROCFD_H
#define SA_PROCFD_H

#include <stdint.h>
#include <sys/types.h>

#include "inomap.h"
#include "sockaudit.h"
#include "unseen.h"

/*
 * Called once per fd that points at a wanted socket. idx is the value the
 * inomap holds for inode. A negative return stops the walk and is returned.
 * Always called from the thread that started the walk.
 */
typedef int (*sa_procfd_hit_fn)(pid_t pid, int fd, uint32_t inode, size_t idx,
                                void *userdata);

/* One process as PROC_ROOT lists it. */
typedef struct sa_procfd_pid {
        pid_t pid;
        uint64_t dir_ino;       /* inode of PROC_ROOT/PID: changes when the pid is reused */
} sa_procfd_pid;

/*
 * Lists the processes under proc_root (NULL = "/proc"): thread-group
 * leaders, in the order the directory gives (ascending on procfs). Only
 * getdents64 of the root, no per-process syscall.
 * Caller frees *ret (NULL when *ret_n is 0). -errno when proc_root cannot
 * be read, -ENOMEM.
 */
int sa_procfd_list(const char *proc_root, sa_procfd_pid **ret, size_t *ret_n);

/*
 * Walks the fd directories of the n processes in pids, calling hit for fds
 * whose link is "socket:[INODE]" with INODE in want. Hits of one pid are
 * contiguous and pids come in the order of the array. Processes that
 * vanish (ENOENT/ESRCH) or are unreadable (EACCES/EPERM) are counted in
 * stats and skipped. Costs one openat and getdents64 per process and one
 * readlinkat per fd (nearly all kernel time), spread over up to `threads`
 * threads (0 = one per CPU we may run on, at most SA_PROCFD_MAX_THREADS;
 * small sets run in the calling thread); hits are buffered per thread and
 * handed to hit() afterwards, in the calling thread. stats may be NULL
 * (else added to, with the wall time in proc_usec). An empty want returns
 * 0 without walking.
 */
#define SA_PROCFD_MAX_THREADS 4u
int sa_procfd_walk_pids(const char *proc_root, const sa_procfd_pid *pids, size_t n,
                        unsigned threads, const sa_inomap *want, sa_procfd_hit_fn hit,
                        void *userdata, sa_scan_stats *stats);

/*
 * sa_procfd_walk_pids(), also handing hit() leads to unseen namespaces
 * (unseen.h), at no extra system call: socket fds not wanted whose inode
 * unseen->checked does not map to a known namespace (idx SA_UNSEEN_SOCKET,
 * inode the socket's), and "net:[N]" fds with N not known (idx
 * SA_UNSEEN_NSFD, inode N). unseen NULL: as sa_procfd_walk_pids(); then an
 * empty want returns 0 without walking.
 */
int sa_procfd_walk_unseen(const char *proc_root, const sa_procfd_pid *pids, size_t n,
                          unsigned threads, const sa_inomap *want, const sa_unseen *unseen,
                          sa_procfd_hit_fn hit, void *userdata, sa_scan_stats *stats);

/* Adds the walk's counters (procs, fds, vanished, denied, proc_usec) of from to to. */
void sa_procfd_stats_add(sa_scan_stats *to, const sa_scan_stats *from);

/*
 * Every process: sa_procfd_list() then sa_procfd_walk_pids() with the
 * automatic thread count. When ret_pids is non-NULL the listing is handed
 * over (caller frees *ret_pids) whatever the walk returned, provided the
 * listing itself worked; else *ret_pids is untouched.
 */
int sa_procfd_walk_all(const char *proc_root, const sa_inomap *want, sa_procfd_hit_fn hit,
                       void *userdata, sa_scan_stats *stats, sa_procfd_pid **ret_pids,
                       size_t *ret_n_pids);

/* sa_procfd_walk_all() without the listing (the original interface). */
int sa_procfd_walk(const char *proc_root, const sa_inomap *want,
                   sa_procfd_hit_fn hit, void *userdata, sa_scan_stats *stats);

/*
 * Where the (possibly reused) fd of pid points: one readlinkat of
 * PROC_ROOT/PID/fd/FD on rootfd (an open PROC_ROOT). Sets *ret_inode to the
 * socket inode, or 0 when fd is not a socket. -ENOENT when the fd or the
 * process is gone, other -errno as readlinkat fails.
 */
int sa_procfd_socket_of(int rootfd, pid_t pid, int fd, uint32_t *ret_inode);

#endif
