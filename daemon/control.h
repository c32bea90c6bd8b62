/* SPDX-License-Identifier: MIT */
/*
 * The control socket and its clients: a listening AF_UNIX stream socket
 * (from systemd, or bound here), peer checks (control.c), per-client line
 * framing with limits, non-blocking output with backpressure, idle
 * timeouts (client.c). Requests are handed, one complete line at a time,
 * to a handler that fills the reply (commands_dispatch(), commands.h).
 * Nothing here blocks.
 */
#ifndef SAD_CONTROL_H
#define SAD_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#define CONTROL_CLIENTS_MAX   4096                    /* default; control_set_max_clients() */
#define CONTROL_ROOT_RESERVE  8u                      /* slots above the limit only uid 0 may take */
#define CONTROL_REFUSING_MAX  16u                     /* denied/evicted peers given a lingering goodbye */
#define CONTROL_IDLE_USEC     (30 * UINT64_C(1000000))
#define CONTROL_REQUEST_USEC  (30 * UINT64_C(1000000)) /* a request line, from its first byte */
#define CONTROL_STALL_USEC    (30 * UINT64_C(1000000)) /* a watcher's full queue, before the drop */
#define CONTROL_OUT_HIGH      (256u * 1024u)          /* stop taking requests above */
#define CONTROL_OUT_MAX       (8u * 1024u * 1024u)    /* drop a client that lets this pile up */
#define CONTROL_WATCH_MAX     (256u * 1024u)          /* a watcher's queue: beyond it events are lost */

typedef struct control control;
typedef struct client client;

/* A reply: one JSON line ending in '\n' (malloc'd); ok false for {"ok":false,...}. */
typedef struct control_reply {
        char *text;
        size_t len;
        bool ok;
} control_reply;

/*
 * Answers one request line (len bytes, no '\n', any bytes) by filling *ret.
 * 0, or -ENOMEM (the client gets an internal error).
 */
typedef int (*control_handler)(client *c, const char *line, size_t len, control_reply *ret,
                               void *userdata);

/* Serializes reply (consumed; NULL means ENOMEM) into *ret. 0 or -ENOMEM. */
int control_reply_from_json(json_t *reply, control_reply *ret);

typedef struct control_stats {
        unsigned connected;
        unsigned max;
        unsigned max_per_user;    /* MaxClientsPerUser= (or its default); root exempt */
        uint64_t accepted;        /* connections accepted, denied ones included */
        uint64_t denied;          /* refused by the peer check */
        uint64_t rejected;        /* refused "busy": full, and no idle client to evict */
        uint64_t evicted;         /* idle clients closed ("busy") to make room for a newcomer */
        uint64_t dropped;         /* closed for not reading their replies or events */
        uint64_t requests;        /* request lines answered */
        uint64_t errors;          /* ... of which with "ok":false */
        unsigned watchers;        /* connected clients that sent "watch" */
        uint64_t events_lost;     /* events not queued to a watcher that lagged */
} control_stats;

/*
 * Sets up the control socket on event: the one socket systemd passed
 * (LISTEN_FDS), else binds path (parent made 0755 if missing; a live
 * socket there means another daemon runs: -EADDRINUSE; a stale one is
 * replaced; mode 0660, group "sockaudit" if it exists). Errors are logged
 * with their reason. Caller frees with control_free(), which removes the
 * socket file if this control created it.
 */
int control_new(sd_event *event, const char *path, control_handler handler, void *userdata,
                control **ret);
control *control_free(control *ctl);

/* Looks the "sockaudit" group up again (after a reload). */
void control_refresh_group(control *ctl);

/*
 * Clients served at once (max; 0: CONTROL_CLIENTS_MAX), and by one uid
 * other than root (per_user; 0: admission_default_per_user(max)). Root may
 * take CONTROL_ROOT_RESERVE slots more (so a full house of group members
 * never locks root out). A newcomer over a limit takes the slot of the
 * client idle the longest (its own uid's at the per-user cap), which gets
 * "busy" and is closed; with none idle the newcomer gets "busy"
 * (admission.h has the rules). Peers that are neither root nor in the
 * group never count: they are refused before the limits are looked at.
 * Raises the soft RLIMIT_NOFILE (up to the hard one) to all of that plus a
 * reserve, and logs when that is not enough. Lowering it closes nobody.
 * For [Daemon] MaxClients= and MaxClientsPerUser= at start and on reload.
 */
