/* SPDX-License-Identifier: MIT */
/* daemon/flap.c: transitions per key and window, summaries, bounds. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
#include "flap.h"

#define SEC USEC_PER_SEC

static const struct timespec t0 = { .tv_sec = 1700000000 };
static sa_listener l443 = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443, .netns = 7 };

static flap_key key(const char *program)
{
        return (flap_key) { .netns = 7, .proto = IPPROTO_TCP, .port = 443, .program = program };
}

typedef struct got {
        size_t n;
        flap_summary last;
        char program[64];
} got;

static void on_summary(const flap_summary *s, void *userdata)
{
        got *g = userdata;

        g->n++;
        g->last = *s;
        strncpy(g->program, s->key.program, sizeof g->program - 1);
        ck_assert_ptr_nonnull(s->last);
        ck_assert_uint_eq(s->last->port, 443);
        ck_assert_ptr_null(s->last->holders);
}

/* Open/close forever: three shown, the rest suppressed, one summary at the window's end. */
START_TEST(first_three_shown_then_one_summary)
{
        flap *f = flap_new(10 * SEC, 3, 0);
        flap_key k = key("/usr/bin/x");
        flap_stats st;
        got g = { 0 };
        size_t shown = 0;

        ck_assert_ptr_nonnull(f);
        for (int i = 0; i < 100; i++)
                shown += flap_note(f, &k, &l443, i % 2 == 0, 1 * SEC + (uint64_t) i * 2000, &t0);
        ck_assert_uint_eq(shown, 3);
        ck_assert(flap_suppressing(f, &k));
        ck_assert_uint_eq(flap_next_due(f), 11 * SEC);
        flap_get_stats(f, &st);
        ck_assert_uint_eq(st.keys, 1);
        ck_assert_uint_eq(st.flapping, 1);
        ck_assert_uint_eq(st.suppressed, 97);

        flap_expire(f, 11 * SEC - 1, on_summary, &g);   /* not yet */
        ck_assert_uint_eq(g.n, 0);
        flap_expire(f, 11 * SEC, on_summary, &g);
        ck_assert_uint_eq(g.n, 1);
        ck_assert_uint_eq(g.last.opens, 50);
        ck_assert_uint_eq(g.last.closes, 50);
        ck_assert_uint_eq(g.last.suppressed, 97);
        ck_assert_uint_eq(g.last.window_usec, 10 * SEC);
        ck_assert(g.last.shown_open);                   /* open, close, open were shown */
        ck_assert_str_eq(g.program, "/usr/bin/x");
        ck_assert(!flap_suppressing(f, &k));
        ck_assert_uint_eq(flap_next_due(f), 0);
        flap_get_stats(f, &st);
        ck_assert_uint_eq(st.keys, 0);
        ck_assert_uint_eq(st.flapping_windows, 1);

        /* A new window: shown again. */
        ck_assert(flap_note(f, &k, &l443, true, 12 * SEC, &t0));
        flap_free(f);
}
END_TEST

/* A listener opened and closed a few times is never suppressed, and gives no summary. */
START_TEST(few_transitions_no_summary)
{
        flap *f = flap_new(10 * SEC, 3, 0);
        flap_key k = key("");
        got g = { 0 };

        ck_assert(flap_note(f, &k, &l443, true, SEC, &t0));
        ck_assert(flap_note(f, &k, &l443, false, 2 * SEC, &t0));
        ck_assert(flap_note(f, &k, &l443, true, 3 * SEC, &t0));
        ck_assert(!flap_suppressing(f, &k));
        ck_assert_uint_eq(flap_next_due(f), 0);
        flap_expire(f, 20 * SEC, on_summary, &g);
        ck_assert_uint_eq(g.n, 0);
        /* Spread over windows: each starts afresh. */
        for (int i = 0; i < 10; i++)
                ck_assert(flap_note(f, &k, &l443, i % 2, 30 * SEC + (uint64_t) i * 11 * SEC, &t0));
        flap_free(f);
}
END_TEST

