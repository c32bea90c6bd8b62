/* SPDX-License-Identifier: MIT */
/*
 * lib/tlscert.c: the facts of certificates made here by openssl(1), against
 * what openssl(1) says of them; and the probe's edges that need no server.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlscert.h"
#include "tlsprobe.h"

static char dir[] = "/tmp/sa-check-tlscert.XXXXXX";
static bool have_openssl;

static void setup(void)
{
        have_openssl = system("command -v openssl >/dev/null 2>&1") == 0;
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(dir, "/tmp/sa-check-tlscert.XXXXXX");
}

/* dir/NAME.pem made by `openssl req -x509 ARGS`; false (a skip) without openssl. */
static bool make_cert(const char *name, const char *args)
{
        char cmd[1024];

        if (!have_openssl) {
                fprintf(stderr, "SKIP: openssl(1) is not installed\n");
                return false;
        }
        snprintf(cmd, sizeof(cmd), "cd '%s' && openssl req -x509 -nodes -keyout %s.key -out %s.pem %s 2>/dev/null",
                 dir, name, name, args);
        ck_assert_int_eq(system(cmd), 0);
        return true;
}

/* The first line openssl x509 prints for dir/NAME.pem with OPTS, after its "key=" prefix. */
static void x509_says(const char *name, const char *opts, char *buf, size_t size)
{
        char cmd[512];
        FILE *f;
        char *eq;

        snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s/%s.pem' -noout %s", dir, name, opts);
        f = popen(cmd, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(buf, (int) size, f));
        pclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        eq = strchr(buf, '=');
        if (eq)
                memmove(buf, eq + 1, strlen(eq));
}

static json_t *facts(const char *name, time_t now)
{
        char path[256];
        json_t *o = NULL;

        snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
        ck_assert_int_eq(sa_tls_cert_file_facts(path, now, &o), 0);
        return o;
}

#define STR(o, k) json_string_value(json_object_get((o), (k)))
#define INT(o, k) json_integer_value(json_object_get((o), (k)))

START_TEST(rsa_facts_match_openssl)
{
        char want[256];
        json_t *o;

        if (!make_cert("rsa", "-newkey rsa:2048 -days 90 -subj '/CN=a.example/O=Org' "
                       "-addext subjectAltName=DNS:a.example,IP:192.0.2.1,IP:2001:db8::1"))
                return;
        o = facts("rsa", time(NULL));
        x509_says("rsa", "-nameopt RFC2253 -subject", want, sizeof(want));
        ck_assert_str_eq(STR(o, "subject"), want);
        ck_assert_str_eq(STR(o, "issuer"), want);
        x509_says("rsa", "-fingerprint -sha256", want, sizeof(want));
        for (char *p = want, *q = want;; p++) {
                if (*p != ':')
                        *q++ = (char) (*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
                if (!*p)
                        break;
        }
        ck_assert_str_eq(STR(o, "sha256"), want);
        ck_assert_str_eq(STR(o, "key_type"), "RSA");
        ck_assert_int_eq(INT(o, "key_bits"), 2048);
        ck_assert_str_eq(STR(o, "signature_algorithm"), "sha256WithRSAEncryption");
        ck_assert_int_eq(json_array_size(json_object_get(o, "san")), 3);
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "san"), 1)), "192.0.2.1");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "san"), 2)), "2001:db8::1");
        ck_assert(json_is_true(json_object_get(o, "self_signed")));
        ck_assert(json_is_false(json_object_get(o, "chain_verified")));
        ck_assert_str_eq(STR(o, "chain_error"), "self-signed certificate");
        ck_assert_int_ge(INT(o, "days_left"), 89);
        ck_assert_int_le(INT(o, "days_left"), 90);
        ck_assert_ptr_null(json_object_get(o, "subject_truncated"));
        json_decref(o);
}
END_TEST

START_TEST(ec_and_ed25519_keys)
{
        json_t *o;

        if (!make_cert("ec", "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 5 -subj /CN=ec.example") ||
            !make_cert("ed", "-newkey ed25519 -days 5 -subj /CN=ed.example"))
                return;
        o = facts("ec", time(NULL));
        ck_assert_str_eq(STR(o, "key_type"), "EC");
        ck_assert_int_eq(INT(o, "key_bits"), 256);
        ck_assert_str_eq(STR(o, "signature_algorithm"), "ecdsa-with-SHA256");
        json_decref(o);
        o = facts("ed", time(NULL));
        ck_assert_str_eq(STR(o, "key_type"), "Ed25519");
        ck_assert_str_eq(STR(o, "subject"), "CN=ed.example");
        json_decref(o);
}
END_TEST

