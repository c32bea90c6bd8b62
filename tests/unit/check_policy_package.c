/* SPDX-License-Identifier: MIT */
/*
 * The package checks of the policy (daemon/policy.c): RequirePackage= and
 * AllowPackage= against owners carrying a provenance verdict, on synthetic
 * listeners (docs/CONFIG.md, docs/PROVENANCE.md).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

#define SHA "6f1e0c1b2a3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7"

static const sa_exe_provenance verified = {
        .status = SA_PROV_VERIFIED, .exe_sha256 = SHA, .package = "nginx", .version = "1.22.1-9+deb12u1",
        .architecture = "amd64", .reason = "/usr/sbin/nginx from nginx 1.22.1-9+deb12u1, verified against the package" };
static const sa_exe_provenance modified = {
        .status = SA_PROV_MODIFIED, .exe_sha256 = SHA, .package = "nginx", .version = "1.22.1-9+deb12u1",
        .architecture = "amd64", .reason = "/usr/sbin/nginx differs from what nginx 1.22.1-9+deb12u1 shipped" };
static const sa_exe_provenance in_tmp = {
        .status = SA_PROV_NOT_PACKAGED, .location = SA_EXE_TMP, .exe_sha256 = SHA,
        .reason = "no installed package ships /tmp/python3" };
static const sa_exe_provenance upgraded = {
        .status = SA_PROV_DELETED, .location = SA_EXE_DELETED, .package = "nginx", .version = "1.22.1-9+deb12u1",
        .reason = "image deleted on disk; /usr/sbin/nginx belongs to nginx 1.22.1-9+deb12u1: needs restart" };
static const sa_exe_provenance self_deleted = {
        .status = SA_PROV_DELETED, .location = SA_EXE_DELETED,
        .reason = "image deleted on disk; no installed package ships its path" };
static const sa_exe_provenance no_md5sums = {
        .status = SA_PROV_UNVERIFIABLE, .package = "libfoo:amd64", .version = "2", .architecture = "amd64",
        .reason = "libfoo:amd64 has no md5sums file" };
static const sa_exe_provenance container = {
        .status = SA_PROV_UNVERIFIABLE, .reason = "runs in another root (a container)" };

static sa_process owner(const char *exe, const sa_exe_provenance *pv)
{
        return (sa_process) { .pid = 812, .comm = "nginx", .exe = (char *) exe, .user = "root",
                              .provenance = pv };
}

static sa_listener tcp443(sa_holder *h, size_t n)
{
        sa_listener l = { .proto = IPPROTO_TCP, .port = 443, .family = AF_INET, .holders = h, .n_holders = n };
        return l;
}

/* [Port 443/tcp] RequirePackage=require, AllowPackage=allow (space-separated, NULL: unset). */
static void package_policy(policy *p, bool require, const char *allow)
{
        memset(p, 0, sizeof *p);
        p->protos = SA_PROTO_ANY;
        p->rules = calloc(1, sizeof *p->rules);
        p->n_rules = 1;
        p->rules[0] = (policy_rule) { .port = 443, .proto = IPPROTO_TCP, .require_package = require };
        if (allow) {
                char *copy = strdup(allow), *save = NULL;
                for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                        ck_assert_int_eq(policy_list_add(&p->rules[0].allow_package, w), 0);
                free(copy);
        }
}

/* The violations of one owner on 443/tcp; their count, *v to free. */
static size_t judge(const policy *p, sa_process *proc, violation **v)
{
        sa_holder h[1] = { { .proc = proc } };
        sa_listener l = tcp443(h, 1);
        size_t n = 0;

        *v = NULL;
        ck_assert_int_eq(policy_check_listener(p, &l, v, &n), 0);
        return n;
}

/* One violation of kind, its reason; freed here. */
static void expect_one(const policy *p, sa_process *proc, violation_kind kind, const char *reason)
{
        violation *v;
        size_t n = judge(p, proc, &v);

        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(violation_kind_name(v[0].kind), violation_kind_name(kind));
        ck_assert_ptr_eq(v[0].owner, proc);
        ck_assert_str_eq(v[0].reason, reason);
        violations_free(v, n);
}

