/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "util.h"
#include "control.h"
#include "log.h"
#include "request.h"
#include "sockaudit.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define CONTROL_GROUP   "sockaudit"
/* A request line plus its '\n' fits; a full buffer without one is too long. */
#define CLIENT_IN_SIZE  (REQUEST_LINE_MAX + 1)
/* A client's input buffer starts this small and grows (doubling) only for
 * long lines: 1500 idle clients then cost 1.5 MiB, not 96 MiB of heap that,
 * once touched, malloc keeps resident. */
#define CLIENT_IN_START ((size_t) 1024)
/* accept() failing for lack of resources (EMFILE...): pause listening this long. */
#define ACCEPT_PAUSE_USEC (1 * USEC_PER_SEC)
/* A refused peer gets this long to read its reply and hang up. */
#define LINGER_USEC (2 * USEC_PER_SEC)

struct client {
        control *ctl;
        client *prev, *next;
        int fd;
        pid_t pid;
        uid_t uid;
        sd_event_source *io, *timer;
        client *ready_prev, *ready_next;  /* in control's queue of clients with a request */
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

        char *out;               /* [out_start, out_end) still to send */
        size_t out_start, out_end, out_size;
};

struct control {
        sd_event *event;
        int fd;
        sd_event_source *listen_source, *resume_timer;
        char *path;              /* NULL when unnamed or abstract */
        bool activated;          /* passed by systemd */
        bool created;            /* we bound the file: remove it on exit */
        dev_t dev;
        ino_t ino;
        bool have_group;
        gid_t gid;

        control_handler handler;
        void *userdata;

        client *clients;
        unsigned n_clients;
        unsigned max_clients;    /* CONTROL_CLIENTS_MAX unless set */
        /* Clients with a buffered request, served one request per loop
         * iteration in turn (a round robin: none can starve the others). */
        client *ready_head, *ready_tail;
        sd_event_source *work;
        control_stats stats;
        log_ratelimit rl_accept, rl_denied, rl_full, rl_drop;
};

static void ready_remove(client *c)
{
        control *ctl = c->ctl;

        if (!c->in_ready)
                return;
        if (c->ready_prev)
                c->ready_prev->ready_next = c->ready_next;
        else
                ctl->ready_head = c->ready_next;
        if (c->ready_next)
                c->ready_next->ready_prev = c->ready_prev;
        else
                ctl->ready_tail = c->ready_prev;
        c->ready_prev = c->ready_next = NULL;
        c->in_ready = false;
        if (!ctl->ready_head)
                sd_event_source_set_enabled(ctl->work, SD_EVENT_OFF);
}

static void ready_append(client *c)
{
        control *ctl = c->ctl;

        if (c->in_ready)
                return;
        c->ready_prev = ctl->ready_tail;
        c->ready_next = NULL;
        if (ctl->ready_tail)
                ctl->ready_tail->ready_next = c;
        else
                ctl->ready_head = c;
        ctl->ready_tail = c;
        c->in_ready = true;
        sd_event_source_set_enabled(ctl->work, SD_EVENT_ON);
}

