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
 * The machine name systemd-machined registered for the unit of cgroup, as
 * sd_pid_get_machine_name() finds it: a readlink of
 * /run/systemd/machines/unit:UNIT, kept when it is printable, without '/'
 * and at most 63 bytes. Meaningful for the live system only. NULL when
 * there is none (or memory ran out: callers fall back to
 * sa_cgroup_container()). Caller frees.
 */
char *sa_cgroup_machined_name(const char *cgroup);

#endif
