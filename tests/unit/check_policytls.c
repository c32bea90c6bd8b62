/* SPDX-License-Identifier: MIT */
/* daemon/policytls.c and the TLS keys of daemon/config.c: which listeners are probed, what violates. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "policy.h"

#define NOW ((time_t) 1796612400) /* 2026-12-07T03:00:00Z */

static daemon_config *load(const char *text)
{
        daemon_config *c = NULL;
        char err[256] = "";

        ck_assert_msg(config_load_string(text, "test.conf", err, sizeof err, &c) == 0, "%s", err);
        return c;
}

static bool refused(const char *text)
{
        daemon_config *c = NULL;
        char err[256] = "";
        int r = config_load_string(text, "test.conf", err, sizeof err, &c);

        config_free(c);
        return r == -EINVAL && err[0];
}

/* A tls object: ok, versions, one certificate. */
static json_t *tls_of(const char *versions_json, const char *key_type, int bits, const char *not_after,
                      bool verified, int matches)
{
        json_t *c = json_pack("{s:n,s:s,s:i,s:s,s:b,s:s,s:s}", "sni", "key_type", key_type, "key_bits", bits,
                              "not_after", not_after, "chain_verified", verified, "chain_error",
                              verified ? "" : "self-signed certificate", "sha256", "ab");
        json_t *t;

        if (matches >= 0)
                json_object_set_new(c, "config", json_pack("{s:b}", "matches", matches));
        t = json_pack("{s:s,s:o,s:[o]}", "status", "ok", "versions", json_loads(versions_json, 0, NULL),
                      "certificates", c);
        ck_assert_ptr_nonnull(t);
        return t;
}

static unsigned kinds(const policy *p, const sa_listener *l, const json_t *tls)
{
        violation *v = NULL;
        size_t n = 0;
        unsigned mask = 0;

        ck_assert_int_eq(policy_check_tls(p, l, tls, NOW, &v, &n), 0);
        for (size_t i = 0; i < n; i++) {
                mask |= 1u << v[i].kind;
                ck_assert_ptr_eq(v[i].tls, tls);
        }
        violations_free(v, n);
        return mask;
}

#define K(x) (1u << (x))

START_TEST(defaults_and_keys)
{
        daemon_config *c = load("[Daemon]\nPorts=443 8443\n");
        sa_listener l443 = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443 };
        sa_listener u443 = { .proto = IPPROTO_UDP, .family = AF_INET, .port = 443 };
        sa_listener l8443 = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 8443 };

        ck_assert(policy_tls_watches(&c->policy, &l443, NULL));
        ck_assert(!policy_tls_watches(&c->policy, &u443, NULL));
        ck_assert(!policy_tls_watches(&c->policy, &l8443, NULL));
        ck_assert_uint_eq(c->tls_interval_usec, UINT64_C(6) * 3600 * 1000000);
        ck_assert_uint_eq(c->tls_timeout_usec, UINT64_C(5) * 1000000);
        ck_assert_uint_eq(c->tls_probes_max, 4);
        config_free(c);

        c = load("[Daemon]\nTLSInterval=1h\nTLSTimeout=2s\nTLSProbesMax=2\n[Port 8443/tcp]\nTLS=yes\n"
                 "CertExpiryWarn=30d\nMinTLSVersion=TLSv1.3\nMinKeyBits=3072\nRequireChainVerified=no\n"
                 "[Port 443/tcp]\nTLS=no\n");
        ck_assert(!policy_tls_watches(&c->policy, &l443, NULL));
        ck_assert(policy_tls_watches(&c->policy, &l8443, NULL));
        ck_assert_uint_eq(c->tls_interval_usec, UINT64_C(3600) * 1000000);
        ck_assert_uint_eq(c->tls_probes_max, 2);
        ck_assert_uint_eq(c->policy.rules[0].tls.expiry_warn_usec, UINT64_C(30) * 86400 * 1000000);
        ck_assert_int_eq(c->policy.rules[0].tls.min_version, 3);
        ck_assert_uint_eq(c->policy.rules[0].tls.min_key_bits, 3072);
        ck_assert(!c->policy.rules[0].tls.require_chain_verified);
        config_free(c);

        ck_assert(refused("[Port 443/udp]\nTLS=yes\n"));
        ck_assert(refused("[Port 443/tcp]\nMinTLSVersion=SSLv3\n"));
        ck_assert(refused("[Port 443/tcp]\nMinKeyBits=0\n"));
        ck_assert(refused("[Daemon]\nTLSProbesMax=65\n"));
        ck_assert(refused("[Daemon]\nTLSTimeout=2min\n"));
}
END_TEST

