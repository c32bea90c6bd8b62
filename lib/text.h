/* SPDX-License-Identifier: MIT */
/* Untrusted text: make it valid UTF-8 for JSON. */
#ifndef SA_TEXT_H
#define SA_TEXT_H

#include <stddef.h>

/*
 * Copies len bytes of s into a NUL-terminated, valid UTF-8 string: invalid
 * sequences and NUL bytes become U+FFFD. Caller frees. NULL on ENOMEM.
 */
char *sa_utf8_sanitize(const char *s, size_t len);

#endif
