/* SPDX-License-Identifier: MIT */
/* The bytes of the last who/list reply per request, kept while the snapshot is unchanged. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "replycache.h"

static bool same_request(const request *a, const request *b)
{
        /* The form too: a compact reply never answers a full request, nor the reverse. */
        return a->cmd == b->cmd && a->port == b->port && a->protos == b->protos && a->form == b->form;
}

static reply_cache_slot *find(reply_cache *rc, uint64_t gen, const request *req, bool redacted)
{
        for (unsigned i = 0; i < REPLY_CACHE_SLOTS; i++)
                if (rc->slots[i].gen == gen && rc->slots[i].redacted == redacted &&
                    same_request(&rc->slots[i].key, req))
                        return &rc->slots[i];
        return NULL;
}

/* Bytes kept now. */
static size_t used(const reply_cache *rc)
{
        size_t n = 0;

        for (unsigned i = 0; i < REPLY_CACHE_SLOTS; i++)
                n += rc->slots[i].len;
        return n;
}

int reply_cache_get(reply_cache *rc, uint64_t gen, const request *req, bool redacted,
                    char **ret_text, size_t *ret_len)
{
        reply_cache_slot *s = gen ? find(rc, gen, req, redacted) : NULL;
        char *copy;

        if (!s) {
                rc->misses++;
                return 0;
        }
        copy = malloc(s->len + 1);
        if (!copy)
                return -ENOMEM;
        memcpy(copy, s->text, s->len + 1);
        rc->hits++;
        *ret_text = copy;
        *ret_len = s->len;
        return 1;
}

void reply_cache_put(reply_cache *rc, uint64_t gen, const request *req, bool redacted,
                     const char *text, size_t len)
{
        reply_cache_slot *s;
        char *copy;

        if (gen == 0 || len > REPLY_CACHE_MAX_BYTES)
                return;
        /* A stale slot first; else round robin. */
        s = NULL;
        for (unsigned i = 0; i < REPLY_CACHE_SLOTS && !s; i++)
                if (rc->slots[i].gen != gen)
                        s = &rc->slots[i];
        if (!s) {
                s = &rc->slots[rc->next];
                rc->next = (rc->next + 1) % REPLY_CACHE_SLOTS;
        }
        copy = malloc(len + 1);
        if (!copy)
                return;
        memcpy(copy, text, len);
        copy[len] = '\0';
        free(s->text);
        *s = (reply_cache_slot) { 0 };
        /* Over the budget: the others go, in replacement order, until it fits. */
        for (unsigned i = 0, k = rc->next; used(rc) + len > REPLY_CACHE_BUDGET_BYTES && i < REPLY_CACHE_SLOTS;
             i++, k = (k + 1) % REPLY_CACHE_SLOTS) {
                free(rc->slots[k].text);
                rc->slots[k] = (reply_cache_slot) { 0 };
        }
        *s = (reply_cache_slot) { .gen = gen, .key = *req, .redacted = redacted, .text = copy, .len = len };
}

void reply_cache_clear(reply_cache *rc)
{
        for (unsigned i = 0; i < REPLY_CACHE_SLOTS; i++) {
                free(rc->slots[i].text);
                rc->slots[i] = (reply_cache_slot) { 0 };
        }
        rc->next = 0;
}
