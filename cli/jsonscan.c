/* SPDX-License-Identifier: MIT */
/* A forward-only JSON reader that decodes only what is asked for (jsonscan.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "sockaudit-internal.h"

void jscan_init(jscan *s, const char *text, size_t len, arena *a)
{
        *s = (jscan) { .p = text, .end = text + len, .arena = a };
}

static int fail(jscan *s, const char *why)
{
        if (!s->error)
                s->error = why;
        return -1;
}

static void skip_space(jscan *s)
{
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

int jscan_peek(jscan *s)
{
        skip_space(s);
        return s->p < s->end ? (unsigned char) *s->p : -1;
}

bool jscan_at_end(jscan *s)
{
        return jscan_peek(s) < 0;
}

bool jscan_take(jscan *s, char c)
{
        skip_space(s);
        if (s->p < s->end && *s->p == c) {
                s->p++;
                return true;
        }
        fail(s, c == ':' ? "expected ':'" : c == ',' ? "expected ','" : "unexpected character");
        return false;
}

static int hex4(const char *p, uint32_t *ret)
{
        uint32_t v = 0;

        for (int i = 0; i < 4; i++) {
                char c = p[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t) (c - 'A' + 10);
                else
                        return -1;
        }
        *ret = v;
        return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
        if (cp < 0x80) {
                o[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                o[0] = (char) (0xc0 | cp >> 6);
                o[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                o[0] = (char) (0xe0 | cp >> 12);
                o[1] = (char) (0x80 | (cp >> 6 & 0x3f));
                o[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        o[0] = (char) (0xf0 | cp >> 18);
        o[1] = (char) (0x80 | (cp >> 12 & 0x3f));
        o[2] = (char) (0x80 | (cp >> 6 & 0x3f));
        o[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/*
 * Decodes the escaped string text in (n bytes, between its quotes) into o
 * (room for n bytes: escapes never grow): its length, or -1 for a bad
 * escape, \u0000 or a lone surrogate (what jansson refuses too).
 */
static long decode(const char *in, size_t n, char *o)
{
        size_t k = 0;

        for (size_t i = 0; i < n;) {
                uint32_t cp, lo;

                if (in[i] != '\\') {
                        o[k++] = in[i++];
                        continue;
                }
                if (i + 1 >= n)
                        return -1;
                switch (in[i + 1]) {
                case '"': case '\\': case '/': o[k++] = in[i + 1]; i += 2; continue;
                case 'b': o[k++] = '\b'; i += 2; continue;
                case 'f': o[k++] = '\f'; i += 2; continue;
                case 'n': o[k++] = '\n'; i += 2; continue;
                case 'r': o[k++] = '\r'; i += 2; continue;
                case 't': o[k++] = '\t'; i += 2; continue;
                case 'u': break;
                default: return -1;
                }
                if (i + 6 > n || hex4(in + i + 2, &cp) < 0 || cp == 0)
                        return -1;
                i += 6;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                        return -1;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                        if (i + 6 > n || in[i] != '\\' || in[i + 1] != 'u' || hex4(in + i + 2, &lo) < 0 ||
                            lo < 0xdc00 || lo > 0xdfff)
                                return -1;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        i += 6;
                }
                k += put_utf8(o + k, cp);
        }
        return (long) k;
}

/* What read_string() does with the string it passes. */
typedef enum str_use {
        STR_SKIP,       /* nothing */
        STR_DECODE,     /* decoded into the arena, NUL-terminated, UTF-8 checked (as jansson does) */
        STR_KEY,        /* as written when it holds no escape, else decoded */
} str_use;

/* The string at s->p (its '"'), used as use says: *ret and *ret_len. 0 or -1. */
static int read_string(jscan *s, str_use use, const char **ret, size_t *ret_len)
{
        const char *from = ++s->p;
        bool escaped = false;

        for (;;) {
                if (s->p >= s->end)
                        return fail(s, "unterminated string");
                unsigned char c = (unsigned char) *s->p;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return fail(s, "control character in a string");
                if (c == '\\') {
                        escaped = true;
                        if (++s->p >= s->end)
                                return fail(s, "unterminated string");
                }
                s->p++;
        }
        size_t n = (size_t) (s->p - from);
        s->p++;
        if (use == STR_SKIP)
                return 0;
        if (use == STR_KEY && !escaped) {
                *ret = from;
                *ret_len = n;
                return 0;
        }
        char *o = arena_alloc(s->arena, n + 1);
        if (!o)
                return fail(s, "out of memory");
        long k = (long) n;
        if (escaped)
                k = decode(from, n, o);
        else
                memcpy(o, from, n);
        if (k < 0)
                return fail(s, "invalid escape in a string");
        o[k] = '\0';
        if (!sa_utf8_valid(o, (size_t) k))
                return fail(s, "invalid UTF-8 in a string");
        *ret = o;
        *ret_len = (size_t) k;
        return 0;
}

