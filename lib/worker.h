/* SPDX-License-Identifier: MIT */
/*
 * One function run on a thread of its own, its end told through an eventfd
 * (readable once it returned), for callers on an event loop.
 */
#ifndef SA_WORKER_H
#define SA_WORKER_H

#include <pthread.h>
#include <stdbool.h>

typedef struct sa_worker {
        void (*fn)(void *arg);
        void *arg;
        pthread_t thread;
        int efd;                /* -1 before the start and after the join */
        bool started;
} sa_worker;

#define SA_WORKER_INIT { .efd = -1 }

/* Runs fn(arg) on a new thread. -errno (nothing started, w as before). */
int sa_worker_start(sa_worker *w, void (*fn)(void *arg), void *arg);

/* Waits for fn to return (if started) and closes the eventfd. Idempotent. */
void sa_worker_join(sa_worker *w);

#endif
