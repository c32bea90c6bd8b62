/* SPDX-License-Identifier: MIT */
/*
 * The running image of real child processes (lib/exeimage.c): its SHA-256
 * equals sha256sum's, its location class (normal, tmp, deleted, memfd, a
 * world-writable directory), the cache (a hit while nothing changed, a
 * miss after touch, eviction, threads sharing it).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_fixture.h"
#include "exeimage.h"

static void sha256sum(const char *path, char out[80])
{
        char cmd[PATH_MAX + 32];

        snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
        ck_assert(xfx_word(cmd, out, 80));
        ck_assert_uint_eq(strlen(out), 64);
}

START_TEST(hash_equals_sha256sum)
{
        sa_execache *c = NULL;
        sa_exeimage img;
        char want[80];
        pid_t pid;

        ck_assert_int_eq(sa_execache_new(4, &c), 0);
        pid = xfx_run(XFX_PROGRAM, -1);
        ck_assert_int_eq(sa_exeimage_read(c, NULL, pid, &img), 0);
        xfx_end(pid);
        sha256sum(XFX_PROGRAM, want);
        ck_assert_str_eq(img.sha256_hex, want);
        ck_assert_str_eq(img.path, XFX_PROGRAM);
        ck_assert_int_eq(img.location, SA_EXE_NORMAL);
        ck_assert(!img.cached);
        ck_assert_int_eq(sa_exeimage_read(c, NULL, getpid(), &img), 0);
        ck_assert_int_eq(sa_exeimage_read(c, NULL, 0x7ffffff0, &img), -ENOENT);
        sa_execache_free(c);
}
END_TEST

START_TEST(tmp_copy_and_cache)
{
        char *dir = xfx_dir("/tmp/sa-exe"), path[PATH_MAX], want[80];
        sa_execache *c = NULL;
        uint64_t hits, misses;
        sa_exeimage img;
        pid_t pid;

        snprintf(path, sizeof path, "%s/prog", dir);
        xfx_copy(XFX_PROGRAM, path);
        ck_assert_int_eq(sa_execache_new(0, &c), 0);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(sa_exeimage_read(c, NULL, pid, &img), 0);
        ck_assert_int_eq(img.location, SA_EXE_TMP);
        ck_assert_str_eq(img.path, path);
        ck_assert(!img.cached);
        sha256sum(path, want);
        ck_assert_str_eq(img.sha256_hex, want);

        /* Nothing changed: a hit. */
        ck_assert_int_eq(sa_exeimage_read(c, NULL, pid, &img), 0);
        ck_assert(img.cached);
        ck_assert_str_eq(img.sha256_hex, want);
        /* touch: ctime and mtime change, a miss. */
        ck_assert_int_eq(utimensat(AT_FDCWD, path, NULL, 0), 0);
        ck_assert_int_eq(sa_exeimage_read(c, NULL, pid, &img), 0);
        ck_assert(!img.cached);
        ck_assert_str_eq(img.sha256_hex, want);
        sa_execache_counts(c, &hits, &misses);
        ck_assert_uint_eq(hits, 1);
        ck_assert_uint_eq(misses, 2);
        xfx_end(pid);
        sa_execache_free(c);
        xfx_rmdir(dir);
}
END_TEST

START_TEST(deleted_image)
{
        char *dir = xfx_dir("/tmp/sa-exe"), path[PATH_MAX], want[80];
        sa_exeimage img;
        pid_t pid;

        snprintf(path, sizeof path, "%s/prog", dir);
        xfx_copy(XFX_PROGRAM, path);
        sha256sum(path, want);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(sa_exeimage_read(NULL, NULL, pid, &img), 0);
        xfx_end(pid);
        ck_assert_int_eq(img.location, SA_EXE_DELETED);
        ck_assert(img.deleted_mark);
        ck_assert_str_eq(img.path, path);
        ck_assert_str_eq(img.sha256_hex, want);       /* the running file, still readable */
        xfx_rmdir(dir);
}
END_TEST

