/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sockaudit.h"
#include "sockaudit-internal.h"

static void expect_sanitized(const char *in, size_t len, const char *want)
{
        char *got = sa_utf8_sanitize(in, len);
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, want);
        free(got);
}

START_TEST(sanitize_keeps_valid_utf8)
{
        expect_sanitized("nginx", 5, "nginx");
        expect_sanitized("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
        expect_sanitized("", 0, "");
}
END_TEST

START_TEST(sanitize_replaces_invalid_bytes)
{
        /* lone continuation, truncated sequence, overlong '/', surrogate, > U+10FFFF */
        expect_sanitized("a\x80z", 3, "a\xef\xbf\xbdz");
        expect_sanitized("a\xe2\x82", 3, "a\xef\xbf\xbd\xef\xbf\xbd");
        expect_sanitized("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
        expect_sanitized("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        expect_sanitized("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
        /* an embedded NUL cannot end the string early */
        expect_sanitized("a\0b", 3, "a\xef\xbf\xbd" "b");
}
END_TEST

static void expect_escaped(const char *in, const char *want)
{
        char *got = sa_text_escape(in);
        ck_assert_ptr_nonnull(got);
        ck_assert_str_eq(got, want);
        free(got);
}

START_TEST(escape_controls_and_backslash)
{
        expect_escaped("nginx: worker", "nginx: worker");
        expect_escaped("evil\nname", "evil\\nname");
        expect_escaped("\x1b[31mred", "\\x1b[31mred");
        expect_escaped("tab\there\r", "tab\\there\\r");
        expect_escaped("back\\slash", "back\\\\slash");
        expect_escaped("del\x7f", "del\\x7f");
}
END_TEST

START_TEST(escape_invalid_utf8_c1_and_bidi)
{
        expect_escaped("a\xff" "b", "a\\xffb");
        expect_escaped("caf\xc3\xa9", "caf\xc3\xa9");
        expect_escaped("\xc2\x9b" "31m", "\\u009b31m");          /* C1 CSI */
        expect_escaped("abc\xe2\x80\xae" "gpj.exe", "abc\\u202egpj.exe"); /* RLO */
}
END_TEST

START_TEST(escape_output_has_no_control_bytes)
{
        char in[256];
        for (int i = 1; i < 256; i++)
                in[i - 1] = (char) i;
        in[255] = '\0';
        char *out = sa_text_escape(in);
        ck_assert_ptr_nonnull(out);
        for (const unsigned char *p = (const unsigned char *) out; *p; p++)
                ck_assert_msg(*p >= 0x20 && *p != 0x7f && *p < 0x80, "byte 0x%02x left in output", *p);
        free(out);
}
END_TEST

Suite *text_suite(void)
{
        Suite *s = suite_create("text");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, sanitize_keeps_valid_utf8);
        tcase_add_test(tc, sanitize_replaces_invalid_bytes);
        tcase_add_test(tc, escape_controls_and_backslash);
        tcase_add_test(tc, escape_invalid_utf8_c1_and_bidi);
        tcase_add_test(tc, escape_output_has_no_control_bytes);
        suite_add_tcase(s, tc);
        return s;
}
