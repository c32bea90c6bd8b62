/* SPDX-License-Identifier: MIT */
/* What a reload changes (daemon/reload.c): the summary line, the watched ports, the scope test. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "reload.h"

static daemon_config *load(const char *text)
{
        daemon_config *c = NULL;
        char err[512] = "";

        ck_assert_msg(config_load_string(text, "test.conf", err, sizeof err, &c) == 0, "%s", err);
        return c;
}

static void expect_summary(const char *before, const char *after, const char *want)
{
        daemon_config *a = load(before), *b = load(after);
        char *got = NULL;

        ck_assert_int_eq(reload_summary(a, b, &got), 0);
        ck_assert_str_eq(got, want);
        free(got);
        config_free(a);
        config_free(b);
}

START_TEST(summary_names_what_changed)
{
        expect_summary("[Daemon]\nPorts=443\n", "[Daemon]\nPorts=443\n", "nothing watched changed");
        expect_summary("[Daemon]\nPorts=443 80\nProtocols=tcp\n", "[Daemon]\nPorts=443 8081\nProtocols=tcp\n",
                       "ports +8081/tcp -80/tcp");
        expect_summary("[Daemon]\nNamespaces=all\n", "[Daemon]\nNamespaces=self\n", "scope all\u2192self");
        expect_summary("[Daemon]\nProtocols=tcp\n[Port 443/tcp]\nAllowUser=root\n[Port 80/tcp]\n",
                       "[Daemon]\nProtocols=tcp\nNamespaces=self\n[Port 443/tcp]\nAllowUser=www-data\n[Port 8443/tcp]\n",
                       "ports +8443/tcp -80/tcp; sections +[Port 8443/tcp] -[Port 80/tcp] ~[Port 443/tcp]; "
                       "scope all\u2192self");
        /* The package keys and Namespace= change a section too. */
        expect_summary("[Port 443/tcp]\nAllowExe=/usr/sbin/nginx\n",
                       "[Port 443/tcp]\nAllowExe=/usr/sbin/nginx\nRequirePackage=yes\n", "sections ~[Port 443/tcp]");
        expect_summary("[Port 443/tcp]\nAllowPackage=nginx\n", "[Port 443/tcp]\nAllowPackage=apache2\n",
                       "sections ~[Port 443/tcp]");
        expect_summary("[Port 443/tcp]\nNamespace=host\n", "[Port 443/tcp]\n", "sections ~[Port 443/tcp]");
}
END_TEST

START_TEST(summary_is_bounded)
{
        char before[64], after[512] = "[Daemon]\nProtocols=tcp\nPorts=";
        char *got = NULL;

        snprintf(before, sizeof before, "[Daemon]\nProtocols=tcp\nPorts=1\n");
        for (unsigned p = 2; p < 42; p++)
                snprintf(after + strlen(after), sizeof after - strlen(after), "%u ", p);
        strcat(after, "\n");
        daemon_config *a = load(before), *b = load(after);
        ck_assert_int_eq(reload_summary(a, b, &got), 0);
        /* 16 items shown, 40 + 1 changed: 25 more. */
        ck_assert_msg(strstr(got, " +25 more") != NULL, "%s", got);
        ck_assert_ptr_null(strstr(got, "+41/tcp"));
        free(got);
        config_free(a);
        config_free(b);
}
END_TEST

START_TEST(watched_ports)
{
        daemon_config *c = load("[Daemon]\nPorts=443 8080\nProtocols=tcp\n[Port 53/udp]\n[Port 443/tcp]\n");
        json_t *w = reload_watched_to_json(&c->policy);
        char *s = json_dumps(w, JSON_COMPACT);

        ck_assert_str_eq(s, "[\"443/tcp\",\"53/udp\",\"8080/tcp\"]");
        free(s);
        json_decref(w);
        config_free(c);
}
END_TEST

START_TEST(scope_test)
{
        scope all = { .all = true, .self_netns = 7 }, self = { .self_netns = 7 }, unknown = { 0 };

        ck_assert(scope_has(&all, 9));
        ck_assert(scope_has(&self, 7));
        ck_assert(!scope_has(&self, 9));
        ck_assert(scope_has(&unknown, 9));
}
END_TEST

START_TEST(record_json)
{
        reload_record r = { 0 };
        json_t *j = reload_record_to_json(&r);

        ck_assert(json_is_null(j));
        json_decref(j);
        r.done = true;
        r.ok = false;
        snprintf(r.error, sizeof r.error, "test.conf:2: bad");
        j = reload_record_to_json(&r);
        ck_assert_str_eq(json_string_value(json_object_get(j, "result")), "error");
        ck_assert_str_eq(json_string_value(json_object_get(j, "error")), "test.conf:2: bad");
        ck_assert_ptr_null(json_object_get(j, "changes"));
        json_decref(j);
        reload_record_clear(&r);
}
END_TEST

Suite *reload_suite(void)
{
        Suite *s = suite_create("reload");
        TCase *tc = tcase_create("reload");

        tcase_add_test(tc, summary_names_what_changed);
        tcase_add_test(tc, summary_is_bounded);
        tcase_add_test(tc, watched_ports);
        tcase_add_test(tc, scope_test);
        tcase_add_test(tc, record_json);
        suite_add_tcase(s, tc);
        return s;
}
