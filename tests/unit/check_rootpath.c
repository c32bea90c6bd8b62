/* SPDX-License-Identifier: MIT */
/* Paths inside another process's root (lib/rootpath.c): never out of it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootpath.h"

static char top[] = "/tmp/sa-root-XXXXXX";
static int root_fd = -1;

static void at(char *buf, size_t n, const char *rel)
{
        snprintf(buf, n, "%s/%s", top, rel);
}

static void put(const char *rel, const char *text)
{
        char path[512];
        FILE *f;

        at(path, sizeof path, rel);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

static void dir(const char *rel)
{
        char path[512];

        at(path, sizeof path, rel);
        ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void link_to(const char *target, const char *rel)
{
        char path[512];

        at(path, sizeof path, rel);
        ck_assert_int_eq(symlink(target, path), 0);
}

/*
 * top/outside/secret: what no path under the root may reach.
 * top/root: usr/lib/x; lib -> usr/lib; abs -> /usr/lib (inside: fine);
 * up -> ../../outside, out -> TOP/outside (absolute), self -> /proc/self/root.
 */
static void setup(void)
{
        char outside[512];

        ck_assert_ptr_nonnull(mkdtemp(top));
        dir("outside");
        put("outside/secret", "secret");
        dir("root");
        dir("root/usr");
        dir("root/usr/lib");
        put("root/usr/lib/x", "x");
        link_to("usr/lib", "root/lib");
        link_to("/usr/lib", "root/abs");
        link_to("../../outside", "root/up");
        at(outside, sizeof outside, "outside");
        link_to(outside, "root/out");
        link_to("/proc/self/root", "root/self");
        at(outside, sizeof outside, "root");
        root_fd = open(outside, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(root_fd, 0);
}

static void teardown(void)
{
        char cmd[256];

        sa_root_open_force_fallback(false);
        close(root_fd);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(top, "/tmp/sa-root-XXXXXX");
}

/* Reads the file at path under the root: its first bytes, or "" when refused. */
static const char *read_in_root(const char *path)
{
        static char buf[64];
        int fd = sa_root_open(root_fd, path, O_RDONLY);
        ssize_t n;

        buf[0] = '\0';
        if (fd < 0)
                return buf;
        n = read(fd, buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = '\0';
        close(fd);
        return buf;
}

START_TEST(links_out_of_the_root_stay_in_it)
{
        sa_root_open_force_fallback(_i == 1);
        ck_assert_str_eq(read_in_root("usr/lib/x"), "x");
        ck_assert_str_eq(read_in_root("/usr/lib/x"), "x");
        ck_assert_str_eq(read_in_root("up/secret"), "");
        ck_assert_str_eq(read_in_root("out/secret"), "");
        ck_assert_str_eq(read_in_root("/../outside/secret"), "");
        ck_assert_str_eq(read_in_root("self/tmp"), "");
        ck_assert_int_lt(sa_root_open(root_fd, "out/secret", O_RDONLY), 0);
}
END_TEST

/* Whether this kernel (or valgrind, which lacks it) runs openat2 at all. */
static bool have_openat2(void)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC };
        long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);

        if (fd < 0)
                return false;
        close((int) fd);
        return true;
}

/* openat2 follows links that stay inside; the fallback follows none. */
START_TEST(links_inside_the_root)
{
        int fd;

        sa_root_open_force_fallback(false);
        fd = sa_root_open(root_fd, "usr", O_PATH);
        ck_assert_int_ge(fd, 0);
        close(fd);
        if (have_openat2()) {
                ck_assert_str_eq(read_in_root("lib/x"), "x");
                ck_assert_str_eq(read_in_root("abs/x"), "x");
        } else
                printf("SKIP: links_inside_the_root, openat2 part: openat2 is not available here (%s); "
                       "the fallback is checked below\n", strerror(errno));
        sa_root_open_force_fallback(true);
        ck_assert_str_eq(read_in_root("lib/x"), "");
        ck_assert_int_eq(sa_root_open(root_fd, "abs", O_PATH), -ELOOP);
        ck_assert_int_eq(sa_root_open(root_fd, "usr/../usr/lib/x", O_RDONLY), -EXDEV);
}
END_TEST

/* No magic link: /proc/self/root from the daemon's "/" is refused too. */
START_TEST(no_magic_links)
{
        int slash = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

        ck_assert_int_ge(slash, 0);
        ck_assert_int_lt(sa_root_open(slash, "proc/self/root/etc", O_PATH), 0);
        sa_root_open_force_fallback(true);
        ck_assert_int_lt(sa_root_open(slash, "proc/self/root/etc", O_PATH), 0);
        close(slash);
}
END_TEST

Suite *rootpath_suite(void)
{
        Suite *s = suite_create("rootpath");
        TCase *tc = tcase_create("core");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, links_out_of_the_root_stay_in_it, 0, 2);
        tcase_add_test(tc, links_inside_the_root);
        tcase_add_test(tc, no_magic_links);
        suite_add_tcase(s, tc);
        return s;
}
