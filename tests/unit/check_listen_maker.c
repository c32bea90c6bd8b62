/* SPDX-License-Identifier: MIT */
/*
 * sa_scanner_note_listen() (lib/incremental.c): the maker of a new listener,
 * told by a listen event, is walked by the refresh that finds it, even when
 * it is older than the last full scan: no full scan per new listener of a
 * long-running process (issue 18 §3). Live, in a network namespace of the
 * test's own.
 */
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockaudit-internal.h"
#include "netns_fixture.h"

static bool held_by_us(const sa_snapshot *snap, uint16_t port)
{
        for (size_t i = 0; i < snap->n_listeners; i++)
                for (size_t k = 0; snap->listeners[i].port == port && k < snap->listeners[i].n_holders; k++)
                        if (snap->listeners[i].holders[k].proc->pid == getpid())
                                return true;
        return false;
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

Suite *listen_maker_suite(void)
{
        Suite *s = suite_create("listen_maker");
        TCase *tc = tcase_create("live");

        tcase_add_test(tc, old_maker_walked_without_full_scan);
        suite_add_tcase(s, tc);
        return s;
}
