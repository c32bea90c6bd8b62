/* SPDX-License-Identifier: MIT */
/* Dropping privileges after start-up: only the capabilities the scans use. */
#ifndef SAD_PRIVS_H
#define SAD_PRIVS_H

#include <stdbool.h>

#include <jansson.h>

/*
 * Keeps CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (every process's fds,
 * exe and ns links), plus CAP_SYS_ADMIN when all_namespaces (setns into
 * other network namespaces), in the permitted and effective sets; clears
 * the inheritable and ambient sets, shrinks the bounding set to the same,
 * and sets no_new_privs. Capabilities the process did not have are not
 * asked for. Logs and returns -errno on failure.
 */
int privs_drop(bool all_namespaces);

/* The effective capabilities now, as a JSON array of names ("cap_sys_ptrace"). */
json_t *privs_to_json(void);

#endif
