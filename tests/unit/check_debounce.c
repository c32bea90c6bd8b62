/* SPDX-License-Identifier: MIT */
/* daemon/debounce.c: new listeners held, short-lived ones counted and summed up, bounds. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "debounce.h"
#include "event.h"

#define SEC USEC_PER_SEC

/* A listener in namespace netns with socket cookie. */
static sa_listener lis(uint64_t netns, uint64_t cookie, uint16_t port)
{
        return (sa_listener) { .proto = IPPROTO_TCP, .family = AF_INET, .port = port, .netns = netns,
                               .cookie = cookie, .inode = (uint32_t) cookie + 1000 };
}

typedef struct got {
        size_t released, summaries;
        debounce_key last_key;
        debounce_summary last;
        char last_text[256];
} got;

static void on_release(const debounce_key *k, void *userdata)
{
        got *g = userdata;

        g->released++;
        g->last_key = *k;
}

static void on_summary(const debounce_summary *s, void *userdata)
{
        got *g = userdata;

        g->summaries++;
        g->last = *s;
        snprintf(g->last_text, sizeof g->last_text, "%s", s->last);
}

/* Held then closed within the debounce: nothing released, counted, one summary at the window's end. */
START_TEST(short_lived_counted_not_released)
{
        debounce *d = debounce_new(1 * SEC, 0, 0);
        debounce_stats st;
        got g = { 0 };

        ck_assert_ptr_nonnull(d);
        for (uint64_t i = 0; i < 100; i++) {
                sa_listener l = lis(100 + i, i + 1, 47321);

                ck_assert(debounce_hold(d, &l, 5 * SEC + i * 20000));
                ck_assert(debounce_holds(d, &l));
                if (i == 7)
                        debounce_mark_violating(d, &l);
                ck_assert(debounce_gone(d, &l, i == 7 ? "47321/tcp by v" : "47321/tcp by x",
                                        5 * SEC + i * 20000 + 20000));
                ck_assert(!debounce_holds(d, &l));
        }
        /* The window opened at the first one (5 s + 20 ms): due 10 s later. */
        ck_assert_uint_eq(debounce_next_due(d), 15 * SEC + 20000);
        debounce_release(d, 20 * SEC, on_release, &g);
        ck_assert_uint_eq(g.released, 0);
        debounce_summarize(d, 15 * SEC, on_summary, &g);
        ck_assert_uint_eq(g.summaries, 0);
        debounce_summarize(d, 15 * SEC + 20000, on_summary, &g);
        ck_assert_uint_eq(g.summaries, 1);
        ck_assert_uint_eq(g.last.listeners, 100);
        ck_assert_uint_eq(g.last.violating, 1);
        ck_assert_uint_eq(g.last.namespaces, 100);
        ck_assert(!g.last.namespaces_capped);
        ck_assert_uint_eq(g.last.n_ports, 1);
        ck_assert_uint_eq(g.last.ports[0].port, 47321);
        ck_assert_str_eq(g.last_text, "47321/tcp by v"); /* the violating one, not the last */
        ck_assert_uint_eq(g.last.window_usec, DEBOUNCE_WINDOW_USEC);
        /* Once per window: nothing more is due. */
        ck_assert_uint_eq(debounce_next_due(d), 0);
        debounce_summarize(d, 30 * SEC, on_summary, &g);
        ck_assert_uint_eq(g.summaries, 1);
        debounce_get_stats(d, &st);
        ck_assert_uint_eq(st.short_lived, 100);
        ck_assert_uint_eq(st.violating, 1);
        ck_assert_uint_eq(st.released, 0);
        ck_assert_uint_eq(st.summaries, 1);
        ck_assert_uint_eq(st.held, 0);
        debounce_free(d);
}
END_TEST

/* One that stays is released at the end of its debounce, and is not short-lived. */
START_TEST(staying_listener_released)
{
        debounce *d = debounce_new(1 * SEC, 0, 0);
        sa_listener a = lis(7, 1, 443), b = lis(7, 2, 443);
        debounce_stats st;
        got g = { 0 };

        ck_assert(debounce_hold(d, &a, 1 * SEC));
        ck_assert(debounce_hold(d, &b, 1 * SEC + 500000));
        ck_assert(debounce_hold(d, &a, 1 * SEC + 600000)); /* seen again: still the first hold */
        ck_assert_uint_eq(debounce_next_due(d), 2 * SEC);
        debounce_release(d, 2 * SEC - 1, on_release, &g);
        ck_assert_uint_eq(g.released, 0);
        debounce_release(d, 2 * SEC, on_release, &g);
        ck_assert_uint_eq(g.released, 1);
        ck_assert_uint_eq(g.last_key.cookie, 1);
        ck_assert(!debounce_holds(d, &a));
        ck_assert(debounce_holds(d, &b));
        ck_assert_uint_eq(debounce_next_due(d), 2 * SEC + 500000);
        /* Closed after its release: not held, so its removal is reported as usual. */
        ck_assert(!debounce_gone(d, &a, NULL, 3 * SEC));
        debounce_release(d, 3 * SEC, on_release, &g);
        ck_assert_uint_eq(g.released, 2);
        debounce_get_stats(d, &st);
        ck_assert_uint_eq(st.released, 2);
        ck_assert_uint_eq(st.short_lived, 0);
        ck_assert_uint_eq(debounce_next_due(d), 0);
        debounce_free(d);
}
END_TEST

