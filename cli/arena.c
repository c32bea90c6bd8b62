/* SPDX-License-Identifier: MIT */
/* Allocations freed together (arena.h). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define CHUNK_MIN (1u << 20)

struct arena_chunk {
        struct arena_chunk *next;
        size_t size, used;
        char data[];
};

char *arena_alloc(arena *a, size_t n)
{
        struct arena_chunk *c = a->chunks;

        if (!c || c->size - c->used < n) {
                size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;

                c = malloc(sizeof *c + size);
                if (!c)
                        return NULL;
                c->size = size;
                c->used = 0;
                c->next = a->chunks;
                a->chunks = c;
        }
        c->used += n;
        return c->data + c->used - n;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
        char *p = arena_alloc(a, n + 1);

        if (p) {
                memcpy(p, s, n);
                p[n] = '\0';
        }
        return p;
}

void arena_free(arena *a)
{
        while (a->chunks) {
                struct arena_chunk *c = a->chunks;

                a->chunks = c->next;
                free(c);
        }
}
