/* SPDX-License-Identifier: MIT */
/*
 * One client's replies in request order while some wait (client_defer(),
 * control.h): a ring of at most CONTROL_DEFER_MAX replies, each either
 * deferred (its kind and ticket, and when it began to wait) or answered
 * (its text), the first still deferred holding back all behind it. Empty,
 * it costs nothing and replies go straight out (client.c). Pure: no I/O.
 */
#ifndef SAD_REPLYORDER_H
#define SAD_REPLYORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"

typedef struct reply_slot {
        bool waiting;            /* deferred: not answered yet */
        unsigned kind;           /* client_defer()'s */
        uint64_t ticket;
        uint64_t since;          /* CLOCK_MONOTONIC when deferred */
        char *text;              /* the reply once answered (NULL: out of memory) */
        size_t len;
} reply_slot;

typedef struct reply_order {
        reply_slot *slots;       /* CONTROL_DEFER_MAX, allocated at the first deferral */
        unsigned head, n;        /* n slots from head */
        unsigned waiting;        /* of them deferred */
        size_t bytes;            /* text of the answered ones */
        bool marked;             /* the request being handled is to wait (client_defer()) */
        unsigned marked_kind;
        uint64_t marked_ticket;
} reply_order;

static inline bool reply_order_full(const reply_order *o)
{
        return o->n >= CONTROL_DEFER_MAX;
}

/* A deferred reply at the end. -ENOMEM, or -ENOBUFS when full. */
int reply_order_defer(reply_order *o, unsigned kind, uint64_t ticket, uint64_t now);

/* An answered reply at the end (text taken; NULL means out of memory). -ENOBUFS (text freed) when full. */
int reply_order_push(reply_order *o, char *text, size_t len);

/*
 * The first reply when it is answered: true, its text (caller frees; NULL
 * means out of memory) and length, and it leaves the ring. False when
 * empty or the first still waits.
 */
bool reply_order_pop(reply_order *o, char **ret_text, size_t *ret_len);

/* Deferred replies of kind with a ticket <= upto. */
size_t reply_order_count(const reply_order *o, unsigned kind, uint64_t upto);

/*
 * Each deferred reply of kind with a ticket <= upto is handed to fn
 * (control_retag_fn): those it retags wait on in their place, with their
 * new kind and ticket. Returns how many.
 */
unsigned reply_order_retag(reply_order *o, unsigned kind, uint64_t upto, control_retag_fn fn, void *userdata);

/*
 * Each deferred reply of kind with a ticket <= upto gets its answer from
 * fn(c, its ticket, how long it waited by now, ...; <0: out of memory, the reply
 * becomes the internal error), in order, until the answers kept here reach
 * room bytes: the rest keep waiting. Returns
 * how many were answered, *ret_errors of them not ok.
 */
unsigned reply_order_answer(reply_order *o, unsigned kind, uint64_t upto, uint64_t now, size_t room,
                            control_deferred_fn fn, client *c, void *userdata, unsigned *ret_errors);

/* Frees every reply and the ring. */
void reply_order_clear(reply_order *o);

#endif
