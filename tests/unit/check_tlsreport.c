/* SPDX-License-Identifier: MIT */
/* lib/tlsreport.c: the child's report is hostile; only a well-formed one passes, rebuilt. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsprobe.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CERT_FIELDS(extra) \
        "{\"sni\":null,\"subject\":\"CN=a\",\"san\":[\"a\"],\"issuer\":\"CN=a\",\"serial\":\"01ff\"," \
        "\"not_before\":\"2026-01-01T00:00:00Z\",\"not_after\":\"2026-01-11T00:00:00Z\",\"days_left\":999," \
        "\"key_type\":\"RSA\",\"key_bits\":2048,\"signature_algorithm\":\"sha256WithRSAEncryption\"," \
        "\"self_signed\":true,\"chain_verified\":false,\"chain_error\":\"self-signed certificate\"," \
        "\"sha256\":\"" SHA "\"" extra "}"
#define REPORT(cert) "{\"status\":\"ok\",\"error\":null,\"versions\":[\"TLSv1.3\",\"TLSv1.2\"]," \
        "\"alpn\":\"h2\",\"certificates\":[" cert "]}"

/* 2026-01-01T00:00:00Z */
#define JAN1 ((time_t) 1767225600)

static int parse(const char *s, json_t **ret, char *err)
{
        return sa_tls_report_parse(s, strlen(s), JAN1, ret, err, 256);
}

START_TEST(good_report_rebuilt)
{
        char err[256] = "";
        json_t *o = NULL, *c;
        char *dump;

        ck_assert_int_eq(parse(REPORT(CERT_FIELDS("")), &o, err), 0);
        /* Documented order, probed_at left to the caller, versions in protocol order. */
        static const char want[] = "{\"status\":\"ok\",\"probed_at\":null,\"error\":null,"
                                   "\"versions\":[\"TLSv1.2\",\"TLSv1.3\"],\"alpn\":\"h2\",";
        dump = json_dumps(o, JSON_COMPACT);
        ck_assert_msg(!strncmp(dump, want, sizeof(want) - 1), "%s", dump);
        free(dump);
        c = json_array_get(json_object_get(o, "certificates"), 0);
        /* days_left is recomputed from not_after and now, not taken from the child. */
        ck_assert_int_eq(json_integer_value(json_object_get(c, "days_left")), 10);
        ck_assert(json_is_null(json_object_get(c, "sni")));
        json_decref(o);
}
END_TEST

START_TEST(not_tls_and_error_reports)
{
        char err[256];
        json_t *o = NULL;

        ck_assert_int_eq(parse("{\"status\":\"not_tls\",\"error\":\"the peer does not speak TLS\"}", &o, err), 0);
        ck_assert_str_eq(json_string_value(json_object_get(o, "status")), "not_tls");
        ck_assert_int_eq(json_array_size(json_object_get(o, "certificates")), 0);
        json_decref(o);
}
END_TEST

START_TEST(hostile_reports_refused)
{
        static const char *const bad[] = {
                "",
                "[]",
                "{\"status\":\"ok\",\"status\":\"error\"}",
                "{\"status\":\"pending\"}",
                "{\"status\":\"ok\",\"extra\":1}",
                "{\"status\":\"ok\",\"versions\":[\"SSLv3\"]}",
                "{\"status\":\"ok\",\"versions\":[\"TLSv1\",\"TLSv1\"]}",
                "{\"status\":\"ok\",\"alpn\":\"spdy/1\"}",
                "{\"status\":\"ok\",\"error\":\"a\\u0000b\"}",
                "{\"status\":\"ok\",\"certificates\":{}}",
                REPORT(CERT_FIELDS(",\"x\":1")),
                REPORT("{\"subject\":\"CN=a\"}"),
                "{\"status\":\"ok\",\"certificates\":[" CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") ","
                CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") ","
                CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") ","
                CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") "," CERT_FIELDS("") "]}",
        };
        char err[256];
        json_t *o = NULL;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                ck_assert_msg(parse(bad[i], &o, err) == -EBADMSG, "accepted #%zu", i);
                ck_assert_msg(err[0], "no reason for #%zu", i);
                ck_assert_ptr_null(o);
        }
}
END_TEST

