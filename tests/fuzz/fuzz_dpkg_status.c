/* SPDX-License-Identifier: MIT */
/*
 * dpkg's status file (lib/dpkgfile.c sa_dpkg_parse_status): any bytes give
 * installed packages whose names are safe in a file name, or an error.
 */
#include <assert.h>

#include "dpkg.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        return 0;
}

static bool name_safe(const char *s)
{
        return s[0] && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sa_dpkg_pkg *p = NULL;
        size_t n = 0, bad = 0;
        int r;

        r = sa_dpkg_parse_status((const char *) data, size, 1000, &p, &n, &bad);
        assert(r == 0 || r == -E2BIG || r == -ENOMEM);
        if (r < 0)
                return 0;
        assert(n <= 1000);
        for (size_t i = 0; i < n; i++) {
                assert(name_safe(p[i].base) && name_safe(p[i].arch) && p[i].version[0]);
                assert(strlen(p[i].name) < sizeof p[i].name);
                assert(strncmp(p[i].name, p[i].base, strlen(p[i].base)) == 0);
        }
        free(p);
        return 0;
}
