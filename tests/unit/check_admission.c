/* SPDX-License-Identifier: MIT */
/* Who gets a control-socket slot (daemon/admission.c, issue 12 §3). */
#include <check.h>

#include "admission.h"

static const admission_limits LIM = { .total = 4, .per_user = 3, .root_reserve = 2 };

#define IDLE(u, t) { .uid = (u), .busy = false, .active_at = (t) }
#define BUSY(u, t) { .uid = (u), .busy = true, .active_at = (t) }

START_TEST(admits_below_the_limits)
{
        const admission_slot s[] = { IDLE(1000, 1), IDLE(1001, 2) };
        size_t v = 99;

        ck_assert_int_eq(admission_decide(&LIM, s, 2, 1000, &v), ADMISSION_ADMIT);
        ck_assert_int_eq(admission_decide(&LIM, s, 2, 0, &v), ADMISSION_ADMIT);
        ck_assert_int_eq(admission_decide(&LIM, NULL, 0, 1000, &v), ADMISSION_ADMIT);
        ck_assert_uint_eq(v, 99);       /* untouched unless evicting */
}
END_TEST

/* At its own cap a user evicts its own longest-idle connection, never another's. */
START_TEST(per_user_cap_evicts_own_oldest_idle)
{
        const admission_slot s[] = { IDLE(1001, 1), IDLE(1000, 5), BUSY(1000, 2), IDLE(1000, 3) };
        const admission_slot all_busy[] = { IDLE(1001, 1), BUSY(1000, 5), BUSY(1000, 2), BUSY(1000, 3) };
        size_t v = 99;

        ck_assert_int_eq(admission_decide(&LIM, s, 4, 1000, &v), ADMISSION_EVICT);
        ck_assert_uint_eq(v, 3);
        v = 99;
        ck_assert_int_eq(admission_decide(&LIM, all_busy, 4, 1000, &v), ADMISSION_REFUSE);
        ck_assert_uint_eq(v, 99);
}
END_TEST

/* Full: the longest idle of anyone but root makes room; busy ones never do. */
START_TEST(total_full_evicts_oldest_idle)
{
        const admission_slot s[] = { BUSY(1000, 1), IDLE(0, 2), IDLE(1001, 4), IDLE(1000, 3) };
        const admission_slot none[] = { BUSY(1000, 1), IDLE(0, 2), BUSY(1001, 4), BUSY(1002, 3) };
        size_t v = 99;

        ck_assert_int_eq(admission_decide(&LIM, s, 4, 1002, &v), ADMISSION_EVICT);
        ck_assert_uint_eq(v, 3);        /* not root's older one */
        ck_assert_int_eq(admission_decide(&LIM, none, 4, 1003, &v), ADMISSION_REFUSE);
}
END_TEST

/* Root is exempt from the per-user cap, has its reserve, and past it may evict anyone idle. */
START_TEST(root_reserve_then_evicts)
{
        const admission_slot s[] = { BUSY(1000, 1), BUSY(1000, 2), BUSY(1000, 3), IDLE(0, 9), IDLE(0, 4) };
        const admission_slot full[] = { BUSY(1000, 1), BUSY(1000, 2), BUSY(1000, 3), IDLE(0, 9), IDLE(0, 4),
                                        IDLE(1001, 7) };
        const admission_slot stuck[] = { BUSY(1000, 1), BUSY(1000, 2), BUSY(1000, 3), BUSY(0, 9), BUSY(0, 4),
                                         BUSY(1001, 7) };
        size_t v = 99;

        ck_assert_int_eq(admission_decide(&LIM, s, 5, 0, &v), ADMISSION_ADMIT);
        ck_assert_int_eq(admission_decide(&LIM, s, 5, 1001, &v), ADMISSION_REFUSE);  /* root's idle ones stay */
        ck_assert_int_eq(admission_decide(&LIM, full, 6, 0, &v), ADMISSION_EVICT);
        ck_assert_uint_eq(v, 4);
        ck_assert_int_eq(admission_decide(&LIM, stuck, 6, 0, &v), ADMISSION_REFUSE);
}
END_TEST

START_TEST(default_per_user)
{
        ck_assert_uint_eq(admission_default_per_user(4096), 1024);
        ck_assert_uint_eq(admission_default_per_user(1000), 250);
        ck_assert_uint_eq(admission_default_per_user(256), 64);
        ck_assert_uint_eq(admission_default_per_user(100), 64);
        ck_assert_uint_eq(admission_default_per_user(3), 3);
        ck_assert_uint_eq(admission_default_per_user(1), 1);
}
END_TEST

Suite *admission_suite(void)
{
        Suite *s = suite_create("admission");
        TCase *tc = tcase_create("decide");

        tcase_add_test(tc, admits_below_the_limits);
        tcase_add_test(tc, per_user_cap_evicts_own_oldest_idle);
        tcase_add_test(tc, total_full_evicts_oldest_idle);
        tcase_add_test(tc, root_reserve_then_evicts);
        tcase_add_test(tc, default_per_user);
        suite_add_tcase(s, tc);
        return s;
}
