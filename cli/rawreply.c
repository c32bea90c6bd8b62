/* SPDX-License-Identifier: MIT */
/* A reply line's top-level members, found without parsing it (rawreply.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "rawreply.h"

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end of the string starting at s[i] == '"': the index after its closing quote, or len if none. */
static size_t string_end(const char *s, size_t i, size_t len)
{
        for (i++; i < len;) {
                const char *q = memchr(s + i, '"', len - i);
                size_t at, bs = 0;

                if (!q)
                        return len;
                at = (size_t) (q - s);
                while (at - bs > i && s[at - bs - 1] == '\\')
                        bs++;
                if (bs % 2 == 0)
                        return at + 1;
                i = at + 1;
        }
        return len;
}

/* The end of the value starting at s[i] (not a space): the index after it, or len + 1 if unbalanced. */
static size_t value_end(const char *s, size_t i, size_t len)
{
        size_t depth = 0;

        while (i < len) {
                char c = s[i];

                if (c == '"') {
                        i = string_end(s, i, len);
                        if (i == len && s[len - 1] != '"')
                                return len + 1;
                        if (depth == 0)
                                return i;
                        continue;
                }
                if (c == '{' || c == '[') {
                        depth++;
                } else if (c == '}' || c == ']') {
                        if (depth == 0)
                                return i;       /* a scalar ended by its object's end */
                        if (--depth == 0)
                                return i + 1;
                } else if (depth == 0 && (c == ',' || is_space(c))) {
                        return i;               /* a scalar ended */
                }
                i++;
        }
        return depth == 0 ? len : len + 1;
}

static size_t skip_space(const char *s, size_t i, size_t len)
{
        while (i < len && is_space(s[i]))
                i++;
        return i;
}

int raw_reply_split(const char *line, size_t len, raw_reply *ret)
{
        raw_reply r = { .n = 0 };
        size_t i = skip_space(line, 0, len);

        if (i >= len || line[i] != '{')
                return -EBADMSG;
        i = skip_space(line, i + 1, len);
        if (i < len && line[i] == '}')
                goto done;
        for (;;) {
                raw_member *m;
                size_t end;

                if (r.n >= RAW_MEMBERS_MAX || i >= len || line[i] != '"')
                        return -EBADMSG;
                end = string_end(line, i, len);
                if (end > len || line[end - 1] != '"' || end - i < 2)
                        return -EBADMSG;
                m = &r.m[r.n++];
                m->key = line + i + 1;
                m->key_len = end - i - 2;
                i = skip_space(line, end, len);
                if (i >= len || line[i] != ':')
                        return -EBADMSG;
                i = skip_space(line, i + 1, len);
                if (i >= len)
                        return -EBADMSG;
                end = value_end(line, i, len);
                if (end > len || end == i)
                        return -EBADMSG;
                m->value = line + i;
                m->value_len = end - i;
                i = skip_space(line, end, len);
                if (i < len && line[i] == ',') {
                        i = skip_space(line, i + 1, len);
                        continue;
                }
                if (i < len && line[i] == '}')
                        break;
                return -EBADMSG;
        }
done:
        if (skip_space(line, i + 1, len) != len)
                return -EBADMSG;
        *ret = r;
        return 0;
}

const raw_member *raw_reply_get(const raw_reply *r, const char *key)
{
        size_t n = strlen(key);

        for (size_t i = 0; i < r->n; i++)
                if (r->m[i].key_len == n && memcmp(r->m[i].key, key, n) == 0)
                        return &r->m[i];
        return NULL;
}
