/* SPDX-License-Identifier: MIT */
/*
 * A forward-only reader of JSON text for the few members a table shows:
 * no tree, keys compared as written, strings decoded (and checked as
 * jansson checks them) only when asked for, into an arena; every other
 * value skipped, its brackets and strings followed. Reading the compact
 * `list` reply of 38,000 listeners this way costs a tenth of parsing it
 * with jansson (docs/PERFORMANCE.md).
 */
#ifndef SA_CLI_JSONSCAN_H
#define SA_CLI_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "arena.h"

/* Nesting deeper than this is refused (as jansson's JSON_PARSER_MAX_DEPTH). */
#define JSCAN_DEPTH_MAX 2048u

typedef struct jscan {
        const char *p, *end;
        arena *arena;
        const char *error;      /* NULL, or why the text is not what was expected (static) */
} jscan;

typedef enum jv_type {
        JV_NULL,
        JV_FALSE,
        JV_TRUE,
        JV_INT,         /* an integer that fits json_int_t */
        JV_STRING,
        JV_OTHER,       /* a real, an array or an object: skipped */
} jv_type;

typedef struct jv {
        jv_type type;
        json_int_t i;           /* JV_INT */
        const char *s;          /* JV_STRING: NUL-terminated, valid UTF-8, in the arena */
} jv;

/* A reader of the len bytes at text, strings decoded into a (kept by the caller). */
void jscan_init(jscan *s, const char *text, size_t len, arena *a);

/* Skips spaces: the next character, or -1 at the end. */
int jscan_peek(jscan *s);

/* Skips spaces and whether the text ends there. */
bool jscan_at_end(jscan *s);

/* Skips spaces and takes c: true, or false with s->error set. */
bool jscan_take(jscan *s, char c);

/*
 * Members of an object, after its '{' was taken: 1 with the next key
 * (*ret_key as written, unescaped only when it held escapes; *ret_len) and
 * its ':' taken, the value next; 0 at the closing '}' (taken); -1 on
 * malformed text (s->error). first: no member read yet.
 */
int jscan_member(jscan *s, bool first, const char **ret_key, size_t *ret_len);

/* Elements of an array, after its '[' was taken: 1 when a value is next, 0 at ']' (taken), -1. */
int jscan_element(jscan *s, bool first);

/* Reads one value: a scalar into *ret, an array or object skipped (JV_OTHER). 0 or -1. */
int jscan_value(jscan *s, jv *ret);

/* Skips one value of any kind. 0 or -1. */
int jscan_skip(jscan *s);

/* Whether key (len bytes, from jscan_member) is name. */
bool jscan_key_is(const char *key, size_t len, const char *name);

#endif
