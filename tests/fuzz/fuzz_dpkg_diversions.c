/* SPDX-License-Identifier: MIT */
/*
 * dpkg's diversions file (lib/dpkgfile.c sa_dpkg_parse_diversions):
 * triples come out with absolute paths and a package name or ":".
 */
#include <assert.h>

#include "dpkg.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sa_dpkg_diversion *d = NULL;
        size_t n = 0, bad = 0;
        int r;

        r = sa_dpkg_parse_diversions((const char *) data, size, 100, &d, &n, &bad);
        assert(r == 0 || r == -E2BIG || r == -ENOMEM);
        if (r < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                assert(d[i].from[0] == '/' && d[i].to[0] == '/');
                assert(d[i].by[0] && !strchr(d[i].by, '/') && !strchr(d[i].by, '\n'));
        }
        sa_dpkg_diversions_free(d, n);
        return 0;
}
