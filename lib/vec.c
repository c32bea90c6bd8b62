/* SPDX-License-Identifier: MIT */
/* Growable arrays of listeners, while a snapshot is assembled. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

int sa_listener_vec_push(sa_listener_vec *v, const sa_listener *l)
{
        int r;

        r = sa_grow((void **) &v->items, &v->cap, v->n, sizeof *v->items);
        if (r < 0)
                return r;

        v->items[v->n] = *l;
        v->items[v->n].holders = NULL;
        v->items[v->n].n_holders = 0;
        v->n++;
        return 0;
}

void sa_listener_vec_truncate(sa_listener_vec *v, size_t n)
{
        if (n < v->n)
                v->n = n;
}

void sa_listener_vec_clear(sa_listener_vec *v)
{
        free(v->items);
        v->items = NULL;
        v->n = 0;
        v->cap = 0;
}
