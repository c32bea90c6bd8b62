/* SPDX-License-Identifier: MIT */
/* The reply cache's bounds: the largest reply kept, and all kept within the budget. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "replycache.h"

static size_t kept_bytes(const reply_cache *rc)
{
        size_t n = 0;

        for (unsigned i = 0; i < REPLY_CACHE_SLOTS; i++)
                n += rc->slots[i].len;
        return n;
}

/* A `who 443` of 500 namespaces (~0.7 MiB) is kept; past the per-reply cap nothing is; the
 * newest always answers, the older ones go as the budget needs. */
START_TEST(replycache_budget)
{
        size_t big = REPLY_CACHE_BUDGET_BYTES / 3 + 1;
        char *blob = malloc(REPLY_CACHE_MAX_BYTES + 2), *text = NULL;
        reply_cache rc = { 0 };
        size_t len = 0;

        ck_assert_ptr_nonnull(blob);
        memset(blob, 'x', REPLY_CACHE_MAX_BYTES + 1);
        blob[REPLY_CACHE_MAX_BYTES + 1] = '\0';
        for (uint16_t port = 1; port <= 4; port++) {
                request req = { .cmd = REQUEST_WHO, .port = port };

                reply_cache_put(&rc, 7, &req, false, blob, big);
                ck_assert_int_eq(reply_cache_get(&rc, 7, &req, false, &text, &len), 1);
                ck_assert_uint_eq(len, big);
                free(text);
                ck_assert_uint_le(kept_bytes(&rc), REPLY_CACHE_BUDGET_BYTES);
        }
        request over = { .cmd = REQUEST_WHO, .port = 9 };
        reply_cache_put(&rc, 7, &over, false, blob, REPLY_CACHE_MAX_BYTES + 1);
        ck_assert_int_eq(reply_cache_get(&rc, 7, &over, false, &text, &len), 0);
        request small = { .cmd = REQUEST_WHO, .port = 10 };
        reply_cache_put(&rc, 7, &small, false, "{}", 2);
        ck_assert_int_eq(reply_cache_get(&rc, 7, &small, false, &text, &len), 1);
        free(text);
        reply_cache_clear(&rc);
        free(blob);
}
END_TEST

Suite *replycache_suite(void)
{
        Suite *s = suite_create("replycache");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, replycache_budget);
        suite_add_tcase(s, tc);
        return s;
}
