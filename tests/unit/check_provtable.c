/* SPDX-License-Identifier: MIT */
/*
 * Shared provenance verdicts (lib/provtable.c): references, the table by
 * running image (new, same, changed, pruned, full), the key of a real
 * process, and a verdict through the JSON records and back (a baseline).
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "provtable.h"

static const sa_exe_provenance *made(sa_prov_status st, const char *package, char hash)
{
        sa_provenance v = { .status = st, .location = SA_EXE_NORMAL };
        const sa_exe_provenance *e;

        snprintf(v.reason, sizeof v.reason, "why %d", (int) st);
        if (package) {
                snprintf(v.package, sizeof v.package, "%s", package);
                snprintf(v.version, sizeof v.version, "1.0");
                snprintf(v.architecture, sizeof v.architecture, "amd64");
        }
        memset(v.exe_sha256, hash, 64);
        e = sa_exe_provenance_new(&v);
        ck_assert_ptr_nonnull(e);
        return e;
}

static sa_provkey key(ino_t ino, const char *path)
{
        return (sa_provkey) { .dev = 1, .ino = ino, .size = 100, .root_ino = 2, .path = (char *) path };
}

START_TEST(verdict_fields_and_sameness)
{
        const sa_exe_provenance *a = made(SA_PROV_VERIFIED, "nginx", 'a'), *b = made(SA_PROV_VERIFIED, "nginx", 'a');
        const sa_exe_provenance *c = made(SA_PROV_NOT_PACKAGED, NULL, 'a'), *d = made(SA_PROV_VERIFIED, "nginx", 'b');

        ck_assert_str_eq(a->package, "nginx");
        ck_assert_str_eq(a->version, "1.0");
        ck_assert_str_eq(a->architecture, "amd64");
        ck_assert_uint_eq(strlen(a->exe_sha256), 64);
        /* No package: name, version and architecture all NULL (null in JSON). */
        ck_assert_ptr_null(c->package);
        ck_assert_ptr_null(c->version);
        ck_assert_ptr_null(c->architecture);
        ck_assert(sa_exe_provenance_same(a, b));
        ck_assert(!sa_exe_provenance_same(a, c));
        ck_assert(!sa_exe_provenance_same(a, d));
        ck_assert(!sa_exe_provenance_same(a, NULL));
        ck_assert(sa_exe_provenance_same(NULL, NULL));
        ck_assert_ptr_eq(sa_exe_provenance_ref(a), a);
        ck_assert_ptr_null(sa_exe_provenance_unref(a));
        ck_assert_str_eq(a->reason, "why 0");   /* still held once */
        sa_exe_provenance_unref(a);
        sa_exe_provenance_unref(b);
        sa_exe_provenance_unref(c);
        sa_exe_provenance_unref(d);
        ck_assert_ptr_null(sa_exe_provenance_unref(NULL));
}
END_TEST

START_TEST(table_by_image)
{
        sa_provtable *t;
        const sa_exe_provenance *v = made(SA_PROV_VERIFIED, "nginx", 'a'), *m = made(SA_PROV_MODIFIED, "nginx", 'b');
        sa_provkey k1 = key(10, "/usr/sbin/nginx"), k2 = key(10, "/usr/sbin/nginx2"), k3 = key(10, "/usr/sbin/nginx");

        ck_assert_int_eq(sa_provtable_new(&t), 0);
        ck_assert_ptr_null(sa_provtable_get(t, &k1));
        ck_assert_int_eq(sa_provtable_put(t, &k1, v), 1);
        ck_assert_int_eq(sa_provtable_put(t, &k3, v), 0);        /* the same key, the same verdict */
        ck_assert_ptr_eq(sa_provtable_get(t, &k3), v);
        ck_assert_ptr_null(sa_provtable_get(t, &k2));              /* another path: another key */
        k3.replaced = true;
        ck_assert_ptr_null(sa_provtable_get(t, &k3));              /* replaced on disk since: another key */
        k3.replaced = false;
        k3.ctime.tv_nsec = 1;
        ck_assert_ptr_null(sa_provtable_get(t, &k3));              /* the image changed */
        ck_assert_int_eq(sa_provtable_put(t, &k1, m), 1);         /* a changed verdict */
        ck_assert_ptr_eq(sa_provtable_get(t, &k1), m);
        ck_assert_uint_eq(sa_provtable_size(t), 1);
        /* Only the table holds v now (m: the table and us): pruning keeps m. */
        sa_exe_provenance_unref(v);
        sa_provtable_prune(t);
        ck_assert_uint_eq(sa_provtable_size(t), 1);
        sa_exe_provenance_unref(m);
        sa_provtable_prune(t);
        ck_assert_uint_eq(sa_provtable_size(t), 0);
        sa_provtable_free(t);
}
END_TEST

