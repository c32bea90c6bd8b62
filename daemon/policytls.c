/* SPDX-License-Identifier: MIT */
/*
 * TLS policy (docs/CONFIG.md#tls): which listeners the daemon probes, and
 * the violations of what one serves (its `tls` object, docs/RECORDS.md#tls).
 * A pure function of (policy, listener, tls object, now).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "util.h"

static const char *const version_names[] = { "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" };

int policy_tls_version_from_string(const char *s)
{
        for (int i = 0; i < (int) (sizeof version_names / sizeof *version_names); i++)
                if (strcmp(s, version_names[i]) == 0)
                        return i;
        return -1;
}

bool policy_tls_watches(const policy *p, const sa_listener *l, const policy_tls **ret_tls)
{
        static const policy_tls defaults = POLICY_TLS_DEFAULTS;
        const policy_rule *rule = policy_rule_for(p, l);
        const policy_tls *t = rule ? &rule->tls : &defaults;

        if (ret_tls)
                *ret_tls = t;
        if (l->proto != IPPROTO_TCP || !policy_watches(p, l))
                return false;
        if (t->probe == POLICY_TLS_DEFAULT)
                return l->port == 443;
        return t->probe == POLICY_TLS_YES;
}

/* "2026-12-07T01:12:37Z" to seconds since the epoch; false when not that form. */
static bool parse_time(const char *s, time_t *ret)
{
        struct tm tm = { 0 };
        const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

        if (!end || *end)
                return false;
        *ret = timegm(&tm);
        return true;
}

/* The name a certificate is known by in a reason: its SNI, else "the default certificate". */
static const char *cert_name(const json_t *c, char *buf, size_t size)
{
        const char *sni = json_string_value(json_object_get(c, "sni"));

        if (!sni)
                return "the default certificate";
        snprintf(buf, size, "the certificate for %s", sni);
        return buf;
}

/* Whether an EC/Ed key of bits is weak: below 224 bits (NIST SP 800-57's floor). */
static bool key_weak(const policy_tls *t, const char *type, long long bits)
{
        if (!type || bits <= 0)
                return false;
        if (strcmp(type, "RSA") == 0 || strcmp(type, "DSA") == 0)
                return (unsigned long long) bits < t->min_key_bits;
        return bits < 224 && strcmp(type, "other") != 0;
}

static int check_cert(const policy_tls *t, const sa_listener *l, const json_t *tls, const json_t *c,
                      time_t now, violation **v, size_t *n)
{
        const char *type = json_string_value(json_object_get(c, "key_type"));
        const char *not_after = json_string_value(json_object_get(c, "not_after"));
        long long bits = json_integer_value(json_object_get(c, "key_bits"));
        const json_t *matches = json_object_get(json_object_get(c, "config"), "matches");
        size_t n0 = *n;
        char buf[300];
        const char *name = cert_name(c, buf, sizeof buf);
        time_t end;
        int r = 0;

        if (parse_time(not_after, &end)) {
                if (end <= now)
                        r = violation_add(v, n, l, NULL, VIOLATION_CERT_EXPIRED, "%s expired on %s",
                                          name, not_after);
                else if ((uint64_t) (end - now) * UINT64_C(1000000) <= t->expiry_warn_usec)
                        r = violation_add(v, n, l, NULL, VIOLATION_CERT_EXPIRING,
                                          "%s expires on %s, in %lld days", name, not_after,
                                          (long long) ((end - now) / 86400));
        }
        if (r >= 0 && key_weak(t, type, bits))
                r = violation_add(v, n, l, NULL, VIOLATION_KEY_WEAK, "%s has a %lld-bit %s key (MinKeyBits=%u)",
                                  name, bits, type, t->min_key_bits);
        if (r >= 0 && t->require_chain_verified && json_is_false(json_object_get(c, "chain_verified"))) {
                const char *why = json_string_value(json_object_get(c, "chain_error"));

                r = violation_add(v, n, l, NULL, VIOLATION_CHAIN_UNVERIFIED, "%s does not verify: %s",
                                  name, why ? why : "unknown reason");
        }
        if (r >= 0 && json_is_false(matches))
                r = violation_add(v, n, l, NULL, VIOLATION_CERT_STALE_ON_DISK,
                                  "%s differs from its file on disk: reload the server", name);
        for (size_t i = n0; r >= 0 && i < *n; i++) {
                (*v)[i].tls = tls;
                (*v)[i].cert = c;
        }
        return r;
}

