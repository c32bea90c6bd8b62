/* SPDX-License-Identifier: MIT */
/* [Daemon] MaxClients=, MaxClientsPerUser=, RequestTimeout=, WatcherStallTimeout= (issues 7 and 18). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

START_TEST(max_clients_default_and_set)
{
        daemon_config *c = NULL;
        char err[256];

        ck_assert_int_eq(config_load_string("[Daemon]\nPorts=443\n", "t.conf", err, sizeof(err), &c), 0);
        ck_assert_uint_eq(c->max_clients, CONFIG_MAX_CLIENTS_DEFAULT);
        ck_assert_uint_eq(c->max_clients_per_user, 0);     /* the control's default */
        config_free(c);
        ck_assert_int_eq(config_load_string("[Daemon]\nMaxClientsPerUser=300\n", "t.conf", err, sizeof(err), &c), 0);
        ck_assert_uint_eq(c->max_clients_per_user, 300);
        config_free(c);
        ck_assert_int_eq(config_load_string("[Daemon]\nMaxClients=2000\n", "t.conf", err, sizeof(err), &c), 0);
        ck_assert_uint_eq(c->max_clients, 2000);
        config_free(c);
        ck_assert_int_eq(config_load_string("[Daemon]\nMaxClients=65536\n", "t.conf", err, sizeof(err), &c), 0);
        ck_assert_uint_eq(c->max_clients, 65536);
        config_free(c);
}
END_TEST

START_TEST(max_clients_bad_values)
{
        static const char *const bad[] = {
                "0", "-1", "65537", "99999999999999999999", "12x", "", "1e3", "0x10",
        };

        static const char *const keys[] = { "MaxClients", "MaxClientsPerUser" };

        for (size_t k = 0; k < 2; k++)
                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        daemon_config *c = NULL;
                        char text[128], want[64], err[256] = "";

                        snprintf(text, sizeof(text), "[Daemon]\n%s=%s\n", keys[k], bad[i]);
                        ck_assert_msg(config_load_string(text, "t.conf", err, sizeof(err), &c) == -EINVAL,
                                      "%s=%s accepted", keys[k], bad[i]);
                        ck_assert_ptr_null(c);
                        snprintf(want, sizeof(want), "t.conf:2: %s=: ", keys[k]);
                        ck_assert_msg(strstr(err, want) != NULL, "message: %s", err);
                }
}
END_TEST

START_TEST(client_timeouts)
{
        static const char *const bad[] = { "RequestTimeout=50ms", "RequestTimeout=2h",
                                           "WatcherStallTimeout=0", "WatcherStallTimeout=soon" };
        daemon_config *c = NULL;
        char err[256] = "";

        ck_assert_int_eq(config_load_string("[Daemon]\n", "t.conf", err, sizeof(err), &c), 0);
        ck_assert_uint_eq(c->request_timeout_usec, CONFIG_CLIENT_TIMEOUT_DEFAULT_USEC);
        ck_assert_uint_eq(c->watcher_stall_usec, CONFIG_CLIENT_TIMEOUT_DEFAULT_USEC);
        config_free(c);
        ck_assert_int_eq(config_load_string("[Daemon]\nRequestTimeout=2s\nWatcherStallTimeout=1min\n",
                                            "t.conf", err, sizeof(err), &c), 0);
        ck_assert_uint_eq(c->request_timeout_usec, 2000000);
        ck_assert_uint_eq(c->watcher_stall_usec, 60000000);
        config_free(c);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char text[128];

                c = NULL;
                snprintf(text, sizeof(text), "[Daemon]\n%s\n", bad[i]);
                ck_assert_msg(config_load_string(text, "t.conf", err, sizeof(err), &c) == -EINVAL,
                              "%s accepted", bad[i]);
                ck_assert_ptr_null(c);
                ck_assert_msg(strstr(err, "t.conf:2: ") != NULL, "message: %s", err);
        }
}
END_TEST

Suite *config_limits_suite(void)
{
        Suite *s = suite_create("config_limits");
        TCase *tc = tcase_create("max_clients");

        tcase_add_test(tc, max_clients_default_and_set);
        tcase_add_test(tc, max_clients_bad_values);
        tcase_add_test(tc, client_timeouts);
        suite_add_tcase(s, tc);
        return s;
}
