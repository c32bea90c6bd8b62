/* SPDX-License-Identifier: MIT */
/* A background thread draining its owner's queue, stopped with a bounded wait. */
#include <time.h>

#include "qthread.h"

void qthread_init(qthread *w, void *(*fn)(void *), void *userdata)
{
        *w = (qthread) { .fn = fn, .userdata = userdata };
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->wake, NULL);
        pthread_cond_init(&w->drained, NULL);
}

bool qthread_wait(qthread *w, qthread_pred_fn has_work, void *userdata)
{
        while (!has_work(userdata) && !w->stop)
                pthread_cond_wait(&w->wake, &w->lock);
        return has_work(userdata);
}

void qthread_done(qthread *w, qthread_pred_fn busy, void *userdata)
{
        if (!busy(userdata))
                pthread_cond_broadcast(&w->drained);
}

int qthread_kick(qthread *w)
{
        int r;

        if (!w->started) {
                r = pthread_create(&w->thread, NULL, w->fn, w->userdata);
                if (r != 0)
                        return -r;
                w->started = true;
        }
        pthread_cond_signal(&w->wake);
        return 0;
}

bool qthread_stop(qthread *w, unsigned timeout_ms, qthread_pred_fn busy, void *userdata)
{
        struct timespec deadline;
        bool drained;

        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
                deadline.tv_sec++;
                deadline.tv_nsec -= 1000000000L;
        }

        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_broadcast(&w->wake);
        while (w->started && busy(userdata) && pthread_cond_timedwait(&w->drained, &w->lock, &deadline) == 0)
                ;
        drained = !busy(userdata);
        pthread_mutex_unlock(&w->lock);

        /* Stuck in a syscall (sendmsg to a stopped journald, fsync): cancel it there. */
        if (w->started && !drained)
                pthread_cancel(w->thread);
        if (w->started)
                pthread_join(w->thread, NULL);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->drained);
        return drained;
}