/* A quiet host shows new listeners at once; holding starts after more than `free` quick closes, ends with the window. */
START_TEST(holding_only_under_churn)
{
        debounce *d = debounce_new(1 * SEC, 2, 0);
        sa_listener slow = lis(7, 100, 80), held_one = lis(7, 200, 80);
        debounce_stats st;
        got g = { 0 };

        /* Open 2 s, then closed: not a quick close. */
        ck_assert(!debounce_hold(d, &slow, 1 * SEC));
        ck_assert(!debounce_gone(d, &slow, NULL, 3 * SEC));
        for (uint64_t i = 0; i < 3; i++) {
                sa_listener l = lis(7, i + 1, 80);

                ck_assert(!debounce_hold(d, &l, 4 * SEC + i * 1000));
                ck_assert(!debounce_gone(d, &l, NULL, 4 * SEC + i * 1000 + 500));
        }
        debounce_get_stats(d, &st);
        ck_assert_uint_eq(st.quick_closes, 3);
        ck_assert(st.holding);
        ck_assert(debounce_hold(d, &held_one, 5 * SEC));
        ck_assert(debounce_gone(d, &held_one, "80/tcp by y", 5 * SEC + 1000));
        /* The window opened at the first quick close: 4 s + 500 us + 10 s. */
        ck_assert_uint_eq(debounce_next_due(d), 14 * SEC + 500);
        debounce_summarize(d, 14 * SEC + 500, on_summary, &g);
        ck_assert_uint_eq(g.summaries, 1);
        ck_assert_uint_eq(g.last.listeners, 1);
        debounce_get_stats(d, &st);
        ck_assert(!st.holding);
        ck_assert_uint_eq(st.short_lived, 1);
        /* A window of quick closes alone (no more than free) ends without a summary. */
        for (uint64_t i = 0; i < 2; i++) {
                sa_listener l = lis(7, i + 10, 80);

                ck_assert(!debounce_hold(d, &l, 20 * SEC));
                ck_assert(!debounce_gone(d, &l, NULL, 20 * SEC + 1));
        }
        debounce_summarize(d, 40 * SEC, on_summary, &g);
        ck_assert_uint_eq(g.summaries, 1);
        ck_assert_uint_eq(debounce_next_due(d), 0);
        debounce_free(d);
}
END_TEST

/* Bounded: beyond max_held a new listener is not held (reported at once); namespaces counted up to a cap. */
START_TEST(bounded)
{
        debounce *d = debounce_new(1 * SEC, 0, 4);
        debounce_stats st;
        got g = { 0 };

        for (uint64_t i = 0; i < 4; i++) {
                sa_listener l = lis(1, i + 1, 80);
                ck_assert(debounce_hold(d, &l, SEC));
        }
        sa_listener extra = lis(1, 99, 80);
        ck_assert(!debounce_hold(d, &extra, SEC));
        ck_assert(!debounce_holds(d, &extra));
        debounce_get_stats(d, &st);
        ck_assert_uint_eq(st.overflow, 1);
        ck_assert_uint_eq(st.held, 4);
        debounce_free(d);

        d = debounce_new(1 * SEC, 0, DEBOUNCE_NETNS_MAX + 10);
        for (uint64_t i = 0; i < DEBOUNCE_NETNS_MAX + 10; i++) {
                sa_listener l = lis(1000 + i, i + 1, (uint16_t) (1000 + i));
                ck_assert(debounce_hold(d, &l, SEC));
                ck_assert(debounce_gone(d, &l, NULL, SEC + 1));
        }
        debounce_summarize(d, 100 * SEC, on_summary, &g);
        ck_assert_uint_eq(g.summaries, 1);
        ck_assert_uint_eq(g.last.namespaces, DEBOUNCE_NETNS_MAX);
        ck_assert(g.last.namespaces_capped);
        ck_assert_uint_eq(g.last.n_ports, DEBOUNCE_PORTS_MAX);
        ck_assert_str_eq(g.last_text, "");
        debounce_free(d);
}
END_TEST

