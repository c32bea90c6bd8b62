/* SPDX-License-Identifier: MIT */
/* When a who/list may skip re-verifying the known holders (daemon/verifyskip.c). */
#include <check.h>

#include "verifyskip.h"

#define T0 (100 * USEC_PER_SEC)

START_TEST(skips_only_after_a_recent_verification_without_events)
{
        verifyskip v = { 0 };
        uint64_t mark;

        /* Never verified: no skip. */
        ck_assert(!verifyskip_may_skip(&v, true, T0));
        mark = verifyskip_mark(&v);
        verifyskip_verified(&v, mark, T0);
        ck_assert(verifyskip_may_skip(&v, true, T0 + 1));
        ck_assert(verifyskip_may_skip(&v, true, T0 + VERIFY_MAX_AGE_USEC - 1));
        ck_assert_uint_eq(v.skipped, 2);
        /* Too old: verify (no event tells of a closed copy of a shared fd). */
        ck_assert(!verifyskip_may_skip(&v, true, T0 + VERIFY_MAX_AGE_USEC));
        /* Polling: never. */
        ck_assert(!verifyskip_may_skip(&v, false, T0 + 1));
        /* An event of a holder: verify until the next verification. */
        verifyskip_changed(&v);
        ck_assert(!verifyskip_may_skip(&v, true, T0 + 2));
        verifyskip_verified(&v, verifyskip_mark(&v), T0 + 3);
        ck_assert(verifyskip_may_skip(&v, true, T0 + 4));
        ck_assert_uint_eq(v.skipped, 3);
}
END_TEST

/* An event during a verification (after its mark) leaves the next request verifying. */
START_TEST(event_during_verification)
{
        verifyskip v = { 0 };
        uint64_t mark = verifyskip_mark(&v);

        verifyskip_changed(&v);
        verifyskip_verified(&v, mark, T0);
        ck_assert(!verifyskip_may_skip(&v, true, T0 + 1));
        /* A clock that went backwards (cannot happen: monotonic) never skips. */
        verifyskip_verified(&v, verifyskip_mark(&v), T0);
        ck_assert(!verifyskip_may_skip(&v, true, T0 - 1));
        ck_assert_uint_eq(v.skipped, 0);
}
END_TEST

Suite *verifyskip_suite(void)
{
        Suite *s = suite_create("verifyskip");
        TCase *tc = tcase_create("verifyskip");

        tcase_add_test(tc, skips_only_after_a_recent_verification_without_events);
        tcase_add_test(tc, event_during_verification);
        suite_add_tcase(s, tc);
        return s;
}