/* A name that really ends in " (deleted)", and a deleted name with another link left. */
START_TEST(deleted_suffix_in_name)
{
        char *dir = xfx_dir("/tmp/sa-exe"), path[PATH_MAX], other[PATH_MAX];
        sa_exeimage img;
        pid_t pid;

        snprintf(path, sizeof path, "%s/prog (deleted)", dir);
        xfx_copy(XFX_PROGRAM, path);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(sa_exeimage_read(NULL, NULL, pid, &img), 0);
        xfx_end(pid);
        ck_assert(!img.deleted_mark);
        ck_assert_str_eq(img.path, path);
        ck_assert_int_eq(img.location, SA_EXE_TMP);

        snprintf(path, sizeof path, "%s/prog", dir);
        snprintf(other, sizeof other, "%s/prog.link", dir);
        xfx_copy(XFX_PROGRAM, path);
        ck_assert_int_eq(link(path, other), 0);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(sa_exeimage_read(NULL, NULL, pid, &img), 0);
        xfx_end(pid);
        ck_assert(!img.deleted_mark);   /* a link is left: the name is kept whole */
        ck_assert_uint_eq(img.st.st_nlink, 1);
        ck_assert_int_eq(img.location, SA_EXE_TMP);
        xfx_rmdir(dir);
}
END_TEST

START_TEST(memfd_image)
{
        char want[80];
        sa_exeimage img;
        int in, fd;
        char buf[65536];
        ssize_t n;
        pid_t pid;

        fd = memfd_create("sa-test", 0);
        ck_assert_int_ge(fd, 0);
        in = open(XFX_PROGRAM, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(in, 0);
        while ((n = read(in, buf, sizeof buf)) > 0)
                ck_assert_int_eq(write(fd, buf, (size_t) n), n);
        close(in);
        pid = xfx_run(NULL, fd);
        close(fd);
        ck_assert_int_eq(sa_exeimage_read(NULL, NULL, pid, &img), 0);
        xfx_end(pid);
        ck_assert_int_eq(img.location, SA_EXE_MEMFD);
        ck_assert_str_eq(sa_exe_location_name(img.location), "memfd");
        ck_assert(strncmp(img.path, "/memfd:sa-test", 14) == 0);
        sha256sum(XFX_PROGRAM, want);
        ck_assert_str_eq(img.sha256_hex, want);
}
END_TEST

START_TEST(world_writable_dir)
{
        char *dir, path[PATH_MAX];
        sa_exeimage img;
        pid_t pid;

        /* Outside the temporary trees: a directory next to the test's cwd. */
        if (access(".", W_OK) < 0) {
                printf("SKIP: world_writable_dir: the working directory is not writable\n");
                return;
        }
        dir = xfx_dir("sa-ww");
        snprintf(path, sizeof path, "%s/prog", dir);
        /* Under /tmp, /dev/shm, ... a program is "tmp" whatever its directory's mode. */
        if (sa_exe_location_of(path, false, 1, 0) != SA_EXE_NORMAL) {
                printf("SKIP: world_writable_dir: the working directory is a temporary one (%s)\n", dir);
                xfx_rmdir(dir);
                return;
        }
        ck_assert_int_eq(chmod(dir, 01777), 0);
        xfx_copy(XFX_PROGRAM, path);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(sa_exeimage_read(NULL, NULL, pid, &img), 0);
        ck_assert_int_eq(img.location, SA_EXE_WORLD_WRITABLE_DIR);
        ck_assert_int_eq(chmod(dir, 0755), 0);
        ck_assert_int_eq(sa_exeimage_read(NULL, NULL, pid, &img), 0);
        ck_assert_int_eq(img.location, SA_EXE_NORMAL);
        xfx_end(pid);
        xfx_rmdir(dir);
}
END_TEST

/* Threads sharing one cache read one image: the same hash every time. */
struct reader {
        sa_execache *c;
        pid_t pid;
        char want[65];
        int bad;
};

static void *read_many(void *arg)
{
        struct reader *r = arg;
        sa_exeimage *img = malloc(sizeof *img);

        for (int i = 0; img && i < 50; i++)
                if (sa_exeimage_read(r->c, NULL, r->pid, img) < 0 || strcmp(img->sha256_hex, r->want) != 0)
                        __atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
        free(img);
        return NULL;
}

START_TEST(cache_eviction_and_threads)
{
        char *dir = xfx_dir("/tmp/sa-exe"), path[PATH_MAX];
        struct reader r = { 0 };
        sa_execache *c = NULL;
        uint64_t hits, misses;
        pthread_t t[4];
        sa_exeimage img;
        pid_t a, b;

        /* One entry, two images taking turns: every read misses. */
        snprintf(path, sizeof path, "%s/prog", dir);
        xfx_copy(XFX_PROGRAM, path);
        ck_assert_int_eq(sa_execache_new(1, &c), 0);
        a = xfx_run(XFX_PROGRAM, -1);
        b = xfx_run(path, -1);
        for (int i = 0; i < 3; i++) {
                ck_assert_int_eq(sa_exeimage_read(c, NULL, a, &img), 0);
                ck_assert(!img.cached);
                ck_assert_int_eq(sa_exeimage_read(c, NULL, b, &img), 0);
                ck_assert(!img.cached);
        }
        strcpy(r.want, img.sha256_hex);
        sa_execache_free(c);

        ck_assert_int_eq(sa_execache_new(8, &c), 0);
        r.c = c;
        r.pid = b;
        for (int i = 0; i < 4; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, read_many, &r), 0);
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        ck_assert_int_eq(r.bad, 0);
        sa_execache_counts(c, &hits, &misses);
        ck_assert_uint_eq(hits + misses, 200);
        ck_assert_uint_ge(hits, 196);   /* at most one miss per thread */
        xfx_end(a);
        xfx_end(b);
        sa_execache_free(c);
        xfx_rmdir(dir);
}
END_TEST