/* The summary event: no listener, its counts in "short_lived", warning only when some violated. */
/* Ready only for cookie 2 (see verdict_wait). */
static bool ready_2(const debounce_key *k, void *userdata)
{
        return k->cookie == 2;
}

/* Held for verdicts: released when they land, or at the bound; a close meanwhile is no short-lived one. */
START_TEST(verdict_wait)
{
        debounce *d = debounce_new(1 * SEC, DEBOUNCE_FREE, 0);
        sa_listener a = lis(1, 1, 80), b = lis(1, 2, 81), c = lis(1, 3, 82);
        debounce_stats st;
        got g = { 0 };

        ck_assert_ptr_nonnull(d);
        ck_assert(!debounce_hold(d, &a, 10 * SEC));      /* quiet host: shown at once... */
        ck_assert(debounce_wait_verdict(d, &a, 10 * SEC, 2 * SEC)); /* ...unless its verdict is coming */
        ck_assert(debounce_wait_verdict(d, &b, 10 * SEC, 2 * SEC));
        ck_assert(debounce_wait_verdict(d, &c, 10 * SEC, 2 * SEC));
        ck_assert(debounce_holds(d, &a));
        ck_assert_uint_eq(debounce_next_due(d), 12 * SEC);
        debounce_verdicts_landed(d, ready_2, NULL);
        ck_assert_uint_le(debounce_next_due(d), 10 * SEC);
        debounce_release(d, 10 * SEC + 1, on_release, &g);
        ck_assert_uint_eq(g.released, 1);
        ck_assert_uint_eq(g.last_key.cookie, 2);
        /* c closes: forgotten, not counted (its added then removed are shown). */
        ck_assert(debounce_unwait(d, &c));
        ck_assert(!debounce_unwait(d, &c));
        ck_assert(!debounce_gone(d, &c, "82/tcp", 11 * SEC));
        /* a: released at the bound, without. */
        debounce_release(d, 12 * SEC - 1, on_release, &g);
        ck_assert_uint_eq(g.released, 1);
        debounce_release(d, 12 * SEC, on_release, &g);
        ck_assert_uint_eq(g.released, 2);
        ck_assert_uint_eq(g.last_key.cookie, 1);
        ck_assert_uint_eq(debounce_next_due(d), 0);
        debounce_get_stats(d, &st);
        ck_assert_uint_eq(st.verdict_waits, 3);
        ck_assert_uint_eq(st.verdicts_landed, 1);
        ck_assert_uint_eq(st.short_lived, 0);
        debounce_free(d);
}
END_TEST

START_TEST(short_lived_event_shape)
{
        const struct timespec when = { .tv_sec = 1700000000 };
        event_short_lived es = { .listeners = 12, .violating = 0, .namespaces = 12, .ports = "47321/tcp",
                                 .last = "47321/tcp on 0.0.0.0 by x", .window_usec = 10 * SEC,
                                 .debounce_usec = 1 * SEC };
        json_t *ev = event_short_lived_to_json(&when, "12 short-lived listeners", &es);
        journal_entry *e;
        bool found = false;

        ck_assert_ptr_nonnull(ev);
        ck_assert_str_eq(json_string_value(json_object_get(ev, "event")), "listeners_short_lived");
        ck_assert_ptr_null(json_object_get(ev, "listener"));
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ev, "short_lived"), "listeners")), 12);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ev, "short_lived"), "window_sec")), 10);
        json_decref(ev);

        e = event_short_lived_journal_entry("12 short-lived listeners", &es);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq(e->priority, 5);
        for (size_t i = 0; i < e->n; i++)
                found |= e->iov[i].iov_len == strlen("SOCKAUDIT_COUNT=12") &&
                         !memcmp(e->iov[i].iov_base, "SOCKAUDIT_COUNT=12", e->iov[i].iov_len);
        ck_assert(found);
        journal_entry_free(e);
        es.violating = 1;
        e = event_short_lived_journal_entry("12 short-lived listeners", &es);
        ck_assert_int_eq(e->priority, 4);
        journal_entry_free(e);
}
END_TEST

Suite *debounce_suite(void)
{
        Suite *s = suite_create("debounce");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, short_lived_counted_not_released);
        tcase_add_test(tc, staying_listener_released);
        tcase_add_test(tc, holding_only_under_churn);
        tcase_add_test(tc, bounded);
        tcase_add_test(tc, short_lived_event_shape);
        tcase_add_test(tc, verdict_wait);
        suite_add_tcase(s, tc);
        return s;
}
