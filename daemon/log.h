/* SPDX-License-Identifier: MIT */
/*
 * The daemon's logging: to the journal (native protocol, never blocking:
 * a stalled journald loses lines, counted) when stderr is connected to it
 * (JOURNAL_STREAM names stderr's device and inode), else to stderr with a
 * "sockauditd: " prefix. Messages are formatted here; untrusted text must
 * only ever appear as an argument, never as the format. Control characters
 * in a finished message are replaced so one call is always one line.
 */
#ifndef SAD_LOG_H
#define SAD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "util.h"

/* Decides journal or stderr. Idempotent. (The level: log_set_max_level().) */
void log_open(void);
/* Messages above this syslog priority are dropped (default LOG_INFO). */
void log_set_max_level(int level);
int log_get_max_level(void);
/* "emerg" ... "debug" (or "error", or 0-7; any case) to a priority; -EINVAL if unknown. */
int log_level_from_string(const char *s);

/*
 * Writes one message. When error != 0, errno is set to |error| before
 * formatting (so "%m" works). Returns -|error|, so callers can write
 * "return log_error_errno(r, "...: %m");".
 */
int log_internal(int level, int error, const char *file, const char *line, const char *func,
                 const char *format, ...) __attribute__((format(printf, 6, 7)));

#define log_full_errno(level, error, ...)                                          \
        log_internal((level), (error), "CODE_FILE=" __FILE__,                     \
                     "CODE_LINE=" STRINGIFY(__LINE__), __func__, __VA_ARGS__)

#define log_error(...)   log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...)  log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...)    log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)   log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)

#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)

/*
 * Rate limit for repeated trouble: at most `burst` messages per `interval`.
 * Typical use is burst 1: log the first failure with its context, count the
 * rest, and say how many were left out in the next message let through.
 */
typedef struct log_ratelimit {
        uint64_t interval_usec;
        unsigned burst;
        uint64_t begin_usec;     /* CLOCK_MONOTONIC start of the current window */
        unsigned n;              /* messages let through in this window */
        unsigned suppressed;     /* held back since the last one let through */
} log_ratelimit;

#define LOG_RATELIMIT_INIT(interval, b) { .interval_usec = (interval), .burst = (b) }

/*
 * True when a message may be logged now. *ret_suppressed (may be NULL) gets
 * the number of messages held back since the last true, then restarts at 0.
 */
bool log_ratelimit_test(log_ratelimit *rl, unsigned *ret_suppressed);

/* "" for 0, else " (N similar not logged)", in buf. For the end of a message. */
const char *log_suppressed_note(unsigned n, char *buf, size_t size);
#define LOG_SUPPRESSED(n) log_suppressed_note((n), (char[48]) {}, 48)

#endif
