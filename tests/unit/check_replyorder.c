/* SPDX-License-Identifier: MIT */
/* A client's replies in request order behind deferred ones (daemon/replyorder.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replyorder.h"

static char *dup_text(const char *s)
{
        char *t = strdup(s);

        ck_assert_ptr_nonnull(t);
        return t;
}

/* Pops the next reply and checks its text (NULL: none may go out yet). */
static void expect_pop(reply_order *o, const char *want)
{
        char *text = NULL;
        size_t len = 0;
        bool got = reply_order_pop(o, &text, &len);

        if (!want) {
                ck_assert(!got);
                return;
        }
        ck_assert(got);
        ck_assert_ptr_nonnull(text);
        ck_assert_uint_eq(len, strlen(want));
        ck_assert_str_eq(text, want);
        free(text);
}

static int fill(client *c, uint64_t ticket, uint64_t waited_usec, control_reply *ret, void *userdata)
{
        char buf[64];

        snprintf(buf, sizeof buf, "%s %llu", (const char *) userdata, (unsigned long long) waited_usec);
        ret->text = dup_text(buf);
        ret->len = strlen(buf);
        ret->ok = true;
        return 0;
}

static int fill_fails(client *c, uint64_t ticket, uint64_t waited_usec, control_reply *ret, void *userdata)
{
        return -12;
}

/* A deferred reply holds back those behind it; answered, they go out in request order. */
START_TEST(order_kept)
{
        reply_order o = { 0 };
        unsigned errors = 99;

        ck_assert_int_eq(reply_order_defer(&o, 3, 1, 100), 0);
        ck_assert_int_eq(reply_order_push(&o, dup_text("status"), 6), 0);
        ck_assert_int_eq(reply_order_defer(&o, 4, 1, 150), 0);
        ck_assert_uint_eq(o.waiting, 2);
        ck_assert_uint_eq(o.bytes, 6);
        expect_pop(&o, NULL);
        /* Kind 4 first: still behind the kind 3 one. */
        ck_assert_uint_eq(reply_order_count(&o, 4, 1), 1);
        ck_assert_uint_eq(reply_order_answer(&o, 4, 1, 400, SIZE_MAX, fill, NULL, "check", &errors), 1);
        ck_assert_uint_eq(errors, 0);
        expect_pop(&o, NULL);
        /* A ticket above upto keeps waiting. */
        ck_assert_uint_eq(reply_order_answer(&o, 3, 0, 400, SIZE_MAX, fill, NULL, "refresh", &errors), 0);
        ck_assert_uint_eq(reply_order_answer(&o, 3, 1, 400, SIZE_MAX, fill, NULL, "refresh", &errors), 1);
        expect_pop(&o, "refresh 300");
        expect_pop(&o, "status");
        expect_pop(&o, "check 250");
        expect_pop(&o, NULL);
        ck_assert_uint_eq(o.n, 0);
        ck_assert_uint_eq(o.bytes, 0);
        reply_order_clear(&o);
}
END_TEST

/* At CONTROL_DEFER_MAX it refuses more, and frees what it was given. */
START_TEST(bounded)
{
        reply_order o = { 0 };

        for (unsigned i = 0; i < CONTROL_DEFER_MAX; i++)
                ck_assert_int_eq(i % 2 ? reply_order_push(&o, dup_text("x"), 1) : reply_order_defer(&o, 1, i, 0), 0);
        ck_assert(reply_order_full(&o));
        ck_assert_int_eq(reply_order_defer(&o, 1, 1000, 0), -ENOBUFS);
        ck_assert_int_eq(reply_order_push(&o, dup_text("y"), 1), -ENOBUFS);   /* freed: no leak */
        reply_order_clear(&o);                                                  /* frees the rest */
        ck_assert_uint_eq(o.n, 0);
}
END_TEST

/* A fill that runs out of memory gives the internal error in its place (NULL text), counted. */
START_TEST(fill_failure)
{
        reply_order o = { 0 };
        unsigned errors = 0;
        char *text = (char *) 1;
        size_t len = 5;

        ck_assert_int_eq(reply_order_defer(&o, 1, 7, 0), 0);
        ck_assert_uint_eq(reply_order_answer(&o, 1, 7, 10, SIZE_MAX, fill_fails, NULL, NULL, &errors), 1);
        ck_assert_uint_eq(errors, 1);
        ck_assert(reply_order_pop(&o, &text, &len));
        ck_assert_ptr_null(text);
        ck_assert_uint_eq(len, 0);
        reply_order_clear(&o);
}
END_TEST

