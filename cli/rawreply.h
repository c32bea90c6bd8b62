/* SPDX-License-Identifier: MIT */
/*
 * A reply line's top-level members found without parsing it, so that a big
 * reply (a `list` of 38,000 listeners is 34 MB) can be passed through as it
 * came instead of parsed into a tree and dumped again (docs/PERFORMANCE.md).
 */
#ifndef SA_CLI_RAWREPLY_H
#define SA_CLI_RAWREPLY_H

#include <stddef.h>

/* Members of a reply line beyond this: not split (the caller parses it). */
#define RAW_MEMBERS_MAX 16u

typedef struct raw_member {
        const char *key;        /* as written, between its quotes (escapes not undone) */
        size_t key_len;
        const char *value;      /* the value's text, borrowed from the line */
        size_t value_len;
} raw_member;

typedef struct raw_reply {
        raw_member m[RAW_MEMBERS_MAX];
        size_t n;
} raw_reply;

/*
 * Splits line (len bytes) into the members of the one JSON object it holds:
 * strings and brackets are followed (one pass, memchr inside strings), the
 * values are not validated (whoever uses one parses it). 0, or -EBADMSG
 * when line is not one object of at most RAW_MEMBERS_MAX members whose
 * strings and brackets balance. *ret borrows from line.
 */
int raw_reply_split(const char *line, size_t len, raw_reply *ret);

/* The member named key (a plain key: no escapes), or NULL. */
const raw_member *raw_reply_get(const raw_reply *r, const char *key);

#endif
