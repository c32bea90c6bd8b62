/* SPDX-License-Identifier: MIT */
/*
 * The control socket's clients, one state machine each (control.c accepts
 * them): line framing with limits, requests served in turn (fair per
 * user: clientqueue.c), non-blocking output with backpressure, idle and linger
 * timeouts, watchers and the events they lose, dropping a client that does
 * not read. Every step ends in client_settle(), which sets what the
 * client's fd is watched for (in the pool's one epoll set: clientpoll.c)
 * for its new state, and its one timer for the earliest of its deadlines
 * (client_arm_timer()). Nothing here blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"
#include "client.h"
#include "clientstate.h"
#include "log.h"
#include "replybuf.h"
#include "replyorder.h"
#include "request.h"
#include "sockaudit.h"

/* A request line plus its '\n' fits; a full buffer without one is too long. */
#define CLIENT_IN_SIZE  (REQUEST_LINE_MAX + 1)
/* A client's input buffer starts this small and grows (doubling) only for
 * long lines: 1500 idle clients then cost 1.5 MiB, not 96 MiB of heap that,
 * once touched, malloc keeps resident. */
#define CLIENT_IN_START ((size_t) 1024)
/* A refused peer gets this long to read its reply and hang up. */
#define LINGER_USEC (2 * USEC_PER_SEC)

client *client_free(client *c)
{
        if (!c)
                return NULL;
        if (c->pool) {
                clientqueue_remove(c);
                if (c->prev)
                        c->prev->next = c->next;
                else
                        c->pool->clients = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                c->pool->n_clients--;
                clientslots_remove(c);
                if (c->closing)
                        c->pool->n_refusing--;
                if (c->watching)
                        c->pool->watchers--;
        }
        if (c->pool)
                (void) clientpoll_watch(c, 0);
        sd_event_source_disable_unref(c->timer);
        safe_close(c->fd);
        free(c->in);
        free(c->out);
        reply_order_clear(&c->order);
        free(c);
        return NULL;
}

pid_t client_pid(const client *c)
{
        return c->pid;
}

uid_t client_uid(const client *c)
{
        return c->uid;
}

/*
 * Queues data (taking ownership of *line: freed or kept as the buffer).
 * -ENOBUFS when the client is not reading: over CONTROL_OUT_HIGH waiting
 * already and this would take it over CONTROL_OUT_MAX. Replies to requests
 * never hit this (requests wait while the output is over CONTROL_OUT_HIGH),
 * so one big reply to a reading client is fine; pushed output (events) is
 * what a stuck client would pile up.
 */
static int client_queue_take(client *c, char **line, size_t len)
{
        size_t pending = client_out_pending(c);

        if (pending == 0) {
                /* Cheap path: the formatted line becomes the buffer. */
                free(c->out);
                c->out = TAKE_PTR(*line);
                c->out_start = 0;
                c->out_end = c->out_size = len;
                return 0;
        }
        if (pending >= CONTROL_OUT_HIGH && pending + len > CONTROL_OUT_MAX) {
                free(TAKE_PTR(*line));
                return -ENOBUFS;
        }
        if (c->out_start > 0) {
                memmove(c->out, c->out + c->out_start, pending);
                c->out_start = 0;
                c->out_end = pending;
        }
        if (c->out_size < pending + len) {
                size_t size = c->out_size * 2 > pending + len ? c->out_size * 2 : pending + len;
                char *p = realloc(c->out, size);

                if (!p) {
                        free(TAKE_PTR(*line));
                        return -ENOMEM;
                }
                c->out = p;
                c->out_size = size;
        }
        memcpy(c->out + c->out_end, *line, len);
        c->out_end += len;
        free(TAKE_PTR(*line));
        return 0;
}

int control_reply_from_json(json_t *reply, control_reply *ret)
{
        /* Bounded: a reply over REPLY_MAX_BYTES becomes an internal error. */
        return replybuf_reply_from_json(reply, ret);
}

/* Queues one reply (its text is taken; NULL text means ENOMEM). <0: drop the client. */
static int client_queue_text(client *c, char *text, size_t len)
{
        if (!text) {
                text = strdup(reply_out_of_memory_line);
                if (!text)
                        return -ENOMEM;
                len = strlen(text);
        }
        return client_queue_take(c, &text, len);
}

