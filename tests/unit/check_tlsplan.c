/* SPDX-License-Identifier: MIT */
/*
 * lib/tlsplan.c: the names asked for and served vs on disk, on a fake
 * /proc (an nginx master, its worker, a non-server) whose root holds a
 * config and certificates made by openssl(1), against `tls` objects
 * written here as a probe would report them.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proc_fixture.h"
#include "tlsplan.h"

static char *proc;              /* the fake /proc; the server's root is proc/srv */
static char sha_a[65], sha_b[65], sha_d2[65];

/* proc/srv/NAME holding text. */
static void put(const char *name, const char *text)
{
        char path[4096];
        FILE *f;

        snprintf(path, sizeof path, "%s/srv/%s", proc, name);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

/* Makes proc/srv/c/NAME.pem and its SHA-256 (of the DER) into sha. false when openssl cannot. */
static bool make_cert(const char *name, char *sha)
{
        char cmd[8192], path[4096];
        FILE *f;
        bool ok;

        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=%s"
                 " -keyout %s/srv/c/%s.key -out %s/srv/c/%s.pem 2>/dev/null &&"
                 " openssl x509 -in %s/srv/c/%s.pem -outform DER | sha256sum | cut -c1-64 > %s/srv/c/%s.sha",
                 name, proc, name, proc, name, proc, name, proc, name);
        if (system(cmd) != 0)
                return false;
        snprintf(path, sizeof path, "%s/srv/c/%s.sha", proc, name);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ok = fgets(sha, 65, f) && strlen(sha) == 64;
        fclose(f);
        return ok;
}

static void setup(void)
{
        static const char master[] = "nginx: master process /usr/sbin/nginx -c /etc/nginx/t.conf";
        static const char worker[] = "nginx: worker process";
        char path[4096];

        proc = pfx_new();
        pfx_mkdir(proc, "srv");
        pfx_mkdir(proc, "srv/etc");
        pfx_mkdir(proc, "srv/etc/nginx");
        pfx_mkdir(proc, "srv/c");
        snprintf(path, sizeof path, "%s/srv", proc);
        pfx_process(proc, 100, "nginx", "/usr/sbin/nginx", 1, 0, "/");
        pfx_file(proc, 100, "cmdline", master, sizeof master);
        pfx_link(proc, 100, "root", path);
        pfx_process(proc, 101, "nginx", "/usr/sbin/nginx", 100, 33, "/");
        pfx_file(proc, 101, "cmdline", worker, sizeof worker);
        pfx_link(proc, 101, "root", path);
        pfx_process(proc, 102, "sleep", "/usr/bin/sleep", 1, 0, "/");
        pfx_link(proc, 102, "root", path);
        put("etc/nginx/t.conf",
            "events {}\n"
            "http {\n"
            "  server { listen 443 ssl default_server; server_name a.test; ssl_certificate /c/a.pem; }\n"
            "  server { listen 443 ssl; server_name b.test *.w.test; ssl_certificate /c/b.pem; }\n"
            "  server { listen 443 ssl; server_name c.test; ssl_certificate /c/missing.pem; }\n"
            "  server { listen 443 ssl; server_name d.test; ssl_certificate /c/d.pem;"
            " ssl_certificate /c/d2.pem; }\n"
            "  server { listen 443 ssl; server_name e.test; ssl_certificate /c/e.pem; }\n"
            "}\n");
}

static void teardown(void)
{
        pfx_free(proc);
        proc = NULL;
}

/* A certificate object as the probe reports one (only what the plan reads). */
static json_t *cert(const char *sni, const char *sha256, const char *san)
{
        return json_pack("{s:o, s:s, s:o}", "sni", sni ? json_string(sni) : json_null(), "sha256", sha256,
                         "san", san ? json_pack("[s]", san) : json_array());
}

START_TEST(names_of_master_and_worker_once)
{
        pid_t pids[] = { 102, 101, 100, 99999 };
        sa_tls_plan *p = NULL;
        const char *const *sni;
        size_t n = 0;

        ck_assert_int_eq(sa_tls_plan_new(proc, pids, 4, 443, &p), 0);
        sni = sa_tls_plan_sni(p, &n);
        /* The default server's first, no wildcard, the worker and its master read once. */
        ck_assert_uint_eq(n, 5);
        ck_assert_str_eq(sni[0], "a.test");
        ck_assert_str_eq(sni[1], "b.test");
        ck_assert_str_eq(sni[2], "c.test");
        ck_assert_str_eq(sni[3], "d.test");
        ck_assert_str_eq(sni[4], "e.test");
        sa_tls_plan_free(p);
        /* Another port: no TLS server there, nothing to ask for. */
        ck_assert_int_eq(sa_tls_plan_new(proc, pids, 4, 8443, &p), 0);
        sa_tls_plan_sni(p, &n);
        ck_assert_uint_eq(n, 0);
        sa_tls_plan_free(p);
}
END_TEST

