/* SPDX-License-Identifier: MIT */
/*
 * nginx's tokenizer, after ngx_conf_read_token(): words end at blanks,
 * ";", "{" or "}"; "#" at the start of a word comments out the rest of the
 * line; "..." and '...' quote; a backslash keeps the next character from
 * being special, and \" \' \\ \t \r \n are unescaped as nginx does; "${"
 * runs to "}" (a variable, not a block). A NUL byte, an open quote at the
 * end or a word over SA_WEBCONF_TOKEN_MAX is an error.
 */
#include <string.h>

#include "webconf-lex.h"

void ngx_lex_init(ngx_lexer *l, const char *buf, size_t len)
{
        *l = (ngx_lexer) { .p = buf, .end = buf + len, .line = 1 };
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool ends_word(char c)
{
        return is_blank(c) || c == ';' || c == '{' || c == '}';
}

static ngx_tok fail(ngx_lexer *l, const char *why)
{
        l->error = why;
        return NGX_ERROR;
}

static bool put(ngx_lexer *l, char c)
{
        if (l->len >= SA_WEBCONF_TOKEN_MAX)
                return false;
        l->word[l->len++] = c;
        return true;
}

/* The character after a backslash, as nginx unescapes it (both kept otherwise). */
static bool put_escaped(ngx_lexer *l, char c)
{
        switch (c) {
        case '"': case '\'': case '\\':
                return put(l, c);
        case 't':
                return put(l, '\t');
        case 'r':
                return put(l, '\r');
        case 'n':
                return put(l, '\n');
        default:
                return put(l, '\\') && put(l, c);
        }
}

/* Next character, counting lines; -1 at the end, -2 at a NUL byte. */
static int take(ngx_lexer *l)
{
        char c;

        if (l->p >= l->end)
                return -1;
        c = *l->p++;
        if (c == '\0')
                return -2;
        if (c == '\n')
                l->line++;
        return (unsigned char) c;
}

static ngx_tok quoted(ngx_lexer *l, char q)
{
        for (;;) {
                int c = take(l);

                if (c == -1)
                        return fail(l, "unterminated quoted string");
                if (c == -2)
                        return fail(l, "NUL byte");
                if (c == q)
                        break;
                if (c == '\\') {
                        c = take(l);
                        if (c < 0)
                                return fail(l, c == -1 ? "unterminated quoted string" : "NUL byte");
                        if (!put_escaped(l, (char) c))
                                return fail(l, "word too long");
                } else if (!put(l, (char) c))
                        return fail(l, "word too long");
        }
        if (l->p < l->end && !ends_word(*l->p))
                return fail(l, "unexpected character after a quoted string");
        l->word[l->len] = '\0';
        return NGX_WORD;
}

static ngx_tok bare(ngx_lexer *l)
{
        while (l->p < l->end && !ends_word(*l->p)) {
                int c = take(l);

                if (c == -2)
                        return fail(l, "NUL byte");
                if (c == '\\' && l->p < l->end) {
                        c = take(l);
                        if (c == -2)
                                return fail(l, "NUL byte");
                        if (!put_escaped(l, (char) c))
                                return fail(l, "word too long");
                        continue;
                }
                if (!put(l, (char) c))
                        return fail(l, "word too long");
                if (c == '$' && l->p < l->end && *l->p == '{') {
                        /* ${name}: its braces are not blocks. */
                        while ((c = take(l)) != '}') {
                                if (c < 0 || c == '\n' || c == ';')
                                        return fail(l, "unterminated ${variable}");
                                if (!put(l, (char) c))
                                        return fail(l, "word too long");
                        }
                        if (!put(l, '}'))
                                return fail(l, "word too long");
                }
        }
        l->word[l->len] = '\0';
        return NGX_WORD;
}

ngx_tok ngx_lex_next(ngx_lexer *l)
{
        int c;

        for (;;) {
                while (l->p < l->end && is_blank(*l->p))
                        take(l);
                if (l->p >= l->end)
                        return NGX_EOF;
                if (*l->p != '#')
                        break;
                while (l->p < l->end && *l->p != '\n')
                        l->p++;
        }
        l->tok_line = l->line;
        l->len = 0;
        c = *l->p;
        switch (c) {
        case ';':
                l->p++;
                return NGX_SEMI;
        case '{':
                l->p++;
                return NGX_OPEN;
        case '}':
                l->p++;
                return NGX_CLOSE;
        case '"': case '\'':
                l->p++;
                return quoted(l, (char) c);
        default:
                return bare(l);
        }
}
