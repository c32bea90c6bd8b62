/* SPDX-License-Identifier: MIT */
/*
 * The control socket's clients as admission sees them (admission.h): each
 * admitted client's uid, last activity and whether it is busy, and
 * evicting one to make room.
 */
#include <sys/socket.h>

#include "util.h"
#include "client.h"
#include "clientstate.h"
#include "request.h"

/* One non-blocking write of reply (consumed; NULL: nothing) on fd. */
static void send_once(int fd, json_t *reply)
{
        _cleanup_json_ json_t *r = reply;
        _cleanup_free_ char *line = NULL;
        size_t len;

        if (r && reply_format(r, &line, &len) >= 0)
                (void) send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

void client_say_and_close(int fd, json_t *reply)
{
        send_once(fd, reply);
        safe_close(fd);
}

void client_evict(client *c, json_t *reply)
{
        if (c->pool->n_refusing < CONTROL_REFUSING_MAX) {
                client_refuse(c, reply);
                return;
        }
        send_once(c->fd, reply);
        client_free(c);
}

/* Whether c has something in progress (admission.h: never evicted). */
static bool client_busy(const client *c)
{
        return c->watching || c->in_ready || c->discarding || c->in_end > c->in_start || c->order.n > 0 ||
               client_out_pending(c) > 0;
}

size_t client_pool_slots(const client_pool *p, admission_slot *slots, client **owners, size_t max)
{
        size_t n = 0;

        for (client *c = p->clients; c && n < max; c = c->next) {
                if (c->closing)
                        continue;
                slots[n] = (admission_slot) { .uid = c->uid, .busy = client_busy(c), .active_at = c->active_at };
                owners[n++] = c;
        }
        return n;
}
