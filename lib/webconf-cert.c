/* SPDX-License-Identifier: MIT */
/*
 * A certificate file named by a server's config, read from the server's
 * root: the first PEM certificate in it as DER bytes, for the probe to
 * fingerprint and compare with what is served.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "webconf-reader.h"

int sa_webconf_cert_der(int root_fd, uid_t uid, gid_t gid, const char *path,
                        unsigned char **ret_der, size_t *ret_len)
{
        wc_text t = { 0 };
        unsigned char *der = NULL, *copy;
        X509 *x = NULL;
        BIO *bio;
        int e, n;

        e = wc_read_file(root_fd, path, uid, gid, SA_WEBCONF_CERT_MAX, &t);
        if (e < 0)
                return e;
        bio = BIO_new_mem_buf(t.buf, (int) t.len);
        if (!bio) {
                free(t.buf);
                return -ENOMEM;
        }
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        free(t.buf);
        if (!x) {
                ERR_clear_error();
                return -ENOMSG;
        }
        n = i2d_X509(x, &der);
        X509_free(x);
        if (n <= 0)
                return -ENOMSG;
        /* OpenSSL's buffer moves to one the caller frees with free(). */
        copy = malloc((size_t) n);
        if (copy)
                memcpy(copy, der, (size_t) n);
        OPENSSL_free(der);
        if (!copy)
                return -ENOMEM;
        *ret_der = copy;
        *ret_len = (size_t) n;
        return 0;
}
