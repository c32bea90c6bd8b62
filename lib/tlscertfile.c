/* SPDX-License-Identifier: MIT */
/*
 * Certificate files fingerprinted in process (tlsplan.h): libcrypto's
 * SHA-256 of sa_webconf_cert_der's bytes. For the daemon and the
 * sockaudit-provenance helper; the CLI reaches it through the helper.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "tlsplan.h"
#include "webconf.h"

/* The SHA-256 of len bytes at der as 64 lowercase hex digits into hex (65 bytes). */
static bool sha256_hex(const unsigned char *der, size_t len, char *hex)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (!EVP_Digest(der, len, md, &n, EVP_sha256(), NULL) || n != 32)
                return false;
        for (unsigned i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        return true;
}

int sa_tls_cert_file_sha256(void *userdata, int root_fd, uid_t uid, gid_t gid, const char *path, char hex[65])
{
        unsigned char *der = NULL;
        size_t len = 0;
        int e = sa_webconf_cert_der(root_fd, uid, gid, path, &der, &len);

        if (e == 0 && !sha256_hex(der, len, hex))
                e = -ENOMEM;
        free(der);
        return e;
}

int sa_tls_plan_compare(const sa_tls_plan *p, json_t *tls)
{
        return sa_tls_plan_compare_with(p, tls, sa_tls_cert_file_sha256, NULL);
}
