/* SPDX-License-Identifier: MIT */
/*
 * One background thread that drains work its owner queues under a lock,
 * and a stop that waits for it, bounded: the journal's writer and the
 * baseline saver share it. What the work is (a FIFO, a single slot) is
 * the user's; it only knows two predicates on it, both called with
 * the lock held. The thread starts with the first work, not before: after
 * the daemon dropped its capabilities, which a thread inherits from its
 * creator and keeps (capabilities are per thread).
 */
#ifndef SAD_QTHREAD_H
#define SAD_QTHREAD_H

#include <pthread.h>
#include <stdbool.h>

typedef struct qthread {
        pthread_mutex_t lock;     /* guards the user's queue too */
        pthread_cond_t wake;      /* thread: work arrived, or stop */
        pthread_cond_t drained;   /* owner: the thread went idle */
        pthread_t thread;
        void *(*fn)(void *);      /* the thread's body, and its argument */
        void *userdata;
        bool started, stop;
} qthread;

/* Predicate on the user's state (lock held). */
typedef bool (*qthread_pred_fn)(void *userdata);

/* The lock and conditions; the thread, fn(userdata), starts at the first qthread_kick(). */
void qthread_init(qthread *w, void *(*fn)(void *), void *userdata);

/*
 * Thread side, lock held: sleeps until has_work or stop. True: work is
 * there; false: stopping with nothing left, the thread should return.
 */
bool qthread_wait(qthread *w, qthread_pred_fn has_work, void *userdata);

/* Thread side, lock held: after a piece of work; wakes the stopping owner when nothing is busy. */
void qthread_done(qthread *w, qthread_pred_fn busy, void *userdata);

/*
 * Owner side, lock held: work was queued. Starts the thread the first
 * time: -errno when it cannot (the caller takes its work back), else 0.
 */
int qthread_kick(qthread *w);

/*
 * Owner side, lock not held: asks the thread to finish what is queued
 * and waits up to timeout_ms for busy to turn false; a thread still busy
 * then (blocked in a syscall) is cancelled. Joins it and frees the lock
 * and conditions. Returns whether everything was drained; when not, the
 * user frees what was left (also what the cancelled thread held).
 */
bool qthread_stop(qthread *w, unsigned timeout_ms, qthread_pred_fn busy, void *userdata);

#endif
