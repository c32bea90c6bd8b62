/* SPDX-License-Identifier: MIT */
/*
 * Event entries to the journal without ever blocking the caller: a writer
 * thread drains a bounded queue with sd_journal_sendv (which blocks forever
 * when journald is stopped). Full queue: the entry is dropped and counted.
 */
#ifndef SA_JOURNAL_H
#define SA_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef struct journal journal;

typedef struct journal_stats {
        uint64_t sent;      /* accepted by the journal socket */
        uint64_t to_stderr; /* written to stderr: no journal socket */
        uint64_t failed;    /* sd_journal_sendv failed (dead journald): written to stderr instead */
        uint64_t dropped;   /* queue full */
        size_t queued;      /* waiting now (not counting the one being sent) */
        size_t max_queue;
} journal_stats;

/*
 * Starts the writer. socket_path is where journald listens (NULL: the
 * standard /run/systemd/journal/socket); when it does not exist, entries go
 * to stderr as "sockauditd: MESSAGE" lines instead.
 */
int journal_new(size_t max_queue, const char *socket_path, journal **ret);

/* Gives the writer up to timeout_ms to drain, then stops it. NULL-safe. */
journal *journal_free(journal *j, unsigned timeout_ms);

/*
 * Queues e (ownership passes, also on failure). Never blocks. The writer
 * thread starts with the first entry (after the daemon dropped its
 * capabilities: qthread.h). -ENOBUFS: dropped; another -errno: no thread,
 * e was written to stderr here (counted as failed).
 */
int journal_submit(journal *j, journal_entry *e);

void journal_get_stats(journal *j, journal_stats *ret);

#endif