static void expect_none(const policy *p, sa_process *proc)
{
        violation *v;
        size_t n = judge(p, proc, &v);

        ck_assert_msg(n == 0, "unexpected: %s", n ? v[0].reason : "");
        violations_free(v, n);
}

START_TEST(require_package_verdicts)
{
        policy p;
        sa_process ok = owner("/usr/sbin/nginx", &verified), mod = owner("/usr/sbin/nginx", &modified),
                   tmp = owner("/tmp/python3", &in_tmp), up = owner("/usr/sbin/nginx", &upgraded),
                   gone = owner("/tmp/.x", &self_deleted), unv = owner("/usr/bin/foo", &no_md5sums);

        package_policy(&p, true, NULL);
        expect_none(&p, &ok);
        expect_one(&p, &mod, VIOLATION_EXE_MODIFIED, "owner nginx[812] runs /usr/sbin/nginx, which differs from "
                   "what nginx 1.22.1-9+deb12u1 shipped (modified; RequirePackage=yes)");
        expect_one(&p, &tmp, VIOLATION_EXE_NOT_PACKAGED, "owner nginx[812] runs /tmp/python3, which no installed "
                   "package ships (tmp image; RequirePackage=yes)");
        /* Upgraded under it: a restart is due, which exe_deleted says; nothing more here. */
        expect_none(&p, &up);
        up.exe_deleted = true;
        expect_one(&p, &up, VIOLATION_EXE_DELETED, "owner nginx[812] runs a deleted executable /usr/sbin/nginx");
        /* Deleted and shipped by nothing: the dropped-and-deleted case. */
        expect_one(&p, &gone, VIOLATION_EXE_NOT_PACKAGED, "owner nginx[812] runs /tmp/.x, which no installed "
                   "package ships (deleted image; RequirePackage=yes)");
        expect_one(&p, &unv, VIOLATION_EXE_UNVERIFIABLE, "owner nginx[812] runs /usr/bin/foo, which cannot be "
                   "verified: libfoo:amd64 has no md5sums file (RequirePackage=yes)");
        /* RequirePackage=no: the verdict alone raises nothing. */
        p.rules[0].require_package = false;
        expect_none(&p, &mod);
        expect_none(&p, &tmp);
        policy_clear(&p);
}
END_TEST

START_TEST(allow_package_names)
{
        policy p;
        sa_process ok = owner("/usr/sbin/nginx", &verified), tmp = owner("/tmp/python3", &in_tmp),
                   multiarch = owner("/usr/bin/foo", &no_md5sums), ct = owner("/usr/sbin/nginx", &container),
                   mod = owner("/usr/sbin/nginx", &modified);

        package_policy(&p, false, "apache2 lib*");
        expect_one(&p, &ok, VIOLATION_PACKAGE, "owner nginx[812] not allowed: package nginx is not in AllowPackage");
        /* "libfoo:amd64" is libfoo: the multiarch qualifier is ignored. */
        expect_none(&p, &multiarch);
        expect_one(&p, &tmp, VIOLATION_PACKAGE, "owner nginx[812] not allowed: /tmp/python3 is from no known "
                   "package (not_packaged: no installed package ships /tmp/python3), not in AllowPackage");
        expect_one(&p, &ct, VIOLATION_PACKAGE, "owner nginx[812] not allowed: /usr/sbin/nginx is from no known "
                   "package (unverifiable: runs in another root (a container)), not in AllowPackage");
        policy_clear(&p);

        /* The name is what AllowPackage checks; the bytes are RequirePackage's. */
        package_policy(&p, false, "nginx");
        expect_none(&p, &ok);
        expect_none(&p, &mod);
        p.rules[0].require_package = true;
        expect_one(&p, &mod, VIOLATION_EXE_MODIFIED, "owner nginx[812] runs /usr/sbin/nginx, which differs from "
                   "what nginx 1.22.1-9+deb12u1 shipped (modified; RequirePackage=yes)");
        /* Both keys refuse an image in /tmp: one violation each. */
        violation *v;
        size_t n = judge(&p, &tmp, &v);
        ck_assert_uint_eq(n, 2);
        ck_assert_str_eq(violation_kind_name(v[0].kind), "exe_not_packaged");
        ck_assert_str_eq(violation_kind_name(v[1].kind), "package_not_allowed");
        violations_free(v, n);
        policy_clear(&p);
}
END_TEST

