/* SPDX-License-Identifier: MIT */
/*
 * A dpkg .md5sums file (lib/dpkgfile.c sa_dpkg_parse_md5sums): the input's
 * first line is the path looked up, the rest the file; a found MD5 is 32
 * lowercase hex digits.
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
        const uint8_t *nl = memchr(data, '\n', size);
        size_t plen = nl ? (size_t) (nl - data) : size, bad = 0;
        char *path = fuzz_strndup(data, plen), md5[33];
        int r;

        r = sa_dpkg_parse_md5sums((const char *) data + plen, size - plen, path, md5, &bad);
        assert(r == 0 || r == -ENOENT || r == -EINVAL);
        if (r == 0) {
                assert(strlen(md5) == 32);
                for (int i = 0; i < 32; i++)
                        assert((md5[i] >= '0' && md5[i] <= '9') || (md5[i] >= 'a' && md5[i] <= 'f'));
        }
        free(path);
        return 0;
}
