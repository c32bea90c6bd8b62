/* SPDX-License-Identifier: MIT */
/*
 * Provenance verdicts (lib/provenance.c): the pure decision on made-up
 * facts, then real children: a packaged binary against this machine's
 * dpkg database, a copy in /tmp, a memfd, and a copy that a fixture
 * database says a package ships (verified, modified, then replaced on
 * disk: the "needs restart" case).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_fixture.h"
#include "provenance.h"

/* An image and a dpkg entry whose MD5s agree (both all zero bytes / "00..."). */
static sa_exeimage img;
static sa_dpkg_file file;

static void facts_setup(void)
{
        memset(&img, 0, sizeof img);
        memset(&file, 0, sizeof file);
        strcpy(img.path, "/usr/sbin/nginx");
        memset(img.sha256_hex, 'a', 64);
        img.st.st_nlink = 1;
        strcpy(file.package, "nginx");
        strcpy(file.version, "1.22.1-9+deb12u1");
        strcpy(file.architecture, "amd64");
        strcpy(file.matched, "/usr/sbin/nginx");
        memset(file.md5, '0', 32);
}

static sa_provenance decide(sa_prov_facts f)
{
        sa_provenance p;

        if (!f.image && f.image_error == 0)
                f.image = &img;
        if (!f.file && f.lookup == 0)
                f.file = &file;
        sa_provenance_decide(&f, &p);
        ck_assert(p.reason[0]);
        return p;
}

START_TEST(decide_each_status)
{
        sa_provenance p;

        p = decide((sa_prov_facts) { 0 });
        ck_assert_str_eq(sa_prov_status_name(p.status), "verified");
        ck_assert_str_eq(p.package, "nginx");
        ck_assert_str_eq(p.version, "1.22.1-9+deb12u1");
        ck_assert_str_eq(p.reason, "/usr/sbin/nginx from nginx 1.22.1-9+deb12u1, verified against the package");
        ck_assert_uint_eq(strlen(p.exe_sha256), 64);

        img.md5[0] = 1;
        p = decide((sa_prov_facts) { 0 });
        ck_assert_str_eq(sa_prov_status_name(p.status), "modified");
        img.md5[0] = 0;

        file.md5_error = -ENODATA;
        file.md5[0] = '\0';
        p = decide((sa_prov_facts) { 0 });
        ck_assert_int_eq(p.status, SA_PROV_UNVERIFIABLE);
        ck_assert_ptr_nonnull(strstr(p.reason, "no md5sums"));
        ck_assert_str_eq(p.package, "nginx");

        p = decide((sa_prov_facts) { .lookup = -ENOENT });
        ck_assert_int_eq(p.status, SA_PROV_NOT_PACKAGED);
        ck_assert_str_eq(p.package, "");

        p = decide((sa_prov_facts) { .dpkg_error = -ENOPKG });
        ck_assert_int_eq(p.status, SA_PROV_UNVERIFIABLE);
        ck_assert_ptr_nonnull(strstr(p.reason, "not a Debian host"));

        p = decide((sa_prov_facts) { .image_error = -EACCES });
        ck_assert_int_eq(p.status, SA_PROV_UNVERIFIABLE);
        ck_assert_str_eq(p.exe_sha256, "");

        /* On FUSE or NFS: not read (a read could block the job for ever). */
        p = decide((sa_prov_facts) { .image_error = -EREMOTE });
        ck_assert_int_eq(p.status, SA_PROV_UNVERIFIABLE);
        ck_assert_ptr_nonnull(strstr(p.reason, "FUSE"));

        p = decide((sa_prov_facts) { .other_root = true });
        ck_assert_int_eq(p.status, SA_PROV_UNVERIFIABLE);
}
END_TEST

