/* SPDX-License-Identifier: MIT */
/* Indexes of the records a compact reply writes once (refindex.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refindex.h"

void refindex_init(refindex *x, size_t key_size)
{
        *x = (refindex) { .key_size = key_size };
}

void refindex_done(refindex *x)
{
        free(x->slots);
        free(x->keys);
        refindex_init(x, x->key_size);
}

/* Moves every slot of x whose index is below keep into tables of size slots. -ENOMEM: x unchanged. */
static int rehash(refindex *x, size_t size, size_t keep)
{
        refindex_slot *slots = calloc(size, sizeof *slots);
        unsigned char *keys = calloc(size, x->key_size);

        if (!slots || !keys) {
                free(slots);
                free(keys);
                return -ENOMEM;
        }
        for (size_t i = 0; i < x->size; i++) {
                size_t k;

                if (x->slots[i].index1 == 0 || x->slots[i].index1 > keep)
                        continue;
                for (k = x->slots[i].hash & (size - 1); slots[k].index1; k = (k + 1) & (size - 1))
                        ;
                slots[k] = x->slots[i];
                memcpy(keys + k * x->key_size, x->keys + i * x->key_size, x->key_size);
        }
        free(x->slots);
        free(x->keys);
        x->slots = slots;
        x->keys = keys;
        x->size = size;
        return 0;
}

int refindex_get(refindex *x, const void *key, uint64_t hash, size_t *ret)
{
        size_t k;

        if (2 * (x->n + 1) > x->size && rehash(x, x->size ? 2 * x->size : 64, x->n) < 0)
                return -ENOMEM;
        for (k = hash & (x->size - 1); x->slots[k].index1; k = (k + 1) & (x->size - 1))
                if (x->slots[k].hash == hash && memcmp(x->keys + k * x->key_size, key, x->key_size) == 0) {
                        *ret = x->slots[k].index1 - 1;
                        return 1;
                }
        x->slots[k] = (refindex_slot) { hash, x->n + 1 };
        memcpy(x->keys + k * x->key_size, key, x->key_size);
        *ret = x->n++;
        return 0;
}

void refindex_forget_from(refindex *x, size_t n)
{
        if (n >= x->n)
                return;
        /* Rebuilt at the same size: no allocation can fail the rollback... */
        if (rehash(x, x->size, n) < 0) {
                /* ...except that one: clear the slots whose keys go. That leaves holes
                 * in probe chains: a later lookup may miss a key and give it a second
                 * index, its record written twice: still a right reply. */
                for (size_t i = 0; i < x->size; i++)
                        if (x->slots[i].index1 > n)
                                x->slots[i].index1 = 0;
        }
        x->n = n;
}
