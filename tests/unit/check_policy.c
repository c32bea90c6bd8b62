/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

static sa_process nginx = { .pid = 812, .uid = 0, .comm = "nginx", .exe = "/usr/sbin/nginx",
                            .user = "root", .unit = "nginx.service" };
static sa_process www = { .pid = 813, .uid = 33, .comm = "nginx", .exe = "/usr/sbin/nginx",
                          .user = "www-data", .unit = "nginx.service" };
static sa_process rogue = { .pid = 900, .uid = 65534, .comm = "evil\nname", .exe = "/tmp/x",
                            .user = "nobody" };
static sa_process deleted = { .pid = 814, .uid = 0, .comm = "nginx", .exe = "/usr/sbin/nginx",
                              .exe_deleted = true, .user = "root", .unit = "nginx.service" };

static sa_listener tcp443(const char *addr, sa_holder *h, size_t n)
{
        sa_listener l = { .proto = IPPROTO_TCP, .port = 443, .holders = h, .n_holders = n };
        l.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
        inet_pton(l.family, addr, l.addr);
        return l;
}

/* Ports=443, [Port 443/tcp] AllowExe=/usr/sbin/nginx AllowUnit=nginx.service
 * AllowUser=root www-data AllowAddress=0.0.0.0 :: */
static void nginx_policy(policy *p)
{
        static uint16_t ports[] = { 443 };
        memset(p, 0, sizeof *p);
        p->ports = malloc(sizeof ports);
        memcpy(p->ports, ports, sizeof ports);
        p->n_ports = 1;
        p->protos = SA_PROTO_ANY;
        p->rules = calloc(1, sizeof *p->rules);
        p->n_rules = 1;
        policy_rule *r = &p->rules[0];
        r->port = 443;
        r->proto = IPPROTO_TCP;
        policy_list_add(&r->allow_exe, "/usr/sbin/nginx");
        policy_list_add(&r->allow_unit, "nginx.service");
        policy_list_add(&r->allow_user, "root");
        policy_list_add(&r->allow_user, "www-data");
        policy_list_add(&r->allow_address, "0.0.0.0");
        policy_list_add(&r->allow_address, "::");
}

static size_t count(const policy *p, const sa_listener *l, violation **v)
{
        size_t n = 0;
        *v = NULL;
        ck_assert_int_eq(policy_check_listener(p, l, v, &n), 0);
        return n;
}

START_TEST(allowed_owner_passes)
{
        policy p;
        violation *v;
        sa_holder h[2] = { { .proc = &nginx }, { .proc = &www } };
        sa_listener l4 = tcp443("0.0.0.0", h, 2), l6 = tcp443("::", h, 2);

        nginx_policy(&p);
        ck_assert_int_eq(count(&p, &l4, &v), 0);
        ck_assert_int_eq(count(&p, &l6, &v), 0);
        policy_clear(&p);
}
END_TEST

START_TEST(disallowed_owner_is_named)
{
        policy p;
        violation *v;
        sa_holder h[2] = { { .proc = &nginx }, { .proc = &rogue } };
        sa_listener l = tcp443("0.0.0.0", h, 2);

        nginx_policy(&p);
        size_t n = count(&p, &l, &v);
        ck_assert_int_eq(n, 3); /* exe, unit and user of the rogue holder */
        for (size_t i = 0; i < n; i++) {
                ck_assert_ptr_eq(v[i].listener, &l);
                /* Raw here; escaped by whoever prints it. */
                ck_assert_msg(strstr(v[i].reason, "evil\nname[900]"), "reason: %s", v[i].reason);
        }
        ck_assert_ptr_nonnull(strstr(v[0].reason, "exe /tmp/x is not in AllowExe"));
        violations_free(v, n);
        policy_clear(&p);
}
END_TEST

START_TEST(address_not_allowed)
{
        policy p;
        violation *v;
        sa_holder h[1] = { { .proc = &nginx } };
        sa_listener l = tcp443("127.0.0.1", h, 1);

        nginx_policy(&p);
        ck_assert_int_eq(count(&p, &l, &v), 1);
        ck_assert_str_eq(v[0].reason, "address 127.0.0.1 is not in AllowAddress");
        violations_free(v, 1);

        /* The reverse: only loopback expected, wildcard found. */
        policy_list_clear(&p.rules[0].allow_address);
        policy_list_add(&p.rules[0].allow_address, "127.0.0.1");
        sa_listener w = tcp443("0.0.0.0", h, 1);
        ck_assert_int_eq(count(&p, &l, &v), 0);
        ck_assert_int_eq(count(&p, &w, &v), 1);
        ck_assert_str_eq(v[0].reason, "address 0.0.0.0 is not in AllowAddress");
        violations_free(v, 1);
        policy_clear(&p);
}
END_TEST

