/* SPDX-License-Identifier: MIT */
/*
 * What the TLS probe of one listener asks for, and what it compares the
 * answer with (lib/tlsplan.c; docs/TLS.md#names-asked-for-and-served-vs-on-disk): the owners'
 * web server configs (lib/webconf*.c) give the names to ask for (SNI) and
 * the certificate files each TLS virtual server on the port names; after
 * the probe, each file is read from its owner's root with the server's
 * ids, fingerprinted (SHA-256 of the DER) and matched with the
 * certificate served for that virtual server.
 *
 * Use:
 *     sa_tls_plan_new(proc_root, pids, n, port, &plan);  // before the probe
 *     t.sni = sa_tls_plan_sni(plan, &t.n_sni);           // the target's names
 *     tls = sa_tls_probe_run(&t);                        // or start/collect
 *     sa_tls_plan_compare(plan, tls, time(NULL));        // adds the fields
 *     sa_tls_plan_free(plan);
 *
 * Both halves run in the caller's process, which needs the rights to read
 * /proc/PID/root (the probe's child has none). Config trouble never fails
 * either half: it becomes `config_errors` in the `tls` object. No logging,
 * no global state. In-tree: lib, daemon, CLI.
 */
#ifndef SA_TLSPLAN_H
#define SA_TLSPLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#define SA_TLS_PLAN_OWNERS_MAX  8       /* owners whose config is read (the first ones) */
#define SA_TLS_PLAN_FILES_MAX   32      /* certificate files compared */
#define SA_TLS_PLAN_ERRORS_MAX  16      /* config_errors kept (then config_errors_dropped) */

typedef struct sa_tls_plan sa_tls_plan;

/*
 * Reads the config of each of the n owners (pids under proc_root, a
 * fixture, or NULL for "/proc"; at most SA_TLS_PLAN_OWNERS_MAX, the same server's master
 * and workers read once) for its TLS virtual servers on port. Owners that
 * are no web server (or are gone) add nothing; other trouble is kept as
 * config errors. Costs a few webconf reads (each bounded; ~0.25 ms for
 * Debian's layout), no certificate read. 0 and *ret (free with
 * sa_tls_plan_free()), or -ENOMEM.
 */
int sa_tls_plan_new(const char *proc_root, const pid_t *pids, size_t n, uint16_t port,
                    sa_tls_plan **ret);

/*
 * The names to ask for after no SNI (for sa_tls_target.sni): the default
 * server's first, each once, no wildcards, at most SA_TLS_SNI_MAX.
 * Borrowed until the plan is freed; *ret_n gets how many (may be 0).
 */
const char *const *sa_tls_plan_sni(const sa_tls_plan *p, size_t *ret_n);

/*
 * Served vs on disk, into the probe's `tls` object (docs/RECORDS.md#tls):
 * reads each configured certificate file now (at most
 * SA_TLS_PLAN_FILES_MAX, each at most 1 MiB) and sets, on each certificate
 * a virtual server names, `config` {file, server_file, line,
 * on_disk_sha256, matches}; on the listener, `stale_on_disk` (a list of
 * {sni, file, served_sha256, on_disk_sha256}; present when status is
 * `ok` and some certificate file was compared) and `config_errors`
 * ({file, line, reason}, present when there were any). Fields already
 * there are replaced (a second call is harmless). 0, or -ENOMEM (tls may
 * then hold some of them).
 */
int sa_tls_plan_compare(const sa_tls_plan *p, json_t *tls);

/*
 * A certificate file's fingerprint: the SHA-256 of the first PEM
 * certificate in path under root_fd, read as uid/gid, as 64 hex digits
 * into hex. 0, or -errno as sa_webconf_cert_der (-ENOMSG: none in it).
 */
typedef int (*sa_tls_cert_sha256_fn)(void *userdata, int root_fd, uid_t uid, gid_t gid,
                                     const char *path, char hex[65]);

/*
 * The same with the fingerprints from fn: sa_tls_plan_compare hashes in
 * process (lib/tlscertfile.c, libcrypto); the CLI asks its helper
 * (provhelper.h), so that it links no libcrypto.
 */
int sa_tls_plan_compare_with(const sa_tls_plan *p, json_t *tls, sa_tls_cert_sha256_fn fn, void *userdata);

/* The in-process fingerprint (userdata unused): an sa_tls_cert_sha256_fn. */
int sa_tls_cert_file_sha256(void *userdata, int root_fd, uid_t uid, gid_t gid, const char *path, char hex[65]);

/* Frees p (closes the owners' roots). NULL-safe; returns NULL. */
sa_tls_plan *sa_tls_plan_free(sa_tls_plan *p);

#endif
