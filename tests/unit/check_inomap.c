/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "inomap.h"

START_TEST(test_put_get)
{
        sa_inomap *m = NULL;
        size_t idx = 777;

        ck_assert_int_eq(sa_inomap_new(4, &m), 0);
        ck_assert_ptr_nonnull(m);
        ck_assert_uint_eq(sa_inomap_size(m), 0);
        ck_assert(!sa_inomap_get(m, 123, &idx));
        ck_assert_uint_eq(idx, 777); /* untouched on a miss */

        ck_assert_int_eq(sa_inomap_put(m, 123, 0), 0);
        ck_assert_int_eq(sa_inomap_put(m, UINT32_MAX, 5), 0);
        ck_assert(sa_inomap_get(m, 123, &idx));
        ck_assert_uint_eq(idx, 0);
        ck_assert(sa_inomap_get(m, UINT32_MAX, &idx));
        ck_assert_uint_eq(idx, 5);
        ck_assert(sa_inomap_get(m, 123, NULL));
        ck_assert(!sa_inomap_get(m, 124, &idx));
        ck_assert_uint_eq(sa_inomap_size(m), 2);

        /* Replacing keeps the size. */
        ck_assert_int_eq(sa_inomap_put(m, 123, 42), 0);
        ck_assert(sa_inomap_get(m, 123, &idx));
        ck_assert_uint_eq(idx, 42);
        ck_assert_uint_eq(sa_inomap_size(m), 2);

        ck_assert_ptr_null(sa_inomap_free(m));
}
END_TEST

START_TEST(test_invalid)
{
        sa_inomap *m = NULL, *keep = (sa_inomap *) 0x1;

        ck_assert_int_eq(sa_inomap_new(0, &m), 0);
        ck_assert_int_eq(sa_inomap_put(m, 0, 1), -EINVAL);
        ck_assert_int_eq(sa_inomap_put(NULL, 1, 1), -EINVAL);
        ck_assert(!sa_inomap_get(m, 0, NULL));
        ck_assert(!sa_inomap_get(NULL, 1, NULL));
        ck_assert_uint_eq(sa_inomap_size(NULL), 0);
        ck_assert_int_eq(sa_inomap_new(SIZE_MAX, &keep), -ENOMEM);
        ck_assert_ptr_eq(keep, (sa_inomap *) 0x1);
        ck_assert_ptr_null(sa_inomap_free(NULL));
        sa_inomap_free(m);
}
END_TEST

/* Distinct keys sharing their low 12 bits: a weak hash would pile them up. */
static uint32_t strided(size_t i)
{
        return 0x80000000u + (uint32_t) (i + 1) * 4096u;
}

/* Grows from a tiny hint; sequential, strided and colliding keys all survive. */
START_TEST(test_grow)
{
        const size_t n = 100000;
        sa_inomap *m = NULL;
        size_t idx;

        /* Plain checks in the loops: every passing ck_assert costs a write(). */
        ck_assert_int_eq(sa_inomap_new(1, &m), 0);
        for (size_t i = 0; i < n; i++)
                if (sa_inomap_put(m, (uint32_t) (i + 1), i) < 0 ||
                    sa_inomap_put(m, strided(i), n + i) < 0)
                        ck_abort_msg("put %zu failed", i);
        ck_assert_uint_eq(sa_inomap_size(m), 2 * n);
        for (size_t i = 0; i < n; i++) {
                size_t idx2;

                if (!sa_inomap_get(m, (uint32_t) (i + 1), &idx) || idx != i ||
                    !sa_inomap_get(m, strided(i), &idx2) || idx2 != n + i)
                        ck_abort_msg("entry %zu lost", i);
        }
        ck_assert(!sa_inomap_get(m, (uint32_t) n + 1, NULL));
        ck_assert(!sa_inomap_get(m, 0x7fff0000u, NULL));
        sa_inomap_free(m);
}
END_TEST

Suite *inomap_suite(void)
{
        Suite *s = suite_create("inomap");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_put_get);
        tcase_add_test(tc, test_invalid);
        tcase_add_test(tc, test_grow);
        suite_add_tcase(s, tc);
        return s;
}
