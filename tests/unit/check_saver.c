/* SPDX-License-Identifier: MIT */
/* The baseline's writer thread (daemon/saver.c): newest wins, results on the loop, drained at free. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "saver.h"

typedef struct results {
        unsigned calls, ok, failed;
        int last;
} results;

static void on_done(unsigned ok, unsigned failed, int last, void *userdata)
{
        results *r = userdata;

        r->calls++;
        r->ok += ok;
        r->failed += failed;
        r->last = last;
}

static char *dup_text(const char *s)
{
        char *d = strdup(s);

        ck_assert_ptr_nonnull(d);
        return d;
}

/* path's contents (at most 255 bytes) into buf. */
static void read_text(const char *path, char *buf, size_t size)
{
        FILE *f = fopen(path, "re");
        size_t n;

        ck_assert_ptr_nonnull(f);
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
}

/* Runs e until want saves are reported (each iteration waits for an event). */
static void run_until(sd_event *e, const results *r, unsigned want)
{
        for (int i = 0; i < 1000 && r->ok + r->failed < want; i++)
                ck_assert_int_ge(sd_event_run(e, 100 * 1000), 0);
}

/* A saver writing under a fresh temporary directory (path NULL), or to path. */
typedef struct fixture {
        char dir[32], path[96];
        results r;
        sd_event *e;
        saver *s;
} fixture;

static void fixture_open(fixture *fx, const char *path)
{
        *fx = (fixture) { .dir = "" };
        if (path)
                snprintf(fx->path, sizeof fx->path, "%s", path);
        else {
                snprintf(fx->dir, sizeof fx->dir, "/tmp/check-saver-XXXXXX");
                ck_assert_ptr_nonnull(mkdtemp(fx->dir));
                snprintf(fx->path, sizeof fx->path, "%s/state.json", fx->dir);
        }
        ck_assert_int_eq(sd_event_new(&fx->e), 0);
        ck_assert_int_eq(saver_new(fx->e, fx->path, on_done, &fx->r, &fx->s), 0);
}

/* Frees the saver (if not yet), the loop, and the directory. */
static void fixture_close(fixture *fx)
{
        ck_assert_ptr_null(saver_free(fx->s, 1000));
        sd_event_unref(fx->e);
        if (fx->dir[0]) {
                unlink(fx->path);
                rmdir(fx->dir);
        }
}

/* Several saves in a row: the file holds the newest; each finished one is told once, on the loop. */
START_TEST(newest_wins)
{
        char text[256];
        fixture fx;

        fixture_open(&fx, NULL);
        ck_assert(!saver_busy(fx.s));
        saver_submit(fx.s, dup_text("one\n"), 4);
        saver_submit(fx.s, dup_text("two\n"), 4);
        saver_submit(fx.s, dup_text("three\n"), 6);
        ck_assert_uint_eq(fx.r.calls, 0);          /* never from the thread */
        while (saver_busy(fx.s))
                usleep(1000);
        run_until(fx.e, &fx.r, 1);
        ck_assert_uint_ge(fx.r.ok, 1);
        ck_assert_uint_le(fx.r.ok, 3);             /* one replaced while waiting, or none was */
        ck_assert_uint_eq(fx.r.failed, 0);
        ck_assert_int_eq(fx.r.last, 0);
        read_text(fx.path, text, sizeof text);
        ck_assert_str_eq(text, "three\n");
        fixture_close(&fx);
}
END_TEST

/* A save that cannot be written is told with its errno. */
START_TEST(failure_is_told)
{
        fixture fx;

        fixture_open(&fx, "/nonexistent-check-saver/state.json");
        saver_submit(fx.s, dup_text("x\n"), 2);
        run_until(fx.e, &fx.r, 1);
        ck_assert_uint_eq(fx.r.failed, 1);
        ck_assert_int_eq(fx.r.last, -ENOENT);
        fixture_close(&fx);
}
END_TEST

/* Freed right after a submit: the save is written first, and told (on the freeing thread). */
START_TEST(free_drains)
{
        char text[256];
        fixture fx;

        fixture_open(&fx, NULL);
        saver_submit(fx.s, dup_text("last\n"), 5);
        fx.s = saver_free(fx.s, 5000);
        ck_assert_uint_eq(fx.r.ok, 1);
        ck_assert_uint_eq(fx.r.failed, 0);
        read_text(fx.path, text, sizeof text);
        ck_assert_str_eq(text, "last\n");
        fixture_close(&fx);
}
END_TEST

/* Never used: no thread, no file, nothing told. */
START_TEST(unused)
{
        fixture fx;

        fixture_open(&fx, NULL);
        ck_assert(!saver_busy(fx.s));
        fx.s = saver_free(fx.s, 1000);
        ck_assert_uint_eq(fx.r.calls, 0);
        ck_assert_int_eq(access(fx.path, F_OK), -1);
        fixture_close(&fx);
}
END_TEST

Suite *saver_suite(void)
{
        Suite *s = suite_create("saver");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, newest_wins);
        tcase_add_test(tc, failure_is_told);
        tcase_add_test(tc, free_drains);
        tcase_add_test(tc, unused);
        suite_add_tcase(s, tc);
        return s;
}