START_TEST(served_vs_on_disk)
{
        static const char old[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        char e_sha[65];
        pid_t pid = 100;
        sa_tls_plan *p = NULL;
        json_t *tls, *certs, *c, *stale, *errs;
        char *before;

        if (!make_cert("a", sha_a) || !make_cert("b", sha_b) || !make_cert("d", e_sha) ||
            !make_cert("d2", sha_d2) || !make_cert("e", e_sha)) {
                printf("SKIP: served_vs_on_disk: openssl could not make certificates\n");
                return;
        }
        ck_assert_int_eq(sa_tls_plan_new(proc, &pid, 1, 443, &p), 0);
        /* a: the default, matches; b: served an old one (stale); d: its second file is served;
           e: asked for by name, found by its san (sni taken by a first name). */
        tls = json_pack("{s:s, s:[o, o, o, o]}", "status", "ok", "certificates",
                        cert(NULL, sha_a, NULL), cert("b.test", old, NULL), cert("d.test", sha_d2, NULL),
                        cert("x.test", e_sha, "e.test"));
        ck_assert_ptr_nonnull(tls);
        ck_assert_int_eq(sa_tls_plan_compare(p, tls), 0);
        certs = json_object_get(tls, "certificates");

        c = json_object_get(json_array_get(certs, 0), "config");
        ck_assert_str_eq(json_string_value(json_object_get(c, "file")), "/c/a.pem");
        ck_assert_str_eq(json_string_value(json_object_get(c, "server_file")), "/etc/nginx/t.conf");
        ck_assert_int_eq(json_integer_value(json_object_get(c, "line")), 3);
        ck_assert(json_is_true(json_object_get(c, "matches")));
        ck_assert_str_eq(json_string_value(json_object_get(c, "on_disk_sha256")), sha_a);

        c = json_object_get(json_array_get(certs, 1), "config");
        ck_assert(json_is_false(json_object_get(c, "matches")));
        ck_assert_str_eq(json_string_value(json_object_get(c, "on_disk_sha256")), sha_b);

        c = json_object_get(json_array_get(certs, 2), "config");
        ck_assert_str_eq(json_string_value(json_object_get(c, "file")), "/c/d2.pem");
        ck_assert(json_is_true(json_object_get(c, "matches")));

        c = json_object_get(json_array_get(certs, 3), "config");
        ck_assert_str_eq(json_string_value(json_object_get(c, "file")), "/c/e.pem");
        ck_assert(json_is_true(json_object_get(c, "matches")));

        stale = json_object_get(tls, "stale_on_disk");
        ck_assert_uint_eq(json_array_size(stale), 1);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(stale, 0), "sni")), "b.test");
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(stale, 0), "served_sha256")), old);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(stale, 0), "on_disk_sha256")), sha_b);

        errs = json_object_get(tls, "config_errors");
        ck_assert_uint_eq(json_array_size(errs), 1);
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(errs, 0), "file")), "/c/missing.pem");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_array_get(errs, 0), "reason")),
                                     "No such file"));

        /* A second comparison gives the same object. */
        before = json_dumps(tls, JSON_SORT_KEYS);
        ck_assert_int_eq(sa_tls_plan_compare(p, tls), 0);
        {
                char *after = json_dumps(tls, JSON_SORT_KEYS);
                ck_assert_str_eq(before, after);
                free(after);
        }
        free(before);
        json_decref(tls);

        /* A failed probe: nothing compared, the config errors still said. */
        tls = json_pack("{s:s, s:s, s:[]}", "status", "error", "error", "timeout", "certificates");
        ck_assert_int_eq(sa_tls_plan_compare(p, tls), 0);
        ck_assert_ptr_null(json_object_get(tls, "stale_on_disk"));
        ck_assert_ptr_null(json_object_get(tls, "config_errors"));
        json_decref(tls);
        sa_tls_plan_free(p);
}
END_TEST

START_TEST(broken_config_is_an_error_not_a_failure)
{
        pid_t pid = 100;
        sa_tls_plan *p = NULL;
        json_t *tls;
        size_t n = 9;

        put("etc/nginx/t.conf", "http { server { listen 443 ssl; server_name ok.test; include /nope/*.conf; }\n");
        ck_assert_int_eq(sa_tls_plan_new(proc, &pid, 1, 443, &p), 0);
        sa_tls_plan_sni(p, &n);
        ck_assert_uint_eq(n, 1);
        tls = json_pack("{s:s, s:[]}", "status", "ok", "certificates");
        ck_assert_int_eq(sa_tls_plan_compare(p, tls), 0);
        ck_assert_uint_ge(json_array_size(json_object_get(tls, "config_errors")), 1);
        /* Nothing was compared: no file named. */
        ck_assert_ptr_null(json_object_get(tls, "stale_on_disk"));
        json_decref(tls);
        sa_tls_plan_free(p);
}
END_TEST

Suite *tlsplan_suite(void)
{
        Suite *s = suite_create("tlsplan");
        TCase *tc = tcase_create("plan");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, names_of_master_and_worker_once);
        tcase_add_test(tc, served_vs_on_disk);
        tcase_add_test(tc, broken_config_is_an_error_not_a_failure);
        suite_add_tcase(s, tc);
        return s;
}