/* Queues one reply (consumed; NULL means ENOMEM). <0: drop the client. */
static int client_queue_reply(client *c, json_t *reply)
{
        control_reply out = { 0 };

        (void) control_reply_from_json(reply, &out);
        return client_queue_text(c, out.text, out.len);
}

/* Sends the answered replies at the head of c's order, up to the first deferred one. <0: drop. */
static int client_order_flush(client *c)
{
        char *text;
        size_t len;
        int r = 0;

        while (reply_order_pop(&c->order, &text, &len))
                if (r >= 0)
                        r = client_queue_text(c, text, len);
                else
                        free(text);
        return r;
}

/*
 * Queues the answer to a request (its text is taken), counting it; behind
 * a deferred reply it waits its turn.
 */
static int client_answer(client *c, control_reply *reply)
{
        c->pool->requests++;
        c->pool->errors += !reply->text || !reply->ok;
        if (c->order.n == 0)
                return client_queue_text(c, TAKE_PTR(reply->text), reply->len);
        /* Full: not reached, a full client reads and handles nothing. */
        return reply_order_push(&c->order, TAKE_PTR(reply->text), reply->len);
}

void client_defer(client *c, unsigned kind, uint64_t ticket)
{
        c->order.marked = true;
        c->order.marked_kind = kind;
        c->order.marked_ticket = ticket;
}

/* client_answer() of a JSON reply (consumed; NULL means ENOMEM). */
static int client_answer_json(client *c, json_t *reply)
{
        control_reply out = { 0 };

        (void) control_reply_from_json(reply, &out);
        return client_answer(c, &out);
}

/* The loop's time (CLOCK_MONOTONIC, cached for this iteration). */
static uint64_t client_now(const client *c)
{
        uint64_t now;

        if (sd_event_now(c->pool->event, CLOCK_MONOTONIC, &now) < 0)
                now = now_usec(CLOCK_MONOTONIC);
        return now;
}

/* Bytes moved either way: the idle timeout starts again. */
static void client_touch(client *c)
{
        c->active_at = client_now(c);
}

static uint64_t deadline_min(uint64_t a, uint64_t since, uint64_t span)
{
        return since > 0 && since + span < a ? since + span : a;
}

/*
 * Arms c's timer for the earliest of its deadlines: idle (not for
 * watchers), the request line it started (from its first byte, however
 * slowly the rest comes), catching up after losing events (watchers).
 * None running: the timer is off. Not for a lingering client.
 */
static int client_arm_timer(client *c)
{
        const client_pool *p = c->pool;
        /* Waiting for an answer is not idle; not reading what was answered is. */
        bool waits = c->order.waiting > 0 && client_out_pending(c) == 0;
        uint64_t deadline = c->watching || waits ? UINT64_MAX : c->active_at + CONTROL_IDLE_USEC;
        int r;

        deadline = deadline_min(deadline, c->partial_since, p->request_usec);
        deadline = deadline_min(deadline, c->stalled_since, p->stall_usec);
        if (deadline == UINT64_MAX)
                return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        r = sd_event_source_set_time(c->timer, deadline);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        return r;
}