int policy_check_tls(const policy *p, const sa_listener *l, const json_t *tls, time_t now, violation **v,
                     size_t *n)
{
        const char *status = json_string_value(json_object_get(tls, "status"));
        const policy_tls *t;
        const json_t *c, *ver;
        size_t i;
        int r = 0;

        if (!policy_tls_watches(p, l, &t) || !status || strcmp(status, "ok") != 0)
                return 0;
        json_array_foreach(json_object_get(tls, "versions"), i, ver) {
                int k = json_is_string(ver) ? policy_tls_version_from_string(json_string_value(ver)) : -1;

                if (k >= 0 && k < t->min_version) {
                        r = violation_add(v, n, l, NULL, VIOLATION_TLS_VERSION_WEAK,
                                          "accepts %s (MinTLSVersion=%s)", version_names[k],
                                          version_names[t->min_version]);
                        if (r < 0)
                                return r;
                        (*v)[*n - 1].tls = tls;
                }
        }
        json_array_foreach(json_object_get(tls, "certificates"), i, c) {
                r = check_cert(t, l, tls, c, now, v, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool has_string(const json_t *a, const char *s)
{
        const json_t *x;
        size_t i;

        json_array_foreach(a, i, x)
                if (json_is_string(x) && strcmp(json_string_value(x), s) == 0)
                        return true;
        return false;
}

/* Whether the string arrays a and b (no duplicates in b) hold the same strings. */
static bool same_strings(const json_t *a, const json_t *b)
{
        const json_t *x;
        size_t i;

        if (json_array_size(a) != json_array_size(b))
                return false;
        json_array_foreach(a, i, x)
                if (!json_is_string(x) || !has_string(b, json_string_value(x)))
                        return false;
        return true;
}

/* A TLS violation's identity in seen: its kind and certificate (sha256), or for a version its reason. */
static char *news_key(const violation *v)
{
        const char *sha = json_string_value(json_object_get(v->cert, "sha256"));
        char *k;

        if (asprintf(&k, "%s %s", violation_kind_name(v->kind), v->cert ? (sha ? sha : "?") : v->reason) < 0)
                return NULL;
        return k;
}

int policy_tls_news(const policy *p, const sa_listener *l, json_t *seen, const json_t *now, time_t t,
                    bool *ret_changed, violation **v, size_t *n)
{
        const char *status = json_string_value(json_object_get(now, "status"));
        const json_t *old_sha = json_object_get(seen, "sha256"), *c;
        _cleanup_json_ json_t *sha = NULL, *keys = NULL;
        size_t n0 = *n, w, i;
        int r = 0;

        *ret_changed = false;
        if (!status || strcmp(status, "ok") != 0)
                return 0;
        sha = json_array();
        keys = json_array();
        if (!sha || !keys)
                return -ENOMEM;
        json_array_foreach(json_object_get(now, "certificates"), i, c) {
                const char *h = json_string_value(json_object_get(c, "sha256"));

                if (h && !has_string(sha, h) && json_array_append_new(sha, json_string(h)) < 0)
                        return -ENOMEM;
        }
        r = policy_check_tls(p, l, now, t, v, n);
        /* keys gets each one's key; those seen already (or twice) are dropped. */
        for (i = w = n0; r >= 0 && i < *n; i++) {
                _cleanup_free_ char *k = news_key(&(*v)[i]);
                bool keep = k && !has_string(keys, k) && !has_string(json_object_get(seen, "violations"), k);

                if (!k || (!has_string(keys, k) && json_array_append_new(keys, json_string(k)) < 0))
                        r = -ENOMEM;
                if (keep)
                        (*v)[w++] = (*v)[i];
                else
                        free((*v)[i].reason);
        }
        for (; i < *n; i++)
                free((*v)[i].reason);
        *n = w;
        if (r < 0) {
                for (i = n0; i < *n; i++)
                        free((*v)[i].reason);
                *n = n0;
                return r;
        }
        *ret_changed = json_is_array(old_sha) && !same_strings(old_sha, sha);
        if (json_equal(old_sha, sha) && json_equal(json_object_get(seen, "violations"), keys))
                return 0;
        if (json_object_set(seen, "sha256", sha) < 0 || json_object_set(seen, "violations", keys) < 0)
                return -ENOMEM;
        return 1;
}
