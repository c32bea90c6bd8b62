/* SPDX-License-Identifier: MIT */
/*
 * The dpkg database reader (lib/dpkg.c, lib/dpkgfile.c): the four file
 * parsers on bytes, lookups on a fixture admin dir (usrmerge both ways, a
 * diversion and a local one, a Multi-Arch: same package, corrupt lines,
 * missing files, an oversized status, a rebuild after a change), and on
 * this machine's database against dpkg-query.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpkg.h"

#define MD5_LS   "0123456789abcdef0123456789abcdef"
#define MD5_ENV  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MD5_FOO  "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MD5_PQ   "cccccccccccccccccccccccccccccccc"
#define MD5_PGC  "dddddddddddddddddddddddddddddddd"

static char top[] = "/tmp/sa-dpkg-XXXXXX";

static void put(const char *rel, const char *text)
{
        char path[512], tmp[600];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", top, rel);
        snprintf(tmp, sizeof tmp, "%s.new", path);
        f = fopen(tmp, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(rename(tmp, path), 0);     /* as dpkg does: a new inode */
}

static const char status_text[] =
        "Package: coreutils\n"
        "Status: install ok installed\n"
        "Priority: required\n"
        "Version: 9.1-1\n"
        "Architecture: amd64\n"
        "Description: GNU core utilities\n"
        " Package: notme\n"
        " Status: install ok installed\n"
        "\n"
        "Package: libfoo1\n"
        "Status: install ok installed\n"
        "Multi-Arch: same\n"
        "Architecture: amd64\n"
        "Version: 1.0-1\n"
        "\n"
        "Package: gone\n"
        "Status: deinstall ok config-files\n"
        "Version: 1\n"
        "Architecture: all\n"
        "\n"
        "Package: ../evil\n"
        "Status: install ok installed\n"
        "Version: 1\n"
        "Architecture: all\n"
        "\n"
        "Package: libpq-dev\n"
        "Status: install ok installed\n"
        "Version: 15.5-0+deb12u1\n"
        "Architecture: amd64\n"
        "\n"
        "Package: postgresql-common\n"
        "Status: install ok installed\n"
        "Version: 248\n"
        "Architecture: all\n"
        "\n"
        "Package: nomd5\n"
        "Status: install ok installed\n"
        "Version: 1\n"
        "Architecture: amd64\n"
        "\n"
        "Package: held\n"
        "Status: hold ok installed\n"
        "Version: 2:1.0~rc1\n"
        "Architecture: amd64\n"
        "\n"
        "Package: nolist\n"
        "Status: install ok installed\n"
        "Version: 1\n"
        "Architecture: amd64\n";

static void setup(void)
{
        char path[512], longline[5000];
        char *list;

        ck_assert_ptr_nonnull(mkdtemp(top));
        snprintf(path, sizeof path, "%s/info", top);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        put("status", status_text);
        memset(longline, 'x', sizeof longline - 2);
        longline[0] = '/';
        longline[sizeof longline - 2] = '\n';
        longline[sizeof longline - 1] = '\0';
        list = malloc(8000);
        ck_assert_ptr_nonnull(list);
        snprintf(list, 8000, "/.\n/bin\n/bin/ls\n/usr/bin\n/usr/bin/env\n/usr/bin/localdiv\n"
                 "relative/path\n%s/usr/bin/after-long\n", longline);
        put("info/coreutils.list", list);
        free(list);
        put("info/coreutils.md5sums", MD5_LS "  bin/ls\n" "not a line\n"
            MD5_ENV "  usr/bin/env\n" "0123456789ABCDEF0123456789ABCDEF *usr/bin/after-long\n");
        put("info/libfoo1:amd64.list", "/usr/lib\n/usr/lib/x86_64-linux-gnu/libfoo.so.1\n");
        put("info/libfoo1:amd64.md5sums", MD5_FOO "  usr/lib/x86_64-linux-gnu/libfoo.so.1\n");
        put("info/gone.list", "/usr/bin/gone\n");
        put("info/libpq-dev.list", "/usr/bin\n/usr/bin/pg_config\n");
        put("info/libpq-dev.md5sums", MD5_PQ "  usr/bin/pg_config\n");
        put("info/postgresql-common.list", "/usr/bin\n/usr/bin/pg_config\n");
        put("info/postgresql-common.md5sums", MD5_PGC "  usr/bin/pg_config\n");
        put("info/nomd5.list", "/usr/sbin/nomd5\n");
        put("info/held.list", "/usr/sbin/held\n");
        put("info/held.md5sums", "");
        put("diversions",
            "/usr/bin/pg_config\n/usr/bin/pg_config.libpq-dev\npostgresql-common\n"
            "/usr/bin/localdiv\n/usr/bin/localdiv.orig\n:\n");
}

