/* SPDX-License-Identifier: MIT */
/*
 * The data the control socket's client state machine runs on: struct
 * client and struct client_pool, shared by client.c (the machine),
 * clientpoll.c (the one epoll set of every client), clientqueue.c (the
 * queue of clients with a request, fair per user) and clientslots.c
 * (the admitted clients as admission sees them, kept up to date, and
 * eviction). No other daemon file includes this (the unit test of the
 * queue does).
 */
#ifndef SAD_CLIENTSTATE_H
#define SAD_CLIENTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "client.h"
#include "log.h"
#include "replyorder.h"

/* One user's clients with a request, in the order they got it. */
typedef struct client_user_queue {
        uid_t uid;
        client *head, *tail;
} client_user_queue;

struct client {
        client_pool *pool;
        client *prev, *next;
        int fd;
        pid_t pid;
        uid_t uid;
        uint32_t polling;        /* events watched in the pool's epoll set (0: not in it) */
        size_t slot;             /* index in the pool's slots (CLIENT_NO_SLOT: not admitted, or closing) */
        sd_event_source *timer;
        client *ready_prev, *ready_next;  /* in its user's queue of clients with a request */
        bool in_ready;

        char *in;                /* in_size bytes; [in_start, in_end) unread */
        size_t in_size;          /* CLIENT_IN_START .. CLIENT_IN_SIZE */
        size_t in_start, in_end;
        size_t scan_pos;         /* [in_start, scan_pos) holds no '\n' */
        bool discarding;         /* inside an overlong line: drop up to its '\n' */
        bool eof;                /* the peer will send nothing more */
        bool closing;            /* close once the output is written (denied) */
        bool lingering;          /* closing, reply written: dropping input until EOF */
        bool watching;           /* sent "watch": gets events, no idle timeout */
        uint64_t lost;           /* events it missed since it last caught up */

        /* CLOCK_MONOTONIC times for the deadlines (0: none running). */
        uint64_t active_at;      /* last byte read or written: the idle timeout */
        uint64_t partial_since;  /* first byte of the unfinished request line */
        uint64_t stalled_since;  /* a watcher's first lost event, until it catches up */

        char *out;               /* [out_start, out_end) still to send */
        size_t out_start, out_end, out_size;

        reply_order order;       /* replies held behind a deferred one (empty: none) */
};

struct client_pool {
        sd_event *event;
        control_handler handler;
        void *userdata;

        client *clients;
        unsigned n_clients;
        unsigned n_refusing;     /* of n_clients: refused, saying goodbye */
        uint64_t request_usec;   /* a request line's deadline from its first byte */
        uint64_t stall_usec;     /* a watcher's time to catch up after losing events */
        /* Clients with a buffered request (clientqueue.c): a queue per
         * uid, n_users of users_cap, served one request per loop iteration,
         * users in turn from next_user (none can starve the others). */
        client_user_queue *users;
        size_t n_users, users_cap, next_user;
        sd_event_source *work;
        /* The admitted clients not closing, as admission sees them
         * (clientslots.c): n_slots of slots_cap, owners[i] holding slots[i]. */
        admission_slot *slots;
        client **owners;
        size_t n_slots, slots_cap;
        int poll_fd;             /* every client's fd (clientpoll.c) */
        sd_event_source *poll;   /* poll_fd on the loop */
        /* Counters for control_stats. */
        uint64_t requests, errors, dropped, events_lost;
        unsigned watchers;
        log_ratelimit rl_drop, rl_stall, rl_deadline;
};

#define CLIENT_NO_SLOT SIZE_MAX

/* Bytes queued and not yet written. */
static inline size_t client_out_pending(const client *c)
{
        return c->out_end - c->out_start;
}

/* Takes c out of its pool and frees it (closing its fd). Accepts NULL; returns NULL. */
client *client_free(client *c);

/* One step of c for revents from the pool's epoll set. May free c. */
void client_on_io(client *c, uint32_t revents);

/* Answers one request of the client first in the pool's queue (round-robin). */
void client_pool_serve(client_pool *p);

/*
 * The pool's epoll set (clientpoll.c), on its event loop: clientpoll_open()
 * sets poll_fd and poll (-errno on failure); clientpoll_close() undoes it
 * and accepts a pool it failed on.
 */
int clientpoll_open(client_pool *p);
void clientpoll_close(client_pool *p);

/*
 * The queue of clients with a request (clientqueue.c): clientqueue_append()
 * puts c (not yet queued) at its user's tail and turns the pool's work
 * source on (-ENOMEM); clientqueue_remove() takes it out (no-op when not
 * queued), the work source off when none is left; clientqueue_pop() takes
 * the next user's first client (NULL: none); clientqueue_free() frees
 * what the queue holds (the clients are not).
 */
int clientqueue_append(client *c);
void clientqueue_remove(client *c);
client *clientqueue_pop(client_pool *p);
void clientqueue_free(client_pool *p);

/*
 * c's entry in the pool's slots (clientslots.c): clientslots_add() when
 * it is admitted (-ENOMEM), clientslots_remove() when it closes or goes
 * (no-op when it has none), clientslots_update() after each step (its
 * activity and whether it is busy). clientslots_free() frees the table.
 */
int clientslots_add(client *c);
void clientslots_remove(client *c);
void clientslots_update(client *c);
void clientslots_free(client_pool *p);

/* Watches c's fd for events (0: not at all), registering it as needed. -errno. */
int clientpoll_watch(client *c, uint32_t events);

#endif
