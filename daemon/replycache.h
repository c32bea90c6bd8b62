/* SPDX-License-Identifier: MIT */
/*
 * Serialized who/list replies of the current snapshot. A repeated question
 * whose refresh changed nothing is answered with the bytes sent last time
 * instead of building and dumping the same JSON again (docs/PERFORMANCE.md).
 * Entries are keyed by the snapshot's generation, so installing a new
 * snapshot makes them all stale.
 */
#ifndef SAD_REPLYCACHE_H
#define SAD_REPLYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

#define REPLY_CACHE_SLOTS 8u
/* Larger replies are not kept (a full list on a busy host); all kept ones
 * fit in the budget (`who 443` of 500 namespaces: ~0.7 MiB). */
#define REPLY_CACHE_MAX_BYTES (1024u * 1024u)
#define REPLY_CACHE_BUDGET_BYTES (2u * 1024u * 1024u)

typedef struct reply_cache_slot {
        uint64_t gen;           /* 0: empty */
        request key;
        bool redacted;          /* RedactCmdline= applied: never served to root, nor the reverse */
        char *text;
        size_t len;
} reply_cache_slot;

typedef struct reply_cache {
        reply_cache_slot slots[REPLY_CACHE_SLOTS];
        unsigned next;          /* slot to replace next */
        uint64_t hits, misses;
} reply_cache;

/*
 * A copy of the reply to req for snapshot generation gen (>0), redacted
 * (redact.h) or not: 1 and *ret_text (caller frees) / *ret_len, 0 when not
 * kept, -ENOMEM. A redacted reply and a whole one are never each other's.
 */
int reply_cache_get(reply_cache *rc, uint64_t gen, const request *req, bool redacted,
                    char **ret_text, size_t *ret_len);

/* Keeps a copy of text (len bytes) as the reply to req at gen; best effort. */
void reply_cache_put(reply_cache *rc, uint64_t gen, const request *req, bool redacted,
                     const char *text, size_t len);

void reply_cache_clear(reply_cache *rc);

#endif
