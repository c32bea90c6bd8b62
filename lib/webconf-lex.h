/* SPDX-License-Identifier: MIT */
/*
 * nginx's configuration syntax as tokens (lib/webconf-lex.c): words (bare
 * or quoted, with nginx's escapes), ";", "{", "}", comments skipped.
 * Internal to lib/webconf*.c.
 */
#ifndef SA_WEBCONF_LEX_H
#define SA_WEBCONF_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "webconf.h"

typedef enum ngx_tok {
        NGX_EOF,
        NGX_WORD,
        NGX_SEMI,
        NGX_OPEN,
        NGX_CLOSE,
        NGX_ERROR,
} ngx_tok;

typedef struct ngx_lexer {
        const char *p, *end;
        unsigned line;                  /* of the next character */
        unsigned tok_line;              /* where the last token started */
        char word[SA_WEBCONF_TOKEN_MAX + 1];
        size_t len;                     /* of word */
        const char *error;              /* with NGX_ERROR */
} ngx_lexer;

void ngx_lex_init(ngx_lexer *l, const char *buf, size_t len);

/* The next token; a word is in l->word (unescaped, NUL-terminated). */
ngx_tok ngx_lex_next(ngx_lexer *l);

#endif