START_TEST(location_words)
{
        ck_assert_int_eq(sa_exe_location_of("/memfd:x", true, 0, 0), SA_EXE_MEMFD);
        ck_assert_int_eq(sa_exe_location_of("/usr/bin/x", true, 1, 0755), SA_EXE_DELETED);
        ck_assert_int_eq(sa_exe_location_of("/usr/bin/x", false, 0, 0755), SA_EXE_DELETED);
        ck_assert_int_eq(sa_exe_location_of("/tmp/x", false, 1, 01777), SA_EXE_TMP);
        ck_assert_int_eq(sa_exe_location_of("/dev/shm/x", false, 1, 01777), SA_EXE_TMP);
        ck_assert_int_eq(sa_exe_location_of("/run/user/1000/x", false, 1, 0700), SA_EXE_TMP);
        ck_assert_int_eq(sa_exe_location_of("/var/tmp/a/x", false, 1, 0755), SA_EXE_TMP);
        ck_assert_int_eq(sa_exe_location_of("/tmpx/x", false, 1, 0755), SA_EXE_NORMAL);
        ck_assert_int_eq(sa_exe_location_of("/srv/x", false, 1, 0777), SA_EXE_WORLD_WRITABLE_DIR);
        ck_assert_int_eq(sa_exe_location_of("/srv/x", false, 1, 0), SA_EXE_NORMAL);
        ck_assert_str_eq(sa_exe_location_name(SA_EXE_WORLD_WRITABLE_DIR), "world_writable_dir");
}
END_TEST

Suite *exeimage_suite(void)
{
        Suite *s = suite_create("exeimage");
        TCase *tc = tcase_create("exeimage");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, hash_equals_sha256sum);
        tcase_add_test(tc, tmp_copy_and_cache);
        tcase_add_test(tc, deleted_image);
        tcase_add_test(tc, deleted_suffix_in_name);
        tcase_add_test(tc, memfd_image);
        tcase_add_test(tc, world_writable_dir);
        tcase_add_test(tc, cache_eviction_and_threads);
        tcase_add_test(tc, location_words);
        suite_add_tcase(s, tc);
        return s;
}
