/* SPDX-License-Identifier: MIT */
/* Growable arrays of listeners, while a snapshot is assembled. */
#ifndef SA_VEC_H
#define SA_VEC_H

#include <stddef.h>

#include "sockaudit.h"
#include "util.h"

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
