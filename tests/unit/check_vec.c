/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/vec.c: the growable listener array. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "vec.h"

START_TEST(vec_push_copies_and_clears_holders)
{
        sa_listener_vec v = { 0 };
        sa_holder h = { 0 };
        sa_listener l = { .proto = 6, .port = 443, .inode = 77, .cookie = 5,
                          .holders = &h, .n_holders = 1 };

        ck_assert_int_eq(sa_listener_vec_push(&v, &l), 0);
        l.port = 1;
        ck_assert_uint_eq(v.n, 1);
        ck_assert_uint_ge(v.cap, 1);
        ck_assert_uint_eq(v.items[0].port, 443);
        ck_assert_uint_eq(v.items[0].inode, 77);
        ck_assert_uint_eq(v.items[0].cookie, 5);
        ck_assert_ptr_null(v.items[0].holders);
        ck_assert_uint_eq(v.items[0].n_holders, 0);
        sa_listener_vec_clear(&v);
}
END_TEST

START_TEST(vec_growth_is_geometric)
{
        sa_listener_vec v = { 0 };
        sa_listener l = { 0 };
        unsigned reallocs = 0;
        size_t last_cap = 0;

        for (uint32_t i = 0; i < 10000; i++) {
                l.inode = i;
                ck_assert_int_eq(sa_listener_vec_push(&v, &l), 0);
                if (v.cap != last_cap) {
                        reallocs++;
                        last_cap = v.cap;
                }
        }
        ck_assert_uint_eq(v.n, 10000);
        ck_assert_uint_le(v.cap, 2 * v.n + 16);
        ck_assert_uint_le(reallocs, 12);
        for (uint32_t i = 0; i < 10000; i++)
                ck_assert_uint_eq(v.items[i].inode, i);
        sa_listener_vec_clear(&v);
}
END_TEST

START_TEST(vec_truncate_and_clear)
{
        sa_listener_vec v = { 0 };
        sa_listener l = { 0 };

        for (uint32_t i = 0; i < 5; i++) {
                l.inode = i;
                ck_assert_int_eq(sa_listener_vec_push(&v, &l), 0);
        }
        sa_listener_vec_truncate(&v, 7);   /* beyond n: no-op */
        ck_assert_uint_eq(v.n, 5);
        sa_listener_vec_truncate(&v, 2);
        ck_assert_uint_eq(v.n, 2);
        ck_assert_uint_eq(v.items[1].inode, 1);
        l.inode = 99;
        ck_assert_int_eq(sa_listener_vec_push(&v, &l), 0);
        ck_assert_uint_eq(v.items[2].inode, 99);

        sa_listener_vec_clear(&v);
        ck_assert_ptr_null(v.items);
        ck_assert_uint_eq(v.n, 0);
        ck_assert_uint_eq(v.cap, 0);
        sa_listener_vec_clear(&v);         /* twice is fine */
        ck_assert_int_eq(sa_listener_vec_push(&v, &l), 0);
        ck_assert_uint_eq(v.n, 1);
        sa_listener_vec_clear(&v);
}
END_TEST

Suite *vec_suite(void)
{
        Suite *s = suite_create("vec");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, vec_push_copies_and_clears_holders);
        tcase_add_test(tc, vec_growth_is_geometric);
        tcase_add_test(tc, vec_truncate_and_clear);
        suite_add_tcase(s, tc);
        return s;
}