int jscan_member(jscan *s, bool first, const char **ret_key, size_t *ret_len)
{
        skip_space(s);
        if (s->p < s->end && *s->p == '}') {
                s->p++;
                return 0;
        }
        if (!first && !jscan_take(s, ','))
                return -1;
        skip_space(s);
        if (s->p >= s->end || *s->p != '"')
                return fail(s, "expected a key");
        if (read_string(s, STR_KEY, ret_key, ret_len) < 0 || !jscan_take(s, ':'))
                return -1;
        return 1;
}

int jscan_element(jscan *s, bool first)
{
        skip_space(s);
        if (s->p < s->end && *s->p == ']') {
                s->p++;
                return 0;
        }
        if (!first && !jscan_take(s, ','))
                return -1;
        return 1;
}

/* A number: JV_INT when an integer that fits, JV_OTHER for a real; -1 when malformed or too big. */
static int read_number(jscan *s, jv *ret)
{
        const char *p = s->p;
        bool neg = p < s->end && *p == '-';
        uint64_t v = 0, max = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
        bool real = false;

        if (neg)
                p++;
        if (p >= s->end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < s->end && p[1] >= '0' && p[1] <= '9'))
                return fail(s, "invalid number");
        for (; p < s->end && *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned) (*p - '0');

                if (v > (max - d) / 10)
                        real = true;    /* too big for an integer: jansson refuses it; so do we below */
                else
                        v = v * 10 + d;
        }
        if (real)
                return fail(s, "integer too big");
        if (p < s->end && *p == '.') {
                real = true;
                if (++p >= s->end || *p < '0' || *p > '9')
                        return fail(s, "invalid number");
                while (p < s->end && *p >= '0' && *p <= '9')
                        p++;
        }
        if (p < s->end && (*p == 'e' || *p == 'E')) {
                real = true;
                if (++p < s->end && (*p == '+' || *p == '-'))
                        p++;
                if (p >= s->end || *p < '0' || *p > '9')
                        return fail(s, "invalid number");
                while (p < s->end && *p >= '0' && *p <= '9')
                        p++;
        }
        s->p = p;
        ret->type = real ? JV_OTHER : JV_INT;
        ret->i = neg ? (json_int_t) (0 - v) : (json_int_t) v;
        return 0;
}

static int literal(jscan *s, const char *word, jv_type type, jv *ret)
{
        size_t n = strlen(word);

        if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return fail(s, "invalid literal");
        s->p += n;
        ret->type = type;
        return 0;
}

/* One value; strings decoded only when decode. depth: brackets around it. */
static int read_value(jscan *s, jv *ret, bool decode_str, unsigned depth)
{
        size_t len;
        int r;

        skip_space(s);
        if (s->p >= s->end)
                return fail(s, "unexpected end");
        switch (*s->p) {
        case '"':
                ret->type = JV_STRING;
                ret->s = NULL;
                return read_string(s, decode_str ? STR_DECODE : STR_SKIP, &ret->s, &len);
        case 't': return literal(s, "true", JV_TRUE, ret);
        case 'f': return literal(s, "false", JV_FALSE, ret);
        case 'n': return literal(s, "null", JV_NULL, ret);
        case '{': case '[': {
                bool obj = *s->p == '{';
                const char *key;
                jv skipped;

                if (depth >= JSCAN_DEPTH_MAX)
                        return fail(s, "nested too deep");
                s->p++;
                for (bool first = true;; first = false) {
                        r = obj ? jscan_member(s, first, &key, &len) : jscan_element(s, first);
                        if (r <= 0)
                                break;
                        if (read_value(s, &skipped, false, depth + 1) < 0)
                                return -1;
                }
                ret->type = JV_OTHER;
                return r;
        }
        default:
                return read_number(s, ret);
        }
}

int jscan_value(jscan *s, jv *ret)
{
        return read_value(s, ret, true, 0);
}

int jscan_skip(jscan *s)
{
        jv v;

        return read_value(s, &v, false, 0);
}

bool jscan_key_is(const char *key, size_t len, const char *name)
{
        return strlen(name) == len && memcmp(key, name, len) == 0;
}
