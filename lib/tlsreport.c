/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's report, as the parent reads it (lib/include/tlsprobe.h):
 * the child parsed what a server sent, so its report is hostile input.
 * Every field is checked and copied into a new object; anything unknown,
 * out of bounds or of the wrong type rejects the whole report.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tlsprobe.h"

static const char *const version_names[] = { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" };
static const char *const key_types[] = { "RSA", "EC", "Ed25519", "Ed448", "DSA", "other" };
static const char *const alpn_names[] = { "h2", "http/1.1" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct ctx {
        char *err;
        size_t errlen;
} ctx;

static int bad(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(ctx *c, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

static int one_of(const char *s, const char *const *set, size_t n)
{
        for (size_t i = 0; s && i < n; i++)
                if (!strcmp(s, set[i]))
                        return (int) i;
        return -1;
}

/* A string of at most max bytes (min 0), or null when nullable. */
static int want_string(ctx *c, const json_t *v, const char *name, size_t max, bool nullable)
{
        if (nullable && json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return bad(c, "%s: not a string", name);
        if (json_string_length(v) > max)
                return bad(c, "%s: longer than %zu bytes", name, max);
        return 0;
}

/* "2026-12-07T01:12:37Z" exactly; *ret its time. */
static int want_time(ctx *c, const json_t *v, const char *name, time_t *ret)
{
        const char *s = json_string_value(v);
        struct tm tm = { 0 };
        char again[32];
        const char *end;

        if (json_is_null(v))
                return 0;
        if (!s || json_string_length(v) >= sizeof(again))
                return bad(c, "%s: not a time", name);
        end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!end || *end)
                return bad(c, "%s: not an RFC 3339 UTC time", name);
        *ret = timegm(&tm);
        if (strcmp(sa_tls_format_time(*ret, again, sizeof(again)), s))
                return bad(c, "%s: not a canonical time", name);
        return 0;
}

static bool all_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static bool printable_ascii(const char *s)
{
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e)
                        return false;
        return true;
}

/* Copies in[key] to out when present (and checked by the caller). */
static int copy(json_t *out, const json_t *in, const char *key)
{
        json_t *v = json_object_get(in, key);

        return v && json_object_set(out, key, v) < 0 ? -ENOMEM : 0;
}

static int check_flag(ctx *c, const json_t *in, const char *key)
{
        json_t *v = json_object_get(in, key);

        return v && !json_is_true(v) ? bad(c, "%s: present and not true", key) : 0;
}

static int check_san(ctx *c, const json_t *san)
{
        size_t i;
        json_t *v;

        if (!json_is_array(san) || json_array_size(san) > SA_TLS_SAN_MAX)
                return bad(c, "san: not an array of at most %d names", SA_TLS_SAN_MAX);
        json_array_foreach(san, i, v)
                if (want_string(c, v, "san[]", SA_TLS_SANLEN_MAX, false) < 0)
                        return -EBADMSG;
        return 0;
}

static const char *const cert_keys[] = {
        "sni", "subject", "subject_truncated", "san", "san_truncated", "issuer",
        "issuer_truncated", "serial", "not_before", "not_after", "days_left", "key_type",
        "key_bits", "signature_algorithm", "self_signed", "chain_verified", "chain_error", "sha256",
};

/* One certificate: checked, then rebuilt in the documented order. */
static int parse_cert(ctx *c, const json_t *in, time_t now, json_t **ret)
{
        const char *key, *serial, *sha, *sig;
        json_t *v, *out;
        time_t na = 0;
        int r = 0;

        if (!json_is_object(in))
                return bad(c, "certificate: not an object");
        json_object_foreach((json_t *) in, key, v)
                if (one_of(key, cert_keys, N(cert_keys)) < 0)
                        return bad(c, "certificate: unknown field");
        serial = json_string_value(json_object_get(in, "serial"));
        sha = json_string_value(json_object_get(in, "sha256"));
        sig = json_string_value(json_object_get(in, "signature_algorithm"));
        v = json_object_get(in, "key_bits");
        if (want_string(c, json_object_get(in, "sni"), "sni", SA_TLS_SNI_LEN_MAX, true) < 0 ||
            want_string(c, json_object_get(in, "subject"), "subject", SA_TLS_NAME_MAX, false) < 0 ||
            want_string(c, json_object_get(in, "issuer"), "issuer", SA_TLS_NAME_MAX, false) < 0 ||
            check_flag(c, in, "subject_truncated") < 0 || check_flag(c, in, "issuer_truncated") < 0 ||
            check_flag(c, in, "san_truncated") < 0 || check_san(c, json_object_get(in, "san")) < 0 ||
            want_time(c, json_object_get(in, "not_before"), "not_before", &na) < 0 ||
            want_time(c, json_object_get(in, "not_after"), "not_after", &na) < 0)
                return -EBADMSG;
        if (!json_object_get(in, "not_before") || !json_object_get(in, "not_after"))
                return bad(c, "certificate: no validity");
        if (!serial || strlen(serial) > SA_TLS_SERIAL_MAX + 1 ||
            !all_hex(serial + (*serial == '-'), strlen(serial + (*serial == '-'))))
                return bad(c, "serial: not hex digits");
        if (one_of(json_string_value(json_object_get(in, "key_type")), key_types, N(key_types)) < 0)
                return bad(c, "key_type: unknown");
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65536)
                return bad(c, "key_bits: not an integer in 0-65536");
        if (!sig || strlen(sig) > 64 || !printable_ascii(sig))
                return bad(c, "signature_algorithm: not a short name");
        if (!json_is_boolean(json_object_get(in, "self_signed")) ||
            !json_is_boolean(json_object_get(in, "chain_verified")))
                return bad(c, "self_signed, chain_verified: not booleans");
        if (json_is_true(json_object_get(in, "chain_verified"))
            ? !json_is_null(json_object_get(in, "chain_error"))
            : want_string(c, json_object_get(in, "chain_error"), "chain_error", SA_TLS_ERROR_MAX, false) < 0)
                return bad(c, "chain_error: does not fit chain_verified");
        if (!sha || strlen(sha) != 64 || !all_hex(sha, 64))
                return bad(c, "sha256: not 64 lowercase hex digits");

        out = json_object();
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < N(cert_keys) && r == 0; i++) {
                if (!strcmp(cert_keys[i], "days_left")) {
                        r = json_object_set_new(out, "days_left",
                                                json_is_null(json_object_get(in, "not_after")) ? json_null()
                                                : json_integer(sa_tls_days_left(na, now))) < 0 ? -ENOMEM : 0;
                        continue;
                }
                if (!strcmp(cert_keys[i], "sni") && !json_object_get(in, "sni"))
                        r = json_object_set_new(out, "sni", json_null()) < 0 ? -ENOMEM : 0;
                else
                        r = copy(out, in, cert_keys[i]);
        }
        if (r < 0) {
                json_decref(out);
                return r;
        }
        *ret = out;
        return 0;
}

static int parse_versions(ctx *c, const json_t *in, json_t *out)
{
        bool seen[N(version_names)] = { false };
        size_t i;
        json_t *v;

        if (!in)
                return 0;
        if (!json_is_array(in) || json_array_size(in) > N(version_names))
                return bad(c, "versions: not an array of at most 4 names");
        json_array_foreach(in, i, v) {
                int k = one_of(json_string_value(v), version_names, N(version_names));

                if (k < 0 || seen[k])
                        return bad(c, "versions: unknown or repeated name");
                seen[k] = true;
        }
        for (size_t k = 0; k < N(version_names); k++)
                if (seen[k] && json_array_append_new(out, json_string(version_names[k])) < 0)
                        return -ENOMEM;
        return 0;
}

static const char *const report_keys[] = { "status", "error", "versions", "alpn", "certificates" };

int sa_tls_report_parse(const char *buf, size_t len, time_t now, json_t **ret, char *err, size_t errlen)
{
        ctx c = { .err = err, .errlen = errlen };
        json_t *in, *out = NULL, *vers, *certs, *v;
        json_error_t je;
        const char *key, *status;
        size_t i;
        int r;

        if (len > SA_TLS_REPORT_MAX)
                return bad(&c, "longer than %d bytes", SA_TLS_REPORT_MAX);
        in = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
        if (!in)
                return bad(&c, "not JSON: %s", je.text);
        if (!json_is_object(in)) {
                r = bad(&c, "not an object");
                goto fail;
        }
        json_object_foreach(in, key, v)
                if (one_of(key, report_keys, N(report_keys)) < 0) {
                        r = bad(&c, "unknown field");
                        goto fail;
                }
        status = json_string_value(json_object_get(in, "status"));
        if (one_of(status, (const char *const[]) { "ok", "not_tls", "error" }, 3) < 0) {
                r = bad(&c, "status: unknown");
                goto fail;
        }
        v = json_object_get(in, "alpn");
        r = -EBADMSG;
        if (want_string(&c, json_object_get(in, "error"), "error", SA_TLS_ERROR_MAX, true) < 0)
                goto fail;
        if (v && !json_is_null(v) && one_of(json_string_value(v), alpn_names, N(alpn_names)) < 0) {
                r = bad(&c, "alpn: not a protocol offered");
                goto fail;
        }
        out = sa_tls_error_object(status, json_string_value(json_object_get(in, "error")));
        if (!out) {
                r = -ENOMEM;
                goto fail;
        }
        vers = json_object_get(out, "versions");
        certs = json_object_get(out, "certificates");
        r = parse_versions(&c, json_object_get(in, "versions"), vers);
        if (r < 0)
                goto fail;
        if (v && json_object_set(out, "alpn", v) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        v = json_object_get(in, "certificates");
        if (v && (!json_is_array(v) || json_array_size(v) > SA_TLS_CERTS_MAX)) {
                r = bad(&c, "certificates: not an array of at most %d", SA_TLS_CERTS_MAX);
                goto fail;
        }
        for (i = 0; v && i < json_array_size(v); i++) {
                json_t *cert = NULL;

                r = parse_cert(&c, json_array_get(v, i), now, &cert);
                if (r < 0)
                        goto fail;
                if (json_array_append_new(certs, cert) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        json_decref(in);
        *ret = out;
        return 0;
fail:
        json_decref(out);
        json_decref(in);
        return r;
}

json_t *sa_tls_error_object(const char *status, const char *error)
{
        json_t *o = json_object();

        if (!o || json_object_set_new(o, "status", json_string(status)) < 0 ||
            json_object_set_new(o, "probed_at", json_null()) < 0 ||
            json_object_set_new(o, "error", error ? json_string(error) : json_null()) < 0 ||
            json_object_set_new(o, "versions", json_array()) < 0 ||
            json_object_set_new(o, "alpn", json_null()) < 0 ||
            json_object_set_new(o, "certificates", json_array()) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}

const char *sa_tls_format_time(time_t t, char *buf, size_t size)
{
        struct tm tm;

        if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(buf, size, "?");
        return buf;
}

long long sa_tls_days_left(time_t t, time_t now)
{
        long long d = (long long) t - (long long) now;

        return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

int64_t sa_tls_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
