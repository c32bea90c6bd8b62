/* SPDX-License-Identifier: MIT */
/*
 * The clients of the control socket (client.c, clientslots.c), as
 * control.c sees them: a pool of connected clients that control.c adds to
 * after its accept-time checks. What the command handlers see of a client (client_pid(),
 * client_set_watching()...) is in control.h.
 */
#ifndef SAD_CLIENT_H
#define SAD_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "admission.h"
#include "control.h"

typedef struct client_pool client_pool;

/*
 * An empty pool on event; every request line of its clients goes to
 * handler (with userdata). -errno (not logged) on failure. Caller frees
 * with client_pool_free(), which closes every client.
 */
int client_pool_new(sd_event *event, control_handler handler, void *userdata, client_pool **ret);
client_pool *client_pool_free(client_pool *p);

/* Clients admitted and connected now (what MaxClients= limits). */
unsigned client_pool_size(const client_pool *p);
/* Clients refused (client_refuse()) and still saying goodbye. */
unsigned client_pool_refusing(const client_pool *p);

/*
 * A request line's deadline from its first byte, and a watcher's time to
 * catch up once its queue is full (0: CONTROL_REQUEST_USEC,
 * CONTROL_STALL_USEC). Applies to deadlines armed from now on.
 */
void client_pool_set_timeouts(client_pool *p, uint64_t request_usec, uint64_t stall_usec);

/* Sets *ret to the pool's counters: connected, requests, errors, dropped, watchers, events_lost. */
void client_pool_get_stats(const client_pool *p, control_stats *ret);

/*
 * control_broadcast() (control.h) to the pool's watchers; root's get line,
 * the others redacted when it is not NULL (RedactCmdline=, redact.h).
 */
void client_pool_broadcast(client_pool *p, const char *line, size_t len, const char *redacted,
                           size_t redacted_len);

/*
 * Adds the peer cred connected on fd (taken: closed on failure) to the
 * pool, with an idle timeout, reading nothing yet: the caller follows
 * with client_start() or client_refuse(). Logs and returns -errno.
 */
int client_new(client_pool *p, int fd, const struct ucred *cred, client **ret);

/* Serves c from now on. May drop (free) c at once. */
void client_start(client *c);

/*
 * Sends reply (consumed; NULL: out of memory) to c, reads no request,
 * then closes c once the peer has read it and hung up (or after a short
 * linger). May drop (free) c at once.
 */
void client_refuse(client *c, json_t *reply);

/*
 * The admitted clients (not those saying goodbye) as admission_decide()
 * sees them: sets *ret_slots and *ret_owners (each client in owners[i]),
 * borrowed until the pool next changes, and returns how many. Busy: a
 * request line started or waiting, a reply deferred or not yet written,
 * or a watcher. O(1): the pool keeps them up to date.
 */
size_t client_pool_slots(const client_pool *p, const admission_slot **ret_slots, client *const **ret_owners);

/*
 * Closes c to make room (admission.h): reply (consumed) is sent, then c
 * lingers as a refused one does (client_refuse()), or, with
 * CONTROL_REFUSING_MAX already lingering, gets one non-blocking write and
 * is closed at once. c is gone from the pool's count either way.
 */
void client_evict(client *c, json_t *reply);

/* One non-blocking write of reply (consumed; NULL: nothing), then fd is closed. */
void client_say_and_close(int fd, json_t *reply);

/* control_deferred_count(), control_retag_deferred() and control_answer_deferred() (control.h) for the pool's clients. */
size_t client_pool_deferred_count(const client_pool *p, unsigned kind, uint64_t upto);
size_t client_pool_retag_deferred(client_pool *p, unsigned kind, uint64_t upto, control_retag_fn fn,
                                  void *userdata);
size_t client_pool_answer_deferred(client_pool *p, unsigned kind, uint64_t upto, control_deferred_fn fn,
                                   void *userdata);

#endif
