/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's child (lib/tlsprobechild.c): runs after fork, never
 * returns. Internal to the library (lib/tlsprobe.c forks it).
 */
#ifndef SA_TLSPROBECHILD_H
#define SA_TLSPROBECHILD_H

#include <stdint.h>

#include "tlsprobe.h"

/*
 * Enters the network namespace nsfd (-1: stays), drops every privilege
 * (capabilities, uid/gid to t->uid/gid when root, no new privileges,
 * seccomp), makes the handshakes until deadline_ms (CLOCK_MONOTONIC),
 * writes one JSON report (at most SA_TLS_REPORT_MAX bytes) to out and
 * exits. A failure to enter or drop is reported as status `error`; no
 * handshake is made then.
 */
_Noreturn void sa_tls_child_main(const sa_tls_target *t, int nsfd, int out, int64_t deadline_ms);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t sa_tls_now_ms(void);

#endif
