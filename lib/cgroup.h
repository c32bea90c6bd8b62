/* SPDX-License-Identifier: MIT */
/*
 * Names from cgroup paths (lib/cgroup.c): units, containers, machines.
 * Internal to the library; process.c reads the paths from /proc.
 */
#ifndef SA_CGROUP_H
#define SA_CGROUP_H

/*
 * Derives units from a cgroup path the way sd_pid_get_unit() and
 * sd_pid_get_user_unit() do: "/system.slice/nginx.service" -> unit
 * "nginx.service"; "/user.slice/user-1000.slice/user@1000.service/app.slice/
 * x.service" -> unit "user@1000.service", user_unit "x.service". Either
 * result may be NULL. Caller frees both. -EINVAL, -ENOMEM.
 */
int sa_cgroup_units(const char *cgroup, char **ret_unit, char **ret_user_unit);

/*
 * The container a cgroup path belongs to (docs/EXPOSURE.md), recognised
 * only where the runtimes (as root) put it, never in a subtree delegated to
 * a user or to a container: right below a chain of slices from the root
 * that does not start with user.slice, "docker-<64 hex>.scope" is
 * "docker:ID12", "libpod-<64 hex>.scope" "podman:ID12",
 * "cri-containerd-"/"crio-<64 hex>.scope" "containerd:ID12"/"crio:ID12";
 * "/machine.slice/machine-NAME.scope" is NAME (unit escapes undone); the
 * cgroupfs drivers' "/docker/<64 hex>" and "/libpod_parent/libpod-<64 hex>"
 * only at the top; else "container" for nspawn --keep-unit's "payload" in
 * such a unit (or at the top). So the outermost, host-made name wins.
 * *ret is NULL when none of these match. Pure string work. Caller frees;
 * -EINVAL, -ENOMEM.
 */
int sa_cgroup_container(const char *cgroup, char **ret);

/*
 * The machine name systemd-machined registered for the unit of cgroup, as
 * sd_pid_get_machine_name() finds it: a readlink of
 * /run/systemd/machines/unit:UNIT, kept when it is printable, without '/'
 * and at most 63 bytes. Meaningful for the live system only. NULL when
 * there is none (or memory ran out: callers fall back to
 * sa_cgroup_container()). Caller frees.
 */
char *sa_cgroup_machined_name(const char *cgroup);

#endif
