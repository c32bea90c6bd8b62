/* SPDX-License-Identifier: MIT */
/*
 * An owner's package verdict in words, from its JSON owner record
 * (docs/RECORDS.md: exe, exe_location, exe_sha256, package), for explain.
 */
#ifndef SA_CLI_PROVENANCETEXT_H
#define SA_CLI_PROVENANCETEXT_H

#include <jansson.h>

/*
 * "/usr/sbin/nginx from nginx 1.22.1-9+deb12u1, verified against the
 * package", "... differs from what nginx 1.22.1 shipped (modified)", "... is
 * not from any installed package, running from /tmp", "...: image deleted
 * on disk: nginx 1.22.1 upgraded under a running process, needs restart",
 * "... cannot be verified: REASON"; then "; sha256 HEX" when known. Raw
 * record text (escape on output). *ret NULL when the owner has no verdict
 * (not checked yet, or an older daemon). 0 or -ENOMEM.
 */
int provenance_words(const json_t *owner, char **ret);

#endif