static client *client_free(client *c)
{
        if (!c)
                return NULL;
        if (c->ctl) {
                ready_remove(c);
                if (c->prev)
                        c->prev->next = c->next;
                else
                        c->ctl->clients = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                c->ctl->n_clients--;
                if (c->watching)
                        c->ctl->stats.watchers--;
        }
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        safe_close(c->fd);
        free(c->in);
        free(c->out);
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

static size_t client_out_pending(const client *c)
{
        return c->out_end - c->out_start;
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
        int r = -ENOMEM;

        if (reply) {
                ret->ok = json_is_true(json_object_get(reply, "ok"));
                r = reply_format(reply, &ret->text, &ret->len);
        }
        json_decref(reply);
        return r;
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

/* Queues the answer to a request (its text is taken), counting it. */
static int client_answer(client *c, control_reply *reply)
{
        c->ctl->stats.requests++;
        if (!reply->text || !reply->ok)
                c->ctl->stats.errors++;
        return client_queue_text(c, TAKE_PTR(reply->text), reply->len);
}

/* client_answer() of a JSON reply (consumed; NULL means ENOMEM). */
static int client_answer_json(client *c, json_t *reply)
{
        control_reply out = { 0 };

        (void) control_reply_from_json(reply, &out);
        return client_answer(c, &out);
}

static void client_touch(client *c)
{
        if (c->lingering)
                return;
        if (c->watching) {
                sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
                return;
        }
        sd_event_source_set_time_relative(c->timer, CONTROL_IDLE_USEC);
        sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
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

        if (c->ctl->handler(c, line, len, &reply, c->ctl->userdata) < 0)
                reply = (control_reply) { 0 };  /* the handler freed what it had */
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
        bool backlog, ready, want_in;
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
        backlog = client_out_pending(c) >= CONTROL_OUT_HIGH;
        ready = client_has_request(c);
        want_in = !c->closing && !c->eof && !ready && !backlog;

        if (client_out_pending(c) == 0 && c->closing) {
                /* Reply written: say EOF, then wait (briefly) for the peer's. */
                if (!c->lingering) {
                        c->lingering = true;
                        (void) shutdown(c->fd, SHUT_WR);
                        sd_event_source_set_time_relative(c->timer, LINGER_USEC);
                        sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
                }
                r = sd_event_source_set_io_events(c->io, EPOLLIN);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->io, SD_EVENT_ON);
                return r;
        }
        if (client_out_pending(c) == 0 && c->eof && !ready)
                return 1;

        if (want_in)
                events |= EPOLLIN;
        if (client_out_pending(c) > 0)
                events |= EPOLLOUT;
        if (events) {
                r = sd_event_source_set_io_events(c->io, events);
                if (r < 0)
                        return r;
                r = sd_event_source_set_enabled(c->io, SD_EVENT_ON);
        } else
                r = sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
        if (r < 0)
                return r;
        if (ready && !backlog)
                ready_append(c);
        else
                ready_remove(c);
        return 0;
}

static void client_drop(client *c, int error)
{
        control *ctl = c->ctl;
        unsigned skipped = 0;

        if (error == -ENOBUFS) {
                ctl->stats.dropped++;
                if (log_ratelimit_test(&ctl->rl_drop, &skipped))
                        log_warning("Dropped client (pid %d, uid %u): it does not read its replies%s",
                                    (int) c->pid, (unsigned) c->uid, LOG_SUPPRESSED(skipped));
        } else if (error < 0)
                log_debug_errno(error, "Client (pid %d) dropped: %m", (int) c->pid);
        client_free(c);
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        client *c = userdata;
        int r = 0;

        if (c->lingering) {
                if (client_discard_input(c) > 0)
                        client_free(c);
                return 0;
        }
        if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->eof && !c->closing &&
            !client_has_request(c))
                r = client_read(c);
        if (r >= 0)
                r = client_settle(c);
        if (r != 0)
                client_drop(c, r);
        return 0;
}

/* One request of the client first in the queue; it goes to the back if it has more. */
static int on_work(sd_event_source *s, void *userdata)
{
        control *ctl = userdata;
        client *c = ctl->ready_head;
        int r;

        if (!c)
                return sd_event_source_set_enabled(s, SD_EVENT_OFF);
        ready_remove(c);
        r = client_process_one(c);
        if (r >= 0)
                r = client_settle(c);
        if (r != 0)
                client_drop(c, r);
        return 0;
}

static int on_client_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        client *c = userdata;

        if (!c->lingering)
                log_debug("Client (pid %d) idle for %u s, closing", (int) c->pid,
                          (unsigned) (CONTROL_IDLE_USEC / USEC_PER_SEC));
        client_free(c);
        return 0;
}

/* Root, or the sockaudit group as primary or supplementary group. */
static bool peer_allowed(const control *ctl, int fd, const struct ucred *cred)
{
        gid_t small[64];
        _cleanup_free_ gid_t *big = NULL;
        gid_t *groups = small;
        socklen_t len = sizeof(small);

        if (cred->uid == 0)
                return true;
        if (!ctl->have_group)
                return false;
        if (cred->gid == ctl->gid)
                return true;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
                if (errno != ERANGE)
                        return false;
                big = malloc(len);
                if (!big)
                        return false;
                groups = big;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
                        return false;
        }
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
                if (groups[i] == ctl->gid)
                        return true;
        return false;
}

