/* SPDX-License-Identifier: MIT */
/*
 * The pool's queue of clients with a buffered request, fair per user: one
 * queue of clients per uid, and the uids taken in turn, one request each.
 * A member whose thousand connections finish their lines together delays
 * root's request by one of them, not a thousand. Users with a request are
 * few (root and the sockaudit group), so a uid is found by a linear search
 * of an array that keeps their turn order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clientstate.h"

/* The index of uid's queue, or n_users. */
static size_t user_find(const client_pool *p, uid_t uid)
{
        size_t i = 0;

        while (i < p->n_users && p->users[i].uid != uid)
                i++;
        return i;
}

/* Takes the empty queue i out, keeping the others' turn order. */
static void user_remove(client_pool *p, size_t i)
{
        memmove(p->users + i, p->users + i + 1, (p->n_users - i - 1) * sizeof(*p->users));
        p->n_users--;
        if (i < p->next_user)
                p->next_user--;
        if (p->next_user >= p->n_users)
                p->next_user = 0;
}

int clientqueue_append(client *c)
{
        client_pool *p = c->pool;
        client_user_queue *u;
        size_t i;

        if (c->in_ready)
                return 0;
        i = user_find(p, c->uid);
        if (i == p->n_users) {
                if (p->n_users == p->users_cap) {
                        size_t cap = p->users_cap ? p->users_cap * 2 : 8;
                        client_user_queue *users = reallocarray(p->users, cap, sizeof(*users));

                        if (!users)
                                return -ENOMEM;
                        p->users = users;
                        p->users_cap = cap;
                }
                p->users[p->n_users++] = (client_user_queue) { .uid = c->uid };
        }
        u = &p->users[i];
        c->ready_prev = u->tail;
        c->ready_next = NULL;
        if (u->tail)
                u->tail->ready_next = c;
        else
                u->head = c;
        u->tail = c;
        c->in_ready = true;
        sd_event_source_set_enabled(p->work, SD_EVENT_ON);
        return 0;
}

void clientqueue_remove(client *c)
{
        client_pool *p = c->pool;
        client_user_queue *u;
        size_t i;

        if (!c->in_ready)
                return;
        i = user_find(p, c->uid);
        u = &p->users[i];
        if (c->ready_prev)
                c->ready_prev->ready_next = c->ready_next;
        else
                u->head = c->ready_next;
        if (c->ready_next)
                c->ready_next->ready_prev = c->ready_prev;
        else
                u->tail = c->ready_prev;
        c->ready_prev = c->ready_next = NULL;
        c->in_ready = false;
        if (!u->head)
                user_remove(p, i);
        if (p->n_users == 0)
                sd_event_source_set_enabled(p->work, SD_EVENT_OFF);
}

client *clientqueue_pop(client_pool *p)
{
        client *c;

        if (p->n_users == 0)
                return NULL;
        if (p->next_user >= p->n_users)
                p->next_user = 0;
        c = p->users[p->next_user].head;
        /* The next user's turn, whether or not this one's queue empties. */
        p->next_user++;
        clientqueue_remove(c);
        if (p->next_user >= p->n_users)
                p->next_user = 0;
        return c;
}

void clientqueue_free(client_pool *p)
{
        free(p->users);
        p->users = NULL;
        p->n_users = p->users_cap = p->next_user = 0;
}