/* Answers stop at room bytes; the rest keep waiting, in order. */
START_TEST(room_bounds_answers)
{
        reply_order o = { 0 };
        unsigned errors;

        for (unsigned i = 1; i <= 3; i++)
                ck_assert_int_eq(reply_order_defer(&o, 1, i, 0), 0);
        ck_assert_uint_eq(reply_order_answer(&o, 1, 3, 5, 0, fill, NULL, "z", &errors), 0);   /* no room */
        ck_assert_uint_eq(reply_order_answer(&o, 1, 3, 10, 1, fill, NULL, "a", &errors), 1);
        ck_assert_uint_eq(o.waiting, 2);
        ck_assert_uint_eq(reply_order_answer(&o, 1, 3, 20, 9, fill, NULL, "b", &errors), 2); /* 4 + 4 < 9 */
        expect_pop(&o, "a 10");
        expect_pop(&o, "b 20");
        expect_pop(&o, "b 20");
        ck_assert_uint_eq(reply_order_answer(&o, 1, 3, 30, 0, fill, NULL, "c", &errors), 0);
        reply_order_clear(&o);
}
END_TEST

/* Odd tickets move to kind 7 (ticket + 100); even ones stay. */
static bool retag_odd(uint64_t ticket, unsigned *ret_kind, uint64_t *ret_ticket, void *userdata)
{
        (*(unsigned *) userdata)++;
        if (ticket % 2 == 0) {
                *ret_kind = 99;         /* ignored: not retagged */
                return false;
        }
        *ret_kind = 7;
        *ret_ticket = ticket + 100;
        return true;
}

/* Retagged replies wait in their place for their new kind and ticket; the others are untouched. */
START_TEST(retag_keeps_place)
{
        reply_order o = { 0 };
        unsigned errors, seen = 0;

        for (unsigned i = 1; i <= 4; i++)
                ck_assert_int_eq(reply_order_defer(&o, 1, i, 10 * i), 0);
        ck_assert_int_eq(reply_order_defer(&o, 2, 1, 0), 0);
        ck_assert_uint_eq(reply_order_retag(&o, 1, 3, retag_odd, &seen), 2); /* tickets 1 and 3 */
        ck_assert_uint_eq(seen, 3);                                          /* 1, 2, 3: not 4, not kind 2 */
        ck_assert_uint_eq(reply_order_count(&o, 1, UINT64_MAX), 2);
        ck_assert_uint_eq(reply_order_count(&o, 7, 102), 1);
        ck_assert_uint_eq(reply_order_count(&o, 7, 103), 2);
        /* The first (now kind 7) still holds back the rest until answered; it waited since 10. */
        ck_assert_uint_eq(reply_order_answer(&o, 1, UINT64_MAX, 50, SIZE_MAX, fill, NULL, "k1", &errors), 2);
        expect_pop(&o, NULL);
        ck_assert_uint_eq(reply_order_answer(&o, 7, UINT64_MAX, 50, SIZE_MAX, fill, NULL, "k7", &errors), 2);
        expect_pop(&o, "k7 40");
        expect_pop(&o, "k1 30");
        expect_pop(&o, "k7 20");
        expect_pop(&o, "k1 10");
        expect_pop(&o, NULL);   /* kind 2 still waits */
        reply_order_clear(&o);
}
END_TEST

/* The ring wraps: many rounds of defer, answer, pop. */
START_TEST(wraps)
{
        reply_order o = { 0 };
        unsigned errors;

        for (unsigned round = 0; round < 3 * CONTROL_DEFER_MAX; round++) {
                ck_assert_int_eq(reply_order_defer(&o, 2, round + 1, round), 0);
                ck_assert_int_eq(reply_order_push(&o, dup_text("after"), 5), 0);
                ck_assert_uint_eq(reply_order_answer(&o, 2, round + 1, round + 5, SIZE_MAX, fill, NULL, "r", &errors), 1);
                expect_pop(&o, "r 5");
                expect_pop(&o, "after");
        }
        reply_order_clear(&o);
}
END_TEST

Suite *replyorder_suite(void)
{
        Suite *s = suite_create("replyorder");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, order_kept);
        tcase_add_test(tc, bounded);
        tcase_add_test(tc, fill_failure);
        tcase_add_test(tc, retag_keeps_place);
        tcase_add_test(tc, room_bounds_answers);
        tcase_add_test(tc, wraps);
        suite_add_tcase(s, tc);
        return s;
}
