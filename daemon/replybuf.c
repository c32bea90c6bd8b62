/* SPDX-License-Identifier: MIT */
/*
 * Bounded reply text (replybuf.h).
 */
#include <errno.h>
#include <stdint.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "replybuf.h"
#include "request.h"

/* Buffers at least this big come from mmap (replybuf_memory_setup()). */
#define MMAP_THRESHOLD (256u * 1024u)

void replybuf_init(replybuf *b, size_t max)
{
        *b = (replybuf) { .max = max };
}

void replybuf_done(replybuf *b)
{
        free(b->data);
        *b = (replybuf) { .max = b->max };
}

int replybuf_add(replybuf *b, const void *s, size_t n)
{
        if (n > b->max - b->len)
                return -E2BIG;
        if (b->len + n + 1 > b->size) {
                size_t size = b->size ? b->size : 4096;
                char *p;

                while (size < b->len + n + 1)
                        size *= 2;
                if (b->max < SIZE_MAX && size > b->max + 1)
                        size = b->max + 1;
                p = realloc(b->data, size);
                if (!p)
                        return -ENOMEM;
                b->data = p;
                b->size = size;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int replybuf_add_str(replybuf *b, const char *s)
{
        return replybuf_add(b, s, strlen(s));
}

typedef struct dump_ctx {
        replybuf *b;
        int r;
} dump_ctx;

static int dump_cb(const char *buf, size_t size, void *data)
{
        dump_ctx *d = data;

        d->r = replybuf_add(d->b, buf, size);
        return d->r < 0 ? -1 : 0;
}

int replybuf_add_json(replybuf *b, const json_t *j)
{
        dump_ctx d = { .b = b, .r = -ENOMEM };
        size_t len = b->len;

        if (json_dump_callback(j, dump_cb, &d, JSON_COMPACT | JSON_ENCODE_ANY) == 0)
                return 0;
        b->len = len;
        if (b->data)
                b->data[len] = '\0';
        return d.r < 0 ? d.r : -ENOMEM;
}

char *replybuf_take(replybuf *b, size_t *ret_len)
{
        char *s = b->data ? b->data : strdup("");

        if (!s)
                return NULL;
        *ret_len = b->len;
        *b = (replybuf) { .max = b->max };
        return s;
}

int replybuf_format(const json_t *reply, size_t max, char **ret_line, size_t *ret_len)
{
        replybuf b;
        int r;

        replybuf_init(&b, max);
        r = replybuf_add_json(&b, reply);
        if (r >= 0)
                r = replybuf_add(&b, "\n", 1);
        if (r < 0) {
                replybuf_done(&b);
                return r;
        }
        *ret_line = replybuf_take(&b, ret_len);
        return 0;
}

int replybuf_reply_from_json(json_t *reply, control_reply *ret)
{
        return replybuf_reply_bounded(reply, REPLY_MAX_BYTES, ret);
}

int replybuf_reply_bounded(json_t *reply, size_t max, control_reply *ret)
{
        int r = -ENOMEM;

        if (reply) {
                ret->ok = json_is_true(json_object_get(reply, "ok"));
                r = replybuf_format(reply, max, &ret->text, &ret->len);
        }
        json_decref(reply);
        if (r == -E2BIG) {
                /* A bound, not a crash: this client hears why, the others are served. */
                reply = reply_error(REQUEST_ERROR_INTERNAL, "reply too large: over %zu bytes", max);
                ret->ok = false;
                r = reply ? replybuf_format(reply, SIZE_MAX, &ret->text, &ret->len) : -ENOMEM;
                json_decref(reply);
        }
        return r;
}

void replybuf_memory_setup(void)
{
        (void) mallopt(M_MMAP_THRESHOLD, (int) MMAP_THRESHOLD);
}

void replybuf_give_back(size_t bytes)
{
        if (bytes >= REPLY_TRIM_BYTES)
                (void) malloc_trim(0);
}
