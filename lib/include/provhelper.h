/* SPDX-License-Identifier: MIT */
/*
 * The CLI's way to provenance and certificate fingerprints without linking
 * libcrypto: the sockaudit-provenance helper (libexec/), run once, its
 * output bounded and checked (lib/provhelper.c, lib/helperrun.c;
 * docs/PROVENANCE.md#the-clis-helper).
 */
#ifndef SA_PROVHELPER_H
#define SA_PROVHELPER_H

#include <stddef.h>
#include <sys/types.h>

#include "sockaudit.h"

#define SA_PROVHELPER_LINE_MAX 4096     /* one pid's answer, newline included */
#define SA_PROVHELPER_TIMEOUT_MS 60000  /* hashing large images takes a while */

/*
 * Runs path with argv (argv[0] first, NULL-terminated), fd pass_fd (or -1)
 * as its fd 3, stdin /dev/null, stdout into *ret_out (NUL-terminated,
 * malloc'd) of at most max bytes. 0 when it exited 0; -EMSGSIZE past max,
 * -ETIMEDOUT past timeout_ms (killed), -ENOEXEC when it could not run or
 * exited otherwise, -ENOMEM, -errno of fork/pipe.
 */
int sa_helper_run(const char *path, char *const *argv, int pass_fd, size_t max, int timeout_ms,
                  char **ret_out, size_t *ret_len);

/*
 * The same run (no fd passed), its stdout taken whatever it exited with:
 * 0 with *ret_out as above; -ECHILD when it could not be started,
 * -EMSGSIZE, -ETIMEDOUT (killed), -ENOMEM, -errno of fork/pipe.
 */
int sa_helper_output(const char *path, char *const *argv, size_t max, int timeout_ms, char **ret_out,
                     size_t *ret_len);

/*
 * Verdicts for snap's owners without one among the n_only pids of only
 * (only NULL: all), from helper, each pid with its start time so that a
 * reused pid is refused: how many got one, or -errno with why (for one
 * stderr line) when the helper failed.
 */
int sa_snapshot_provenance_helper(sa_snapshot *snap, const pid_t *only, size_t n_only, const char *helper,
                                  char *why, size_t why_len);

/*
 * The SHA-256 (64 hex digits into hex) of the first PEM certificate in
 * path under root_fd, read as uid/gid, by helper (`--cert-sha256`): 0, or
 * what sa_webconf_cert_der would return (-ENOMSG: no certificate in it);
 * -ENOEXEC when the helper did not run or answered wrongly.
 */
int sa_cert_sha256_helper(const char *helper, int root_fd, uid_t uid, gid_t gid, const char *path,
                          char hex[65]);

#endif
