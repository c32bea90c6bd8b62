/* SPDX-License-Identifier: MIT */
/*
 * The baseline's writer thread: the loop hands it the file's bytes
 * (state_serialize()) and goes on; the thread writes them atomically
 * (state_write(): temporary file, fsync, rename, fsync of the directory),
 * so a slow or full disk never stalls the loop. One slot: a save queued
 * while an older one waits replaces it (newest wins; the one being written
 * is finished first). Results come back on the loop, through an eventfd:
 * the done callback runs there, never on the thread.
 */
#ifndef SAD_SAVER_H
#define SAD_SAVER_H

#include <stdbool.h>
#include <stddef.h>

#include <systemd/sd-event.h>

typedef struct saver saver;

/*
 * On the loop: saves finished since the last call, ok of them written,
 * failed of them not; last is the result of the newest one (0 or -errno).
 */
typedef void (*saver_done_fn)(unsigned ok, unsigned failed, int last, void *userdata);

/* Starts the thread writing to path. Caller frees. */
int saver_new(sd_event *e, const char *path, saver_done_fn done, void *userdata, saver **ret);

/*
 * Queues buf (len bytes, malloc'ed; ownership passes, also on failure),
 * replacing a save still waiting. Never blocks on the disk.
 */
void saver_submit(saver *s, char *buf, size_t len);

/* Whether a save is waiting or being written. */
bool saver_busy(saver *s);

/*
 * Waits up to timeout_ms for the queued save to be written (a thread
 * stuck longer is cancelled: the old file or the new one stays whole,
 * never a mix), reports what finished through done (here, on the caller's
 * thread), stops the thread. NULL-safe.
 */
saver *saver_free(saver *s, unsigned timeout_ms);

#endif