START_TEST(decide_deleted_and_memfd)
{
        sa_provenance p;

        /* Upgraded under the running process: the path still belongs to the package. */
        img.location = SA_EXE_DELETED;
        p = decide((sa_prov_facts) { 0 });
        ck_assert_str_eq(sa_prov_status_name(p.status), "deleted");
        ck_assert_str_eq(p.package, "nginx");
        ck_assert_ptr_nonnull(strstr(p.reason, "package upgraded under a running process, needs restart"));
        p = decide((sa_prov_facts) { .lookup = -ENOENT });
        ck_assert_int_eq(p.status, SA_PROV_DELETED);
        ck_assert_ptr_null(strstr(p.reason, "needs restart"));

        /* The path names another file now, the image is still linked somewhere. */
        img.location = SA_EXE_NORMAL;
        p = decide((sa_prov_facts) { .replaced = true });
        ck_assert_int_eq(p.status, SA_PROV_DELETED);
        ck_assert_ptr_nonnull(strstr(p.reason, "replaced"));

        img.location = SA_EXE_MEMFD;
        strcpy(img.path, "/memfd:x");
        p = decide((sa_prov_facts) { .lookup = -ENOENT });
        ck_assert_int_eq(p.status, SA_PROV_NOT_PACKAGED);
        ck_assert_int_eq(p.location, SA_EXE_MEMFD);
}
END_TEST

/* The real database, or NULL (SKIP printed). */
static sa_dpkg *real_db(const char *test)
{
        sa_dpkg *d = NULL;

        if (sa_dpkg_open(NULL, &d) < 0) {
                printf("SKIP: %s: no dpkg database here\n", test);
                return NULL;
        }
        return d;
}

START_TEST(packaged_binary_verified)
{
        sa_dpkg *d = real_db("packaged_binary_verified");
        char want[80];
        sa_provenance p;
        pid_t pid;

        if (!d)
                return;
        pid = xfx_run(XFX_PROGRAM, -1);
        ck_assert_int_eq(sa_provenance_read(d, NULL, NULL, pid, &p), 0);
        xfx_end(pid);
        ck_assert(xfx_word("dpkg-query -S /bin/sleep | cut -d: -f1", want, sizeof want));
        ck_assert_msg(p.status == SA_PROV_VERIFIED, "%s: %s", sa_prov_status_name(p.status), p.reason);
        ck_assert_str_eq(p.package, want);
        ck_assert(xfx_word("dpkg-query -W -f='${Version}' coreutils", want, sizeof want));
        ck_assert_str_eq(p.version, want);
        ck_assert(xfx_word("sha256sum " XFX_PROGRAM, want, sizeof want));
        ck_assert_str_eq(p.exe_sha256, want);
        sa_dpkg_free(d);
}
END_TEST

START_TEST(tmp_copy_not_packaged)
{
        sa_dpkg *d = real_db("tmp_copy_not_packaged");
        char *dir, path[PATH_MAX];
        sa_provenance p;
        pid_t pid;

        if (!d)
                return;
        dir = xfx_dir("/tmp/sa-prov");
        snprintf(path, sizeof path, "%s/sleep", dir);
        xfx_copy(XFX_PROGRAM, path);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(sa_provenance_read(d, NULL, NULL, pid, &p), 0);
        xfx_end(pid);
        ck_assert_int_eq(p.status, SA_PROV_NOT_PACKAGED);
        ck_assert_int_eq(p.location, SA_EXE_TMP);
        ck_assert_str_eq(p.path, path);
        sa_dpkg_free(d);
        xfx_rmdir(dir);
}
END_TEST

/* Deleted while another link to the file is left: the old name now names nothing. */
START_TEST(deleted_with_link_left)
{
        char *dir = xfx_dir("/tmp/sa-prov"), path[PATH_MAX], other[PATH_MAX];
        sa_provenance p;
        pid_t pid;

        snprintf(path, sizeof path, "%s/prog", dir);
        snprintf(other, sizeof other, "%s/prog.link", dir);
        xfx_copy(XFX_PROGRAM, path);
        ck_assert_int_eq(link(path, other), 0);
        pid = xfx_run(path, -1);
        ck_assert_int_eq(unlink(path), 0);
        ck_assert_int_eq(sa_provenance_read(NULL, NULL, NULL, pid, &p), 0);
        xfx_end(pid);
        ck_assert_msg(p.status == SA_PROV_DELETED, "%s", p.reason);
        ck_assert_ptr_nonnull(strstr(p.reason, "replaced"));
        xfx_rmdir(dir);
}
END_TEST

