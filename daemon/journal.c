/* SPDX-License-Identifier: MIT */
/* The journal writer thread and its bounded queue. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* No CODE_FILE/CODE_LINE/CODE_FUNC of this file in every event entry. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

#include "journal.h"
#include "qthread.h"

struct journal {
        qthread w;                 /* its lock guards all below */
        char *socket_path;

        journal_entry **ring;     /* FIFO of max_queue slots */
        size_t head, count, max_queue;
        journal_entry *inflight;  /* taken off the ring, being sent (freed here if cancelled) */
        journal_stats stats;
};

/* stderr form of an entry: its MESSAGE, already escaped to one line. */
static void write_stderr(const journal_entry *e)
{
        for (size_t i = 0; i < e->n; i++) {
                const char *f = e->iov[i].iov_base;
                if (e->iov[i].iov_len >= 8 && !strncmp(f, "MESSAGE=", 8)) {
                        fprintf(stderr, "sockauditd: %.*s\n", (int) (e->iov[i].iov_len - 8), f + 8);
                        return;
                }
        }
}

static bool has_entries(void *userdata)
{
        const journal *j = userdata;

        return j->count > 0;
}

static bool busy(void *userdata)
{
        const journal *j = userdata;

        return j->count > 0 || j->inflight;
}

static void *writer(void *arg)
{
        journal *j = arg;

        pthread_mutex_lock(&j->w.lock);
        while (qthread_wait(&j->w, has_entries, j)) {
                journal_entry *e = j->ring[j->head];
                j->head = (j->head + 1) % j->max_queue;
                j->count--;
                j->inflight = e;
                pthread_mutex_unlock(&j->w.lock);

                int r = 1;
                if (access(j->socket_path, F_OK) == 0)
                        /* May block for as long as journald is stopped. */
                        r = sd_journal_sendv(e->iov, (int) e->n);
                if (r != 0)
                        /* No journal, or a dead one (stale socket): the event is not lost. */
                        write_stderr(e);

                pthread_mutex_lock(&j->w.lock);
                j->inflight = NULL;
                journal_entry_free(e);
                if (r > 0)
                        j->stats.to_stderr++;
                else if (r == 0)
                        j->stats.sent++;
                else
                        j->stats.failed++;
                qthread_done(&j->w, busy, j);
        }
        pthread_mutex_unlock(&j->w.lock);
        return NULL;
}

int journal_new(size_t max_queue, const char *socket_path, journal **ret)
{
        journal *j = calloc(1, sizeof *j);
        int r;

        if (!j)
                return -ENOMEM;
        j->max_queue = max_queue ? max_queue : 1;
        j->stats.max_queue = j->max_queue;
        j->ring = calloc(j->max_queue, sizeof *j->ring);
        j->socket_path = strdup(socket_path ? socket_path : "/run/systemd/journal/socket");
        if (!j->ring || !j->socket_path) {
                r = -ENOMEM;
                goto fail;
        }
        qthread_init(&j->w, writer, j);
        *ret = j;
        return 0;
fail:
        free(j->ring);
        free(j->socket_path);
        free(j);
        return r;
}

journal *journal_free(journal *j, unsigned timeout_ms)
{
        if (!j)
                return NULL;
        /* A writer stuck in sendmsg() to a stopped journald is cancelled there. */
        (void) qthread_stop(&j->w, timeout_ms, busy, j);
        /* Cancelled inside sd_journal_sendv: the entry it was sending is ours to free. */
        journal_entry_free(j->inflight);

        for (size_t i = 0; i < j->count; i++)
                journal_entry_free(j->ring[(j->head + i) % j->max_queue]);
        free(j->ring);
        free(j->socket_path);
        free(j);
        return NULL;
}

int journal_submit(journal *j, journal_entry *e)
{
        int r = 0;

        pthread_mutex_lock(&j->w.lock);
        if (j->count == j->max_queue) {
                j->stats.dropped++;
                r = -ENOBUFS;
        } else {
                j->ring[(j->head + j->count) % j->max_queue] = e;
                j->count++;
                r = qthread_kick(&j->w);
                if (r < 0) {
                        /* No writer thread: stderr, from here. */
                        j->count--;
                        j->stats.failed++;
                        write_stderr(e);
                } else
                        e = NULL;
        }
        pthread_mutex_unlock(&j->w.lock);
        journal_entry_free(e);
        return r;
}

void journal_get_stats(journal *j, journal_stats *ret)
{
        pthread_mutex_lock(&j->w.lock);
        *ret = j->stats;
        ret->queued = j->count;
        pthread_mutex_unlock(&j->w.lock);
}
