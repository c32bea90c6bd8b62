/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets in tests/fuzz/ (built by `make fuzz` with
 * clang -fsanitize=fuzzer,address,undefined). Each target defines
 * LLVMFuzzerTestOneInput(); a crash, a sanitizer report or a leak fails it.
 */
#ifndef SA_FUZZ_H
#define SA_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of the input (NULs inside stay). Caller frees. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                abort();
        if (size)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* Splits the input: a 2-byte little-endian length, then that many bytes
 * (cut at the end of the input). Advances data and size. */
static inline size_t fuzz_take(const uint8_t **data, size_t *size, const uint8_t **ret)
{
        size_t n;

        if (*size < 2) {
                *ret = *data;
                n = *size;
                *data += n;
                *size = 0;
                return n;
        }
        n = (size_t) (*data)[0] | (size_t) (*data)[1] << 8;
        *data += 2;
        *size -= 2;
        if (n > *size)
                n = *size;
        *ret = *data;
        *data += n;
        *size -= n;
        return n;
}

#endif