static void teardown(void)
{
        char cmd[600];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(top, "/tmp/sa-dpkg-XXXXXX");
}

static sa_dpkg *open_fixture(void)
{
        sa_dpkg *d = NULL;

        ck_assert_int_eq(sa_dpkg_open(top, &d), 0);
        return d;
}

START_TEST(exact_and_usrmerge_both_ways)
{
        sa_dpkg *d = open_fixture();
        sa_dpkg_file f;

        ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/ls", &f), 0);
        ck_assert_str_eq(f.package, "coreutils");
        ck_assert_str_eq(f.version, "9.1-1");
        ck_assert_str_eq(f.architecture, "amd64");
        ck_assert_str_eq(f.md5, MD5_LS);
        ck_assert(!f.usrmerge && !f.diverted);

        /* Recorded as /bin/ls, running as /usr/bin/ls. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/ls", &f), 0);
        ck_assert_str_eq(f.package, "coreutils");
        ck_assert_str_eq(f.matched, "/bin/ls");
        ck_assert_str_eq(f.md5, MD5_LS);
        ck_assert(f.usrmerge);

        /* Recorded as /usr/bin/env, running as /bin/env. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/env", &f), 0);
        ck_assert_str_eq(f.matched, "/usr/bin/env");
        ck_assert_str_eq(f.md5, MD5_ENV);

        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/nothere", &f), -ENOENT);
        ck_assert_int_eq(sa_dpkg_lookup(d, "/sbin/ls", &f), -ENOENT);
        ck_assert_int_eq(sa_dpkg_lookup(d, "relative", &f), -EINVAL);
        sa_dpkg_free(d);
}
END_TEST

START_TEST(multiarch_name)
{
        sa_dpkg *d = open_fixture();
        sa_dpkg_file f;

        /* /lib/... → /usr/lib/... too */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/lib/x86_64-linux-gnu/libfoo.so.1", &f), 0);
        ck_assert_str_eq(f.package, "libfoo1:amd64");
        ck_assert_str_eq(f.md5, MD5_FOO);
        sa_dpkg_free(d);
}
END_TEST

START_TEST(diversions)
{
        sa_dpkg *d = open_fixture();
        sa_dpkg_file f;

        /* libpq-dev's pg_config was put at the "to" path. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/pg_config.libpq-dev", &f), 0);
        ck_assert_str_eq(f.package, "libpq-dev");
        ck_assert_str_eq(f.matched, "/usr/bin/pg_config");
        ck_assert_str_eq(f.md5, MD5_PQ);
        ck_assert(f.diverted);
        /* The file at "from" is the diverting package's. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/pg_config", &f), 0);
        ck_assert_str_eq(f.package, "postgresql-common");
        ck_assert_str_eq(f.md5, MD5_PGC);
        /* A local diversion: coreutils' file went to .orig; nothing owns "from". */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/localdiv.orig", &f), 0);
        ck_assert_str_eq(f.package, "coreutils");
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/localdiv", &f), -ENOENT);
        /* The same through the usrmerge alias. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/pg_config.libpq-dev", &f), 0);
        ck_assert_str_eq(f.package, "libpq-dev");
        sa_dpkg_free(d);
}
END_TEST

START_TEST(corrupt_and_missing)
{
        sa_dpkg *d = open_fixture();
        sa_dpkg_stats st;
        sa_dpkg_file f;

        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/sbin/nomd5", &f), 0);
        ck_assert_int_eq(f.md5_error, -ENODATA);
        ck_assert_str_eq(f.md5, "");
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/sbin/held", &f), 0);
        ck_assert_str_eq(f.version, "2:1.0~rc1");
        ck_assert_int_eq(f.md5_error, -ENOENT);
        /* After a corrupt line and an over-long one, lines still count. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/after-long", &f), 0);
        ck_assert_str_eq(f.md5, "0123456789abcdef0123456789abcdef");
        /* Not installed, and the continuation lines of Description are not stanzas. */
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/bin/gone", &f), -ENOENT);

        sa_dpkg_get_stats(d, &st);
        ck_assert_uint_eq(st.packages, 7);      /* not gone, not ../evil */
        ck_assert_uint_eq(st.lists_missing, 1); /* nolist */
        ck_assert_uint_ge(st.bad_lines, 3);     /* ../evil, relative/path, the long line */
        ck_assert_uint_eq(st.diversions, 2);
        ck_assert_uint_eq(st.builds, 1);
        sa_dpkg_free(d);
}
END_TEST

