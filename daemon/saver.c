/* SPDX-License-Identifier: MIT */
/* The baseline's writer thread: one slot, newest wins, results back on the loop. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util.h"
#include "saver.h"
#include "state.h"
#include "qthread.h"

struct saver {
        qthread w;                 /* its lock guards all below but the source */
        char *path;
        char *pending;            /* the next save's bytes, NULL: none */
        size_t pending_len;
        char *writing;            /* the bytes the thread writes now (freed here if it is cancelled) */
        unsigned ok, failed;      /* finished, not yet reported */
        int last;

        int efd;                  /* the thread -> the loop: something finished */
        sd_event_source *source;
        saver_done_fn done;
        void *userdata;
};

static bool has_pending(void *userdata)
{
        const saver *s = userdata;

        return s->pending != NULL;
}

static bool busy(void *userdata)
{
        const saver *s = userdata;

        return s->pending || s->writing;
}

static void *writer(void *arg)
{
        saver *s = arg;
        uint64_t one = 1;

        /* Cancellable (qthread_stop()) only while writing, never holding the lock. */
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        pthread_mutex_lock(&s->w.lock);
        while (qthread_wait(&s->w, has_pending, s)) {
                size_t len = s->pending_len;
                int r;

                s->writing = TAKE_PTR(s->pending);
                pthread_mutex_unlock(&s->w.lock);
                /* Cancelled in here at shutdown: the file on disk stays whole, old or new. */
                pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
                r = state_write(s->path, s->writing, len);
                pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
                pthread_mutex_lock(&s->w.lock);
                free(TAKE_PTR(s->writing));
                if (r < 0)
                        s->failed++;
                else
                        s->ok++;
                s->last = r;
                qthread_done(&s->w, busy, s);
                /* Cannot fail short of a counter at 2^64-2. */
                (void) !write(s->efd, &one, sizeof one);
        }
        pthread_mutex_unlock(&s->w.lock);
        return NULL;
}

/* What finished since the last report, to done (called unlocked: it may submit). lock: the thread runs. */
static void report(saver *s, bool lock)
{
        unsigned ok, failed;
        int last;

        if (lock)
                pthread_mutex_lock(&s->w.lock);
        ok = s->ok;
        failed = s->failed;
        last = s->last;
        s->ok = s->failed = 0;
        if (lock)
                pthread_mutex_unlock(&s->w.lock);
        if (ok + failed > 0)
                s->done(ok, failed, last, s->userdata);
}

static int on_finished(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
        uint64_t n;

        (void) !read(fd, &n, sizeof n);
        report(userdata, true);
        return 0;
}

int saver_new(sd_event *e, const char *path, saver_done_fn done, void *userdata, saver **ret)
{
        saver *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        s->done = done;
        s->userdata = userdata;
        s->path = strdup(path);
        s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!s->path || s->efd < 0) {
                r = s->path ? -errno : -ENOMEM;
                goto fail;
        }
        r = sd_event_add_io(e, &s->source, s->efd, EPOLLIN, on_finished, s);
        if (r < 0)
                goto fail;
        qthread_init(&s->w, writer, s);
        *ret = s;
        return 0;
fail:
        sd_event_source_disable_unref(s->source);
        safe_close(s->efd);
        free(s->path);
        free(s);
        return r;
}

void saver_submit(saver *s, char *buf, size_t len)
{
        uint64_t one = 1;
        char *old;

        pthread_mutex_lock(&s->w.lock);
        old = s->pending;
        s->pending = buf;
        s->pending_len = len;
        s->last = qthread_kick(&s->w);
        if (s->last < 0) {
                /* No thread: told like a failed write, on the loop. */
                s->pending = NULL;
                s->failed++;
                (void) !write(s->efd, &one, sizeof one);
        } else
                buf = NULL;
        pthread_mutex_unlock(&s->w.lock);
        free(old);
        free(buf);
}

bool saver_busy(saver *s)
{
        bool b;

        pthread_mutex_lock(&s->w.lock);
        b = busy(s);
        pthread_mutex_unlock(&s->w.lock);
        return b;
}

saver *saver_free(saver *s, unsigned timeout_ms)
{
        if (!s)
                return NULL;
        if (!qthread_stop(&s->w, timeout_ms, busy, s)) {
                /* Cancelled mid-write, or never started the last one: not saved. */
                s->failed++;
                s->last = -ETIMEDOUT;
        }
        /* The thread is gone: nothing to lock. */
        free(s->writing);
        free(s->pending);
        sd_event_source_disable_unref(s->source);
        report(s, false);
        safe_close(s->efd);
        free(s->path);
        free(s);
        return NULL;
}
