/* SPDX-License-Identifier: MIT */
/*
 * Details of one process from PROC_ROOT/PID: comm, exe, argv, status,
 * cgroup, and the container it runs in. The names read from a cgroup path
 * (units, containers) are cgroup.h's.
 */
#ifndef SA_PROCESS_H
#define SA_PROCESS_H

#include <sys/types.h>

#include "sockaudit.h"
#include "usercache.h"

/*
 * Reads pid's details from proc_root. A process that vanishes part-way is
 * still returned with what was read and incomplete set; -ESRCH only when
 * nothing at all could be read. users resolves uid -> name (may be NULL:
 * user left unset). Caller frees with sa_process_free().
 * Unread fields: ppid 0, uid (uid_t) -1, strings NULL, argv {NULL}.
 * Exiting counts as incomplete: State Z or X in status, or no exe link on
 * anything but a kernel thread (pid 2 or ppid 2; an exiting task loses its
 * exe link before its fds). An incomplete read is made once more and the
 * second answer kept (unless nothing could be read the second time).
 * Costs ~15 syscalls: open, read, close of comm, cmdline
 * (at most SA_CMDLINE_MAX bytes), status and cgroup, and a readlinkat of
 * exe; twice that for an incomplete one.
 */
int sa_process_read(const char *proc_root, pid_t pid, sa_usercache *users,
                    sa_process **ret);
sa_process *sa_process_free(sa_process *p);

/*
 * A copy of src's details (its own strings and argv; provenance left
 * NULL, for the join to attach), as sa_process_read() would return them.
 * Caller frees with sa_process_free(). -ENOMEM.
 */
int sa_process_copy(const sa_process *src, sa_process **ret);

/*
 * The container or machine pid (0 = the caller itself) runs in, named from
 * PROC_ROOT/PID/cgroup: sa_cgroup_machined_name() when proc_root is the
 * live "/proc" (NULL), else or then sa_cgroup_container() (cgroup.h). 0
 * with *ret NULL when it is in none; -ESRCH when pid is gone, -errno when
 * its cgroup file is unreadable, -ENOMEM. Costs an open, a read and a close
 * (plus a readlink under /run/systemd/machines when live).
 */
int sa_pid_container(const char *proc_root, pid_t pid, char **ret);

#endif