START_TEST(rebuilt_after_change)
{
        sa_dpkg *d = open_fixture();
        char *status = malloc(sizeof status_text + 200);
        sa_dpkg_stats st;
        sa_dpkg_file f;

        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/sbin/newtool", &f), -ENOENT);
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/sbin/newtool", &f), -ENOENT);
        sa_dpkg_get_stats(d, &st);
        ck_assert_uint_eq(st.builds, 1);
        put("info/newtool.list", "/usr/sbin/newtool\n");
        snprintf(status, sizeof status_text + 200, "%s\nPackage: newtool\nStatus: install ok installed\n"
                 "Version: 3\nArchitecture: amd64\n", status_text);
        put("status", status);
        free(status);
        ck_assert_int_eq(sa_dpkg_lookup(d, "/usr/sbin/newtool", &f), 0);
        ck_assert_str_eq(f.package, "newtool");
        sa_dpkg_get_stats(d, &st);
        ck_assert_uint_eq(st.builds, 2);
        sa_dpkg_free(d);
}
END_TEST

static void *lookup_many(void *arg)
{
        sa_dpkg *d = arg;
        sa_dpkg_file *f = malloc(sizeof *f);
        long bad = 0;

        for (int i = 0; f && i < 200; i++)
                if (sa_dpkg_lookup(d, "/usr/bin/ls", f) != 0 || strcmp(f->package, "coreutils") != 0)
                        bad++;
        free(f);
        return (void *) bad;
}

/* Lookups from threads while status keeps changing (rebuilds in between). */
START_TEST(threads_during_rebuilds)
{
        sa_dpkg *d = open_fixture();
        char extra[sizeof status_text + 100];
        pthread_t t[3];
        void *bad;

        for (int i = 0; i < 3; i++)
                ck_assert_int_eq(pthread_create(&t[i], NULL, lookup_many, d), 0);
        for (int i = 0; i < 20; i++) {
                snprintf(extra, sizeof extra, "%s\nPackage: x%d\nStatus: install ok installed\n"
                         "Version: 1\nArchitecture: all\n", status_text, i);
                put("status", extra);
        }
        for (int i = 0; i < 3; i++) {
                pthread_join(t[i], &bad);
                ck_assert_int_eq((long) bad, 0);
        }
        sa_dpkg_free(d);
}
END_TEST

START_TEST(no_database)
{
        char path[600];
        sa_dpkg *d = NULL;
        sa_dpkg_file f;
        int fd;

        ck_assert_int_eq(sa_dpkg_open("/nonexistent/dpkg", &d), -ENOPKG);
        snprintf(path, sizeof path, "%s/info", top);
        ck_assert_int_eq(sa_dpkg_open(path, &d), -ENOPKG);     /* a dir without status */

        /* info/ missing: a broken database, not "no package ships it". */
        d = open_fixture();
        {
                char info[600], moved[600];

                snprintf(info, sizeof info, "%s/info", top);
                snprintf(moved, sizeof moved, "%s/info.away", top);
                ck_assert_int_eq(rename(info, moved), 0);
                ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/ls", &f), -EBADMSG);
                ck_assert_int_eq(rename(moved, info), 0);
                ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/ls", &f), 0);
        }

        /* Going away after open, and a status over its cap (sparse: no disk used). */
        snprintf(path, sizeof path, "%s/status", top);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ftruncate(fd, (off_t) SA_DPKG_STATUS_MAX + 1), 0);
        close(fd);
        ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/ls", &f), -EFBIG);
        {
                char err[256];

                sa_dpkg_error(d, err, sizeof err);
                ck_assert_ptr_nonnull(strstr(err, "status"));
        }
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(sa_dpkg_lookup(d, "/bin/ls", &f), -ENOPKG);
        sa_dpkg_free(d);
}
END_TEST