/* Writes what the socket takes now. <0: the peer is gone. */
static int client_flush(client *c)
{
        bool progress = false;

        while (client_out_pending(c) > 0) {
                ssize_t n = send(c->fd, c->out + c->out_start, client_out_pending(c),
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                c->out_start += (size_t) n;
                progress = true;
        }
        if (client_out_pending(c) == 0) {
                c->out_start = c->out_end = 0;
                /* Don't keep a big reply's buffer around for an idle client. */
                if (c->out_size > 64 * 1024) {
                        free(c->out);
                        c->out = NULL;
                        c->out_size = 0;
                }
        }
        if (progress)
                client_touch(c);
        return 0;
}

/* The next '\n' in the unread input, or NULL. Each byte is searched once. */
static char *client_next_newline(client *c)
{
        char *nl;

        if (c->scan_pos < c->in_start)
                c->scan_pos = c->in_start;
        nl = memchr(c->in + c->scan_pos, '\n', c->in_end - c->scan_pos);
        c->scan_pos = nl ? (size_t) (nl - c->in) : c->in_end;
        return nl;
}

/* A request is ready: a complete line, or a last unterminated one at EOF. */
static bool client_has_request(client *c)
{
        if (c->closing || c->in_end == c->in_start)
                return false;
        return client_next_newline(c) || c->eof;
}

/*
 * Whether c has read part of a request line and waits for the rest (an
 * overlong line being skipped included); ready: client_has_request(c).
 */
static bool client_in_partial_line(const client *c, bool ready)
{
        return !c->closing && (c->discarding || (c->in_end > c->in_start && !ready));
}

/* Reads once. Only called when no complete line is buffered. <0: drop. */
static int client_read(client *c)
{
        size_t old_end;
        ssize_t n;

        if (c->in_start > 0) {
                memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
                c->in_end -= c->in_start;
                c->scan_pos -= c->in_start;
                c->in_start = 0;
        }
        if (c->in_end == 0 && c->in_size > CLIENT_IN_START && !c->discarding) {
                /* A long line is done: give its room back. */
                char *p = realloc(c->in, CLIENT_IN_START);

                if (p) {
                        c->in = p;
                        c->in_size = CLIENT_IN_START;
                }
        } else if (c->in_end == c->in_size && c->in_size < CLIENT_IN_SIZE) {
                size_t size = c->in_size * 2 < CLIENT_IN_SIZE ? c->in_size * 2 : CLIENT_IN_SIZE;
                char *p = realloc(c->in, size);

                if (!p)
                        return -ENOMEM;
                c->in = p;
                c->in_size = size;
        }
        old_end = c->in_end;
        n = recv(c->fd, c->in + c->in_end, c->in_size - c->in_end, MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0) {
                c->eof = true;
                return 0;
        }
        client_touch(c);

        if (c->discarding) {
                char *nl = memchr(c->in + old_end, '\n', (size_t) n);
                size_t rest;

                if (!nl)
                        return 0;        /* still inside the overlong line */
                rest = (size_t) (c->in + old_end + n - (nl + 1));
                memmove(c->in, nl + 1, rest);
                c->in_start = c->scan_pos = 0;
                c->in_end = rest;
                c->discarding = false;
                return 0;
        }
        c->in_end += (size_t) n;
        if (c->in_end == CLIENT_IN_SIZE && !client_next_newline(c)) {
                /* REQUEST_LINE_MAX + 1 bytes and no end: refuse, skip to the next '\n'. */
                c->in_start = c->in_end = c->scan_pos = 0;
                c->discarding = true;
                return client_answer_json(c, reply_error(REQUEST_ERROR_TOO_LARGE,
                                                         "request longer than %u bytes",
                                                         REQUEST_LINE_MAX));
        }
        return 0;
}

/* Answers one buffered request. <0: drop. */
static int client_process_one(client *c)
{
        char *nl = client_next_newline(c);
        char *line = c->in + c->in_start;
        size_t len;

        if (nl) {
                len = (size_t) (nl - line);
                c->in_start = (size_t) (nl - c->in) + 1;
        } else if (c->eof && c->in_end > c->in_start) {
                len = c->in_end - c->in_start;     /* last line without '\n' */
                c->in_start = c->in_end;
        } else
                return 0;
        if (c->in_start == c->in_end)
                c->in_start = c->in_end = c->scan_pos = 0;   /* line stays readable: no read until done */

        control_reply reply = { 0 };

        c->order.marked = false;
        if (c->pool->handler(c, line, len, &reply, c->pool->userdata) < 0) {
                reply = (control_reply) { 0 };  /* the handler freed what it had */
                c->order.marked = false;
        }
        if (c->order.marked) {
                c->order.marked = false;
                free(reply.text);
                return reply_order_defer(&c->order, c->order.marked_kind, c->order.marked_ticket,
                                         now_usec(CLOCK_MONOTONIC));
        }
        return client_answer(c, &reply);
}

/*
 * Reads and drops what the peer sends. Returns >0 at EOF or error. Used
 * after a refusal: closing at once with unread input would make the peer's
 * send fail (EPIPE) or its read fail (ECONNRESET) before it sees the reply.
 */
static int client_discard_input(client *c)
{
        char scratch[4096];

        for (unsigned i = 0; i < 16; i++) {
                ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

                if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                        return 1;
                if (n < 0)
                        return 0;
        }
        return 0;
}

/* Tells a watcher that caught up how many events it missed. */
static int client_queue_lost_marker(client *c)
{
        struct timespec now;
        char when[40];

        clock_gettime(CLOCK_REALTIME, &now);
        json_t *marker = json_pack("{s:s, s:s, s:I}", "event", "events_lost",
                                   "time", sa_format_time(&now, when, sizeof(when)),
                                   "count", (json_int_t) c->lost);
        c->lost = 0;
        return client_queue_reply(c, marker);
}

/*
 * Writes what it can, then arms the sources for the client's state.
 * Returns <0 when the client must be dropped, >0 when it is finished
 * (closing or EOF, everything answered and written), 0 to keep it.
 */
static int client_settle(client *c)
{
        bool backlog, ready, want_in, full = reply_order_full(&c->order);
        uint32_t events = 0;
        int r;

        if (client_out_pending(c) > 0) {
                r = client_flush(c);
                if (r < 0)
                        return r;
        }
        if (c->lost > 0 && client_out_pending(c) <= CONTROL_WATCH_MAX / 2) {
                r = client_queue_lost_marker(c);
                if (r < 0)
                        return r;
        }
        if (c->lost == 0)
                c->stalled_since = 0;   /* caught up */
        /* Replies kept behind a deferred one count as output not yet read. */
        backlog = client_out_pending(c) + c->order.bytes >= CONTROL_OUT_HIGH;
        ready = client_has_request(c);
        want_in = !c->closing && !c->eof && !ready && !backlog && !full;
        if (!client_in_partial_line(c, ready))
                c->partial_since = 0;
        else if (c->partial_since == 0)
                c->partial_since = client_now(c);

        if (client_out_pending(c) == 0 && c->closing) {
                /* Reply written: say EOF, then wait (briefly) for the peer's. */
                if (!c->lingering) {
                        c->lingering = true;
                        (void) shutdown(c->fd, SHUT_WR);
                        sd_event_source_set_time_relative(c->timer, LINGER_USEC);
                        sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
                }
                return clientpoll_watch(c, EPOLLIN);
        }
        if (client_out_pending(c) == 0 && c->eof && !ready && c->order.n == 0)
                return 1;
        r = client_arm_timer(c);
        if (r < 0)
                return r;

        if (want_in)
                events |= EPOLLIN;
        if (client_out_pending(c) > 0)
                events |= EPOLLOUT;
        r = clientpoll_watch(c, events);
        if (r < 0)
                return r;
        if (ready && !backlog && !full)
                return clientqueue_append(c);
        clientqueue_remove(c);
        return 0;
}

static void client_drop(client *c, int error)
{
        client_pool *p = c->pool;
        unsigned skipped = 0;

        if (error == -ENOBUFS) {
                p->dropped++;
                if (log_ratelimit_test(&p->rl_drop, &skipped))
                        log_warning("Dropped client (pid %d, uid %u): it does not read its replies%s",
                                    (int) c->pid, (unsigned) c->uid, LOG_SUPPRESSED(skipped));
        } else if (error < 0)
                log_debug_errno(error, "Client (pid %d) dropped: %m", (int) c->pid);
        client_free(c);
}

/* Ends a step that returned r (<0: drop): settles the client, dropping it when done. */
static void client_continue(client *c, int r)
{
        if (r >= 0)
                r = client_settle(c);
        if (r != 0)
                client_drop(c, r);
        else
                clientslots_update(c);
}

void client_on_io(client *c, uint32_t revents)
{
        int r = 0;

        if (c->lingering) {
                if (client_discard_input(c) > 0)
                        client_free(c);
                return;
        }
        if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->eof && !c->closing &&
            !client_has_request(c) && !reply_order_full(&c->order))
                r = client_read(c);
        client_continue(c, r);
}