/* One more than max_clients: say why in one non-blocking write, close. */
static void refuse_client(control *ctl, int fd)
{
        _cleanup_json_ json_t *reply = reply_error(REQUEST_ERROR_INTERNAL, "too many clients");
        _cleanup_free_ char *line = NULL;
        unsigned skipped = 0;
        size_t len;

        ctl->stats.rejected++;
        if (log_ratelimit_test(&ctl->rl_full, &skipped))
                log_warning("Refused a client: %u clients connected already%s",
                            ctl->max_clients, LOG_SUPPRESSED(skipped));
        if (reply && reply_format(reply, &line, &len) >= 0)
                (void) send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        safe_close(fd);
}

static void control_add_client(control *ctl, int fd)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        unsigned skipped = 0;
        client *c;
        int r;

        if (ctl->n_clients >= ctl->max_clients) {
                refuse_client(ctl, fd);
                return;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_debug_errno(errno, "SO_PEERCRED failed, closing client: %m");
                safe_close(fd);
                return;
        }

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return;
        }
        c->fd = fd;
        c->pid = cred.pid;
        c->uid = cred.uid;
        c->ctl = ctl;
        c->next = ctl->clients;
        if (c->next)
                c->next->prev = c;
        ctl->clients = c;
        ctl->n_clients++;

        r = sd_event_add_io(ctl->event, &c->io, fd, EPOLLIN, on_client_io, c);
        if (r >= 0)
                r = sd_event_add_time_relative(ctl->event, &c->timer, CLOCK_MONOTONIC,
                                               CONTROL_IDLE_USEC, USEC_PER_SEC, on_client_timeout, c);
        if (r < 0) {
                log_warning_errno(r, "Cannot set up a client: %m");
                client_free(c);
                return;
        }

        if (!peer_allowed(ctl, fd, &cred)) {
                ctl->stats.denied++;
                if (log_ratelimit_test(&ctl->rl_denied, &skipped))
                        log_notice("Denied client pid %d uid %u gid %u: not root, not in group "
                                   CONTROL_GROUP "%s",
                                   (int) cred.pid, (unsigned) cred.uid, (unsigned) cred.gid, LOG_SUPPRESSED(skipped));
                c->closing = true;
                r = client_queue_reply(c, reply_error(REQUEST_ERROR_DENIED,
                                                      "permission denied: root or group "
                                                      CONTROL_GROUP " only"));
        } else {
                c->in = malloc(CLIENT_IN_START);
                c->in_size = CLIENT_IN_START;
                r = c->in ? 0 : -ENOMEM;
                log_debug("Client connected: pid %d uid %u", (int) cred.pid, (unsigned) cred.uid);
        }
        if (r >= 0)
                r = client_settle(c);
        if (r != 0)
                client_drop(c, r);
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        control *ctl = userdata;

        sd_event_source_set_enabled(ctl->listen_source, SD_EVENT_ON);
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        control *ctl = userdata;
        unsigned skipped = 0;

        /* A few per wakeup, so a burst of connects can't starve the rest. */
        for (unsigned i = 0; i < 16; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        if (errno == ECONNABORTED || errno == EPROTO || errno == EPERM)
                                continue;
                        /* Out of fds or memory: listening again at once would spin. */
                        if (log_ratelimit_test(&ctl->rl_accept, &skipped))
                                log_warning_errno(errno, "accept() failed, pausing for 1 s: %m%s",
                                                  LOG_SUPPRESSED(skipped));
                        sd_event_source_set_enabled(ctl->listen_source, SD_EVENT_OFF);
                        sd_event_source_set_time_relative(ctl->resume_timer, ACCEPT_PAUSE_USEC);
                        sd_event_source_set_enabled(ctl->resume_timer, SD_EVENT_ONESHOT);
                        return 0;
                }
                ctl->stats.accepted++;
                control_add_client(ctl, cfd);
        }
        return 0;
}

void control_refresh_group(control *ctl)
{
        struct group grp, *res = NULL;
        char buf[4096];

        ctl->have_group = getgrnam_r(CONTROL_GROUP, &grp, buf, sizeof(buf), &res) == 0 && res;
        ctl->gid = ctl->have_group ? res->gr_gid : (gid_t) -1;
}

