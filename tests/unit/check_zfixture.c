/* SPDX-License-Identifier: MIT */
/* Fake /proc trees for unit tests. Defines no suite. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "netns_fixture.h"
#include "proc_fixture.h"

static char *join(const char *root, const char *rel)
{
        char *p = NULL;

        if (asprintf(&p, "%s/%s", root, rel) < 0)
                ck_abort_msg("asprintf");
        return p;
}

static char *pid_path(const char *root, pid_t pid, const char *rel)
{
        char *p = NULL;

        if ((rel ? asprintf(&p, "%s/%d/%s", root, (int) pid, rel)
                 : asprintf(&p, "%s/%d", root, (int) pid)) < 0)
                ck_abort_msg("asprintf");
        return p;
}

static void mkdir_ok(const char *path)
{
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                ck_abort_msg("mkdir %s: %s", path, strerror(errno));
}

/* $TMPDIR, else tmpfs (/dev/shm): thousands of entries there take ms, on ext4 seconds. */
static const char *tmp_dir(void)
{
        const char *tmp = getenv("TMPDIR");
        struct stat st;

        if (tmp && *tmp)
                return tmp;
        if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
                return "/dev/shm";
        return "/tmp";
}

char *pfx_new(void)
{
        char *root = NULL;

        ck_assert_int_ge(asprintf(&root, "%s/sa-proc-XXXXXX", tmp_dir()), 0);
        ck_assert_msg(mkdtemp(root) != NULL, "mkdtemp: %s", strerror(errno));
        /* mkdtemp gives 0700; tests that drop privileges need to get in. */
        ck_assert_int_eq(chmod(root, 0755), 0);
        return root;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
                rmdir(path);
        else
                unlink(path);
        return 0;
}

void pfx_free(char *root)
{
        if (!root)
                return;
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(root);
}

void pfx_mkdir(const char *root, const char *name)
{
        char *p = join(root, name);

        mkdir_ok(p);
        free(p);
}

void pfx_fd(const char *root, pid_t pid, int fd, const char *target)
{
        char *dir = pid_path(root, pid, NULL), *fddir = pid_path(root, pid, "fd"), *link = NULL;

        mkdir_ok(dir);
        mkdir_ok(fddir);
        if (asprintf(&link, "%s/%d", fddir, fd) < 0)
                ck_abort_msg("asprintf");
        if (symlink(target, link) < 0)
                ck_abort_msg("symlink %s: %s", link, strerror(errno));
        free(link);
        free(fddir);
        free(dir);
}

void pfx_file(const char *root, pid_t pid, const char *name, const void *data, size_t len)
{
        char *dir = pid_path(root, pid, NULL), *path = pid_path(root, pid, name);
        const char *d = data;
        int fd;

        mkdir_ok(dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
        while (len > 0) {
                ssize_t n = write(fd, d, len);

                ck_assert_msg(n > 0, "write %s: %s", path, strerror(errno));
                d += n;
                len -= (size_t) n;
        }
        close(fd);
        free(path);
        free(dir);
}

void pfx_text(const char *root, pid_t pid, const char *name, const char *text)
{
        pfx_file(root, pid, name, text, strlen(text));
}

void pfx_link(const char *root, pid_t pid, const char *name, const char *target)
{
        char *dir = pid_path(root, pid, NULL), *path = pid_path(root, pid, name);

        mkdir_ok(dir);
        ck_assert_msg(symlink(target, path) == 0, "symlink %s: %s", path, strerror(errno));
        free(path);
        free(dir);
}

void pfx_process(const char *root, pid_t pid, const char *comm, const char *exe,
                 pid_t ppid, uid_t uid, const char *cgroup_v2_path)
{
        char *s = NULL;

        ck_assert_int_ge(asprintf(&s, "%s\n", comm), 0);
        pfx_text(root, pid, "comm", s);
        free(s);
        /* Name is escaped by the kernel; PPid and Uid come early, as in the real file. */
        ck_assert_int_ge(asprintf(&s,
                                  "Name:\tfixture\nUmask:\t0022\nState:\tS (sleeping)\n"
                                  "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"
                                  "Uid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\nFDSize:\t64\n",
                                  (int) pid, (int) pid, (int) ppid, uid, uid, uid, uid), 0);
        pfx_text(root, pid, "status", s);
        free(s);
        ck_assert_int_ge(asprintf(&s, "0::%s\n", cgroup_v2_path), 0);
        pfx_text(root, pid, "cgroup", s);
        free(s);
        pfx_file(root, pid, "cmdline", exe, strlen(exe) + 1);
        pfx_link(root, pid, "exe", exe);
}

void pfx_chmod(const char *root, const char *name, mode_t mode)
{
        char *p = join(root, name);

        ck_assert_int_eq(chmod(p, mode), 0);
        free(p);
}

void pfx_unlink(const char *root, const char *name)
{
        char *p = join(root, name);

        ck_assert_msg(unlink(p) == 0, "unlink %s: %s", p, strerror(errno));
        free(p);
}

/* ---- network namespace (netns_fixture.h) ---- */

bool fixture_enter_netns(const char *test)
{
        if (unshare(CLONE_NEWNET) < 0) {
                printf("SKIP: %s: unshare(CLONE_NEWNET): %s\n", test, strerror(errno));
                return false;
        }
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = { .ifr_name = "lo" };
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
        ifr.ifr_flags |= IFF_UP;
        ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
        close(fd);
        return true;
}

int fixture_tcp_listen(uint16_t port)
{
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(port) };
        int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

        ck_assert_int_ge(fd, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &in, sizeof in), 0);
        ck_assert_int_eq(listen(fd, 8), 0);
        return fd;
}
