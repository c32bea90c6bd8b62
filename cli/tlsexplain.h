/* SPDX-License-Identifier: MIT */
/* The TLS section of `sockaudit explain` (cli/tlsexplain.c). */
#ifndef SA_CLI_TLSEXPLAIN_H
#define SA_CLI_TLSEXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Whether explain --direct probes listener record l itself: TCP on 443 (TLS-watched by default). */
bool tls_explain_wanted(const json_t *l);

/*
 * Listener record l's `tls` object in words, indented under the listener:
 * status, versions, ALPN; per certificate the name it was served for,
 * subject, issuer, expiry and days left, key, signature, chain, and the
 * file on disk (matching, or renewed and not reloaded); the config errors.
 * Nothing when l has no `tls`. Escaped. 0 or -errno.
 */
int tls_explain_put(FILE *out, const json_t *l);

/* "indent FILE:LINE: REASON" for each of tls's config_errors, escaped. 0 or -errno. */
int tls_config_errors_put(FILE *out, const json_t *tls, const char *indent);

#endif