START_TEST(deleted_exe_and_no_owner)
{
        policy p;
        violation *v;
        sa_holder h[1] = { { .proc = &deleted } };
        sa_listener l = tcp443("0.0.0.0", h, 1), orphan = tcp443("::", NULL, 0);
        orphan.owner_reason = "closed meanwhile";

        nginx_policy(&p);
        ck_assert_int_eq(count(&p, &l, &v), 1);
        ck_assert_str_eq(v[0].reason, "owner nginx[814] runs a deleted executable /usr/sbin/nginx");
        violations_free(v, 1);
        sa_process replaced = nginx;
        replaced.exe_replaced = true;
        sa_holder hr[1] = { { .proc = &replaced } };
        sa_listener lr = tcp443("0.0.0.0", hr, 1);
        ck_assert_int_eq(count(&p, &lr, &v), 1);
        ck_assert_str_eq(v[0].reason, "owner nginx[812] runs an executable replaced on disk since it "
                                      "started: /usr/sbin/nginx");
        violations_free(v, 1);
        ck_assert_int_eq(count(&p, &orphan, &v), 1);
        ck_assert_str_eq(v[0].reason, "no owning process found (closed meanwhile)");
        violations_free(v, 1);
        policy_clear(&p);
}
END_TEST

START_TEST(unwatched_ports_and_generic_checks)
{
        policy p;
        violation *v;
        sa_holder h[1] = { { .proc = &rogue } };
        sa_listener l = tcp443("0.0.0.0", h, 1);

        nginx_policy(&p);
        l.port = 8080; /* not watched, no rule */
        ck_assert(!policy_watches(&p, &l));
        ck_assert_int_eq(count(&p, &l, &v), 0);
        l.proto = IPPROTO_UDP; /* 443/udp: watched, but no rule: generic checks only */
        l.port = 443;
        ck_assert(policy_watches(&p, &l));
        ck_assert_ptr_null(policy_rule_for(&p, &l));
        ck_assert_int_eq(count(&p, &l, &v), 0);
        p.protos = SA_PROTO_TCP;
        ck_assert(!policy_watches(&p, &l));
        p.all_ports = true;
        l.proto = IPPROTO_TCP;
        l.port = 9999;
        ck_assert(policy_watches(&p, &l));
        policy_clear(&p);
}
END_TEST

START_TEST(patterns_and_numeric_uid)
{
        policy p;
        violation *v;
        sa_holder h[1] = { { .proc = &www } };
        sa_listener l = tcp443("0.0.0.0", h, 1);

        nginx_policy(&p);
        policy_rule *r = &p.rules[0];
        policy_list_clear(&r->allow_unit);
        policy_list_add(&r->allow_unit, "nginx*.service");
        policy_list_clear(&r->allow_user);
        policy_list_add(&r->allow_user, "33");
        ck_assert_int_eq(count(&p, &l, &v), 0);
        policy_clear(&p);
}
END_TEST

START_TEST(evaluate_snapshot)
{
        policy p;
        sa_holder ok[1] = { { .proc = &nginx } }, bad[1] = { { .proc = &rogue } };
        sa_listener ls[3] = { tcp443("0.0.0.0", ok, 1), tcp443("::", bad, 1), tcp443("::1", ok, 1) };
        ls[2].port = 22;
        sa_snapshot snap = { .listeners = ls, .n_listeners = 3 };
        violation *v = NULL;
        size_t n = 0;

        nginx_policy(&p);
        ck_assert_int_eq(policy_evaluate(&p, &snap, &v, &n), 0);
        ck_assert_int_eq(n, 3);
        for (size_t i = 0; i < n; i++)
                ck_assert_ptr_eq(v[i].listener, &ls[1]);
        violations_free(v, n);
        policy_clear(&p);
}
END_TEST

Suite *policy_suite(void)
{
        Suite *s = suite_create("policy");
        TCase *tc = tcase_create("evaluate");
        tcase_add_test(tc, allowed_owner_passes);
        tcase_add_test(tc, disallowed_owner_is_named);
        tcase_add_test(tc, address_not_allowed);
        tcase_add_test(tc, deleted_exe_and_no_owner);
        tcase_add_test(tc, unwatched_ports_and_generic_checks);
        tcase_add_test(tc, patterns_and_numeric_uid);
        tcase_add_test(tc, evaluate_snapshot);
        suite_add_tcase(s, tc);
        return s;
}