/* Full of verdicts in use: -ENOSPC; once unused, they make room. */
START_TEST(table_bounded)
{
        static const sa_exe_provenance *held[SA_PROVTABLE_MAX];
        sa_provtable *t;
        sa_provkey k;

        ck_assert_int_eq(sa_provtable_new(&t), 0);
        for (size_t i = 0; i < SA_PROVTABLE_MAX; i++) {
                held[i] = made(SA_PROV_VERIFIED, "p", 'a');
                k = key((ino_t) (100 + i), "/x");
                ck_assert_int_eq(sa_provtable_put(t, &k, held[i]), 1);
        }
        const sa_exe_provenance *one = made(SA_PROV_VERIFIED, "p", 'a');
        k = key(99, "/x");
        ck_assert_int_eq(sa_provtable_put(t, &k, one), -ENOSPC);
        for (size_t i = 0; i < SA_PROVTABLE_MAX; i++)
                sa_exe_provenance_unref(held[i]);
        ck_assert_int_eq(sa_provtable_put(t, &k, one), 1);
        ck_assert_uint_eq(sa_provtable_size(t), 1);
        sa_exe_provenance_unref(one);
        sa_provtable_free(t);
}
END_TEST

/* This process's key: its image and path, as a process record would give them. */
START_TEST(key_of_self)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        sa_process p = { .pid = getpid(), .exe = exe };
        sa_provkey a, b;

        ck_assert_int_gt(n, 0);
        exe[n] = '\0';
        ck_assert_int_eq(sa_provkey_read(NULL, getpid(), NULL, &a), 0);
        ck_assert_int_eq(sa_provkey_read("/proc", getpid(), &p, &b), 0);
        ck_assert_str_eq(a.path, exe);
        ck_assert_str_eq(b.path, exe);
        ck_assert(a.dev == b.dev && a.ino == b.ino && !a.deleted && !b.replaced);
        sa_provkey_clear(&a);
        sa_provkey_clear(&b);
        ck_assert_int_lt(sa_provkey_read(NULL, 0, NULL, &a), 0);
}
END_TEST

/* An owner's verdict in its record, and back from the record (a saved baseline). */
START_TEST(record_round_trip)
{
        static char *argv[] = { "nginx", NULL };
        sa_process p = { .pid = 7, .comm = "nginx", .exe = "/usr/sbin/nginx", .argv = argv, .argc = 1 };
        int fd = 3;
        sa_holder h = { .proc = &p, .fds = &fd, .n_fds = 1 };
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443, .holders = &h, .n_holders = 1 };
        json_t *arr = json_array(), *o;
        sa_snapshot *back = NULL;
        char err[128];

        p.provenance = made(SA_PROV_MODIFIED, "nginx", 'c');
        ck_assert_int_eq(json_array_append_new(arr, sa_listener_to_json(&l)), 0);
        o = json_array_get(json_object_get(json_array_get(arr, 0), "owners"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(o, "exe_location")), "normal");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "package"), "status")), "modified");
        ck_assert_int_eq(sa_snapshot_from_json(arr, &back, err, sizeof err), 0);
        ck_assert_uint_eq(back->n_listeners, 1);
        ck_assert(sa_exe_provenance_same(back->listeners[0].holders[0].proc->provenance, p.provenance));
        /* Not checked: no members, and none back. */
        sa_exe_provenance_unref(p.provenance);
        p.provenance = NULL;
        o = sa_process_to_json(&p);
        ck_assert_ptr_null(json_object_get(o, "package"));
        ck_assert_ptr_null(json_object_get(o, "exe_sha256"));
        json_decref(o);
        sa_snapshot_free(back);
        json_decref(arr);
}
END_TEST

Suite *provtable_suite(void)
{
        Suite *s = suite_create("provtable");
        TCase *tc = tcase_create("provtable");

        tcase_add_test(tc, verdict_fields_and_sameness);
        tcase_add_test(tc, table_by_image);
        tcase_add_test(tc, table_bounded);
        tcase_add_test(tc, key_of_self);
        tcase_add_test(tc, record_round_trip);
        suite_add_tcase(s, tc);
        return s;
}