START_TEST(days_left_from_now)
{
        time_t na;
        json_t *o;
        struct tm tm = { 0 };

        if (!make_cert("d", "-newkey rsa:1024 -days 10 -subj /CN=d"))
                return;
        o = facts("d", 0);
        ck_assert_ptr_nonnull(strptime(STR(o, "not_after"), "%Y-%m-%dT%H:%M:%SZ", &tm));
        na = timegm(&tm);
        json_decref(o);
        o = facts("d", na + 1);         /* expired a second ago */
        ck_assert_int_eq(INT(o, "days_left"), -1);
        ck_assert(json_is_false(json_object_get(o, "chain_verified")));
        json_decref(o);
        ck_assert_int_eq(sa_tls_days_left(na, na - 86399), 0);
        ck_assert_int_eq(sa_tls_days_left(na, na - 86400), 1);
        ck_assert_int_eq(sa_tls_days_left(na, na + 86400), -1);
        ck_assert_int_eq(sa_tls_days_left(na, na + 86401), -2);
}
END_TEST

START_TEST(long_subject_cut_and_marked)
{
        char cmd[512];
        json_t *o;

        if (!have_openssl)
                return;
        /* 100 OUs of 40 bytes: a 4 KB subject. */
        snprintf(cmd, sizeof(cmd), "cd '%s' && { printf '[req]\\ndistinguished_name=dn\\nprompt=no\\n[dn]\\n';"
                 " for i in $(seq 1 100); do echo \"$i.OU=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"; done;"
                 " echo 'CN=x'; } > l.cnf", dir);
        ck_assert_int_eq(system(cmd), 0);
        if (!make_cert("l", "-newkey rsa:1024 -days 1 -config l.cnf"))
                return;
        o = facts("l", time(NULL));
        ck_assert_uint_le(strlen(STR(o, "subject")), SA_TLS_NAME_MAX);
        ck_assert(json_is_true(json_object_get(o, "subject_truncated")));
        ck_assert(!strncmp(STR(o, "subject"), "CN=x,OU=aaaa", 12));
        json_decref(o);
}
END_TEST

START_TEST(file_errors)
{
        char path[256];
        json_t *o = NULL;
        FILE *f;

        ck_assert_int_eq(sa_tls_cert_file_facts("/nonexistent/x.pem", 0, &o), -ENOENT);
        ck_assert_int_eq(sa_tls_cert_file_facts(dir, 0, &o), -EINVAL);
        snprintf(path, sizeof(path), "%s/junk.pem", dir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
        fclose(f);
        ck_assert_int_eq(sa_tls_cert_file_facts(path, 0, &o), -EBADMSG);
        ck_assert_ptr_null(o);
}
END_TEST

/* A TCP socket on 127.0.0.1 that listens (accept: never): its port. */
static int listening(int *ret_fd, bool listen_too)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        if (listen_too)
                ck_assert_int_eq(listen(fd, 4), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        *ret_fd = fd;
        return ntohs(a.sin_port);
}

/* The helper beside the build's programs: BUILD/tests/unit-tests -> BUILD/sockaudit-tlsprobe. */
static const char *helper_path(char *buf, size_t size)
{
        ssize_t n = readlink("/proc/self/exe", buf, size - 32);

        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        *strrchr(buf, '/') = '\0';
        strcat(buf, "/../sockaudit-tlsprobe");
        return buf;
}

START_TEST(probe_refused_and_timeout)
{
        char helper[4096];
        sa_tls_target t = { .netns_fd = -1, .family = AF_INET, .addr = { 127, 0, 0, 1 }, .timeout_ms = 300,
                            .helper = helper_path(helper, sizeof(helper)) };
        json_t *o;
        int fd;

        /* Bound, not listening: refused at once. */
        t.port = (uint16_t) listening(&fd, false);
        o = sa_tls_probe_run(&t);
        ck_assert_ptr_nonnull(o);
        ck_assert_str_eq(STR(o, "status"), "error");
        ck_assert_str_eq(STR(o, "error"), "connect: Connection refused");
        ck_assert_ptr_nonnull(STR(o, "probed_at"));
        json_decref(o);
        close(fd);
        /* Listening, never accepting or answering: timeout. */
        t.port = (uint16_t) listening(&fd, true);
        o = sa_tls_probe_run(&t);
        ck_assert_str_eq(STR(o, "status"), "error");
        ck_assert_str_eq(STR(o, "error"), "timeout");
        json_decref(o);
        close(fd);
        /* A bad target never forks; no helper, no probe. */
        sa_tls_probe *p = NULL;
        t.helper = "/nonexistent/sockaudit-tlsprobe";
        ck_assert_int_eq(sa_tls_probe_start(&t, &p), -ENOENT);
        o = sa_tls_probe_run(&t);
        ck_assert_str_eq(STR(o, "error"), "the probe could not start: No such file or directory");
        json_decref(o);
        t.family = AF_UNIX;
        ck_assert_int_eq(sa_tls_probe_start(&t, &p), -EINVAL);
        ck_assert_ptr_null(p);
}
END_TEST

Suite *tlscert_suite(void)
{
        Suite *s = suite_create("tlscert");
        TCase *tc = tcase_create("tlscert");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, rsa_facts_match_openssl);
        tcase_add_test(tc, ec_and_ed25519_keys);
        tcase_add_test(tc, days_left_from_now);
        tcase_add_test(tc, long_subject_cut_and_marked);
        tcase_add_test(tc, file_errors);
        tcase_add_test(tc, probe_refused_and_timeout);
        suite_add_tcase(s, tc);
        return s;
}
