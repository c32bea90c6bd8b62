/* SPDX-License-Identifier: MIT */
/* Details of one process from PROC_ROOT/PID: comm, exe, argv, status, cgroup. */
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
 * Unread fields: ppid 0, uid (uid_t) -1, strings NULL, argv {NULL}; a
 * missing exe link alone (kernel thread, zombie) is not incomplete.
 * Costs ~15 syscalls (30-40 µs on this VM): open, read, close of comm, cmdline
 * (at most SA_CMDLINE_MAX bytes), status and cgroup, and a readlinkat of exe.
 */
int sa_process_read(const char *proc_root, pid_t pid, sa_usercache *users,
                    sa_process **ret);
sa_process *sa_process_free(sa_process *p);

/*
 * Derives units from a cgroup path the way sd_pid_get_unit() and
 * sd_pid_get_user_unit() do: "/system.slice/nginx.service" -> unit
 * "nginx.service"; "/user.slice/user-1000.slice/user@1000.service/app.slice/
 * x.service" -> unit "user@1000.service", user_unit "x.service". Either
 * result may be NULL. Caller frees both.
 */
int sa_cgroup_units(const char *cgroup, char **ret_unit, char **ret_user_unit);

/*
 * The container a cgroup path belongs to (docs/EXPOSURE.md), innermost
 * first: "docker:ID12" for ".../docker-<64 hex>.scope" or "/docker/<64 hex>",
 * "podman:ID12" for "libpod-<64 hex>(.scope)", "containerd:ID12" and
 * "crio:ID12" for "cri-containerd-"/"crio-<64 hex>.scope", the machine name
 * for "machine.slice/machine-NAME.scope" (unit escapes undone), else
 * "container" when a component is "payload" (systemd-nspawn --keep-unit).
 * *ret is NULL when none of these match. Pure string work. Caller frees;
 * -EINVAL, -ENOMEM.
 */
int sa_cgroup_container(const char *cgroup, char **ret);

/*
 * The container or machine pid (0 = the caller itself) runs in:
 * sd_pid_get_machine_name() when proc_root is the live "/proc" (NULL), else
 * or then sa_cgroup_container() on PROC_ROOT/PID/cgroup. 0 with *ret NULL
 * when it is in none; -ESRCH when pid is gone, -errno when its cgroup file
 * is unreadable, -ENOMEM. Costs an open, a read and a close (plus
 * libsystemd's own read of the same file and a readlink under
 * /run/systemd/machines when live).
 */
int sa_pid_container(const char *proc_root, pid_t pid, char **ret);

#endif