/* Not checked yet (NULL), incomplete, or no section: the package keys say nothing. */
START_TEST(unknown_verdict_raises_nothing)
{
        policy p;
        sa_process pending = owner("/tmp/python3", NULL), incomplete = owner("/tmp/python3", &in_tmp);

        incomplete.incomplete = true;
        package_policy(&p, true, "nginx");
        expect_none(&p, &pending);
        expect_none(&p, &incomplete);
        /* Watched through Ports= only (another port): no rule, no package check. */
        sa_process tmp = owner("/tmp/python3", &in_tmp);
        sa_holder h[1] = { { .proc = &tmp } };
        sa_listener l = tcp443(h, 1);
        uint16_t port = 8443;
        violation *v = NULL;
        size_t n = 0;
        l.port = port;
        p.ports = malloc(sizeof port);
        p.ports[0] = port;
        p.n_ports = 1;
        ck_assert(policy_watches(&p, &l));
        ck_assert_int_eq(policy_check_listener(&p, &l, &v, &n), 0);
        ck_assert_uint_eq(n, 0);
        policy_clear(&p);
}
END_TEST

/* A master verified and a worker whose image was swapped: only the worker. */
START_TEST(evaluate_mixed_holders)
{
        policy p;
        sa_process master = owner("/usr/sbin/nginx", &verified), worker = owner("/usr/sbin/nginx", &modified);
        sa_holder h[2] = { { .proc = &master }, { .proc = &worker } };
        sa_listener ls[1] = { tcp443(h, 2) };
        sa_snapshot snap = { .listeners = ls, .n_listeners = 1 };
        violation *v = NULL;
        size_t n = 0;

        worker.pid = 813;
        package_policy(&p, true, "nginx");
        ck_assert_int_eq(policy_evaluate(&p, &snap, &v, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_ptr_eq(v[0].owner, &worker);
        ck_assert_int_eq(v[0].kind, VIOLATION_EXE_MODIFIED);
        violations_free(v, n);
        policy_clear(&p);
}
END_TEST

START_TEST(kind_names)
{
        static const char *const want[] = { "address_not_allowed", "no_owner", "exe_deleted", "exe_replaced",
                                            "exe_not_allowed", "unit_not_allowed", "user_not_allowed",
                                            "exe_modified", "exe_not_packaged", "exe_unverifiable",
                                            "package_not_allowed", "cert_expiring", "cert_expired",
                                            "tls_version_weak", "key_weak", "chain_unverified",
                                            "cert_stale_on_disk", "exposure_exceeded" };

        ck_assert_int_eq(_VIOLATION_KIND_MAX, sizeof want / sizeof *want);
        for (int k = 0; k < _VIOLATION_KIND_MAX; k++)
                ck_assert_str_eq(violation_kind_name((violation_kind) k), want[k]);
        ck_assert_str_eq(violation_kind_name(_VIOLATION_KIND_MAX), "?");
        /* Appended, never renumbered: the kind's number is in the baseline's keys. */
        ck_assert_int_eq(VIOLATION_USER, 6);
        ck_assert_int_eq(VIOLATION_PACKAGE, 10);
}
END_TEST

Suite *policy_package_suite(void)
{
        Suite *s = suite_create("policy_package");
        TCase *tc = tcase_create("evaluate");
        tcase_add_test(tc, require_package_verdicts);
        tcase_add_test(tc, allow_package_names);
        tcase_add_test(tc, unknown_verdict_raises_nothing);
        tcase_add_test(tc, evaluate_mixed_holders);
        tcase_add_test(tc, kind_names);
        suite_add_tcase(s, tc);
        return s;
}
