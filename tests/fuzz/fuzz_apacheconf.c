/* SPDX-License-Identifier: MIT */
/*
 * Apache's configuration (lib/webconf-apache.c): any
 * bytes give a result within the caps, with errors that name a line of
 * the input, or -ENOMEM.
 */
#include <assert.h>

#include "fuzz.h"
#include "webconf.h"
#include "webconf-fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sa_webconf *r = NULL;
        int e = sa_webconf_parse_apache((const char *) data, size, 443, &r);

        assert(e == 0 || e == -ENOMEM);
        if (e == 0)
                fuzz_webconf_check(r, data, size);
        sa_webconf_free(r);
        return 0;
}
