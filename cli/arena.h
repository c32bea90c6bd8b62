/* SPDX-License-Identifier: MIT */
/*
 * Many small allocations freed together: decoded strings of a reply, the
 * cells of a table. 1 MiB chunks (bigger for a bigger request); one
 * malloc per chunk, one free per chunk.
 */
#ifndef SA_CLI_ARENA_H
#define SA_CLI_ARENA_H

#include <stddef.h>

typedef struct arena {
        struct arena_chunk *chunks;     /* the newest first; NULL: empty */
} arena;

/* n bytes (unaligned: for text), valid until arena_free(). NULL on ENOMEM. */
char *arena_alloc(arena *a, size_t n);

/* The n bytes of s and a NUL, in the arena. NULL on ENOMEM. */
char *arena_strndup(arena *a, const char *s, size_t n);

/* Frees every chunk; a is empty and usable again. */
void arena_free(arena *a);

#endif
