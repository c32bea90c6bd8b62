/* SPDX-License-Identifier: MIT */
/* Dropping privileges after start-up: only the capabilities the scans use. */
#ifndef SAD_PRIVS_H
#define SAD_PRIVS_H

#include <stdbool.h>

#include <jansson.h>

/*
 * Whether privs_drop() can succeed here: every capability a scan needs
 * (CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, and CAP_SYS_ADMIN when
 * all_namespaces) is permitted, and CAP_SETPCAP is too when the bounding
 * set holds anything but those three and the start-up ones
 * (CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON). Changes nothing. On failure
 * logs which capability is missing and why it matters, tells the service
 * manager (STATUS=, ERRNO=) and returns -EPERM: the daemon must not run,
 * since answers from scans that see nothing would look like real ones.
 */
int privs_check(bool all_namespaces);

/*
 * Keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (every process's fds,
 * exe and ns links), plus CAP_SYS_ADMIN when all_namespaces (setns into
 * other network namespaces), in the permitted and effective sets; clears
 * the inheritable and ambient sets, shrinks the bounding set to the same
 * when CAP_SETPCAP is permitted (dropping that too) or else leaves it
 * (those plus whatever of the three scan and the start-up ones it holds),
 * and sets no_new_privs; then reads all five sets back and fails unless
 * they are exactly that. Refuses (as privs_check()) rather than keep less
 * or more. Logs and returns -errno on failure.
 */
int privs_drop(bool all_namespaces);

/* The effective capabilities now, as a JSON array of names ("cap_sys_ptrace"). */
json_t *privs_to_json(void);

#endif
