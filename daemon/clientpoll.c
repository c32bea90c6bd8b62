/* SPDX-License-Identifier: MIT */
/*
 * Every client connection in one epoll set of the pool's own, watched by
 * one sd-event source. sd-event dispatches one source per loop iteration,
 * each after an epoll_wait that reports every ready fd again: with a
 * source per client, a thousand ready clients cost a thousand waits of a
 * thousand events each, and a newcomer waited behind all of it. Here one
 * pass handles up to CLIENTPOLL_BATCH ready clients (level-triggered: the
 * rest come first in the next pass, as epoll's ready list rotates, so the
 * order is round-robin) and answers one queued request; between passes
 * the loop's other sources (accepting, timers, scans) run.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util.h"
#include "clientstate.h"
#include "log.h"

/* Ready clients handled per pass: the pass stays short (each is one read or write). */
#define CLIENTPOLL_BATCH 64

static int on_clients_ready(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        client_pool *p = userdata;
        struct epoll_event ev[CLIENTPOLL_BATCH];
        int n;

        n = epoll_wait(p->poll_fd, ev, CLIENTPOLL_BATCH, 0);
        if (n < 0) {
                if (errno != EINTR)
                        log_warning_errno(errno, "epoll_wait() on the clients failed: %m");
                return 0;
        }
        /* One client's step frees no other client: no entry of ev goes stale. */
        for (int i = 0; i < n; i++)
                client_on_io(ev[i].data.ptr, ev[i].events);
        /* Requests are answered below I/O (client_pool_new()); one per pass
         * here too, so clients that never stop sending cannot starve them. */
        client_pool_serve(p);
        return 0;
}

int clientpoll_open(client_pool *p)
{
        int r;

        p->poll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (p->poll_fd < 0)
                return -errno;
        r = sd_event_add_io(p->event, &p->poll, p->poll_fd, EPOLLIN, on_clients_ready, p);
        if (r < 0)
                p->poll_fd = safe_close(p->poll_fd);
        return r;
}

void clientpoll_close(client_pool *p)
{
        p->poll = sd_event_source_disable_unref(p->poll);
        p->poll_fd = safe_close(p->poll_fd);
}

int clientpoll_watch(client *c, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = c };
        int op;

        if (events == c->polling)
                return 0;
        /* Events 0 is no watch at all: a registered fd would still report EPOLLHUP. */
        op = events == 0 ? EPOLL_CTL_DEL : c->polling == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (epoll_ctl(c->pool->poll_fd, op, c->fd, &ev) < 0)
                return -errno;
        c->polling = events;
        return 0;
}
