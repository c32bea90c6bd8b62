/* SPDX-License-Identifier: MIT */
/* Coalescing of refresh and check requests (daemon/coalesce.c): tickets, covers, the budget. */
#include <check.h>

#include "coalesce.h"

#define MS UINT64_C(1000)

/* A first request starts a scan at once; it answers that ticket only. */
START_TEST(first_request_starts_at_once)
{
        coalesce co = { 0 };
        uint64_t t;

        ck_assert_uint_eq(coalesce_next_start(&co), 0);         /* nobody waits */
        t = coalesce_request(&co);
        ck_assert_uint_eq(t, 1);
        ck_assert_uint_ne(coalesce_next_start(&co), 0);
        ck_assert_uint_le(coalesce_next_start(&co), 1000 * MS); /* not later than now */
        coalesce_started(&co, 1000 * MS, true);
        ck_assert_uint_eq(coalesce_next_start(&co), 0);         /* running: its end asks again */
        ck_assert_uint_eq(coalesce_finished(&co, 10 * MS), 1);
        coalesce_answered(&co, 1, false);
        ck_assert_uint_eq(co.scans, 1);
        ck_assert_uint_eq(co.shared, 0);
        ck_assert(!coalesce_pending(&co));
}
END_TEST

/* A request that comes while a scan runs is not answered by it, but by the next. */
START_TEST(request_during_scan_waits_for_next)
{
        coalesce co = { 0 };
        uint64_t a, b;

        a = coalesce_request(&co);
        coalesce_started(&co, 1000 * MS, true);
        b = coalesce_request(&co);
        ck_assert(coalesce_pending(&co));
        ck_assert_uint_eq(coalesce_next_start(&co), 0);         /* not while running */
        ck_assert_uint_eq(coalesce_finished(&co, 1 * MS), a);
        ck_assert(a < b);
        ck_assert(coalesce_pending(&co));
        /* The budget: 200 ms from the last start. */
        ck_assert_uint_eq(coalesce_next_start(&co), 1200 * MS);
        coalesce_started(&co, 1200 * MS, true);
        ck_assert_uint_eq(coalesce_finished(&co, 1 * MS), b);
        ck_assert(!coalesce_pending(&co));
}
END_TEST

/* Thousands of requests before a start: one scan answers them all, counted shared. */
START_TEST(many_requests_one_scan)
{
        coalesce co = { 0 };
        uint64_t upto;

        for (int i = 0; i < 5000; i++)
                (void) coalesce_request(&co);
        coalesce_started(&co, 5 * MS, true);
        upto = coalesce_finished(&co, 2 * MS);
        ck_assert_uint_eq(upto, 5000);
        coalesce_answered(&co, 5000, true);
        ck_assert_uint_eq(co.requested, 5000);
        ck_assert_uint_eq(co.scans, 1);
        ck_assert_uint_eq(co.shared, 5000);
        ck_assert_uint_eq(coalesce_next_start(&co), 0);
}
END_TEST

/* The gap grows with what the last scan cost: 5x its cost when over 200 ms. */
START_TEST(budget_follows_cost)
{
        coalesce co = { 0 };

        ck_assert_uint_eq(coalesce_gap(&co), COALESCE_MIN_GAP_USEC);
        (void) coalesce_request(&co);
        coalesce_started(&co, 10000 * MS, true);
        (void) coalesce_finished(&co, 100 * MS);
        ck_assert_uint_eq(coalesce_gap(&co), 500 * MS);
        (void) coalesce_request(&co);
        ck_assert_uint_eq(coalesce_next_start(&co), 10500 * MS);
}
END_TEST

/* A periodic scan that starts after a request answers it, and is not counted as one for requests. */
START_TEST(periodic_scan_answers_earlier_requests)
{
        coalesce co = { 0 };
        uint64_t t = coalesce_request(&co);

        coalesce_started(&co, 50 * MS, false);
        ck_assert_uint_eq(coalesce_finished(&co, 1 * MS), t);
        ck_assert_uint_eq(co.scans, 0);
        ck_assert(!coalesce_pending(&co));
        /* One with nobody waiting answers nothing new. */
        coalesce_started(&co, 300 * MS, false);
        ck_assert_uint_eq(coalesce_finished(&co, 1 * MS), t);
}
END_TEST

/* Under a steady flood, scans are spaced by the budget whatever the request rate. */
START_TEST(flood_is_budgeted)
{
        coalesce co = { 0 };
        uint64_t now = 1, scans = 0;

        /* 5 s, a request every 0.1 ms; a scan starts whenever allowed and takes 1 ms. */
        for (; now < 5000 * MS; now += 100) {
                uint64_t at;

                (void) coalesce_request(&co);
                if (co.running && now >= co.last_start + 1 * MS)
                        (void) coalesce_finished(&co, 1 * MS);
                at = coalesce_next_start(&co);
                if (at != 0 && at <= now) {
                        coalesce_started(&co, now, true);
                        scans++;
                }
        }
        ck_assert_uint_eq(co.scans, scans);
        ck_assert_uint_le(scans, 5000 / 200 + 1);
        ck_assert_uint_ge(scans, 5000 / 200 - 1);
        ck_assert_uint_eq(co.requested, 50000);
}
END_TEST

/* Waiters a scan could not answer (their client's output full) make the next scan due, budgeted. */
START_TEST(leftover_waits_for_next_scan)
{
        coalesce co = { 0 };

        (void) coalesce_request(&co);
        coalesce_started(&co, 1000 * MS, true);
        (void) coalesce_finished(&co, 1 * MS);
        ck_assert(!coalesce_pending(&co));
        coalesce_leftover(&co);
        ck_assert(coalesce_pending(&co));
        ck_assert_uint_eq(coalesce_next_start(&co), 1200 * MS);
        coalesce_started(&co, 1200 * MS, true);
        ck_assert(!coalesce_pending(&co));
        (void) coalesce_finished(&co, 1 * MS);
        ck_assert(!coalesce_pending(&co));
}
END_TEST

/* Finishing with nothing running changes nothing. */
START_TEST(finish_without_start)
{
        coalesce co = { 0 };

        (void) coalesce_request(&co);
        ck_assert_uint_eq(coalesce_finished(&co, 5 * MS), 0);
        ck_assert(coalesce_pending(&co));
        ck_assert_uint_eq(co.last_cost, 0);
}
END_TEST

Suite *coalesce_suite(void)
{
        Suite *s = suite_create("coalesce");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, first_request_starts_at_once);
        tcase_add_test(tc, request_during_scan_waits_for_next);
        tcase_add_test(tc, many_requests_one_scan);
        tcase_add_test(tc, budget_follows_cost);
        tcase_add_test(tc, periodic_scan_answers_earlier_requests);
        tcase_add_test(tc, flood_is_budgeted);
        tcase_add_test(tc, leftover_waits_for_next_scan);
        tcase_add_test(tc, finish_without_start);
        suite_add_tcase(s, tc);
        return s;
}
