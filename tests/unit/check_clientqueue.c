/* SPDX-License-Identifier: MIT */
/* The queue of clients with a request, fair per user (daemon/clientqueue.c). */
#include <check.h>

#include "clientstate.h"

static sd_event *loop;
static client_pool pool;
static client clients[8];

static int on_work(sd_event_source *s, void *userdata)
{
        return 0;
}

/* An empty pool with a work source (off) on a real loop; clients[i] unqueued, uid uids[i]. */
static void setup_pool(const uid_t *uids, size_t n)
{
        ck_assert_int_ge(sd_event_new(&loop), 0);
        pool = (client_pool) { .event = loop };
        ck_assert_int_ge(sd_event_add_defer(loop, &pool.work, on_work, NULL), 0);
        ck_assert_int_ge(sd_event_source_set_enabled(pool.work, SD_EVENT_OFF), 0);
        for (size_t i = 0; i < n; i++)
                clients[i] = (client) { .pool = &pool, .uid = uids[i] };
}

static void teardown_pool(void)
{
        clientqueue_free(&pool);
        sd_event_source_unref(pool.work);
        loop = sd_event_unref(loop);
}

static int work_enabled(void)
{
        int on = -1;

        ck_assert_int_ge(sd_event_source_get_enabled(pool.work, &on), 0);
        return on;
}

/* Pops every client left and checks the order (indexes into clients). */
static void expect_order(const int *want, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                client *c = clientqueue_pop(&pool);

                ck_assert_ptr_eq(c, &clients[want[i]]);
                ck_assert(!c->in_ready);
        }
        ck_assert_ptr_null(clientqueue_pop(&pool));
        ck_assert_int_eq(work_enabled(), SD_EVENT_OFF);
}

/* Four of a member's clients queued before root's one: root's comes second. */
START_TEST(users_take_turns)
{
        const uid_t uids[] = { 65534, 65534, 65534, 65534, 0, 65533 };
        const int want[] = { 0, 4, 5, 1, 2, 3 };

        setup_pool(uids, 6);
        for (size_t i = 0; i < 6; i++)
                ck_assert_int_eq(clientqueue_append(&clients[i]), 0);
        ck_assert_int_eq(clientqueue_append(&clients[0]), 0);    /* queued already: no-op */
        ck_assert_int_eq(work_enabled(), SD_EVENT_ON);
        expect_order(want, 6);
        teardown_pool();
}
END_TEST

/* A client leaving (freed) mid-queue, and a user's queue emptying, keep the others' turns. */
START_TEST(removal_keeps_turns)
{
        const uid_t uids[] = { 1, 1, 2, 3, 3 };
        const int want[] = { 3, 1, 4 };

        setup_pool(uids, 5);
        for (size_t i = 0; i < 5; i++)
                ck_assert_int_eq(clientqueue_append(&clients[i]), 0);
        ck_assert_ptr_eq(clientqueue_pop(&pool), &clients[0]);   /* uid 1's turn; uid 2 is next */
        clientqueue_remove(&clients[2]);                         /* uid 2 gone: uid 3 is next */
        clientqueue_remove(&clients[2]);                         /* not queued: no-op */
        expect_order(want, 3);
        teardown_pool();
}
END_TEST

/* A client served and queued again goes behind its user's others. */
START_TEST(served_goes_back)
{
        const uid_t uids[] = { 7, 7, 0 };
        const int want[] = { 2, 1, 0 };

        setup_pool(uids, 3);
        for (size_t i = 0; i < 3; i++)
                ck_assert_int_eq(clientqueue_append(&clients[i]), 0);
        ck_assert_ptr_eq(clientqueue_pop(&pool), &clients[0]);
        ck_assert_int_eq(clientqueue_append(&clients[0]), 0);
        expect_order(want, 3);
        teardown_pool();
}
END_TEST

Suite *clientqueue_suite(void)
{
        Suite *s = suite_create("clientqueue");
        TCase *tc = tcase_create("fair");

        tcase_add_test(tc, users_take_turns);
        tcase_add_test(tc, removal_keeps_turns);
        tcase_add_test(tc, served_goes_back);
        suite_add_tcase(s, tc);
        return s;
}
