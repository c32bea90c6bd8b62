/* SPDX-License-Identifier: MIT */
/* Facts of an X.509 certificate (lib/tlscert.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "sockaudit-internal.h"
#include "tlscert.h"
#include "util.h"

#define PEM_FILE_MAX (1u << 20)

/* Sets key to a sanitized copy of the len bytes at s, cut to max (at a
 * character) and marked with key_truncated when longer. -ENOMEM only. */
static int set_text(json_t *o, const char *key, const char *s, size_t len, size_t max)
{
        char mark[64];
        char *clean;
        bool cut = len > max;

        if (cut) {
                len = max;
                /* Do not split a UTF-8 sequence: back up over continuation bytes. */
                while (len > 0 && ((unsigned char) s[len] & 0xc0) == 0x80)
                        len--;
        }
        clean = sa_utf8_sanitize(s, len);
        if (!clean || json_object_set_new(o, key, json_string(clean)) < 0) {
                free(clean);
                return -ENOMEM;
        }
        free(clean);
        snprintf(mark, sizeof(mark), "%s_truncated", key);
        if (cut && json_object_set_new(o, mark, json_true()) < 0)
                return -ENOMEM;
        return 0;
}

/* A name in RFC 2253 form (what `openssl x509 -nameopt RFC2253` prints). */
static int set_name(json_t *o, const char *key, const X509_NAME *name)
{
        BIO *b = BIO_new(BIO_s_mem());
        char *p = NULL;
        long n;
        int r;

        if (!b)
                return -ENOMEM;
        if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0) {
                BIO_free(b);
                return set_text(o, key, "", 0, SA_TLS_NAME_MAX);
        }
        n = BIO_get_mem_data(b, &p);
        r = set_text(o, key, p ? p : "", n > 0 ? (size_t) n : 0, SA_TLS_NAME_MAX);
        BIO_free(b);
        return r;
}

static int set_san(json_t *o, X509 *x)
{
        GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        json_t *a = json_array();
        bool cut = false;
        int n = names ? sk_GENERAL_NAME_num(names) : 0;

        if (!a || json_object_set_new(o, "san", a) < 0) {
                GENERAL_NAMES_free(names);
                return -ENOMEM;
        }
        for (int i = 0; i < n; i++) {
                const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
                char ip[INET6_ADDRSTRLEN] = "";
                const char *s = NULL;
                size_t len = 0;
                char *clean;

                if (g->type == GEN_DNS) {
                        s = (const char *) ASN1_STRING_get0_data(g->d.dNSName);
                        len = (size_t) ASN1_STRING_length(g->d.dNSName);
                } else if (g->type == GEN_IPADD) {
                        int l = ASN1_STRING_length(g->d.iPAddress);
                        const unsigned char *d = ASN1_STRING_get0_data(g->d.iPAddress);

                        if (l == 4 || l == 16)
                                inet_ntop(l == 4 ? AF_INET : AF_INET6, d, ip, sizeof(ip));
                        s = ip;
                        len = strlen(ip);
                }
                if (!s || !len)
                        continue;
                if (json_array_size(a) >= SA_TLS_SAN_MAX) {
                        cut = true;
                        break;
                }
                clean = sa_utf8_sanitize(s, len > SA_TLS_SANLEN_MAX ? SA_TLS_SANLEN_MAX : len);
                if (!clean || json_array_append_new(a, json_string(clean)) < 0) {
                        free(clean);
                        GENERAL_NAMES_free(names);
                        return -ENOMEM;
                }
                free(clean);
        }
        GENERAL_NAMES_free(names);
        if (cut && json_object_set_new(o, "san_truncated", json_true()) < 0)
                return -ENOMEM;
        return 0;
}

