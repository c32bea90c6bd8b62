/* SPDX-License-Identifier: MIT */
/*
 * The CLI's forward-only JSON reader (cli/jsonscan.c) against jansson: the
 * same strings and integers, the same refusals; and the compact reply read
 * into table views (cli/compactreply.c).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compactreply.h"
#include "jsonscan.h"

/* text read as one value by jscan_value: 0 and *ret, or -1. */
static int scan_one(const char *text, arena *a, jv *ret)
{
        jscan s;

        jscan_init(&s, text, strlen(text), a);
        if (jscan_value(&s, ret) < 0)
                return -1;
        return jscan_at_end(&s) ? 0 : -1;
}

/* Strings and integers jansson accepts come out the same. */
START_TEST(same_as_jansson)
{
        static const char *const ok[] = {
                "\"plain\"", "\"\"", "\"a\\\"b\\\\c\\/d\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u0001\\u001F\\u007f\"",
                "\"\\u00e9\\u20AC\"", "\"\\ud83d\\ude00 x\"", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"",
                "\"\xe2\x80\xae bidi\"", "0", "-0", "42", "-7", "9223372036854775807", "-9223372036854775808",
                " \t\n\r\"spaced\" ",
        };
        static const char *const bad[] = {
                "\"\\u0000\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"\\x41\"", "\"\\u12\"",
                "\"a\x01\"", "\"a\nb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"open", "\"a\\",
                "9223372036854775808", "-9223372036854775809", "01", "-", "1.", "1e", "+1", "tru", "nul", "",
                "\"a\" \"b\"",
        };
        arena a = { 0 };
        jv v;

        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
                json_error_t err;
                json_t *j = json_loads(ok[i], JSON_DECODE_ANY, &err);

                ck_assert_msg(j != NULL, "jansson refuses %s: %s", ok[i], err.text);
                ck_assert_msg(scan_one(ok[i], &a, &v) == 0, "refused: %s", ok[i]);
                if (json_is_string(j)) {
                        ck_assert_int_eq(v.type, JV_STRING);
                        ck_assert_str_eq(v.s, json_string_value(j));
                } else {
                        ck_assert_int_eq(v.type, JV_INT);
                        ck_assert(v.i == json_integer_value(j));
                }
                json_decref(j);
        }
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);

                ck_assert_msg(j == NULL, "jansson takes %s", bad[i]);
                ck_assert_msg(scan_one(bad[i], &a, &v) < 0, "taken: %s", bad[i]);
        }
        /* Reals, and nested values, are skipped as "other". */
        ck_assert_int_eq(scan_one("1.5e-3", &a, &v), 0);
        ck_assert_int_eq(v.type, JV_OTHER);
        ck_assert_int_eq(scan_one("{\"a\":[1,{\"b\":\"\\u0041\"},null,true,false],\"k\\u0065y\":{}}", &a, &v), 0);
        ck_assert_int_eq(v.type, JV_OTHER);
        ck_assert_int_eq(scan_one("[1,]", &a, &v), -1);
        ck_assert_int_eq(scan_one("{\"a\" 1}", &a, &v), -1);
        ck_assert_int_eq(scan_one("[1 2]", &a, &v), -1);
        ck_assert_int_eq(scan_one("[1}", &a, &v), -1);
        ck_assert_int_eq(scan_one("null", &a, &v), 0);
        ck_assert_int_eq(v.type, JV_NULL);
        arena_free(&a);
}
END_TEST

/* Nesting is bounded: deep brackets fail, they do not exhaust the stack. */
START_TEST(depth_bounded)
{
        size_t n = 100000;
        char *deep = malloc(2 * n + 1);
        arena a = { 0 };
        jv v;

        ck_assert_ptr_nonnull(deep);
        memset(deep, '[', n);
        memset(deep + n, ']', n);
        deep[2 * n] = '\0';
        ck_assert_int_eq(scan_one(deep, &a, &v), -1);
        free(deep);
        arena_free(&a);
}
END_TEST

/* Keys as written, or unescaped; members in order. */
START_TEST(members)
{
        const char *text = "{\"plain\":1, \"esc\\u0061ped\" : \"v\" ,\"\":null}";
        arena a = { 0 };
        const char *key;
        size_t len;
        jscan s;
        jv v;

        jscan_init(&s, text, strlen(text), &a);
        ck_assert(jscan_take(&s, '{'));
        ck_assert_int_eq(jscan_member(&s, true, &key, &len), 1);
        ck_assert(jscan_key_is(key, len, "plain"));
        ck_assert_int_eq(jscan_skip(&s), 0);
        ck_assert_int_eq(jscan_member(&s, false, &key, &len), 1);
        ck_assert(jscan_key_is(key, len, "escaped"));
        ck_assert_int_eq(jscan_value(&s, &v), 0);
        ck_assert_str_eq(v.s, "v");
        ck_assert_int_eq(jscan_member(&s, false, &key, &len), 1);
        ck_assert(jscan_key_is(key, len, ""));
        ck_assert_int_eq(jscan_skip(&s), 0);
        ck_assert_int_eq(jscan_member(&s, false, &key, &len), 0);
        ck_assert(jscan_at_end(&s));
        arena_free(&a);
}
END_TEST

