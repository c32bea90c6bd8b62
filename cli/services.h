/* SPDX-License-Identifier: MIT */
/* Service names to ports, read from /etc/services (the static CLI has no NSS). */
#ifndef SA_CLI_SERVICES_H
#define SA_CLI_SERVICES_H

#include <stdint.h>

#define SERVICES_PATH "/etc/services"

/*
 * The port of service name (or one of its aliases) for protos (SA_PROTO_*
 * mask; 0 = either): the first entry of path, in services(5) format
 * ("name port/proto aliases... # comment"), whose protocol is one of
 * protos. Reads at most SERVICES_MAX_LINES lines; a line longer than the
 * buffer is skipped. Returns 0 with *ret_port set, -ENOENT when no entry
 * matches, or -errno when path cannot be read; *ret_port untouched on
 * failure.
 */
int services_lookup(const char *path, const char *name, unsigned protos, uint16_t *ret_port);

#define SERVICES_MAX_LINES 100000

#endif
