/* SPDX-License-Identifier: MIT */
/* daemon/policyexposure.c and AllowExposure= in daemon/config.c: which entry points exceed, what violates. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "policy.h"

static json_t *entry(const char *address, const char *verdict)
{
        return json_pack("{s:s,s:s,s:s}", "interface", "eth0", "address", address, "verdict", verdict);
}

START_TEST(levels)
{
        static const struct { const char *addr; int level; } cases[] = {
                { "127.0.0.1", 0 },   { "127.9.9.9", 0 },  { "::1", 0 },          { "10.1.2.3", 1 },
                { "172.16.0.1", 1 },  { "172.31.255.255", 1 }, { "172.32.0.1", 2 }, { "192.168.1.1", 1 },
                { "169.254.0.7", 1 }, { "fd15:1::1", 1 },  { "fe80::1", 1 },      { "febf::1", 1 },
                { "fec0::1", 2 },     { "192.0.2.1", 2 },  { "2001:db8::1", 2 },  { "11.0.0.1", 2 },
        };

        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                json_t *e = entry(cases[i].addr, "accept");

                ck_assert_msg(policy_exposure_exceeds(POLICY_EXPOSURE_LOOPBACK, e) == (cases[i].level > 0), "%s",
                              cases[i].addr);
                ck_assert_msg(policy_exposure_exceeds(POLICY_EXPOSURE_LOCAL, e) == (cases[i].level > 1), "%s",
                              cases[i].addr);
                ck_assert(!policy_exposure_exceeds(POLICY_EXPOSURE_ANY, e));
                json_decref(e);
        }
        /* Only verdicts that let connections in count. */
        for (const char *const *v = (const char *const[]) { "drop", "reject", "unknown", NULL }; *v; v++) {
                json_t *e = entry("192.0.2.1", *v);
                ck_assert(!policy_exposure_exceeds(POLICY_EXPOSURE_LOOPBACK, e));
                json_decref(e);
        }
        json_t *e = entry("192.0.2.1", "conditional");
        ck_assert(policy_exposure_exceeds(POLICY_EXPOSURE_LOCAL, e));
        json_decref(e);
}
END_TEST

START_TEST(violation_and_keys)
{
        daemon_config *c = NULL;
        char err[256] = "";
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 5432 };
        sa_listener other = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 80 };
        json_t *reach = json_pack("{s:[o,o,o]}", "entries", entry("127.0.0.1", "accept"), entry("10.0.0.5", "accept"),
                                  entry("192.0.2.1", "drop"));
        violation *v = NULL;
        size_t n = 0;

        ck_assert_msg(config_load_string("[Daemon]\nPorts=all\n[Port 5432/tcp]\nAllowExposure=loopback\n", "t.conf",
                                         err, sizeof err, &c) == 0, "%s", err);
        ck_assert_int_eq(policy_check_exposure(&c->policy, &l, reach, &v, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(v[0].kind, VIOLATION_EXPOSURE_EXCEEDED);
        ck_assert_str_eq(v[0].reason, "reachable beyond AllowExposure=loopback: eth0 10.0.0.5 (accept)");
        ck_assert_ptr_eq(v[0].reach, reach);
        ck_assert_int_eq(v[0].exposure, POLICY_EXPOSURE_LOOPBACK);
        ck_assert_str_eq(violation_kind_name(v[0].kind), "exposure_exceeded");
        /* No rule, or no reachability yet: nothing. */
        ck_assert_int_eq(policy_check_exposure(&c->policy, &other, reach, &v, &n), 0);
        ck_assert_int_eq(policy_check_exposure(&c->policy, &l, NULL, &v, &n), 0);
        ck_assert_uint_eq(n, 1);
        violations_free(v, n);
        config_free(c);
        c = NULL;

        ck_assert_msg(config_load_string("[Port 5432/tcp]\nAllowExposure=local\n", "t.conf", err, sizeof err, &c) == 0,
                      "%s", err);
        v = NULL, n = 0;
        ck_assert_int_eq(policy_check_exposure(&c->policy, &l, reach, &v, &n), 0);
        ck_assert_uint_eq(n, 0);
        config_free(c);
        c = NULL;
        ck_assert_int_eq(config_load_string("[Port 5432/tcp]\nAllowExposure=world\n", "t.conf", err, sizeof err, &c),
                         -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "AllowExposure=: \"world\" is not loopback, local or any"));
        config_free(c);
        json_decref(reach);
}
END_TEST

/* A forwarded entry (a host's published port) is judged by the host's address, and named with its port and netns. */
START_TEST(forwarded_entry)
{
        daemon_config *c = NULL;
        char err[256] = "", place[200];
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443 };
        json_t *fwd = entry("198.51.100.1", "accept");
        json_t *reach = json_pack("{s:[o,O]}", "entries", entry("172.17.0.2", "accept"), fwd);
        violation *v = NULL;
        size_t n = 0;

        json_object_set_new(fwd, "port", json_integer(8443));
        json_object_set_new(fwd, "netns", json_string("host"));
        json_object_set_new(fwd, "via", json_string("tcp dport 8443 DNAT --to-destination 172.17.0.2:443"));
        policy_entry_place(fwd, place, sizeof place);
        ck_assert_str_eq(place, "eth0 198.51.100.1 port 8443 in netns host");
        json_object_set_new(fwd, "netns", json_null());        /* redirected in its own namespace */
        policy_entry_place(fwd, place, sizeof place);
        ck_assert_str_eq(place, "eth0 198.51.100.1 port 8443");
        json_object_set_new(fwd, "netns", json_string("host"));
        ck_assert_msg(config_load_string("[Port 443/tcp]\nAllowExposure=local\n", "t.conf", err, sizeof err, &c) == 0,
                      "%s", err);
        ck_assert_int_eq(policy_check_exposure(&c->policy, &l, reach, &v, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(v[0].reason,
                         "reachable beyond AllowExposure=local: eth0 198.51.100.1 port 8443 in netns host (accept)");
        violations_free(v, n);
        config_free(c);
        json_decref(fwd);
        json_decref(reach);
}
END_TEST

Suite *policyexposure_suite(void)
{
        Suite *s = suite_create("policyexposure");
        TCase *tc = tcase_create("policyexposure");

        tcase_add_test(tc, levels);
        tcase_add_test(tc, violation_and_keys);
        tcase_add_test(tc, forwarded_entry);
        suite_add_tcase(s, tc);
        return s;
}
