/* SPDX-License-Identifier: MIT */
/* A reply line's top-level members found without parsing it (cli/rawreply.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rawreply.h"

static int split(const char *s, raw_reply *r)
{
        return raw_reply_split(s, strlen(s), r);
}

static void assert_member(const raw_reply *r, const char *key, const char *value)
{
        const raw_member *m = raw_reply_get(r, key);

        ck_assert_msg(m != NULL, "member %s missing", key);
        ck_assert_uint_eq(m->value_len, strlen(value));
        ck_assert_msg(memcmp(m->value, value, m->value_len) == 0, "member %s: %.*s", key,
                      (int) m->value_len, m->value);
}

START_TEST(members_in_order)
{
        raw_reply r;
        const char *line = "{\"ok\":true,\"port\":443,\"listeners\":[{\"comm\":\"a]\\\"}\\\\\",\"fds\":[3]},{}],"
                           "\"scan_time\":\"2026-12-06T20:00:00Z\",\"stale\":false,\"x\":null}";

        ck_assert_int_eq(split(line, &r), 0);
        ck_assert_uint_eq(r.n, 6);
        ck_assert_ptr_eq(raw_reply_get(&r, "ok"), &r.m[0]);
        assert_member(&r, "ok", "true");
        assert_member(&r, "port", "443");
        assert_member(&r, "listeners", "[{\"comm\":\"a]\\\"}\\\\\",\"fds\":[3]},{}]");
        assert_member(&r, "scan_time", "\"2026-12-06T20:00:00Z\"");
        assert_member(&r, "stale", "false");
        assert_member(&r, "x", "null");
        ck_assert_ptr_null(raw_reply_get(&r, "missing"));
        /* Spaces around the structure are allowed too. */
        ck_assert_int_eq(split(" { \"a\" : [ 1 , 2 ] , \"b\" : \"\" } ", &r), 0);
        ck_assert_uint_eq(r.n, 2);
        assert_member(&r, "a", "[ 1 , 2 ]");
        assert_member(&r, "b", "\"\"");
        ck_assert_int_eq(split("{}", &r), 0);
        ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(not_one_object)
{
        static const char *const bad[] = {
                "", "[]", "{", "}", "{\"a\":1", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":[1}",
                "{\"a\":\"x}", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "{\"a\":[[1]}",
                "{\"a\":\"\\\"}",
        };
        raw_reply r = { .n = 99 };

        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                ck_assert_msg(split(bad[i], &r) == -EBADMSG, "accepted: %s", bad[i]);
        ck_assert_uint_eq(r.n, 99);     /* untouched on failure */
}
END_TEST

START_TEST(member_limit)
{
        char line[1024] = "{";
        raw_reply r;

        for (unsigned i = 0; i <= RAW_MEMBERS_MAX; i++)
                snprintf(line + strlen(line), sizeof line - strlen(line), "%s\"k%u\":%u", i ? "," : "", i, i);
        strcat(line, "}");
        ck_assert_int_eq(split(line, &r), -EBADMSG);
}
END_TEST

Suite *rawreply_suite(void)
{
        Suite *s = suite_create("rawreply");
        TCase *tc = tcase_create("rawreply");

        tcase_add_test(tc, members_in_order);
        tcase_add_test(tc, not_one_object);
        tcase_add_test(tc, member_limit);
        suite_add_tcase(s, tc);
        return s;
}
