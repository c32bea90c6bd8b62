/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe (lib/tlsprobe.c, tlsprobechild.c, tlsreport.c; the helper
 * libexec/sockaudit-tlsprobe.c with lib/tlshandshake.c): what one TCP
 * listener serves, asked from inside its network namespace by a child
 * that holds nothing (docs/SECURITY.md#the-tls-probe): forked, it enters
 * the namespace, drops every privilege (no capabilities, an unprivileged
 * uid, no new privileges) and execs the helper, which adds a seccomp
 * filter, connects to the bound address (0.0.0.0 -> 127.0.0.1,
 * :: -> ::1), makes a handshake without SNI, one per name (asked for, then
 * the default certificate's SAN names), one per protocol version, and
 * writes a bounded JSON report to a pipe. The parent reads it without
 * blocking and trusts none of it: the report is validated and rebuilt
 * field by field (sa_tls_report_parse()). The caller's image never runs
 * OpenSSL: linking this costs no libssl.
 *
 * The result is a listener's `tls` object (docs/RECORDS.md#tls). No
 * logging, no global state; the caller chooses how many run at once
 * (sa_tls_probe_run_many() is one way). In-tree: lib, daemon, CLI.
 */
#ifndef SA_TLSPROBE_H
#define SA_TLSPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#define SA_TLS_TIMEOUT_MS_DEFAULT 5000
#define SA_TLS_TIMEOUT_MS_MAX     600000
#define SA_TLS_SNI_MAX            32          /* names asked for, beyond no SNI */
#define SA_TLS_SNI_LEN_MAX        253         /* bytes of one name */
#define SA_TLS_CERTS_MAX          16          /* distinct certificates reported */
#define SA_TLS_REPORT_MAX         (256 * 1024) /* bytes of the child's report */
#define SA_TLS_ERROR_MAX          256         /* bytes of an error text */
#define SA_TLS_NOBODY             65534       /* the child's uid and gid by default */
#define SA_TLS_NAME_MAX           1024        /* bytes of subject / issuer kept (then *_truncated) */
#define SA_TLS_SAN_MAX            64          /* san entries kept (then san_truncated) */
#define SA_TLS_SANLEN_MAX         255         /* bytes of one san entry (longer: cut) */
#define SA_TLS_SERIAL_MAX         80          /* hex digits of a serial (RFC 5280: 20 octets) */

/* One listener to probe. Everything is borrowed for the call to start. */
typedef struct sa_tls_target {
        int netns_fd;               /* >= 0: enter this network namespace */
        const char *netns_path;     /* else, when set: enter this one (/proc/PID/ns/net) */
        int family;                 /* AF_INET or AF_INET6 */
        uint8_t addr[16];           /* the bound address (4 bytes for IPv4) */
        uint16_t port;
        const char *const *sni;     /* names to ask for after no SNI (at most SA_TLS_SNI_MAX) */
        size_t n_sni;
        int timeout_ms;             /* the whole probe; 0: SA_TLS_TIMEOUT_MS_DEFAULT */
        uid_t uid;                  /* the child's identity when started by root; */
        gid_t gid;                  /*   0: SA_TLS_NOBODY */
        const char *helper;         /* the sockaudit-tlsprobe program (required) */
} sa_tls_target;

typedef struct sa_tls_probe sa_tls_probe;

/* The error of a probe whose helper wrote nothing (it did not start, or crashed). */
#define SA_TLS_NO_REPORT "the probe ended without a report"

/* The helper's argv for t, with left_ms for its handshakes (a's buffers hold the strings). */
typedef struct sa_tls_argv {
        char addr[46], port[8], left[24];       /* 46: INET6_ADDRSTRLEN */
        const char *argv[5 + SA_TLS_SNI_MAX + 1];
} sa_tls_argv;
int sa_tls_helper_argv(const sa_tls_target *t, int64_t left_ms, sa_tls_argv *a);


/*
 * Forks the child for t. Never blocks beyond fork. 0 and *ret (free with
 * sa_tls_probe_free()), or -errno (-EINVAL: a bad target; -ENOENT: no
 * helper there).
 */
int sa_tls_probe_start(const sa_tls_target *t, sa_tls_probe **ret);

/* The pipe to poll for POLLIN (the report, then EOF). */
int sa_tls_probe_fd(const sa_tls_probe *p);

/* The child's pid (until collected). */
pid_t sa_tls_probe_pid(const sa_tls_probe *p);

/* When the probe times out, in CLOCK_MONOTONIC milliseconds. */
int64_t sa_tls_probe_deadline_ms(const sa_tls_probe *p);

/*
 * Reads what the pipe has, without blocking. -EAGAIN: not done yet (poll
 * the fd, until the deadline). Done (EOF, the deadline passed, or the
 * report grew past its bound): kills and reaps the child and returns 0
 * with *ret the listener's `tls` object (caller owns): `error` "timeout"
 * when the deadline passed. -ENOMEM otherwise.
 */
int sa_tls_probe_collect(sa_tls_probe *p, json_t **ret);

/*
 * A probe whose helper someone else started (a transient systemd unit) with
 * its stdout the write end of the pipe whose read end is fd (taken): read
 * and collected as a child's, nothing to reap.
 */
int sa_tls_probe_adopt(int fd, int timeout_ms, sa_tls_probe **ret);

/* Kills and reaps a child still running; frees p. NULL-safe; returns NULL. */
sa_tls_probe *sa_tls_probe_free(sa_tls_probe *p);

/*
 * Probes each of the n targets, at most parallel (>= 1) at once, waiting
 * for them (poll). ret[i] gets targets[i]'s `tls` object (a probe that
 * could not start gets one with status `error`). 0, or -errno (ENOMEM, a
 * failed poll): then ret[] holds those that finished, NULL elsewhere.
 * The caller frees every ret[i] either way.
 */
int sa_tls_probe_run_many(const sa_tls_target *targets, size_t n, unsigned parallel, json_t **ret);

/* One probe, synchronously (sa_tls_probe_run_many() of one). NULL on ENOMEM. */
json_t *sa_tls_probe_run(const sa_tls_target *t);

/*
 * Validates the child's report (len bytes of JSON at buf, hostile) and
 * rebuilds it as a `tls` object (`probed_at` null): only known fields,
 * each checked (types, bounds, formats: versions from the four names,
 * sha256 64 lowercase hex digits, times RFC 3339), days_left recomputed
 * from not_after and now. 0 and *ret (caller owns), -EBADMSG with the
 * reason in err, or -ENOMEM.
 */
int sa_tls_report_parse(const char *buf, size_t len, time_t now, json_t **ret,
                        char *err, size_t errlen);

/* "2026-12-07T01:12:37Z" (RFC 3339, UTC) of t into buf (>= 32 bytes). */
const char *sa_tls_format_time(time_t t, char *buf, size_t size);

/* Days from now to t, rounded down (negative when t has passed). */
long long sa_tls_days_left(time_t t, time_t now);

/* CLOCK_MONOTONIC in milliseconds (the probe's deadlines). */
int64_t sa_tls_now_ms(void);

/*
 * A helper program of sockaudit's called name (sockaudit-tlsprobe,
 * sockaudit-provenance): override when set (the caller's $SOCKAUDIT_*),
 * else beside the running executable (the build tree), else
 * ../libexec/sockaudit/ from it (as `make install` puts it). Into buf;
 * NULL when none is executable.
 */
const char *sa_find_helper(const char *name, const char *override, char *buf, size_t size);

/* A `tls` object with that status and error text (copied; NULL: null), nothing else known. NULL on ENOMEM. */
json_t *sa_tls_error_object(const char *status, const char *error);

#endif
