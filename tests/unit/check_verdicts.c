/* SPDX-License-Identifier: MIT */
/* The last known verdict by pid (daemon/verdicts.c): changes seen across unchecked snapshots. */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "provtable.h"
#include "verdicts.h"

static const sa_exe_provenance *made(sa_prov_status st)
{
        sa_provenance v = { .status = st };

        snprintf(v.reason, sizeof v.reason, "r");
        memset(v.exe_sha256, 'a', 64);
        return sa_exe_provenance_new(&v);
}

static int calls;
static sa_prov_status before_status;

static void on_changed(const sa_listener *l, const sa_exe_provenance *const *befores, void *userdata)
{
        calls++;
        ck_assert_ptr_nonnull(befores[0]);
        before_status = befores[0]->status;
        ck_assert_ptr_null(befores[1]);         /* the other holder did not change */
}

START_TEST(changes_across_unchecked)
{
        sa_process a = { .pid = 10 }, b = { .pid = 11 }, *procs[] = { &a, &b };
        int fd = 3;
        sa_holder h[2] = { { .proc = &a, .fds = &fd, .n_fds = 1 }, { .proc = &b, .fds = &fd, .n_fds = 1 } };
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443, .holders = h, .n_holders = 2 };
        sa_snapshot snap = { .listeners = &l, .n_listeners = 1, .procs = procs, .n_procs = 2 };
        const sa_exe_provenance *ver = made(SA_PROV_VERIFIED), *del = made(SA_PROV_DELETED);
        verdicts v = { 0 };

        a.provenance = ver;
        b.provenance = ver;
        ck_assert_int_eq(verdicts_update(&v, &snap, on_changed, NULL), 0);
        ck_assert_int_eq(calls, 0);             /* first seen: nothing to compare */
        a.provenance = NULL;                    /* its job runs: not checked */
        ck_assert_int_eq(verdicts_update(&v, &snap, on_changed, NULL), 0);
        ck_assert_int_eq(calls, 0);
        a.provenance = del;
        ck_assert_int_eq(verdicts_update(&v, &snap, on_changed, NULL), 0);
        ck_assert_int_eq(calls, 1);
        ck_assert_int_eq(before_status, SA_PROV_VERIFIED);
        ck_assert_int_eq(verdicts_update(&v, &snap, on_changed, NULL), 0);
        ck_assert_int_eq(calls, 1);             /* reported once */
        /* A pid gone is forgotten: back with another verdict, it is new. */
        snap.n_procs = 1;
        l.n_holders = 1;
        procs[0] = &b;
        h[0].proc = &b;
        ck_assert_int_eq(verdicts_update(&v, &snap, on_changed, NULL), 0);
        verdicts_clear(&v);
        sa_exe_provenance_unref(ver);
        sa_exe_provenance_unref(del);
}
END_TEST

Suite *verdicts_suite(void)
{
        Suite *s = suite_create("verdicts");
        TCase *tc = tcase_create("verdicts");

        tcase_add_test(tc, changes_across_unchecked);
        suite_add_tcase(s, tc);
        return s;
}
