/* SPDX-License-Identifier: MIT */
/*
 * Process events from the kernel's proc connector (NETLINK_CONNECTOR,
 * PROC_CN_MCAST_LISTEN): fork, exec and exit of every process on the host,
 * as they happen (docs/PERFORMANCE.md). Subscribing needs CAP_NET_ADMIN in
 * the initial namespaces: open before the daemon drops its capabilities.
 * Events can be lost (ENOBUFS on a full receive queue): the callback is
 * told, and the owner resyncs with a full scan.
 */
#ifndef SAD_WATCHPROC_H
#define SAD_WATCHPROC_H

#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

typedef enum watchproc_event {
        WATCHPROC_NEW,          /* a process was forked (parent set) */
        WATCHPROC_EXEC,         /* a process exec'd another program */
        WATCHPROC_EXIT,         /* a process (thread-group leader) exited */
        WATCHPROC_LOST,         /* events were dropped: resync */
} watchproc_event;

typedef void (*watchproc_fn)(watchproc_event ev, pid_t pid, pid_t parent, void *userdata);

typedef struct watchproc watchproc;

typedef struct watchproc_stats {
        uint64_t events;        /* fork/exec/exit of processes handed on */
        uint64_t ignored;       /* thread events and other kinds */
        uint64_t lost;          /* ENOBUFS seen */
} watchproc_stats;

/*
 * Opens the connector socket and subscribes (filtered to fork, exec and
 * exit on kernels from 6.6 on). Costs one socket with a 4 MiB receive
 * buffer. -EPERM without CAP_NET_ADMIN, -EPROTONOSUPPORT without the
 * connector. Caller frees.
 */
int watchproc_open(watchproc **ret);

/* Hands events to fn from the event loop (an I/O source on e). */
int watchproc_attach(watchproc *w, sd_event *e, watchproc_fn fn, void *userdata);

/*
 * Reads and hands on every event queued now, without blocking: a request
 * answered right after a fork sees it. One recv when the queue is empty.
 */
void watchproc_drain(watchproc *w);

void watchproc_get_stats(const watchproc *w, watchproc_stats *ret);

/* Unsubscribes and closes. Accepts NULL; returns NULL. */
watchproc *watchproc_free(watchproc *w);

#endif