/* Keys differ by program, port and namespace. */
START_TEST(keys_are_separate)
{
        flap *f = flap_new(10 * SEC, 1, 0);
        flap_key a = key("/a"), b = key("/b"), c = key("/a");

        c.netns = 8;
        ck_assert(flap_note(f, &a, &l443, true, SEC, &t0));
        ck_assert(!flap_note(f, &a, &l443, false, SEC, &t0));
        ck_assert(flap_note(f, &b, &l443, true, SEC, &t0));
        ck_assert(flap_note(f, &c, &l443, true, SEC, &t0));
        ck_assert(flap_suppressing(f, &a));
        ck_assert(!flap_suppressing(f, &b));
        ck_assert(!flap_suppressing(f, &c));
        flap_free(f);
}
END_TEST

/* Beyond max_keys a key is not tracked: shown, counted. */
START_TEST(bounded_keys)
{
        flap *f = flap_new(10 * SEC, 0, 4);
        flap_stats st;

        for (uint16_t port = 1; port <= 6; port++) {
                flap_key k = key("/p");
                k.port = port;
                /* free_transitions 0: a tracked key suppresses from the first */
                ck_assert(flap_note(f, &k, &l443, true, SEC, &t0) == (port > 4));
        }
        flap_get_stats(f, &st);
        ck_assert_uint_eq(st.keys, 4);
        ck_assert_uint_eq(st.untracked, 2);
        flap_count_suppressed(f);
        flap_get_stats(f, &st);
        ck_assert_uint_eq(st.suppressed, 5);
        ck_assert_ptr_null(flap_free(f));
        ck_assert_ptr_null(flap_free(NULL));
}
END_TEST

/* The listener_flapping event: its JSON and its journal entry, untrusted program escaped. */
START_TEST(flapping_event_shape)
{
        event_flapping ef = { .program = "/tmp/x\nSOCKAUDIT_PORT=1", .opens = 40, .closes = 39,
                              .window_usec = 10 * SEC, .first = t0, .last = { .tv_sec = t0.tv_sec + 8 } };
        json_t *ev = event_flapping_to_json(&t0, &l443, "opened 40 and closed 39 times", &ef);
        journal_entry *e = event_flapping_journal_entry(&l443, "opened 40 and closed 39 times", &ef);
        json_t *fl;
        bool saw_program = false, saw_id = false;

        ck_assert_ptr_nonnull(ev);
        ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "listener_flapping");
        fl = json_object_get(ev, "flapping");
        ck_assert_int_eq(json_integer_value(json_object_get(fl, "opens")), 40);
        ck_assert_int_eq(json_integer_value(json_object_get(fl, "closes")), 39);
        ck_assert_int_eq(json_integer_value(json_object_get(fl, "window_sec")), 10);
        ck_assert_str_eq(json_string_value(json_object_get(fl, "program")), ef.program);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ev, "listener"), "port")), 443);
        json_decref(ev);

        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->priority, 4);
        for (size_t i = 0; i < e->n; i++) {
                const char *v = e->iov[i].iov_base;
                ck_assert_ptr_null(strchr(v, '\n'));
                saw_id |= !strcmp(v, "MESSAGE_ID=" SA_MESSAGE_ID_LISTENER_FLAPPING);
                saw_program |= !strncmp(v, "SOCKAUDIT_PROGRAM=/tmp/x", 24);
        }
        ck_assert(saw_id);
        ck_assert(saw_program);
        journal_entry_free(e);
}
END_TEST

Suite *flap_suite(void)
{
        Suite *s = suite_create("flap");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, first_three_shown_then_one_summary);
        tcase_add_test(tc, few_transitions_no_summary);
        tcase_add_test(tc, keys_are_separate);
        tcase_add_test(tc, bounded_keys);
        tcase_add_test(tc, flapping_event_shape);
        suite_add_tcase(s, tc);
        return s;
}
