/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's handshakes (lib/tlshandshake.c), made by the exec'd
 * helper (libexec/sockaudit-tlsprobe.c) once it holds nothing: no SNI,
 * then each name asked for and the default certificate's SAN names, then
 * each protocol version alone. Internal to the library; links libssl.
 */
#ifndef SA_TLSHANDSHAKE_H
#define SA_TLSHANDSHAKE_H

#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "tlsprobe.h"

/*
 * The probe's seccomp filter: socket() for AF_INET and AF_INET6 only; no
 * exec, ptrace, namespace or mount change, eBPF or keyring (EPERM); other
 * architectures' calls (x32 too) kill. 0, -errno, or -ENOSYS on an
 * architecture it does not know.
 */
int sa_tls_seccomp(void);

/*
 * The handshakes with t's listener (t->family, addr, port, sni; a wildcard
 * address asked at loopback), each bounded by deadline (CLOCK_MONOTONIC
 * ms), certificates verified against store (may be NULL). Sets report's
 * status, error, versions, alpn and certificates (the child's report,
 * docs/RECORDS.md#tls without probed_at).
 */
void sa_tls_handshakes(const sa_tls_target *t, int64_t deadline, X509_STORE *store, json_t *report);

/* Sets report's status and error (NULL: null). */
void sa_tls_report_status(json_t *report, const char *status, const char *error);

#endif
