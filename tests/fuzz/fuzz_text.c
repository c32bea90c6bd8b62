/* SPDX-License-Identifier: MIT */
/*
 * The two gates for untrusted text: sa_utf8_sanitize() (for JSON) must
 * give valid UTF-8 without NULs; sa_text_escape() (tables, journal) must
 * give one printable line: no control byte, no newline, no bidi override.
 */
#include <assert.h>
#include <jansson.h>

#include "fuzz.h"
#include "sockaudit.h"
#include "sockaudit-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *in = fuzz_strndup(data, size), *clean, *esc;
        json_t *j;

        clean = sa_utf8_sanitize(in, size);
        assert(clean);
        j = json_string(clean);   /* jansson checks UTF-8 */
        assert(j);
        json_decref(j);
        esc = sa_text_escape(in);
        assert(esc);
        for (const unsigned char *p = (const unsigned char *) esc; *p; p++)
                assert(*p >= 0x20 && *p != 0x7f);
        /* No raw C1 controls or bidi overrides survive (escaped as \uXXXX). */
        assert(!strstr(esc, "\xc2\x85") && !strstr(esc, "\xe2\x80\xae"));
        free(esc);
        free(clean);
        free(in);
        return 0;
}