/* The client served goes to the back of its user's queue if it has more. */
void client_pool_serve(client_pool *p)
{
        client *c = clientqueue_pop(p);

        if (c)
                client_continue(c, client_process_one(c));
}

static int on_work(sd_event_source *s, void *userdata)
{
        client_pool *p = userdata;

        if (p->n_users == 0)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        client_pool_serve(p);
        return 0;
}

/* Says (once per client, rate-limited overall) which deadline c missed. */
static void client_log_timeout(client *c, uint64_t now)
{
        client_pool *p = c->pool;
        unsigned skipped = 0;

        if (c->stalled_since > 0 && now >= c->stalled_since + p->stall_usec) {
                p->dropped++;
                if (log_ratelimit_test(&p->rl_stall, &skipped))
                        log_warning("Dropped watcher (pid %d, uid %u): its queue stayed full for "
                                    "%.1f s, %" PRIu64 " events lost%s",
                                    (int) c->pid, (unsigned) c->uid, (double) p->stall_usec / USEC_PER_SEC,
                                    c->lost, LOG_SUPPRESSED(skipped));
        } else if (c->partial_since > 0 && now >= c->partial_since + p->request_usec) {
                if (log_ratelimit_test(&p->rl_deadline, &skipped))
                        log_notice("Dropped client (pid %d, uid %u): its request line was not "
                                   "complete %.1f s after its first byte%s",
                                   (int) c->pid, (unsigned) c->uid, (double) p->request_usec / USEC_PER_SEC,
                                   LOG_SUPPRESSED(skipped));
        } else
                log_debug("Client (pid %d) idle for %u s, closing", (int) c->pid,
                          (unsigned) (CONTROL_IDLE_USEC / USEC_PER_SEC));
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        client *c = userdata;

        if (!c->lingering)
                client_log_timeout(c, usec);
        client_free(c);
        return 0;
}

