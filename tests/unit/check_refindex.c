/* SPDX-License-Identifier: MIT */
/* Indexes of the records a compact reply writes once (daemon/refindex.c). */
#include <check.h>
#include <stdint.h>

#include "refindex.h"

/* A poor hash on purpose: long probe chains, and equal hashes of different keys. */
static uint64_t weak_hash(uint32_t k)
{
        return k % 7;
}

START_TEST(numbers_in_order_of_first_sight)
{
        refindex x;
        size_t i;

        refindex_init(&x, sizeof(uint32_t));
        for (uint32_t k = 0; k < 5000; k++) {
                ck_assert_int_eq(refindex_get(&x, &k, weak_hash(k), &i), 0);
                ck_assert_uint_eq(i, k);
        }
        for (uint32_t k = 0; k < 5000; k += 37) {
                ck_assert_int_eq(refindex_get(&x, &k, weak_hash(k), &i), 1);
                ck_assert_uint_eq(i, k);
        }
        ck_assert_uint_eq(x.n, 5000);
        refindex_done(&x);
        ck_assert_uint_eq(x.n, 0);
}
END_TEST

/* Keys forgotten (a listener rolled back) are new again, with the same numbers; older ones stay. */
START_TEST(forget_from)
{
        refindex x;
        size_t i;

        refindex_init(&x, sizeof(uint32_t));
        for (uint32_t k = 100; k < 300; k++)
                ck_assert_int_eq(refindex_get(&x, &k, weak_hash(k), &i), 0);
        refindex_forget_from(&x, 150);
        ck_assert_uint_eq(x.n, 150);
        for (uint32_t k = 100; k < 250; k++) {
                ck_assert_int_eq(refindex_get(&x, &k, weak_hash(k), &i), 1);
                ck_assert_uint_eq(i, k - 100);
        }
        for (uint32_t k = 250; k < 300; k++) {
                ck_assert_int_eq(refindex_get(&x, &k, weak_hash(k), &i), 0);
                ck_assert_uint_eq(i, k - 100);
        }
        refindex_forget_from(&x, 500);  /* beyond n: nothing */
        ck_assert_uint_eq(x.n, 200);
        refindex_done(&x);
}
END_TEST

Suite *refindex_suite(void)
{
        Suite *s = suite_create("refindex");
        TCase *tc = tcase_create("index");

        tcase_add_test(tc, numbers_in_order_of_first_sight);
        tcase_add_test(tc, forget_from);
        suite_add_tcase(s, tc);
        return s;
}
