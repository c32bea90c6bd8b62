/* SPDX-License-Identifier: MIT */
/* Tables cut to a width: which columns give, the ellipsis, what stays whole. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* t printed at max_width, as one string (caller frees). */
static char *render(const table *t, size_t max_width)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(table_print(t, f, max_width), 0);
        ck_assert_int_eq(fclose(f), 0);
        return buf;
}

/* Code points in each line; the widest one. */
static size_t widest_line(const char *text)
{
        size_t best = 0, n = 0;

        for (; *text; text++) {
                if (*text == '\n') {
                        best = n > best ? n : best;
                        n = 0;
                } else
                        n += ((unsigned char) *text & 0xc0) != 0x80;
        }
        return best;
}

/* A listener table with one long exe and one long unit. */
static table *long_table(void)
{
        static const char *const row[LISTENER_COLUMNS] = {
                "tcp", "0.0.0.0:443", "812", "root", "nginx", "a-rather-long-unit-name-for-nginx.service",
                "/opt/vendor/product/release-2026.12/bin/x86_64-linux-gnu/nginx-with-modules", "",
        };
        table *t = listener_table_new();

        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(table_add_row(t, row), 0);
        return t;
}

START_TEST(fits_the_width_and_cuts_with_ellipsis)
{
        table *t = long_table();
        char *full = render(t, 0), *fit = render(t, 80);

        ck_assert_uint_gt(widest_line(full), 80);
        ck_assert_uint_le(widest_line(fit), 80);
        ck_assert_ptr_nonnull(strstr(fit, ELLIPSIS));
        /* The fixed columns are whole. */
        ck_assert_ptr_nonnull(strstr(fit, "0.0.0.0:443"));
        ck_assert_ptr_nonnull(strstr(fit, "812"));
        ck_assert_ptr_nonnull(strstr(fit, "root"));
        /* The exe keeps its start. */
        ck_assert_ptr_nonnull(strstr(fit, "/opt/vendor"));
        free(full);
        free(fit);
        table_free(t);
}
END_TEST

START_TEST(widest_column_gives_first)
{
        table *t = long_table();
        /* 4 short of the full width: only EXE (the widest) gives: 5 code points and "…" for them. */
        char *full = render(t, 0);
        size_t w = widest_line(full);
        char *fit = render(t, w - 4);

        ck_assert_uint_eq(widest_line(fit), w - 4);
        ck_assert_ptr_nonnull(strstr(fit, "a-rather-long-unit-name-for-nginx.service"));
        ck_assert_ptr_null(strstr(fit, "nginx-with-modules"));
        ck_assert_ptr_nonnull(strstr(fit, "nginx-with-mo" ELLIPSIS));
        free(full);
        free(fit);
        table_free(t);
}
END_TEST

START_TEST(wide_enough_is_unchanged)
{
        table *t = long_table();
        char *full = render(t, 0), *same = render(t, 1000);

        ck_assert_str_eq(full, same);
        ck_assert_ptr_null(strstr(full, ELLIPSIS));
        free(full);
        free(same);
        table_free(t);
}
END_TEST

START_TEST(never_below_the_minimum)
{
        table *t = long_table();
        char *fit = render(t, 10);
        char *hdr = strndup(fit, strcspn(fit, "\n"));

        /* Too narrow to fit: each shrinkable column stops at its minimum. */
        ck_assert_ptr_nonnull(strstr(fit, "/opt/ve" ELLIPSIS));
        ck_assert_ptr_nonnull(strstr(fit, "a-rathe" ELLIPSIS));
        ck_assert_ptr_nonnull(strstr(fit, "0.0.0.0:443"));
        /* The header is never cut (it is the minimum) and rows have no trailing blank. */
        ck_assert_ptr_nonnull(strstr(hdr, "COMMAND"));
        ck_assert_ptr_null(strstr(fit, " \n"));
        free(hdr);
        free(fit);
        table_free(t);
}
END_TEST

START_TEST(cut_counts_code_points)
{
        static const char *const header[2] = { "A", "B" };
        static const char *const row[2] = { "x", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" };
        table *t = table_new(2, header);

        ck_assert_ptr_nonnull(t);
        table_set_shrinkable(t, 1);
        ck_assert_int_eq(table_add_row(t, row), 0);
        char *fit = render(t, 11);
        /* "x" + 2 blanks + 8 code points: 7 é and the ellipsis. */
        ck_assert_str_eq(fit, "A  B\nx  \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" ELLIPSIS "\n");
        free(fit);
        table_free(t);
}
END_TEST

START_TEST(escaped_text_is_cut_not_unescaped)
{
        static const char *const header[2] = { "A", "B" };
        static const char *const row[2] = { "x", "\x1b[31mred-and-more-text-here" };
        table *t = table_new(2, header);

        ck_assert_ptr_nonnull(t);
        table_set_shrinkable(t, 1);
        ck_assert_int_eq(table_add_row(t, row), 0);
        char *fit = render(t, 11);
        ck_assert_ptr_null(strchr(fit, '\x1b'));
        ck_assert_str_eq(fit, "A  B\nx  \\x1b[31" ELLIPSIS "\n");
        free(fit);
        table_free(t);
}
END_TEST

Suite *tablefit_suite(void)
{
        Suite *s = suite_create("tablefit");
        TCase *tc = tcase_create("tablefit");

        tcase_add_test(tc, fits_the_width_and_cuts_with_ellipsis);
        tcase_add_test(tc, widest_column_gives_first);
        tcase_add_test(tc, wide_enough_is_unchanged);
        tcase_add_test(tc, never_below_the_minimum);
        tcase_add_test(tc, cut_counts_code_points);
        tcase_add_test(tc, escaped_text_is_cut_not_unescaped);
        suite_add_tcase(s, tc);
        return s;
}
