/* SPDX-License-Identifier: MIT */
/*
 * sa_scanner_note_listen() (lib/incremental.c): the maker of a new listener,
 * told by a listen event, is walked by the refresh that finds it, even when
 * it is older than the last full scan: no full scan per new listener of a
 * long-running process (issue 18 §3); sa_scanner_note_details() walks the
 * holders of the listeners new since again (a dup() just after listen()).
 * Live, in a network namespace of the test's own.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockaudit-internal.h"
#include "netns_fixture.h"

/* How many fds we hold port with in snap. */
static size_t our_fds(const sa_snapshot *snap, uint16_t port)
{
        size_t n = 0;

        for (size_t i = 0; i < snap->n_listeners; i++)
                for (size_t k = 0; snap->listeners[i].port == port && k < snap->listeners[i].n_holders; k++)
                        if (snap->listeners[i].holders[k].proc->pid == getpid())
                                n += snap->listeners[i].holders[k].n_fds;
        return n;
}

static bool held_by_us(const sa_snapshot *snap, uint16_t port)
{
        return our_fds(snap, port) > 0;
}

START_TEST(old_maker_walked_without_full_scan)
{
        if (!fixture_enter_netns("old_maker_walked_without_full_scan"))
                return;
        sa_filter f = { .port = 7001 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL, *next = NULL;
        sa_refresh_info info;
        int fd;

        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);   /* we are old from here on */

        /* Told: walked, found, no full scan. */
        fd = fixture_tcp_listen(7001);
        ck_assert_int_eq(sa_scanner_note_listen(s, getpid()), 0);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY | SA_REFRESH_EXITS_KNOWN,
                                            &info, &next), 1);
        ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
        ck_assert_uint_eq(info.new_sockets, 1);
        ck_assert(held_by_us(next, 7001));
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;

        /* Closed and opened again, told again: the same, as often as it likes. */
        for (int i = 0; i < 5; i++) {
                close(fd);
                fd = fixture_tcp_listen(7001);
                ck_assert_int_eq(sa_scanner_note_listen(s, getpid()), 0);
                ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY | SA_REFRESH_EXITS_KNOWN,
                                                    &info, &next), 1);
                ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
                ck_assert(held_by_us(next, 7001));
                sa_snapshot_free(snap);
                snap = next;
                next = NULL;
        }
        close(fd);

        /* After a full scan, not told: only a full scan finds an old process's new listener. */
        sa_snapshot_free(snap);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);
        fd = fixture_tcp_listen(7001);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY | SA_REFRESH_EXITS_KNOWN,
                                            &info, &next), 1);
        ck_assert(info.full);
        ck_assert(held_by_us(next, 7001));
        close(fd);
        sa_snapshot_free(next);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
}
END_TEST

/* A dup() after the walk that found the listener: seen once the details are re-read. */
START_TEST(dup_after_listen_walked_again)
{
        if (!fixture_enter_netns("dup_after_listen_walked_again"))
                return;
        const unsigned flags = SA_REFRESH_VERIFY | SA_REFRESH_EXITS_KNOWN;
        sa_filter f = { .port = 7004 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL, *next = NULL;
        sa_incremental_stats st;
        sa_refresh_info info;
        int fd, d;

        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);
        fd = fixture_tcp_listen(7004);
        ck_assert_int_eq(sa_scanner_note_listen(s, getpid()), 0);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, flags, &info, &next), 1);
        ck_assert_uint_eq(our_fds(next, 7004), 1);
        sa_snapshot_free(snap);
        snap = next;
        next = NULL;

        /* The dup: a refresh only verifies the pairs it knows. */
        d = dup(fd);
        ck_assert_int_ge(d, 0);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, flags, &info, &next), 0);
        ck_assert_ptr_null(next);

        ck_assert_uint_eq(sa_scanner_note_details(s), 1);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, flags, &info, &next), 1);
        ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
        ck_assert_uint_eq(our_fds(next, 7004), 2);
        sa_scanner_incremental_stats(s, &st);
        ck_assert_uint_eq(st.fd_rewalks, 1);
        ck_assert_uint_eq(sa_scanner_note_details(s), 0); /* once a window */
        close(d);
        close(fd);
        sa_snapshot_free(next);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
}
END_TEST

/*
 * SA_REFRESH_NO_FULL: the refresh that needs a full scan does none: -EAGAIN
 * with the reason, and every refresh after it needs one too (the index is
 * lost) until a full scan, after which the listener is found cheaply again.
 */
START_TEST(no_full_leaves_the_scan_to_the_caller)
{
        if (!fixture_enter_netns("no_full_leaves_the_scan_to_the_caller"))
                return;
        const unsigned flags = SA_REFRESH_VERIFY | SA_REFRESH_EXITS_KNOWN | SA_REFRESH_NO_FULL;
        sa_filter f = { .port = 7002 }, other = { .port = 7003 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL, *next = NULL;
        sa_refresh_info info;
        int fd;

        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);
        fd = fixture_tcp_listen(7002);          /* an old process's new listener, not told */
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, flags, &info, &next), -EAGAIN);
        ck_assert(info.full);
        ck_assert_ptr_nonnull(info.reason);
        ck_assert_ptr_null(next);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &other, 1, flags, &info, &next), -EAGAIN);
        ck_assert_str_eq(info.reason, "process events were lost");
        ck_assert_ptr_null(next);

        /* The caller's full scan: the index is whole again. */
        sa_snapshot_free(snap);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);
        ck_assert(held_by_us(snap, 7002));
        ck_assert_int_ge(sa_scanner_refresh(s, snap, &f, 1, flags, &info, &next), 0);
        ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
        close(fd);
        sa_snapshot_free(next);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
}
END_TEST

Suite *listen_maker_suite(void)
{
        Suite *s = suite_create("listen_maker");
        TCase *tc = tcase_create("live");

        tcase_add_test(tc, old_maker_walked_without_full_scan);
        tcase_add_test(tc, no_full_leaves_the_scan_to_the_caller);
        tcase_add_test(tc, dup_after_listen_walked_again);
        suite_add_tcase(s, tc);
        return s;
}
