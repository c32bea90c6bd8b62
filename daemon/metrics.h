/* SPDX-License-Identifier: MIT */
/*
 * Prometheus metrics (docs/METRICS.md): the text exposition format built
 * from the snapshot, the policy's violations, the monitor's counters and
 * the TLS probes' certificates; the `metrics` request's answer and
 * [Daemon] MetricsFile=, written (temp file + rename in its directory) at
 * most once a second after each change or scan.
 */
#ifndef SAD_METRICS_H
#define SAD_METRICS_H

#include <stddef.h>

struct manager;

/* At most this many sockaudit_listener_info series; the rest only counted. */
#define METRICS_LISTENERS_MAX 1000u
/* At most this many sockaudit_tls_cert_not_after_timestamp_seconds series. */
#define METRICS_CERTS_MAX 256u
/* A label value's bytes at most, before escaping (longer ones are cut). */
#define METRICS_LABEL_MAX 256u

/*
 * A label value as the text format wants it: its first METRICS_LABEL_MAX
 * bytes (NULL: ""), invalid UTF-8 as U+FFFD, \, " and newline written
 * \\, \" and \n. Caller frees. NULL on ENOMEM.
 */
char *metrics_escape(const char *value);

/* The whole text, NUL-terminated (*ret_len without it). Caller frees. -ENOMEM. */
int metrics_render(struct manager *m, char **ret, size_t *ret_len);

/*
 * Something changed: MetricsFile= is written within a second (coalesced).
 * Nothing when no MetricsFile= is set. Failures are logged, rate-limited.
 */
void metrics_touch(struct manager *m);

/* Writes MetricsFile= now (if set). 0 or -errno. */
int metrics_write(struct manager *m);

#endif
