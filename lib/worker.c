/* SPDX-License-Identifier: MIT */
/* A function on a thread of its own, its end told through an eventfd (worker.h). */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "worker.h"

static void *worker_main(void *userdata)
{
        sa_worker *w = userdata;
        uint64_t one = 1;

        w->fn(w->arg);
        if (write(w->efd, &one, sizeof one) < 0) {
                /* an eventfd takes 2^64-2 writes: cannot fail */
        }
        return NULL;
}

int sa_worker_start(sa_worker *w, void (*fn)(void *arg), void *arg)
{
        int r;

        w->fn = fn;
        w->arg = arg;
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0)
                return -errno;
        r = pthread_create(&w->thread, NULL, worker_main, w);
        if (r != 0) {
                close(w->efd);
                w->efd = -1;
                return -r;
        }
        w->started = true;
        return 0;
}

void sa_worker_join(sa_worker *w)
{
        if (w->started)
                pthread_join(w->thread, NULL);
        w->started = false;
        if (w->efd >= 0)
                close(w->efd);
        w->efd = -1;
}
