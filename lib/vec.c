/* SPDX-License-Identifier: MIT */
/* Growable arrays: any (sa_grow), and of listeners while a snapshot is assembled. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

#define SA_VEC_MIN_CAP 16u

int sa_grow(void **items, size_t *cap, size_t n, size_t size)
{
        size_t c;
        void *p;

        if (n < *cap)
                return 0;
        if (*cap > SIZE_MAX / 2 / size)
                return -ENOMEM;
        c = *cap ? *cap * 2 : SA_VEC_MIN_CAP;
        p = realloc(*items, c * size);
        if (!p)
                return -ENOMEM;
        *items = p;
        *cap = c;
        return 0;
}

/*
 * Grows v so that it holds at least one more item: doubles the capacity
 * (16 first), so n pushes cost O(n) copies in all. -ENOMEM on allocation
 * failure or size overflow; v is unchanged then.
 */
static int vec_grow(sa_listener_vec *v)
{
        size_t cap;
        sa_listener *items;

        if (v->n < v->cap)
                return 0;
        if (v->cap == 0)
                cap = SA_VEC_MIN_CAP;
        else if (v->cap > SIZE_MAX / 2 / sizeof(*items))
                return -ENOMEM;
        else
                cap = v->cap * 2;

        items = realloc(v->items, cap * sizeof(*items));
        if (!items)
                return -ENOMEM;
        v->items = items;
        v->cap = cap;
        return 0;
}

int sa_listener_vec_push(sa_listener_vec *v, const sa_listener *l)
{
        int r;

        r = vec_grow(v);
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