/* Makes path's directory (one level, 0755) when it is missing. */
static int make_parent(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        const char *dir;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Cannot create %s for the control socket: %m", dir);
        return 0;
}

/*
 * Clears the way for binding path: a live socket there is another daemon
 * (-EADDRINUSE); a dead one is removed; anything else is left alone.
 */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
        _cleanup_close_ int probe = -1;
        struct stat st;

        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Cannot stat %s: %m", path);
        }
        if (!S_ISSOCK(st.st_mode))
                return log_error_errno(EEXIST, "%s exists and is not a socket; not replacing it", path);

        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (probe < 0)
                return log_error_errno(errno, "socket() failed: %m");
        if (connect(probe, (const struct sockaddr *) sa, sizeof(*sa)) == 0 || errno == EAGAIN)
                return log_error_errno(EADDRINUSE, "Another sockauditd is listening on %s; "
                                       "not starting a second one", path);
        if (errno != ECONNREFUSED && errno != ENOENT)
                return log_error_errno(errno, "Cannot check %s: %m", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Cannot remove stale socket %s: %m", path);
        log_info("Removed stale socket %s", path);
        return 0;
}

static int control_bind(control *ctl, const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct stat st;
        mode_t old;
        int r;

        if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(ENAMETOOLONG, "Bad control socket path (at most %zu bytes)",
                                       sizeof(sa.sun_path) - 1);
        memcpy(sa.sun_path, path, strlen(path) + 1);

        r = make_parent(path);
        if (r < 0)
                return r;
        r = remove_stale(path, &sa);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "socket() failed: %m");
        /* Never world-accessible, not even between bind() and chmod(). */
        old = umask(0117);
        r = bind(fd, (const struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return log_error_errno(errno, "Cannot bind %s: %m", path);
        ctl->path = strdup(path);
        if (!ctl->path) {
                unlink(path);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        ctl->created = true;
        if (stat(path, &st) == 0) {
                ctl->dev = st.st_dev;
                ctl->ino = st.st_ino;
        }
        if (chmod(path, 0660) < 0)
                return log_error_errno(errno, "Cannot chmod %s: %m", path);
        if (ctl->have_group && chown(path, 0, ctl->gid) < 0)
                log_warning_errno(errno, "Cannot give %s to group " CONTROL_GROUP ": %m", path);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", path);

        ctl->fd = TAKE_FD(fd);
        return 0;
}

/* The socket systemd passed, if any: 1 taken, 0 none, <0 unusable. */
static int control_take_activated(control *ctl)
{
        struct sockaddr_un sa;
        socklen_t len = sizeof(sa);
        int n, fd, flags;

        n = sd_listen_fds(1);
        if (n < 0)
                return log_error_errno(n, "Cannot get sockets from systemd: %m");
        if (n == 0)
                return 0;
        if (n > 1)
                return log_error_errno(EINVAL, "systemd passed %d sockets, expected one", n);
        fd = SD_LISTEN_FDS_START;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
                return log_error_errno(EINVAL, "The socket systemd passed is not a listening "
                                       "AF_UNIX stream socket");
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return log_error_errno(errno, "fcntl() on the passed socket failed: %m");

        ctl->fd = fd;
        ctl->activated = true;
        if (getsockname(fd, (struct sockaddr *) &sa, &len) == 0 &&
            len > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] != '\0') {
                size_t max = len - offsetof(struct sockaddr_un, sun_path);

                ctl->path = strndup(sa.sun_path, max);
                if (!ctl->path)
                        return log_error_errno(ENOMEM, "Out of memory");
        }
        return 1;
}

int control_new(sd_event *event, const char *path, control_handler handler, void *userdata,
                control **ret)
{
        control *ctl;
        int r;

        ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return log_error_errno(ENOMEM, "Out of memory");
        ctl->fd = -1;
        ctl->event = sd_event_ref(event);
        ctl->handler = handler;
        ctl->userdata = userdata;
        ctl->max_clients = CONTROL_CLIENTS_MAX;
        ctl->rl_accept = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        ctl->rl_denied = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 5);
        ctl->rl_full = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        ctl->rl_drop = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        control_refresh_group(ctl);

        r = control_take_activated(ctl);
        if (r == 0)
                r = control_bind(ctl, path);
        if (r < 0)
                goto fail;
        if (ctl->activated)
                log_info("Using the control socket passed by systemd%s%s",
                         ctl->path ? ": " : "", ctl->path ?: "");

        r = sd_event_add_io(event, &ctl->listen_source, ctl->fd, EPOLLIN, on_listen, ctl);
        /* Below I/O and timers: reading, accepting and scanning never wait for a queue. */
        if (r >= 0)
                r = sd_event_add_defer(event, &ctl->work, on_work, ctl);
        if (r >= 0)
                r = sd_event_source_set_priority(ctl->work, SD_EVENT_PRIORITY_NORMAL + 1);
        if (r >= 0)
                r = sd_event_source_set_enabled(ctl->work, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &ctl->resume_timer, CLOCK_MONOTONIC,
                                               ACCEPT_PAUSE_USEC, 0, on_resume, ctl);
        if (r >= 0)
                r = sd_event_source_set_enabled(ctl->resume_timer, SD_EVENT_OFF);
        if (r < 0) {
                log_error_errno(r, "Cannot watch the control socket: %m");
                goto fail;
        }
        *ret = ctl;
        return 0;
fail:
        control_free(ctl);
        return r;
}

