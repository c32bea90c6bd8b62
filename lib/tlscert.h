/* SPDX-License-Identifier: MIT */
/*
 * Facts of one X.509 certificate (lib/tlscert.c), as the JSON object of a
 * listener's tls.certificates[] (docs/RECORDS.md#tls-certificate) without
 * its `sni`: subject, san, issuer, serial, validity, key, signature
 * algorithm, self-signed, chain verification against the system's CA
 * store, SHA-256 fingerprint. Every text field is untrusted (the server
 * chose it): bounded, valid UTF-8, raw otherwise (escape before printing).
 * Internal to the library (the probe's child and the PEM reader use it).
 */
#ifndef SA_TLSCERT_H
#define SA_TLSCERT_H

#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "tlsprobe.h"


/*
 * The facts of x. chain: the other certificates the server sent
 * (untrusted, may be NULL); store: the trust anchors (NULL: not verified,
 * chain_error says so); now: for days_left and the verification time.
 * Returns a new object (caller owns), NULL on ENOMEM.
 */
json_t *sa_tls_cert_facts(X509 *x, STACK_OF(X509) *chain, X509_STORE *store, time_t now);

/*
 * The first certificate of the PEM file at path (a regular file,
 * at most 1 MiB read), verified against the system's CA
 * store: what is on disk, to compare with what is served. 0 and *ret
 * (caller owns), or -errno (-EBADMSG: no certificate in it).
 */
int sa_tls_cert_file_facts(const char *path, time_t now, json_t **ret);

/* A CA store with the system's default paths; NULL on failure. Caller frees (X509_STORE_free). */
X509_STORE *sa_tls_system_store(void);

#endif
