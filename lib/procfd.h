/* SPDX-License-Identifier: MIT */
/* One pass over PROC_ROOT/PID/fd for every PID, finding the holders of wanted sockets. */
#ifndef SA_PROCFD_H
#define SA_PROCFD_H

#include <sys/types.h>

#include "inomap.h"
#include "sockaudit.h"

/*
 * Called once per fd that points at a wanted socket. idx is the value the
 * inomap holds for inode. A negative return stops the walk and is returned.
 */
typedef int (*sa_procfd_hit_fn)(pid_t pid, int fd, uint32_t inode, size_t idx,
                                void *userdata);

/*
 * Walks every process under proc_root (thread-group leaders, as /proc lists
 * them) and every fd of each, calling hit for fds whose link is
 * "socket:[INODE]" with INODE in want. Hits of one pid are contiguous.
 * Processes that vanish (ENOENT/ESRCH) or are unreadable (EACCES/EPERM) are
 * counted in stats and skipped. Costs one readlinkat per fd (~4.5 µs).
 * proc_root NULL means "/proc"; stats may be NULL (else added to, with the
 * time spent in proc_usec). An empty want returns 0 without walking.
 */
int sa_procfd_walk(const char *proc_root, const sa_inomap *want,
                   sa_procfd_hit_fn hit, void *userdata, sa_scan_stats *stats);

#endif