#define PROCS "[{\"pid\":7,\"uid\":0,\"comm\":\"a\\nb\",\"exe\":\"/x\",\"user\":\"root\",\"pid_in_namespace\":1," \
              "\"exe_deleted\":true,\"exe_location\":\"tmp\",\"package\":{\"name\":null,\"reason\":{\"status\":1}," \
              "\"status\":\"not_packaged\"},\"unit\":null},{\"pid\":8,\"uid\":33,\"comm\":\"w\",\"incomplete\":true," \
              "\"package\":null}]"

/* Owners are their process plus the reference's members; types as jansson's get functions see them. */
START_TEST(compact_views)
{
        const char *ls = "[{\"proto\":\"tcp\",\"port\":80,\"v6only\":true,\"netns\":5,\"interface\":null,"
                         "\"owners\":[{\"process\":1,\"fds\":[3],\"role\":\"service\"},{\"process\":0,\"fds\":[4],"
                         "\"role\":\"activator\",\"socket_unit\":\"a.socket\",\"service_unit\":null}],"
                         "\"exposure\":{\"scope\":\"x\"}},"
                         "{\"proto\":\"udp\",\"port\":\"53\",\"owners\":[],\"owner_reason\":\"gone\",\"uid\":4}]";
        compact_table t;
        const char *why = NULL;

        ck_assert_int_eq(compact_table_read(ls, strlen(ls), PROCS, strlen(PROCS), &t, &why), 0);
        ck_assert_uint_eq(t.n_listeners, 2);
        ck_assert_str_eq(t.listeners[0].proto, "tcp");
        ck_assert(t.listeners[0].has_port && t.listeners[0].port == 80);
        ck_assert(t.listeners[0].v6only);
        ck_assert(t.listeners[0].has_netns && t.listeners[0].netns == 5);
        ck_assert_ptr_null(t.listeners[0].interface);
        ck_assert_uint_eq(t.listeners[0].n_owners, 2);
        const table_owner *o = t.listeners[0].owners;
        ck_assert(o[0].has_pid && o[0].pid == 8);
        ck_assert(o[0].incomplete);
        ck_assert_str_eq(o[0].role, "service");
        ck_assert(o[1].pid == 7 && o[1].has_nspid && o[1].nspid == 1);
        ck_assert_str_eq(o[1].comm, "a\nb");
        ck_assert(o[1].exe_deleted);
        /* Provenance: package.status from the nested object (a nested "status" elsewhere is not it). */
        ck_assert_str_eq(o[1].exe_location, "tmp");
        ck_assert_str_eq(o[1].package_status, "not_packaged");
        ck_assert_ptr_null(o[0].package_status);
        ck_assert_ptr_null(o[0].exe_location);
        ck_assert_str_eq(o[1].socket_unit, "a.socket");
        ck_assert_ptr_null(o[1].service_unit);
        ck_assert_ptr_null(o[1].unit);
        ck_assert(!t.listeners[1].has_port);    /* a string is not a port */
        ck_assert_uint_eq(t.listeners[1].n_owners, 0);
        ck_assert_str_eq(t.listeners[1].owner_reason, "gone");
        ck_assert(t.listeners[1].has_uid && t.listeners[1].uid == 4);
        compact_table_free(&t);
}
END_TEST

/* A reference to no process, or text that is not the arrays, is a malformed reply. */
START_TEST(compact_refused)
{
        static const char *const bad_ls[] = {
                "[{\"owners\":[{\"process\":2}]}]", "[{\"owners\":[{\"process\":-1}]}]",
                "[{\"owners\":[{\"fds\":[3]}]}]", "[{\"owners\":[{\"process\":\"0\"}]}]", "{}", "[1]",
                "[{\"port\":1}", "[{\"port\":1}] x",
        };
        compact_table t;
        const char *why;

        for (size_t i = 0; i < sizeof bad_ls / sizeof *bad_ls; i++) {
                why = NULL;
                ck_assert_int_eq(compact_table_read(bad_ls[i], strlen(bad_ls[i]), PROCS, strlen(PROCS), &t, &why),
                                 -EBADMSG);
                ck_assert_ptr_nonnull(why);
        }
        ck_assert_int_eq(compact_table_read("[]", 2, "[1]", 3, &t, &why), -EBADMSG);
        ck_assert_int_eq(compact_table_read("[]", 2, "[]", 2, &t, &why), 0);
        ck_assert_uint_eq(t.n_listeners, 0);
        compact_table_free(&t);
}
END_TEST

Suite *jsonscan_suite(void)
{
        Suite *s = suite_create("jsonscan");
        TCase *tc = tcase_create("scan");

        tcase_add_test(tc, same_as_jansson);
        tcase_add_test(tc, depth_bounded);
        tcase_add_test(tc, members);
        tcase_add_test(tc, compact_views);
        tcase_add_test(tc, compact_refused);
        suite_add_tcase(s, tc);
        return s;
}
