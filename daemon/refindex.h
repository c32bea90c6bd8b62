/* SPDX-License-Identifier: MIT */
/*
 * Numbers for the records a compact who/list reply writes once
 * (docs/PROTOCOL.md, "Compact form": processes, exposures): each distinct
 * key gets the next index, from 0. Open addressing over copies of the
 * keys, at most half full, doubling: memory is O(distinct keys), a lookup
 * O(1) plus one key comparison.
 */
#ifndef SAD_REFINDEX_H
#define SAD_REFINDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct refindex_slot {
        uint64_t hash;
        size_t index1;          /* the key's index + 1; 0: empty */
} refindex_slot;

typedef struct refindex {
        size_t key_size;
        refindex_slot *slots;   /* size of them */
        unsigned char *keys;    /* size keys of key_size bytes, by slot */
        size_t size, n;         /* n: keys indexed, the next index */
} refindex;

/* An empty index of keys of key_size bytes (compared with memcmp). Allocates nothing. */
void refindex_init(refindex *x, size_t key_size);
void refindex_done(refindex *x);

/*
 * The index of key (hash: any hash of its bytes) in *ret: 1 when it was
 * indexed already, 0 when it is new (then *ret is the old n), -ENOMEM.
 */
int refindex_get(refindex *x, const void *key, uint64_t hash, size_t *ret);

/* Forgets the keys indexed from n on (a listener left out of the reply after all). O(size). */
void refindex_forget_from(refindex *x, size_t n);

#endif
