/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/netnsdirt.c: which namespaces a refresh must dump. */
#include <check.h>
#include <stdint.h>

#include "netnsdirt.h"

/* Three namespaces, inodes 10, 20, 30 (sorted), cookies 100, 200, 300. */
static void three(sa_netns_set *set, sa_netns items[3], bool events)
{
        for (int i = 0; i < 3; i++)
                items[i] = (sa_netns) { .ino = 10 * (uint64_t) (i + 1), .cookie = 100 * (uint64_t) (i + 1) };
        *set = (sa_netns_set) { .items = items, .n = 3, .cap = 3, .events = events };
}

/* Every namespace dumped unfiltered at once: all clean. */
static void dump_all(sa_netns_set *set)
{
        uint64_t seq = sa_netns_dump_seq(set);

        for (size_t i = 0; i < set->n; i++)
                sa_netns_cleaned(&set->items[i], seq);
}

START_TEST(netnsdirt_events_off_dumps_all)
{
        sa_netns items[3];
        sa_netns_set set;

        three(&set, items, false);
        dump_all(&set);
        ck_assert_uint_eq(sa_netns_pick(&set, 0), 3);
}
END_TEST

START_TEST(netnsdirt_never_dumped_is_dirty)
{
        sa_netns items[3];
        sa_netns_set set;
        size_t d, c;

        three(&set, items, true);
        ck_assert_uint_eq(sa_netns_pick(&set, 0), 3);
        dump_all(&set);
        ck_assert_uint_eq(sa_netns_pick(&set, 0), 0);
        sa_netns_dirt_counts(&set, 0, &d, &c);
        ck_assert_uint_eq(d, 0);
        ck_assert_uint_eq(c, 3);
        items[1].cookie = 0;            /* a cookie never learned: always dumped */
        ck_assert_uint_eq(sa_netns_pick(&set, 0), 1);
        ck_assert(items[1].pick);
}
END_TEST

START_TEST(netnsdirt_mark_by_ino_and_cookie)
{
        sa_netns items[3];
        sa_netns_set set;

        three(&set, items, true);
        dump_all(&set);
        ck_assert(sa_netns_mark(&set, 20, 0, 0));
        ck_assert(sa_netns_mark(&set, 0, 300, 0));
        ck_assert(!sa_netns_mark(&set, 40, 400, 0)); /* not in the set: nothing */
        ck_assert_uint_eq(sa_netns_pick(&set, 0), 2);
        ck_assert(!items[0].pick);
        ck_assert(items[1].pick);
        ck_assert(items[2].pick);
        dump_all(&set);
        ck_assert_uint_eq(sa_netns_pick(&set, 0), 0);
}
END_TEST

/* An event while a dump runs keeps its namespace dirty after the dump. */
START_TEST(netnsdirt_event_during_dump_stays_dirty)
{
        sa_netns items[3];
        sa_netns_set set;
        uint64_t seq;

        three(&set, items, true);
        dump_all(&set);
        sa_netns_mark(&set, 10, 0, 0);
        seq = sa_netns_dump_seq(&set); /* the dump begins */
        sa_netns_mark(&set, 10, 0, 0); /* ... an event comes ... */
        sa_netns_cleaned(&items[0], seq); /* ... it ends */
        ck_assert(sa_netns_dirty(&set, &items[0], 0));
}
END_TEST

START_TEST(netnsdirt_hot_window_and_lost)
{
        sa_netns items[3];
        sa_netns_set set;

        three(&set, items, true);
        dump_all(&set);
        sa_netns_mark(&set, 30, 0, 1000);
        dump_all(&set);
        ck_assert(sa_netns_dirty(&set, &items[2], 999)); /* dumped, but within its hot window */
        ck_assert(!sa_netns_dirty(&set, &items[2], 1000));
        sa_netns_mark_all(&set);
        ck_assert_uint_eq(sa_netns_pick(&set, 2000), 3);
        dump_all(&set);
        ck_assert_uint_eq(sa_netns_pick(&set, 2000), 0);
        ck_assert_ptr_eq(sa_netns_find(&set, 20), &items[1]);
        ck_assert_ptr_null(sa_netns_find(&set, 25));
}
END_TEST

Suite *netnsdirt_suite(void)
{
        Suite *s = suite_create("netnsdirt");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, netnsdirt_events_off_dumps_all);
        tcase_add_test(tc, netnsdirt_never_dumped_is_dirty);
        tcase_add_test(tc, netnsdirt_mark_by_ino_and_cookie);
        tcase_add_test(tc, netnsdirt_event_during_dump_stays_dirty);
        tcase_add_test(tc, netnsdirt_hot_window_and_lost);
        suite_add_tcase(s, tc);
        return s;
}
