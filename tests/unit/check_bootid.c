/* SPDX-License-Identifier: MIT */
/*
 * Which boot a saved baseline belongs to (daemon/state.c): the boot id from
 * $SOCKAUDIT_BOOT_ID (the unit's %b) or the kernel's, and a baseline from
 * another boot matched by address rather than by socket cookie.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "state.h"

#define BOOT_A "0123456789ABCDEF0123456789abcdef"
#define BOOT_A_UUID "01234567-89ab-cdef-0123-456789abcdef"
#define BOOT_B "fedcba98-7654-3210-fedc-ba9876543210"

START_TEST(parse_forms)
{
        char buf[40];

        ck_assert_int_eq(state_boot_id_parse(BOOT_A, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, BOOT_A_UUID);
        ck_assert_int_eq(state_boot_id_parse(BOOT_A_UUID, buf, sizeof buf), 0);
        ck_assert_str_eq(buf, BOOT_A_UUID);
        ck_assert_int_eq(state_boot_id_parse("", buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(state_boot_id_parse("0123456789abcdef0123456789abcdeg", buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(state_boot_id_parse("0123456789abcdef0123456789abcdef0", buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(state_boot_id_parse("0123456-789ab-cdef-0123-456789abcdef", buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(state_boot_id_parse("%b", buf, sizeof buf), -EINVAL);
        ck_assert_int_eq(state_boot_id_parse(BOOT_A, buf, 36), -EINVAL);
}
END_TEST

START_TEST(env_wins_over_kernel)
{
        char buf[40], kernel[40] = "";
        FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

        if (f) {
                ck_assert_ptr_nonnull(fgets(kernel, sizeof kernel, f));
                kernel[strcspn(kernel, "\n")] = '\0';
                fclose(f);
        }
        unsetenv(STATE_BOOT_ID_ENV);
        state_boot_id(buf, sizeof buf);
        ck_assert_str_eq(buf, kernel);
        setenv(STATE_BOOT_ID_ENV, BOOT_A, 1);
        state_boot_id(buf, sizeof buf);
        ck_assert_str_eq(buf, BOOT_A_UUID);
        /* Not a boot id (main() refuses it at start): the kernel's. */
        setenv(STATE_BOOT_ID_ENV, "%b", 1);
        state_boot_id(buf, sizeof buf);
        ck_assert_str_eq(buf, kernel);
        unsetenv(STATE_BOOT_ID_ENV);
}
END_TEST

/* Saves an empty baseline under boot id SAVED, loads it under LOADED. */
static bool same_boot(const char *saved, const char *loaded)
{
        char path[] = "/tmp/sa-bootid-XXXXXX", err[200] = "";
        json_t *none = json_array();
        state s;
        bool same;
        int fd = mkstemp(path);

        ck_assert_int_ge(fd, 0);
        close(fd);
        setenv(STATE_BOOT_ID_ENV, saved, 1);
        ck_assert_int_eq(state_save(path, none, NULL, 0), 0);
        setenv(STATE_BOOT_ID_ENV, loaded, 1);
        ck_assert_msg(state_load(path, &s, err, sizeof err) == 0, "state_load: %s", err);
        same = s.same_boot;
        state_clear(&s);
        json_decref(none);
        unlink(path);
        unsetenv(STATE_BOOT_ID_ENV);
        return same;
}

START_TEST(baseline_boot)
{
        /* A restart in the same boot, in either spelling: cookies still count. */
        ck_assert(same_boot(BOOT_A, BOOT_A_UUID));
        /* A reboot (the host's, or a container's: %b differs): by address. */
        ck_assert(!same_boot(BOOT_A, BOOT_B));
}
END_TEST

Suite *bootid_suite(void)
{
        Suite *s = suite_create("bootid");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, parse_forms);
        tcase_add_test(tc, env_wins_over_kernel);
        tcase_add_test(tc, baseline_boot);
        suite_add_tcase(s, tc);
        return s;
}