int client_new(client_pool *p, int fd, const struct ucred *cred, client **ret)
{
        client *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        c->slot = CLIENT_NO_SLOT;
        c->pid = cred->pid;
        c->uid = cred->uid;
        c->pool = p;
        c->active_at = client_now(c);
        c->next = p->clients;
        if (c->next)
                c->next->prev = c;
        p->clients = c;
        p->n_clients++;

        r = clientpoll_watch(c, EPOLLIN);
        if (r >= 0)
                r = sd_event_add_time_relative(p->event, &c->timer, CLOCK_MONOTONIC,
                                               CONTROL_IDLE_USEC, USEC_PER_SEC, on_client_timeout, c);
        if (r < 0) {
                log_warning_errno(r, "Cannot set up a client: %m");
                client_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

void client_start(client *c)
{
        c->in = malloc(CLIENT_IN_START);
        c->in_size = CLIENT_IN_START;
        client_continue(c, c->in ? clientslots_add(c) : -ENOMEM);
}

void client_refuse(client *c, json_t *reply)
{
        if (!c->closing)
                c->pool->n_refusing++;
        c->closing = true;
        clientslots_remove(c);
        client_continue(c, client_queue_reply(c, reply));
}

void client_set_watching(client *c)
{
        if (c->watching)
                return;
        c->watching = true;
        c->pool->watchers++;
}

/*
 * c misses one event. A queue that is full (over the catch-up mark)
 * starts the watcher's stall deadline: it is dropped unless it catches up
 * within the pool's stall_usec. <0: drop it now.
 */
static int client_lose_event(client *c)
{
        c->lost++;
        c->pool->events_lost++;
        if (c->stalled_since > 0 || client_out_pending(c) <= CONTROL_WATCH_MAX / 2)
                return 0;
        c->stalled_since = client_now(c);
        return client_arm_timer(c);
}

void client_pool_broadcast(client_pool *p, const char *full, size_t full_len, const char *redacted,
                           size_t redacted_len)
{
        client *next;

        for (client *c = p->clients; c; c = next) {
                bool whole = !redacted || c->uid == 0;
                const char *line = whole ? full : redacted;
                size_t len = whole ? full_len : redacted_len;
                char *copy;

                next = c->next;
                if (!c->watching || c->closing)
                        continue;
                if (c->lost > 0 || client_out_pending(c) + len > CONTROL_WATCH_MAX) {
                        int r = client_lose_event(c);

                        if (r < 0)
                                client_drop(c, r);
                        continue;
                }
                copy = malloc(len);
                if (!copy) {
                        (void) client_lose_event(c);
                        continue;
                }
                memcpy(copy, line, len);
                client_continue(c, client_queue_take(c, &copy, len));
        }
}

int client_pool_new(sd_event *event, control_handler handler, void *userdata, client_pool **ret)
{
        client_pool *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->poll_fd = -1;
        p->handler = handler;
        p->userdata = userdata;
        p->request_usec = CONTROL_REQUEST_USEC;
        p->stall_usec = CONTROL_STALL_USEC;
        p->rl_drop = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        p->rl_stall = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 5);
        p->rl_deadline = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 5);

        r = clientpoll_open(p);
        if (r >= 0)
                r = sd_event_add_defer(event, &p->work, on_work, p);
        /* Below I/O and timers: reading, accepting and scanning never wait for a queue. */
        if (r >= 0)
                r = sd_event_source_set_priority(p->work, SD_EVENT_PRIORITY_NORMAL + 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(p->work, SD_EVENT_OFF);
        if (r < 0) {
                client_pool_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

client_pool *client_pool_free(client_pool *p)
{
        if (!p)
                return NULL;
        while (p->clients)
                client_free(p->clients);
        clientpoll_close(p);
        clientslots_free(p);
        clientqueue_free(p);
        sd_event_source_disable_unref(p->work);
        sd_event_unref(p->event);
        free(p);
        return NULL;
}

unsigned client_pool_size(const client_pool *p)
{
        return p->n_clients - p->n_refusing;
}

unsigned client_pool_refusing(const client_pool *p)
{
        return p->n_refusing;
}

void client_pool_set_timeouts(client_pool *p, uint64_t request_usec, uint64_t stall_usec)
{
        p->request_usec = request_usec > 0 ? request_usec : CONTROL_REQUEST_USEC;
        p->stall_usec = stall_usec > 0 ? stall_usec : CONTROL_STALL_USEC;
}

size_t client_pool_deferred_count(const client_pool *p, unsigned kind, uint64_t upto)
{
        size_t n = 0;

        for (client *c = p->clients; c; c = c->next)
                n += reply_order_count(&c->order, kind, upto);
        return n;
}

size_t client_pool_retag_deferred(client_pool *p, unsigned kind, uint64_t upto, control_retag_fn fn,
                                  void *userdata)
{
        size_t n = 0;

        for (client *c = p->clients; c; c = c->next)
                n += reply_order_retag(&c->order, kind, upto, fn, userdata);
        return n;
}

size_t client_pool_answer_deferred(client_pool *p, unsigned kind, uint64_t upto, control_deferred_fn fn,
                                   void *userdata)
{
        size_t answered = 0;
        client *next;

        for (client *c = p->clients; c; c = next) {
                unsigned n, errors;
                size_t room;

                next = c->next;
                if (c->order.waiting == 0)
                        continue;
                /* What the client has not read bounds what is answered now: the rest waits for
                 * the next scan (coalesce_leftover()), as requests wait over CONTROL_OUT_HIGH. */
                room = CONTROL_OUT_HIGH - (client_out_pending(c) < CONTROL_OUT_HIGH ? client_out_pending(c)
                                                                                     : CONTROL_OUT_HIGH);
                n = reply_order_answer(&c->order, kind, upto, now_usec(CLOCK_MONOTONIC), room, fn, c,
                                       userdata, &errors);
                if (n == 0)
                        continue;
                answered += n;
                p->requests += n;
                p->errors += errors;
                client_touch(c);
                client_continue(c, client_order_flush(c));
        }
        return answered;
}

void client_pool_get_stats(const client_pool *p, control_stats *ret)
{
        *ret = (control_stats) {
                .connected = p->n_clients,
                .requests = p->requests,
                .errors = p->errors,
                .dropped = p->dropped,
                .watchers = p->watchers,
                .events_lost = p->events_lost,
        };
}