control *control_free(control *ctl)
{
        struct stat st;

        if (!ctl)
                return NULL;
        while (ctl->clients)
                client_free(ctl->clients);
        sd_event_source_disable_unref(ctl->listen_source);
        sd_event_source_disable_unref(ctl->work);
        sd_event_source_disable_unref(ctl->resume_timer);
        /* Only our own file: a successor may have bound the path meanwhile. */
        if (ctl->created && ctl->path && stat(ctl->path, &st) == 0 &&
            st.st_dev == ctl->dev && st.st_ino == ctl->ino)
                unlink(ctl->path);
        safe_close(ctl->fd);
        free(ctl->path);
        sd_event_unref(ctl->event);
        free(ctl);
        return NULL;
}

void control_get_stats(const control *ctl, control_stats *ret)
{
        *ret = ctl->stats;
        ret->connected = ctl->n_clients;
        ret->max = ctl->max_clients;
}

/* Descriptors kept free for everything but clients (netlink, /proc walk, journal). */
#define CONTROL_FD_RESERVE 128u

void control_set_max_clients(control *ctl, unsigned max)
{
        struct rlimit rl;
        rlim_t want;

        if (max == 0)
                max = CONTROL_CLIENTS_MAX;
        if (max != ctl->max_clients)
                log_info("Accepting up to %u control clients", max);
        ctl->max_clients = max;
        /* Clients already connected above a lowered limit stay until they leave. */
        want = (rlim_t) max + CONTROL_FD_RESERVE;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
                return;
        /* epoll, never select(): a soft limit up to the hard one is safe to take. */
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
                log_warning("MaxClients=%u needs about %llu file descriptors, RLIMIT_NOFILE "
                            "allows %llu: accepting may pause when they run out (raise LimitNOFILE=)",
                            max, (unsigned long long) want, (unsigned long long) rl.rlim_cur);
}

void client_set_watching(client *c)
{
        if (c->watching)
                return;
        c->watching = true;
        c->ctl->stats.watchers++;
        client_touch(c);
}

void control_broadcast(control *ctl, const char *line, size_t len)
{
        client *next;

        for (client *c = ctl->clients; c; c = next) {
                char *copy;
                int r;

                next = c->next;
                if (!c->watching || c->closing)
                        continue;
                if (c->lost > 0 || client_out_pending(c) + len > CONTROL_WATCH_MAX) {
                        c->lost++;
                        ctl->stats.events_lost++;
                        continue;
                }
                copy = malloc(len);
                if (!copy) {
                        c->lost++;
                        ctl->stats.events_lost++;
                        continue;
                }
                memcpy(copy, line, len);
                r = client_queue_take(c, &copy, len);
                if (r >= 0)
                        r = client_settle(c);
                if (r != 0)
                        client_drop(c, r);
        }
}

const char *control_socket_path(const control *ctl)
{
        return ctl->path;
}

bool control_socket_activated(const control *ctl)
{
        return ctl->activated;
}