START_TEST(parsers)
{
        static const char status[] =
                "Package: a\nStatus: install ok installed\nArchitecture: all\n\n"      /* no Version */
                "Package: b\nStatus: install ok installed\nVersion: 1 2\nArchitecture: all\n\n"
                "package: c\nstatus: install ok installed\nversion: 1\narchitecture: all\n";
        static const char div[] = "/a\n/b\npkg\n/c\n/d\n";
        sa_dpkg_pkg *p = NULL;
        sa_dpkg_diversion *v = NULL;
        size_t n = 0, bad = 0;
        char md5[33];

        ck_assert_int_eq(sa_dpkg_parse_status(status, sizeof status - 1, 10, &p, &n, &bad), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_str_eq(p[0].name, "c");
        ck_assert_uint_eq(bad, 2);
        free(p);
        ck_assert_int_eq(sa_dpkg_parse_status(status, sizeof status - 1, 0, &p, &n, &bad), -E2BIG);

        bad = 0;
        ck_assert_int_eq(sa_dpkg_parse_diversions(div, sizeof div - 1, 10, &v, &n, &bad), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(bad, 1);      /* the truncated triple */
        ck_assert_str_eq(v[0].to, "/b");
        ck_assert_str_eq(v[0].by, "pkg");
        sa_dpkg_diversions_free(v, n);

        bad = 0;
        ck_assert_int_eq(sa_dpkg_parse_md5sums(MD5_LS "  a\n", 35, "/a", md5, &bad), 0);
        ck_assert_str_eq(md5, MD5_LS);
        ck_assert_int_eq(sa_dpkg_parse_md5sums(MD5_LS "  a\n", 35, "/b", md5, &bad), -ENOENT);
        ck_assert_int_eq(sa_dpkg_parse_md5sums("zz  a\n", 6, "/a", md5, &bad), -ENOENT);
        ck_assert_uint_eq(bad, 1);
}
END_TEST

/* One line of a command's output, or false. */
static bool run(const char *cmd, char *out, size_t n)
{
        FILE *f = popen(cmd, "r");
        bool ok;

        if (!f)
                return false;
        ok = fgets(out, (int) n, f) != NULL;
        if (pclose(f) != 0)
                ok = false;
        if (ok)
                out[strcspn(out, "\n")] = '\0';
        return ok;
}

/* path on this machine (recorded by dpkg as recorded) equals what
 * dpkg-query says, its md5 equals md5sum's. */
static void against_dpkg_query(sa_dpkg *d, const char *path, const char *recorded)
{
        char cmd[600], want[512], ver[256], md5[64];
        sa_dpkg_file f;

        snprintf(cmd, sizeof cmd, "dpkg-query -S '%s' 2>/dev/null | head -n 1", recorded);
        if (!run(cmd, want, sizeof want) || !strchr(want, ':')) {
                printf("SKIP: real_database: dpkg-query -S %s says nothing\n", recorded);
                return;
        }
        *strstr(want, ": ") = '\0';
        ck_assert_int_eq(sa_dpkg_lookup(d, path, &f), 0);
        ck_assert_str_eq(f.package, want);
        ck_assert_str_eq(f.matched, recorded);
        snprintf(cmd, sizeof cmd, "dpkg-query -W -f='${Version} ${Architecture}' '%s'", want);
        ck_assert(run(cmd, ver, sizeof ver));
        snprintf(want, sizeof want, "%s %s", f.version, f.architecture);
        ck_assert_str_eq(want, ver);
        snprintf(cmd, sizeof cmd, "md5sum < '%s' | cut -d' ' -f1", path);
        ck_assert(run(cmd, md5, sizeof md5));
        ck_assert_str_eq(f.md5, md5);
}

START_TEST(real_database)
{
        sa_dpkg *d = NULL;
        sa_dpkg_stats st;
        char buf[64];
        int r;

        r = sa_dpkg_open(NULL, &d);
        if (r == -ENOPKG || !run("command -v dpkg-query", buf, sizeof buf)) {
                printf("SKIP: real_database: no dpkg here\n");
                sa_dpkg_free(d);
                return;
        }
        ck_assert_int_eq(r, 0);
        against_dpkg_query(d, "/usr/bin/dpkg", "/usr/bin/dpkg");
        against_dpkg_query(d, "/bin/bash", "/bin/bash");
        against_dpkg_query(d, "/usr/bin/sleep", "/bin/sleep");  /* usrmerge: coreutils records /bin/sleep */
        against_dpkg_query(d, "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6");
        sa_dpkg_get_stats(d, &st);
        printf("real_database: index of %zu packages, %zu paths, %zu diversions built in %.1f ms "
               "(%zu bad lines)\n", st.packages, st.paths, st.diversions, st.build_usec / 1000.0, st.bad_lines);
        sa_dpkg_free(d);
}
END_TEST

Suite *dpkg_suite(void)
{
        Suite *s = suite_create("dpkg");
        TCase *fx = tcase_create("fixture"), *real = tcase_create("real");

        tcase_add_checked_fixture(fx, setup, teardown);
        tcase_add_test(fx, exact_and_usrmerge_both_ways);
        tcase_add_test(fx, multiarch_name);
        tcase_add_test(fx, diversions);
        tcase_add_test(fx, corrupt_and_missing);
        tcase_add_test(fx, rebuilt_after_change);
        tcase_add_test(fx, threads_during_rebuilds);
        tcase_add_test(fx, no_database);
        tcase_add_test(fx, parsers);
        suite_add_tcase(s, fx);
        tcase_set_timeout(real, 60);
        tcase_add_test(real, real_database);
        suite_add_tcase(s, real);
        return s;
}
