/* SPDX-License-Identifier: MIT */
/* Where the CLI finds its helper programs (cli/helperpath.c, docs/CLI.md#helper-programs). */
#ifndef SA_CLI_HELPERPATH_H
#define SA_CLI_HELPERPATH_H

#include <stddef.h>

#define TLSPROBE_NAME "sockaudit-tlsprobe"
#define PROVENANCE_NAME "sockaudit-provenance"
#define REACH_NAME "sockaudit-reach"

/*
 * Helper program name: $env when set and not empty, else beside this
 * executable (the build tree), else ../libexec/sockaudit/ from it (as
 * `make install` puts them). Into buf; NULL when none is executable.
 */
const char *cli_find_helper(const char *name, const char *env, char *buf, size_t size);

#endif
