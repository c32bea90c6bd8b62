/* SPDX-License-Identifier: MIT */
/* Growable arrays: any (sa_grow), and of listeners while a snapshot is assembled. */
#ifndef SA_VEC_H
#define SA_VEC_H

#include <stddef.h>

#include "sockaudit.h"

/*
 * Makes room for item n of *items (size bytes each, *cap of them now):
 * doubles *cap (16 first) when n reached it. 0, or -ENOMEM (on overflow
 * too) with *items and *cap unchanged.
 */
int sa_grow(void **items, size_t *cap, size_t n, size_t size);

typedef struct sa_listener_vec {
        sa_listener *items;
        size_t n, cap;
} sa_listener_vec;

/* Appends a copy of l (holders not copied). -ENOMEM on failure. */
int sa_listener_vec_push(sa_listener_vec *v, const sa_listener *l);
/* Drops entries from index n on (n <= v->n). */
void sa_listener_vec_truncate(sa_listener_vec *v, size_t n);
/* Frees the array (not any holders). */
void sa_listener_vec_clear(sa_listener_vec *v);

#endif
