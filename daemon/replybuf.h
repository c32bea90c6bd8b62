/* SPDX-License-Identifier: MIT */
/*
 * Reply text with a bound (docs/PROTOCOL.md, docs/SECURITY.md): a growing
 * buffer that refuses to pass a byte limit, JSON written straight into it,
 * the capped serializer every reply goes through (a reply that would pass
 * REPLY_MAX_BYTES becomes an internal error, and the daemon serves on), and
 * giving memory back to the system after a big reply.
 */
#ifndef SAD_REPLYBUF_H
#define SAD_REPLYBUF_H

#include <stddef.h>

#include <jansson.h>

#include "control.h"

/* No reply line is longer (its '\n' included). */
#define REPLY_MAX_BYTES  (64u * 1024u * 1024u)
/* After a reply this big, free memory is handed back (malloc_trim). */
#define REPLY_TRIM_BYTES (1u * 1024u * 1024u)

typedef struct replybuf {
        char *data;             /* NUL-terminated when not NULL */
        size_t len, size;
        size_t max;             /* len never passes it */
} replybuf;

/* An empty buffer that will hold at most max bytes. Allocates nothing. */
void replybuf_init(replybuf *b, size_t max);
void replybuf_done(replybuf *b);

/*
 * Appends n bytes of s. -E2BIG when len would pass max, -ENOMEM: b is
 * then as it was. Grows by doubling (capped at max + 1).
 */
int replybuf_add(replybuf *b, const void *s, size_t n);
int replybuf_add_str(replybuf *b, const char *s);

/* Appends j's compact JSON text. -E2BIG, -ENOMEM: b is then as it was. */
int replybuf_add_json(replybuf *b, const json_t *j);

/* The text (NUL-terminated, caller frees; an empty buffer gives "") and its
 * length; b is empty afterwards. NULL on -ENOMEM. */
char *replybuf_take(replybuf *b, size_t *ret_len);

/*
 * reply as one compact line ending in '\n', at most max bytes: *ret_line
 * (caller frees), *ret_len. -E2BIG when longer, -ENOMEM.
 */
int replybuf_format(const json_t *reply, size_t max, char **ret_line, size_t *ret_len);

/*
 * control_reply_from_json() with the bound: reply (consumed; NULL means
 * ENOMEM) serialized into *ret; one longer than REPLY_MAX_BYTES is replaced
 * by {"ok":false,"error":{"code":"internal","message":"reply too large..."}}.
 * 0 or -ENOMEM.
 */
int replybuf_reply_from_json(json_t *reply, control_reply *ret);
/* The same with another bound (tests). */
int replybuf_reply_bounded(json_t *reply, size_t max, control_reply *ret);

/*
 * Big buffers (replies, listings) straight from mmap, so freeing one gives
 * it back: glibc's sliding mmap threshold would otherwise keep the next
 * ones on the heap. Once, at start.
 */
void replybuf_memory_setup(void);

/* Hands free heap pages back (malloc_trim) when bytes >= REPLY_TRIM_BYTES
 * were just built or freed. */
void replybuf_give_back(size_t bytes);

#endif
