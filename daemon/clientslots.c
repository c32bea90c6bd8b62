/* SPDX-License-Identifier: MIT */
/*
 * The control socket's clients as admission sees them (admission.h): each
 * admitted client's uid, last activity and whether it is busy, kept in
 * one array updated after every step of a client, so a decision reads
 * 24 bytes a client instead of chasing the client list (at 2,000
 * connects that chase was 30 ms of the burst); and evicting one to make
 * room.
 */
#include <errno.h>
#include <stdlib.h>
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

int clientslots_add(client *c)
{
        client_pool *p = c->pool;

        if (c->slot != CLIENT_NO_SLOT)
                return 0;
        if (p->n_slots == p->slots_cap) {
                size_t cap = p->slots_cap ? p->slots_cap * 2 : 64;
                admission_slot *slots = reallocarray(p->slots, cap, sizeof(*slots));
                client **owners;

                if (!slots)
                        return -ENOMEM;
                p->slots = slots;
                owners = reallocarray(p->owners, cap, sizeof(*owners));
                if (!owners)
                        return -ENOMEM;
                p->owners = owners;
                p->slots_cap = cap;
        }
        c->slot = p->n_slots++;
        p->owners[c->slot] = c;
        clientslots_update(c);
        return 0;
}

void clientslots_remove(client *c)
{
        client_pool *p = c->pool;
        size_t last = p->n_slots - 1;

        if (c->slot == CLIENT_NO_SLOT)
                return;
        /* The last one takes its place. */
        p->slots[c->slot] = p->slots[last];
        p->owners[c->slot] = p->owners[last];
        p->owners[c->slot]->slot = c->slot;
        p->n_slots--;
        c->slot = CLIENT_NO_SLOT;
}

void clientslots_update(client *c)
{
        if (c->slot == CLIENT_NO_SLOT)
                return;
        c->pool->slots[c->slot] = (admission_slot) {
                .uid = c->uid,
                .busy = client_busy(c),
                .active_at = c->active_at,
        };
}

void clientslots_free(client_pool *p)
{
        free(p->slots);
        free(p->owners);
        p->slots = NULL;
        p->owners = NULL;
        p->n_slots = p->slots_cap = 0;
}

size_t client_pool_slots(const client_pool *p, const admission_slot **ret_slots, client *const **ret_owners)
{
        *ret_slots = p->slots;
        *ret_owners = p->owners;
        return p->n_slots;
}
