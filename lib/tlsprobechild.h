/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's child between fork and exec (lib/tlsprobechild.c).
 * Internal to the library (lib/tlsprobe.c forks it).
 */
#ifndef SA_TLSPROBECHILD_H
#define SA_TLSPROBECHILD_H

#include <stdint.h>

#include "tlsprobe.h"

/*
 * In the forked child: closes every fd of the parent's but out (made
 * stdout), nsfd and exe; enters the network namespace nsfd (-1: stays);
 * drops every privilege (bounding set, groups, uid/gid to t->uid/gid when
 * root, capabilities, no_new_privs); then execs the helper exe (an O_PATH
 * fd) with t's address, port, the time left until deadline_ms and t's
 * names as arguments, and an empty environment. A step that fails writes
 * a report with status `error` naming it to out, and exits.
 */
_Noreturn void sa_tls_child_exec(const sa_tls_target *t, int nsfd, int out, int exe, int64_t deadline_ms);

#endif
