/* SPDX-License-Identifier: MIT */
/* RedactCmdline= (daemon/redact.c): the key, the walk, the reply cache's two kinds. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "redact.h"
#include "replycache.h"

START_TEST(redact_key)
{
        daemon_config *c = NULL;
        char err[256];

        ck_assert_int_eq(config_new_default(&c), 0);
        ck_assert(!c->redact_cmdline);
        ck_assert(!redact_for(c, 1000));
        config_free(c);
        c = NULL;
        ck_assert_int_eq(config_load_string("[Daemon]\nRedactCmdline=yes\n", "t", err, sizeof err, &c), 0);
        ck_assert(c->redact_cmdline);
        ck_assert(redact_for(c, 1000));
        ck_assert(!redact_for(c, 0));
        config_free(c);
        c = NULL;
        ck_assert_int_eq(config_load_string("[Daemon]\nRedactCmdline=no\n", "t", err, sizeof err, &c), 0);
        ck_assert(!c->redact_cmdline);
        config_free(c);
        c = NULL;
        ck_assert_int_lt(config_load_string("[Daemon]\nRedactCmdline=maybe\n", "t", err, sizeof err, &c), 0);
        ck_assert_ptr_nonnull(strstr(err, "RedactCmdline"));
        ck_assert_ptr_null(c);
}
END_TEST

/* Every process object at any depth, nothing else. */
START_TEST(redact_walk)
{
        json_error_t e;
        json_t *j = json_loads("{\"ok\":true,\"listeners\":[{\"port\":443,\"owners\":["
                               "{\"pid\":1,\"cmdline\":[\"sh\",\"-c\",\"secret\"],\"cmdline_truncated\":true,"
                               "\"exe\":\"/bin/sh\"},{\"pid\":2,\"cmdline\":[]}]}],"
                               "\"event\":{\"before\":{\"owners\":[{\"cmdline\":[\"pw=1\"]}]}}}", 0, &e);
        char *out;

        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(redact_cmdlines(j), 0);
        out = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        ck_assert_ptr_null(strstr(out, "secret"));
        ck_assert_ptr_null(strstr(out, "pw=1"));
        ck_assert_ptr_nonnull(strstr(out, "\"exe\":\"/bin/sh\""));
        free(out);
        json_t *o = json_array_get(json_object_get(json_array_get(json_object_get(j, "listeners"), 0), "owners"), 0);
        ck_assert_int_eq(json_array_size(json_object_get(o, "cmdline")), 0);
        ck_assert(json_is_true(json_object_get(o, "cmdline_redacted")));
        ck_assert(json_is_false(json_object_get(o, "cmdline_truncated")));
        ck_assert(!json_object_get(j, "cmdline_redacted"));
        json_decref(j);

        json_t *ev = json_pack("{s:s,s:{s:[s]}}", "event", "x", "p", "cmdline", "secret");
        size_t len = 0;
        char *line = redact_event_line(ev, &len);
        ck_assert_ptr_nonnull(line);
        ck_assert_uint_eq(len, strlen(line));
        ck_assert_int_eq(line[len - 1], '\n');
        ck_assert_ptr_null(strstr(line, "secret"));
        ck_assert_int_eq(json_array_size(json_object_get(json_object_get(ev, "p"), "cmdline")), 1);
        free(line);
        json_decref(ev);
}
END_TEST

/* Root's whole bytes never answer a redacted question, nor the reverse. */
START_TEST(redact_cache_kinds)
{
        reply_cache rc = { 0 };
        request req = { .cmd = REQUEST_LIST };
        char *text = NULL;
        size_t len = 0;

        reply_cache_put(&rc, 1, &req, false, "whole", 5);
        ck_assert_int_eq(reply_cache_get(&rc, 1, &req, true, &text, &len), 0);
        reply_cache_put(&rc, 1, &req, true, "redacted", 8);
        ck_assert_int_eq(reply_cache_get(&rc, 1, &req, true, &text, &len), 1);
        ck_assert_str_eq(text, "redacted");
        free(text);
        ck_assert_int_eq(reply_cache_get(&rc, 1, &req, false, &text, &len), 1);
        ck_assert_str_eq(text, "whole");
        free(text);
        /* Nor a compact reply a full question, nor the reverse. */
        request compact = { .cmd = REQUEST_LIST, .form = REQUEST_FORM_COMPACT };
        ck_assert_int_eq(reply_cache_get(&rc, 1, &compact, false, &text, &len), 0);
        reply_cache_put(&rc, 1, &compact, false, "compact", 7);
        ck_assert_int_eq(reply_cache_get(&rc, 1, &compact, false, &text, &len), 1);
        ck_assert_str_eq(text, "compact");
        free(text);
        ck_assert_int_eq(reply_cache_get(&rc, 1, &req, false, &text, &len), 1);
        ck_assert_str_eq(text, "whole");
        free(text);
        reply_cache_clear(&rc);
}
END_TEST

Suite *redact_suite(void)
{
        Suite *s = suite_create("redact");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, redact_key);
        tcase_add_test(tc, redact_walk);
        tcase_add_test(tc, redact_cache_kinds);
        suite_add_tcase(s, tc);
        return s;
}