/* A report whose certificate has field (a JSON fragment ending the object) replaced. */
static int with_field(const char *from, const char *to)
{
        char buf[4096], err[256];
        const char *good = REPORT(CERT_FIELDS(""));
        const char *at = strstr(good, from);
        json_t *o = NULL;
        int r;

        ck_assert_ptr_nonnull(at);
        snprintf(buf, sizeof(buf), "%.*s%s%s", (int) (at - good), good, to, at + strlen(from));
        r = parse(buf, &o, err);
        json_decref(o);
        return r;
}

START_TEST(certificate_fields_checked)
{
        char big[1100 + 16];

        ck_assert_int_eq(with_field("\"01ff\"", "\"01FF\""), -EBADMSG);
        ck_assert_int_eq(with_field("\"01ff\"", "\"-01ff\""), 0);
        ck_assert_int_eq(with_field("\"" SHA "\"", "\"0123\""), -EBADMSG);
        ck_assert_int_eq(with_field("\"RSA\"", "\"ROT13\""), -EBADMSG);
        ck_assert_int_eq(with_field("2048", "-1"), -EBADMSG);
        ck_assert_int_eq(with_field("2048", "\"2048\""), -EBADMSG);
        ck_assert_int_eq(with_field("\"2026-01-11T00:00:00Z\"", "\"2026-01-11 00:00:00\""), -EBADMSG);
        ck_assert_int_eq(with_field("\"2026-01-11T00:00:00Z\"", "\"2026-02-31T00:00:00Z\""), -EBADMSG);
        ck_assert_int_eq(with_field("\"2026-01-11T00:00:00Z\"", "null"), 0);
        ck_assert_int_eq(with_field("\"sha256WithRSAEncryption\"", "\"a\\nb\""), -EBADMSG);
        ck_assert_int_eq(with_field("\"chain_verified\":false", "\"chain_verified\":true"), -EBADMSG);
        ck_assert_int_eq(with_field("\"sni\":null", "\"sni\":\"a.example\""), 0);
        ck_assert_int_eq(with_field("\"self_signed\":true", "\"self_signed\":1"), -EBADMSG);
        ck_assert_int_eq(with_field("\"san\":[\"a\"]", "\"san\":[\"a\"],\"san_truncated\":false"), -EBADMSG);
        ck_assert_int_eq(with_field("\"san\":[\"a\"]", "\"san\":[\"a\"],\"san_truncated\":true"), 0);
        /* A subject past its bound (1,100 bytes). */
        snprintf(big, sizeof(big), "\"CN=%01096d\",\"san\"", 0);
        ck_assert_int_eq(with_field("\"CN=a\",\"san\"", big), -EBADMSG);
        snprintf(big, sizeof(big), "\"CN=%01000d\",\"san\"", 0);
        ck_assert_int_eq(with_field("\"CN=a\",\"san\"", big), 0);
}
END_TEST

START_TEST(size_bound)
{
        char err[256];
        json_t *o = NULL;
        size_t n = SA_TLS_REPORT_MAX + 1;
        char *s = malloc(n + 1);

        ck_assert_ptr_nonnull(s);
        memset(s, ' ', n);
        s[n] = '\0';
        ck_assert_int_eq(sa_tls_report_parse(s, n, JAN1, &o, err, sizeof(err)), -EBADMSG);
        free(s);
}
END_TEST

Suite *tlsreport_suite(void)
{
        Suite *s = suite_create("tlsreport");
        TCase *tc = tcase_create("tlsreport");

        tcase_add_test(tc, good_report_rebuilt);
        tcase_add_test(tc, not_tls_and_error_reports);
        tcase_add_test(tc, hostile_reports_refused);
        tcase_add_test(tc, certificate_fields_checked);
        tcase_add_test(tc, size_bound);
        suite_add_tcase(s, tc);
        return s;
}
