/* SPDX-License-Identifier: MIT */
/* Untrusted text from processes: valid UTF-8 for JSON, escaped for terminals. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockaudit.h"
#include "sockaudit-internal.h"

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes) and its code
 * point in *cp; 0 when the bytes there are not valid UTF-8 (overlong forms,
 * surrogates, beyond U+10FFFF, truncated).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
        static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        size_t n;
        uint32_t c;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                c = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                c = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                c = s[0] & 0x07;
        } else
                return 0;
        if (n > len)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return n;
}

bool sa_utf8_valid(const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *) s;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = u[i] < 0x80 ? 1 : utf8_decode(u + i, len - i, &cp);

                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

char *sa_utf8_sanitize(const char *s, size_t len)
{
        const unsigned char *u = (const unsigned char *) s;
        /* Worst case: every byte becomes the 3-byte U+FFFD. */
        char *out = malloc(len * 3 + 1), *p = out;
        if (!out)
                return NULL;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(u + i, len - i, &cp);
                if (n == 0 || cp == 0) {
                        memcpy(p, "\xef\xbf\xbd", 3);
                        p += 3;
                        i++;
                        continue;
                }
                memcpy(p, u + i, n);
                p += n;
                i += n;
        }
        *p = '\0';
        return out;
}

/* Code points that reorder or hide text on a terminal (bidi controls). */
static bool is_bidi_control(uint32_t cp)
{
        return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
               cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

char *sa_text_escape(const char *s)
{
        const unsigned char *u = (const unsigned char *) s;
        size_t len = strlen(s);
        /* Worst case: every byte becomes "\xHH" (4), or 3 bytes become "\uHHHH" (6). */
        char *out = malloc(len * 4 + 1), *p = out;
        if (!out)
                return NULL;

        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode(u + i, len - i, &cp);

                if (n == 0) {
                        p += sprintf(p, "\\x%02x", u[i]);
                        i++;
                        continue;
                }
                if (cp == '\\') {
                        *p++ = '\\';
                        *p++ = '\\';
                } else if (cp == '\n') {
                        *p++ = '\\';
                        *p++ = 'n';
                } else if (cp == '\t') {
                        *p++ = '\\';
                        *p++ = 't';
                } else if (cp == '\r') {
                        *p++ = '\\';
                        *p++ = 'r';
                } else if (cp < 0x20 || cp == 0x7f) {
                        p += sprintf(p, "\\x%02x", (unsigned) cp);
                } else if ((cp >= 0x80 && cp <= 0x9f) || is_bidi_control(cp)) {
                        /* C1 controls and bidi overrides: 2-3 bytes in, 6 out. */
                        p += sprintf(p, "\\u%04x", (unsigned) cp);
                } else {
                        memcpy(p, u + i, n);
                        p += n;
                }
                i += n;
        }
        *p = '\0';
        return out;
}
