/* SPDX-License-Identifier: MIT */
/*
 * The CLI's TLS probes (cli/tlsrun.c), for `tls` and `explain`: each
 * listener record chosen is probed by this process (lib/include/tlsprobe.h),
 * a few at once, asking for the names its owners' web server configs
 * serve on its port and comparing their certificate files with what is
 * served (lib/include/tlsplan.h). The result is the record's `tls` object.
 */
#ifndef SA_CLI_TLSRUN_H
#define SA_CLI_TLSRUN_H

#include <stdbool.h>

#include <jansson.h>

/*
 * Sets `tls` on each listener record of the array that want() accepts
 * (NULL: all), replacing one already there. A probe that cannot be made
 * gets a `tls` with status `error` and why. 0, or -ENOMEM.
 */
int tls_probe_listeners(json_t *listeners, bool (*want)(const json_t *l));

/*
 * A helper program: $env_var, else name beside this executable (the build
 * tree), else ../libexec/sockaudit/name from it (as `make install` puts
 * them). Into buf; NULL when none is executable.
 */
const char *find_helper(const char *name, const char *env_var, char *buf, size_t size);

#endif