START_TEST(memfd_not_packaged)
{
        sa_dpkg *d = real_db("memfd_not_packaged");
        int fd = memfd_create("sa-prov", 0), in;
        char buf[65536];
        sa_provenance p;
        ssize_t n;
        pid_t pid;

        ck_assert_int_ge(fd, 0);
        in = open(XFX_PROGRAM, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(in, 0);
        while ((n = read(in, buf, sizeof buf)) > 0)
                ck_assert_int_eq(write(fd, buf, (size_t) n), n);
        close(in);
        pid = xfx_run(NULL, fd);
        close(fd);
        ck_assert_int_eq(sa_provenance_read(d, NULL, NULL, pid, &p), 0);
        xfx_end(pid);
        ck_assert_int_eq(p.status, SA_PROV_NOT_PACKAGED);
        ck_assert_int_eq(p.location, SA_EXE_MEMFD);
        sa_dpkg_free(d);
}
END_TEST

/* A fixture database in dir/db whose package "fake" ships path with md5. */
static void fake_db(const char *dir, const char *path, const char *md5)
{
        char p[PATH_MAX + 64];
        FILE *f;

        snprintf(p, sizeof p, "%s/db", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/db/info", dir);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/db/status", dir);
        ck_assert_ptr_nonnull(f = fopen(p, "w"));
        fputs("Package: fake\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n", f);
        fclose(f);
        snprintf(p, sizeof p, "%s/db/info/fake.list", dir);
        ck_assert_ptr_nonnull(f = fopen(p, "w"));
        fprintf(f, "/.\n%s\n", path);
        fclose(f);
        snprintf(p, sizeof p, "%s/db/info/fake.md5sums", dir);
        ck_assert_ptr_nonnull(f = fopen(p, "w"));
        fprintf(f, "%s  %s\n", md5, path + 1);
        fclose(f);
}

START_TEST(fixture_package_lifecycle)
{
        char *dir = xfx_dir("/tmp/sa-prov"), path[PATH_MAX], db[PATH_MAX + 8], md5[80], other[PATH_MAX];
        sa_execache *c = NULL;
        sa_dpkg *d = NULL;
        sa_provenance p;
        pid_t pid;

        snprintf(path, sizeof path, "%s/prog", dir);
        xfx_copy(XFX_PROGRAM, path);
        ck_assert(xfx_word("md5sum " XFX_PROGRAM, md5, sizeof md5));
        fake_db(dir, path, md5);
        snprintf(db, sizeof db, "%s/db", dir);
        ck_assert_int_eq(sa_dpkg_open(db, &d), 0);
        ck_assert_int_eq(sa_execache_new(0, &c), 0);
        pid = xfx_run(path, -1);

        ck_assert_int_eq(sa_provenance_read(d, c, NULL, pid, &p), 0);
        ck_assert_msg(p.status == SA_PROV_VERIFIED, "%s", p.reason);
        ck_assert_str_eq(p.package, "fake");
        ck_assert_int_eq(p.location, SA_EXE_TMP);

        /* dpkg recorded another MD5. */
        fake_db(dir, path, "ffffffffffffffffffffffffffffffff");
        ck_assert_int_eq(sa_provenance_read(d, c, NULL, pid, &p), 0);
        ck_assert_int_eq(p.status, SA_PROV_MODIFIED);

        /* An upgrade: a new file renamed over the path while the old one runs. */
        snprintf(other, sizeof other, "%s/prog.new", dir);
        xfx_copy(XFX_PROGRAM, other);
        ck_assert_int_eq(rename(other, path), 0);
        fake_db(dir, path, md5);
        ck_assert_int_eq(sa_provenance_read(d, c, NULL, pid, &p), 0);
        ck_assert_int_eq(p.status, SA_PROV_DELETED);
        ck_assert_str_eq(p.package, "fake");
        ck_assert_ptr_nonnull(strstr(p.reason, "needs restart"));

        xfx_end(pid);
        sa_execache_free(c);
        sa_dpkg_free(d);
        xfx_rmdir(dir);
}
END_TEST

Suite *provenance_suite(void)
{
        Suite *s = suite_create("provenance");
        TCase *pure = tcase_create("decide"), *real = tcase_create("processes");

        tcase_add_checked_fixture(pure, facts_setup, NULL);
        tcase_add_test(pure, decide_each_status);
        tcase_add_test(pure, decide_deleted_and_memfd);
        suite_add_tcase(s, pure);
        tcase_set_timeout(real, 60);
        tcase_add_test(real, packaged_binary_verified);
        tcase_add_test(real, tmp_copy_not_packaged);
        tcase_add_test(real, deleted_with_link_left);
        tcase_add_test(real, memfd_not_packaged);
        tcase_add_test(real, fixture_package_lifecycle);
        suite_add_tcase(s, real);
        return s;
}
