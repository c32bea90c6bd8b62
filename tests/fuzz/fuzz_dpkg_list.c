/* SPDX-License-Identifier: MIT */
/*
 * A dpkg .list file (lib/dpkgfile.c sa_dpkg_parse_list): every path handed
 * on is absolute, bounded and free of NULs.
 */
#include <assert.h>

#include "dpkg.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        return 0;
}

static int seen(const char *path, size_t n, void *userdata)
{
        size_t *count = userdata;

        assert(n > 0 && n < SA_DPKG_PATH_MAX && path[0] == '/');
        assert(!memchr(path, '\0', n) && !memchr(path, '\n', n));
        (*count)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t count = 0, bad = 0;

        assert(sa_dpkg_parse_list((const char *) data, size, seen, &count, &bad) == 0);
        assert(count + bad <= size);
        return 0;
}