static int set_serial(json_t *o, X509 *x)
{
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;
        int r;

        BN_free(bn);
        if (!hex)
                return json_object_set_new(o, "serial", json_string("")) < 0 ? -ENOMEM : 0;
        for (char *p = hex; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                        *p = (char) (*p - 'A' + 'a');
        r = set_text(o, "serial", hex, strlen(hex), SA_TLS_SERIAL_MAX);
        json_object_del(o, "serial_truncated");   /* a longer one is cut, not marked */
        OPENSSL_free(hex);
        return r;
}

/* key: t in RFC 3339 (null when unreadable); *ret: t as time_t. */
static int set_time(json_t *o, const char *key, const ASN1_TIME *t, time_t *ret)
{
        struct tm tm;
        char buf[32];

        if (!t || !ASN1_TIME_to_tm(t, &tm))
                return json_object_set_new(o, key, json_null()) < 0 ? -ENOMEM : 0;
        *ret = timegm(&tm);
        return json_object_set_new(o, key, json_string(sa_tls_format_time(*ret, buf, sizeof(buf)))) < 0
                ? -ENOMEM : 0;
}

static const char *key_type(int id)
{
        switch (id) {
        case EVP_PKEY_RSA: case EVP_PKEY_RSA_PSS: return "RSA";
        case EVP_PKEY_EC: return "EC";
        case EVP_PKEY_ED25519: return "Ed25519";
        case EVP_PKEY_ED448: return "Ed448";
        case EVP_PKEY_DSA: return "DSA";
        default: return "other";
        }
}

/* chain_verified and chain_error: x verified against store with chain as untrusted. */
static int set_verify(json_t *o, X509 *x, STACK_OF(X509) *chain, X509_STORE *store, time_t now)
{
        X509_STORE_CTX *ctx;
        const char *why = "no CA store";
        bool ok = false;

        if (store) {
                ctx = X509_STORE_CTX_new();
                if (!ctx)
                        return -ENOMEM;
                if (X509_STORE_CTX_init(ctx, store, x, chain) == 1) {
                        X509_STORE_CTX_set_time(ctx, 0, now);
                        ok = X509_verify_cert(ctx) == 1;
                        why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
                } else
                        why = "verification could not start";
                X509_STORE_CTX_free(ctx);
        }
        if (json_object_set_new(o, "chain_verified", json_boolean(ok)) < 0 ||
            json_object_set_new(o, "chain_error", ok ? json_null() : json_string(why)) < 0)
                return -ENOMEM;
        return 0;
}

static int set_fingerprint(json_t *o, X509 *x)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        char hex[2 * EVP_MAX_MD_SIZE + 1];

        if (!X509_digest(x, EVP_sha256(), md, &n))
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        hex[2 * n] = '\0';
        return json_object_set_new(o, "sha256", json_string(hex)) < 0 ? -ENOMEM : 0;
}

json_t *sa_tls_cert_facts(X509 *x, STACK_OF(X509) *chain, X509_STORE *store, time_t now)
{
        json_t *o = json_object();
        EVP_PKEY *key = X509_get0_pubkey(x);
        time_t nb = 0, na = 0;
        int nid = X509_get_signature_nid(x);
        const char *sig = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;

        if (!o)
                return NULL;
        if (set_name(o, "subject", X509_get_subject_name(x)) < 0 || set_san(o, x) < 0 ||
            set_name(o, "issuer", X509_get_issuer_name(x)) < 0 || set_serial(o, x) < 0 ||
            set_time(o, "not_before", X509_get0_notBefore(x), &nb) < 0 ||
            set_time(o, "not_after", X509_get0_notAfter(x), &na) < 0 ||
            json_object_set_new(o, "days_left", json_is_string(json_object_get(o, "not_after"))
                                ? json_integer(sa_tls_days_left(na, now)) : json_null()) < 0 ||
            json_object_set_new(o, "key_type", json_string(key ? key_type(EVP_PKEY_get_base_id(key)) : "other")) < 0 ||
            json_object_set_new(o, "key_bits", json_integer(key ? EVP_PKEY_get_bits(key) : 0)) < 0 ||
            json_object_set_new(o, "signature_algorithm", json_string(sig ? sig : "unknown")) < 0 ||
            json_object_set_new(o, "self_signed", json_boolean(X509_self_signed(x, 1) == 1)) < 0 ||
            set_verify(o, x, chain, store, now) < 0 || set_fingerprint(o, x) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

X509_STORE *sa_tls_system_store(void)
{
        X509_STORE *s = X509_STORE_new();

        if (s && X509_STORE_set_default_paths(s) != 1) {
                X509_STORE_free(s);
                return NULL;
        }
        return s;
}

int sa_tls_cert_file_facts(const char *path, time_t now, json_t **ret)
{
        char *buf = malloc(PEM_FILE_MAX);
        ssize_t len = 0;
        int fd, r = 0;
        BIO *b;
        X509 *x;
        X509_STORE *store;
        json_t *o;
        struct stat st = { 0 };

        if (!buf)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = -EINVAL;
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                free(buf);
                return r;
        }
        len = sa_read_upto(fd, buf, PEM_FILE_MAX);
        close(fd);
        if (len < 0) {
                free(buf);
                return (int) len;
        }
        b = BIO_new_mem_buf(buf, (int) len);
        x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        free(buf);
        ERR_clear_error();
        if (!x)
                return b ? -EBADMSG : -ENOMEM;
        store = sa_tls_system_store();
        o = sa_tls_cert_facts(x, NULL, store, now);
        X509_STORE_free(store);
        X509_free(x);
        if (!o)
                return -ENOMEM;
        *ret = o;
        return 0;
}