void control_set_max_clients(control *ctl, unsigned max, unsigned per_user);

/*
 * [Daemon] RequestTimeout= and WatcherStallTimeout= (0: the default, 30 s):
 * a request line not complete this long after its first byte, and a
 * watcher whose queue stays full this long, are dropped. For start and
 * reload; deadlines already running keep theirs.
 */
void control_set_timeouts(control *ctl, uint64_t request_usec, uint64_t stall_usec);

void control_get_stats(const control *ctl, control_stats *ret);
/* Path of the listening socket (NULL if unnamed/abstract) and whether systemd passed it. */
const char *control_socket_path(const control *ctl);
bool control_socket_activated(const control *ctl);

/*
 * Makes c a watcher (after its "watch" request): no idle timeout, and
 * control_broadcast() reaches it (the stall deadline then applies).
 */
void client_set_watching(client *c);

/*
 * Queues one event line (with its '\n') to every watcher. Never blocks: a
 * watcher with more than CONTROL_WATCH_MAX bytes waiting loses the event,
 * and once it has caught up (half of that) it gets
 * {"event":"events_lost","count":N}; one that has not caught up within the
 * stall timeout of its first lost event is dropped (and counted dropped).
 * Non-root watchers get redacted instead when it is not NULL (redact.h).
 */
void control_broadcast(control *ctl, const char *line, size_t len, const char *redacted,
                       size_t redacted_len);

/*
 * Deferred replies (coalesced refresh and check, daemon/coalesce.h): a
 * handler that cannot answer yet calls client_defer() and returns 0 (its
 * *ret is ignored); the client's later requests are still read, and their
 * replies wait behind the deferred one: replies keep the order of the
 * requests. A client holds at most CONTROL_DEFER_MAX replies so kept
 * (deferred ones and those queued behind them); beyond, its requests wait
 * unread. kind is the caller's (which answer it waits for), ticket orders
 * it among its kind. While a client waits, its idle timeout is off.
 */
#define CONTROL_DEFER_MAX 256u
void client_defer(client *c, unsigned kind, uint64_t ticket);

/*
 * Fills one deferred reply (of a client, deferred with ticket, waited
 * waited_usec): as a handler fills *ret. 0 or -ENOMEM (the client gets an
 * internal error).
 */
typedef int (*control_deferred_fn)(client *c, uint64_t ticket, uint64_t waited_usec, control_reply *ret,
                                   void *userdata);

/* How many replies of kind with a ticket <= upto wait, all clients together. */
size_t control_deferred_count(const control *ctl, unsigned kind, uint64_t upto);

/*
 * Whether one deferred reply (deferred with ticket) is to wait for
 * something else from now on: true, with the kind and ticket it waits
 * with from now on in *ret_kind and *ret_ticket.
 */
typedef bool (*control_retag_fn)(uint64_t ticket, unsigned *ret_kind, uint64_t *ret_ticket, void *userdata);

/*
 * Every reply of kind with a ticket <= upto that waits, handed to fn: those
 * it retags keep waiting in their place (request order, the time they
 * began to wait), for their new kind and ticket. Returns how many.
 */
size_t control_retag_deferred(control *ctl, unsigned kind, uint64_t upto, control_retag_fn fn, void *userdata);

/*
 * Answers every reply of kind with a ticket <= upto that waits (fn fills
 * each), as far as each client's unread output allows (CONTROL_OUT_HIGH:
 * the rest keep waiting, control_deferred_count() tells), and sends what
 * may go out now. Clients may be dropped meanwhile. Returns how many were
 * answered.
 */
size_t control_answer_deferred(control *ctl, unsigned kind, uint64_t upto, control_deferred_fn fn,
                             void *userdata);

/* The peer's credentials as checked at accept time. */
pid_t client_pid(const client *c);
uid_t client_uid(const client *c);

#endif
