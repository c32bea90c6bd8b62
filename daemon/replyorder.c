/* SPDX-License-Identifier: MIT */
/* A client's replies in request order behind deferred ones (replyorder.h). */
#include <errno.h>
#include <stdlib.h>

#include "util.h"
#include "replyorder.h"

static reply_slot *slot_at(const reply_order *o, unsigned i)
{
        return &o->slots[(o->head + i) % CONTROL_DEFER_MAX];
}

/* A new empty slot at the end; NULL when full or out of memory. */
static reply_slot *slot_push(reply_order *o)
{
        reply_slot *s;

        if (!o->slots) {
                o->slots = calloc(CONTROL_DEFER_MAX, sizeof *o->slots);
                if (!o->slots)
                        return NULL;
        }
        if (reply_order_full(o))
                return NULL;
        s = slot_at(o, o->n++);
        *s = (reply_slot) { 0 };
        return s;
}

int reply_order_defer(reply_order *o, unsigned kind, uint64_t ticket, uint64_t now)
{
        reply_slot *s = slot_push(o);

        if (!s)
                return o->slots ? -ENOBUFS : -ENOMEM;
        *s = (reply_slot) { .waiting = true, .kind = kind, .ticket = ticket, .since = now };
        o->waiting++;
        return 0;
}

int reply_order_push(reply_order *o, char *text, size_t len)
{
        reply_slot *s = slot_push(o);

        if (!s) {
                free(text);
                return o->slots ? -ENOBUFS : -ENOMEM;
        }
        s->text = text;
        s->len = text ? len : 0;
        o->bytes += s->len;
        return 0;
}

bool reply_order_pop(reply_order *o, char **ret_text, size_t *ret_len)
{
        reply_slot *s;

        if (o->n == 0 || slot_at(o, 0)->waiting)
                return false;
        s = slot_at(o, 0);
        o->bytes -= s->len;
        o->head = (o->head + 1) % CONTROL_DEFER_MAX;
        o->n--;
        *ret_len = s->len;
        *ret_text = TAKE_PTR(s->text);
        return true;
}

size_t reply_order_count(const reply_order *o, unsigned kind, uint64_t upto)
{
        size_t n = 0;

        for (unsigned i = 0; i < o->n && o->waiting > 0; i++) {
                const reply_slot *s = slot_at(o, i);

                n += s->waiting && s->kind == kind && s->ticket <= upto;
        }
        return n;
}

unsigned reply_order_retag(reply_order *o, unsigned kind, uint64_t upto, control_retag_fn fn, void *userdata)
{
        unsigned moved = 0;

        for (unsigned i = 0; i < o->n && o->waiting > 0; i++) {
                reply_slot *s = slot_at(o, i);
                unsigned new_kind;
                uint64_t new_ticket;

                if (!s->waiting || s->kind != kind || s->ticket > upto ||
                    !fn(s->ticket, &new_kind, &new_ticket, userdata))
                        continue;
                s->kind = new_kind;
                s->ticket = new_ticket;
                moved++;
        }
        return moved;
}

unsigned reply_order_answer(reply_order *o, unsigned kind, uint64_t upto, uint64_t now, size_t room,
                            control_deferred_fn fn, client *c, void *userdata, unsigned *ret_errors)
{
        unsigned answered = 0, errors = 0;

        for (unsigned i = 0; i < o->n && o->waiting > 0 && o->bytes < room; i++) {
                reply_slot *s = slot_at(o, i);
                control_reply reply = { 0 };

                if (!s->waiting || s->kind != kind || s->ticket > upto)
                        continue;
                if (fn(c, s->ticket, now > s->since ? now - s->since : 0, &reply, userdata) < 0)
                        reply = (control_reply) { 0 };
                errors += !reply.text || !reply.ok;
                s->waiting = false;
                s->text = TAKE_PTR(reply.text);
                s->len = s->text ? reply.len : 0;
                o->bytes += s->len;
                o->waiting--;
                answered++;
        }
        *ret_errors = errors;
        return answered;
}

void reply_order_clear(reply_order *o)
{
        for (unsigned i = 0; o->slots && i < o->n; i++)
                free(slot_at(o, i)->text);
        free(o->slots);
        *o = (reply_order) { 0 };
}