START_TEST(violations)
{
        daemon_config *c = load("[Port 443/tcp]\nMinKeyBits=2048\n");
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443 };
        json_t *t;

        t = tls_of("[\"TLSv1.2\",\"TLSv1.3\"]", "RSA", 2048, "2027-12-01T00:00:00Z", true, -1);
        ck_assert_uint_eq(kinds(&c->policy, &l, t), 0);
        json_decref(t);

        t = tls_of("[\"TLSv1\",\"TLSv1.2\"]", "RSA", 1024, "2025-02-01T00:00:00Z", false, 0);
        ck_assert_uint_eq(kinds(&c->policy, &l, t), K(VIOLATION_TLS_VERSION_WEAK) | K(VIOLATION_KEY_WEAK) |
                                                   K(VIOLATION_CERT_EXPIRED) | K(VIOLATION_CHAIN_UNVERIFIED) |
                                                   K(VIOLATION_CERT_STALE_ON_DISK));
        json_decref(t);

        /* 5 days left: within the default 21; a P-256 key is not weak. */
        t = tls_of("[\"TLSv1.3\"]", "EC", 256, "2026-12-12T00:00:00Z", true, 1);
        ck_assert_uint_eq(kinds(&c->policy, &l, t), K(VIOLATION_CERT_EXPIRING));
        json_decref(t);

        /* Not ok, or not probed: nothing. */
        t = json_pack("{s:s}", "status", "error");
        ck_assert_uint_eq(kinds(&c->policy, &l, t), 0);
        ck_assert_uint_eq(kinds(&c->policy, &l, NULL), 0);
        json_decref(t);
        config_free(c);
}
END_TEST

/* policy_tls_news() of now against seen at t: the kinds it says are new; *changed. */
static unsigned news(const policy *p, const sa_listener *l, json_t *seen, const json_t *now, time_t t,
                     bool *changed)
{
        violation *v = NULL;
        size_t n = 0;
        unsigned mask = 0;

        ck_assert_int_ge(policy_tls_news(p, l, seen, now, t, changed, &v, &n), 0);
        for (size_t i = 0; i < n; i++)
                mask |= 1u << v[i].kind;
        violations_free(v, n);
        return mask;
}

static json_t *with_sha(json_t *tls, const char *sha)
{
        json_object_set_new(json_array_get(json_object_get(tls, "certificates"), 0), "sha256", json_string(sha));
        return tls;
}

START_TEST(news_once)
{
        daemon_config *c = load("[Port 443/tcp]\nMinKeyBits=2048\n");
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443 };
        json_t *seen = json_object(), *weak, *later, *failed, *copy;
        char *text;
        violation *v = NULL;
        size_t n = 0;
        bool changed = true;

        /* The first answer: everything is news, nothing "changed". */
        weak = tls_of("[\"TLSv1\",\"TLSv1.2\"]", "RSA", 1024, "2027-12-01T00:00:00Z", false, -1);
        ck_assert_uint_eq(news(&c->policy, &l, seen, weak, NOW, &changed),
                          K(VIOLATION_TLS_VERSION_WEAK) | K(VIOLATION_KEY_WEAK) | K(VIOLATION_CHAIN_UNVERIFIED));
        ck_assert(!changed);
        /* The same again, a failed probe, the same after it: nothing, and seen unchanged. */
        ck_assert_uint_eq(news(&c->policy, &l, seen, weak, NOW + 3600, &changed), 0);
        failed = json_pack("{s:s}", "status", "timeout");
        ck_assert_int_eq(policy_tls_news(&c->policy, &l, seen, failed, NOW, &changed, &v, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert(!changed);
        ck_assert_uint_eq(news(&c->policy, &l, seen, weak, NOW, &changed), 0);
        /* After a restart: seen read back from the baseline's JSON. */
        text = json_dumps(seen, 0);
        copy = json_loads(text, 0, NULL);
        free(text);
        ck_assert_uint_eq(news(&c->policy, &l, copy, weak, NOW + 86400, &changed), 0);
        ck_assert(!changed);

        /* Expiring once it comes within CertExpiryWarn= (21 days), once; expired once. */
        later = tls_of("[\"TLSv1.2\"]", "RSA", 2048, "2027-01-06T03:00:00Z", true, -1);   /* NOW + 30 d */
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW, &changed), 0);
        ck_assert(!changed);   /* both are sha256 "ab" */
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW + 10 * 86400, &changed), K(VIOLATION_CERT_EXPIRING));
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW + 11 * 86400, &changed), 0);
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW + 31 * 86400, &changed), K(VIOLATION_CERT_EXPIRED));
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW + 32 * 86400, &changed), 0);

        /* Another certificate: changed, and its violations are its own. */
        with_sha(later, "cd");
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW + 32 * 86400, &changed), K(VIOLATION_CERT_EXPIRED));
        ck_assert(changed);
        ck_assert_uint_eq(news(&c->policy, &l, copy, later, NOW + 32 * 86400, &changed), 0);
        ck_assert(!changed);
        json_decref(seen);
        json_decref(copy);
        json_decref(weak);
        json_decref(later);
        json_decref(failed);
        config_free(c);
}
END_TEST

Suite *policytls_suite(void)
{
        Suite *s = suite_create("policytls");
        TCase *tc = tcase_create("policytls");

        tcase_add_test(tc, defaults_and_keys);
        tcase_add_test(tc, violations);
        tcase_add_test(tc, news_once);
        suite_add_tcase(s, tc);
        return s;
}
