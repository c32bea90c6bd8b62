/* SPDX-License-Identifier: MIT */
/* Reading PROC_ROOT/PID (lib/process.c): fixture trees, hostile bytes, this process. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_fixture.h"
#include "process.h"
#include "usercache.h"

static sa_process *read_ok(const char *root, pid_t pid, sa_usercache *users)
{
        sa_process *p = NULL;

        ck_assert_int_eq(sa_process_read(root, pid, users, &p), 0);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(p->pid, pid);
        ck_assert_ptr_nonnull(p->argv);
        ck_assert_ptr_null(p->argv[p->argc]);
        return p;
}

START_TEST(test_read_all_fields)
{
        static const char cmdline[] = "nginx: master process /usr/sbin/nginx\0-g\0daemon off;\0";
        char *root = pfx_new();
        sa_usercache *users = NULL;
        sa_process *p;

        pfx_text(root, 812, "comm", "nginx\n");
        pfx_link(root, 812, "exe", "/usr/sbin/nginx");
        pfx_file(root, 812, "cmdline", cmdline, sizeof(cmdline) - 1);
        /* Effective uid is the second field; real uid 1000 must not be taken. */
        pfx_text(root, 812, "status",
                 "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\n"
                 "Pid:\t812\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\n"
                 "Gid:\t0\t0\t0\t0\n");
        pfx_text(root, 812, "cgroup", "0::/system.slice/nginx.service\n");

        ck_assert_int_eq(sa_usercache_new(&users), 0);
        p = read_ok(root, 812, users);
        ck_assert_str_eq(p->comm, "nginx");
        ck_assert_str_eq(p->exe, "/usr/sbin/nginx");
        ck_assert(!p->exe_deleted);
        ck_assert_uint_eq(p->argc, 3);
        ck_assert_str_eq(p->argv[0], "nginx: master process /usr/sbin/nginx");
        ck_assert_str_eq(p->argv[1], "-g");
        ck_assert_str_eq(p->argv[2], "daemon off;");
        ck_assert(!p->argv_truncated);
        ck_assert_int_eq(p->ppid, 1);
        ck_assert_uint_eq(p->uid, 0);
        ck_assert_str_eq(p->user, "root");
        ck_assert_str_eq(p->cgroup, "/system.slice/nginx.service");
        ck_assert_str_eq(p->unit, "nginx.service");
        ck_assert_ptr_null(p->user_unit);
        ck_assert(!p->incomplete);
        ck_assert_ptr_null(sa_process_free(p));

        /* No user cache: no user name. */
        p = read_ok(root, 812, NULL);
        ck_assert_ptr_null(p->user);
        sa_process_free(p);

        sa_usercache_free(users);
        pfx_free(root);
}
END_TEST

/* Untrusted bytes are kept exactly: newlines, escapes, invalid UTF-8. */
START_TEST(test_read_hostile)
{
        static const char comm[] = "a\nb\x1b[31m\\x\xff\xfe\n";
        static const char exe[] = "/tmp/evil\n\x1b]0;pwn\a\xc3( (deleted)";
        char *root = pfx_new();
        sa_process *p;

        pfx_process(root, 66, "x", "/bin/x", 1, 1000, "/");
        pfx_text(root, 66, "comm", comm);
        pfx_unlink(root, "66/exe");
        pfx_link(root, 66, "exe", exe);
        pfx_file(root, 66, "cmdline", "-bash\0\n\x1b\0\0tail", 15);

        p = read_ok(root, 66, NULL);
        ck_assert_str_eq(p->comm, "a\nb\x1b[31m\\x\xff\xfe");
        ck_assert_str_eq(p->exe, "/tmp/evil\n\x1b]0;pwn\a\xc3(");
        ck_assert(p->exe_deleted);
        /* No final NUL, an empty argument kept. */
        ck_assert_uint_eq(p->argc, 4);
        ck_assert_str_eq(p->argv[0], "-bash");
        ck_assert_str_eq(p->argv[1], "\n\x1b");
        ck_assert_str_eq(p->argv[2], "");
        ck_assert_str_eq(p->argv[3], "tail");
        ck_assert(!p->argv_truncated);
        ck_assert_str_eq(p->cgroup, "/");
        ck_assert_ptr_null(p->unit);
        ck_assert(!p->incomplete);
        sa_process_free(p);
        pfx_free(root);
}
END_TEST

START_TEST(test_read_cmdline_bounds)
{
        const size_t big = (size_t) 200 * 1024;
        char *root = pfx_new(), *buf = malloc(big);
        size_t total = 0;
        sa_process *p;

        /* 200 KiB of 99-byte arguments. */
        for (size_t i = 0; i < big; i++)
                buf[i] = i % 100 == 99 ? '\0' : (char) ('a' + i % 26);
        pfx_process(root, 7, "long", "/bin/long", 1, 0, "/");
        pfx_file(root, 7, "cmdline", buf, big);
        p = read_ok(root, 7, NULL);
        ck_assert(p->argv_truncated);
        for (size_t i = 0; i < p->argc; i++)
                total += strlen(p->argv[i]) + 1;
        /* Every byte up to the bound, the cut argument included. */
        ck_assert_uint_eq(total, SA_CMDLINE_MAX + (SA_CMDLINE_MAX % 100 != 0));
        ck_assert_uint_eq(p->argc, (SA_CMDLINE_MAX + 99) / 100);
        ck_assert_uint_eq(strlen(p->argv[0]), 99);
        sa_process_free(p);

        /* Exactly the bound: not truncated. */
        buf[SA_CMDLINE_MAX - 1] = '\0';
        pfx_file(root, 7, "cmdline", buf, SA_CMDLINE_MAX);
        p = read_ok(root, 7, NULL);
        ck_assert(!p->argv_truncated);
        sa_process_free(p);

        /* A rewritten title padded with NULs (nginx workers): one argument. */
        pfx_file(root, 7, "cmdline", "nginx: worker process\0\0\0\0\0\0", 27);
        p = read_ok(root, 7, NULL);
        ck_assert_uint_eq(p->argc, 1);
        ck_assert_str_eq(p->argv[0], "nginx: worker process");
        sa_process_free(p);

        /* Empty (kernel thread, a child of kthreadd): argc 0, argv {NULL}; no exe is normal. */
        pfx_text(root, 7, "status", "Name:\tkworker/0:1\nState:\tI (idle)\nPPid:\t2\nUid:\t0\t0\t0\t0\n");
        pfx_file(root, 7, "cmdline", "", 0);
        pfx_unlink(root, "7/exe");
        p = read_ok(root, 7, NULL);
        ck_assert_uint_eq(p->argc, 0);
        ck_assert_ptr_null(p->argv[0]);
        ck_assert_ptr_null(p->exe);
        ck_assert(!p->exe_deleted);
        ck_assert(!p->incomplete);
        sa_process_free(p);

        free(buf);
        pfx_free(root);
}
END_TEST

/* Issue 17: a child that is exiting (apache2 -k graceful) has no exe link
 * before its fds go, then turns zombie: incomplete either way, never a
 * complete process with no program. */
START_TEST(test_read_exiting)
{
        char *root = pfx_new();
        sa_process *p;

        pfx_process(root, 40, "apache2", "/usr/sbin/apache2", 30, 33, "/system.slice/apache2.service");
        p = read_ok(root, 40, NULL);
        ck_assert(!p->incomplete);
        sa_process_free(p);

        /* Exiting: the exe link is gone (mm released), the rest still there. */
        pfx_unlink(root, "40/exe");
        p = read_ok(root, 40, NULL);
        ck_assert(p->incomplete);
        ck_assert_ptr_null(p->exe);
        ck_assert_int_eq(p->ppid, 30);
        sa_process_free(p);

        /* A zombie, or dead: incomplete even with an exe link. */
        pfx_link(root, 40, "exe", "/usr/sbin/apache2");
        pfx_text(root, 40, "status", "Name:\tapache2\nState:\tZ (zombie)\nPPid:\t30\nUid:\t33\t33\t33\t33\n");
        p = read_ok(root, 40, NULL);
        ck_assert(p->incomplete);
        sa_process_free(p);
        pfx_text(root, 40, "status", "Name:\tapache2\nState:\tX (dead)\nPPid:\t30\nUid:\t33\t33\t33\t33\n");
        p = read_ok(root, 40, NULL);
        ck_assert(p->incomplete);
        sa_process_free(p);

        /* kthreadd itself has no exe and is complete. */
        pfx_process(root, 2, "kthreadd", "/unused", 0, 0, "/");
        pfx_unlink(root, "2/exe");
        p = read_ok(root, 2, NULL);
        ck_assert(!p->incomplete);
        sa_process_free(p);
        pfx_free(root);
}
END_TEST

START_TEST(test_read_incomplete)
{
        char *root = pfx_new();
        sa_process *p = (sa_process *) 0x1;

        /* Only comm left: what was read, marked incomplete. */
        pfx_text(root, 5, "comm", "half\n");
        p = read_ok(root, 5, NULL);
        ck_assert_str_eq(p->comm, "half");
        ck_assert(p->incomplete);
        ck_assert_ptr_null(p->exe);
        ck_assert_uint_eq(p->argc, 0);
        ck_assert_ptr_null(p->cgroup);
        ck_assert_int_eq(p->ppid, 0);
        ck_assert_uint_eq(p->uid, (uid_t) -1);
        sa_process_free(p);

        /* Status without Uid: incomplete, ppid still read. */
        pfx_text(root, 5, "status", "Name:\thalf\nPPid:\t77\n");
        p = read_ok(root, 5, NULL);
        ck_assert(p->incomplete);
        ck_assert_int_eq(p->ppid, 77);
        ck_assert_uint_eq(p->uid, (uid_t) -1);
        sa_process_free(p);

        /* Nothing readable, or no pid dir at all: -ESRCH, *ret untouched. */
        p = (sa_process *) 0x1;
        pfx_mkdir(root, "6");
        ck_assert_int_eq(sa_process_read(root, 6, NULL, &p), -ESRCH);
        ck_assert_int_eq(sa_process_read(root, 4242, NULL, &p), -ESRCH);
        ck_assert_ptr_eq(p, (sa_process *) 0x1);
        ck_assert_int_eq(sa_process_read(root, 0, NULL, &p), -EINVAL);
        ck_assert_ptr_null(sa_process_free(NULL));
        pfx_free(root);
}
END_TEST

START_TEST(test_read_cgroup_files)
{
        char *root = pfx_new();
        sa_process *p;

        /* Hybrid v1: v2 says "/", name=systemd has the real path. */
        pfx_process(root, 9, "sshd", "/usr/sbin/sshd", 1, 0, "/");
        pfx_text(root, 9, "cgroup",
                 "12:cpu,cpuacct:/elsewhere\n4:memory:/process_api/abc\n"
                 "1:name=systemd:/system.slice/ssh.service\n0::/\n");
        p = read_ok(root, 9, NULL);
        ck_assert_str_eq(p->cgroup, "/system.slice/ssh.service");
        ck_assert_str_eq(p->unit, "ssh.service");
        sa_process_free(p);

        /* v2 wins when it says more than "/"; a path may contain ':'. */
        pfx_text(root, 9, "cgroup",
                 "1:name=systemd:/system.slice/old.service\n"
                 "0::/user.slice/user-1000.slice/user@1000.service/app.slice/a:b.service\n");
        p = read_ok(root, 9, NULL);
        ck_assert_str_eq(p->cgroup,
                         "/user.slice/user-1000.slice/user@1000.service/app.slice/a:b.service");
        ck_assert_str_eq(p->unit, "user@1000.service");
        ck_assert_str_eq(p->user_unit, "a:b.service");
        sa_process_free(p);

        /* v2 only, no trailing newline. */
        pfx_text(root, 9, "cgroup", "0::/init.scope");
        p = read_ok(root, 9, NULL);
        ck_assert_str_eq(p->cgroup, "/init.scope");
        ck_assert_str_eq(p->unit, "init.scope");
        sa_process_free(p);

        /* Neither line: no cgroup, but the file was read. */
        pfx_text(root, 9, "cgroup", "3:cpu:/x\n");
        p = read_ok(root, 9, NULL);
        ck_assert_ptr_null(p->cgroup);
        ck_assert_ptr_null(p->unit);
        ck_assert(!p->incomplete);
        sa_process_free(p);

        pfx_free(root);
}
END_TEST

START_TEST(test_usercache)
{
        sa_usercache *c = NULL;
        const char *a, *b;

        ck_assert_int_eq(sa_usercache_new(&c), 0);
        a = sa_usercache_name(c, 0);
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a, "root");
        b = sa_usercache_name(c, 0);
        ck_assert_ptr_eq(a, b); /* cached */
        ck_assert_ptr_null(sa_usercache_name(c, 3999999999u));
        ck_assert_ptr_null(sa_usercache_name(c, 3999999999u));
        /* Enough distinct uids to grow the table; earlier answers survive. */
        for (uid_t u = 100000; u < 100200; u++)
                ck_assert_ptr_null(sa_usercache_name(c, u));
        ck_assert_ptr_eq(sa_usercache_name(c, 0), a);
        ck_assert_str_eq(sa_usercache_name(c, 0), "root");
        ck_assert_ptr_null(sa_usercache_name(NULL, 0));
        ck_assert_ptr_null(sa_usercache_free(c));
        ck_assert_ptr_null(sa_usercache_free(NULL));
}
END_TEST

/* The real /proc: this test process itself. */
START_TEST(test_read_self)
{
        char comm[17] = "", exe[PATH_MAX];
        sa_usercache *users = NULL;
        ssize_t n;
        sa_process *p;

        ck_assert_int_eq(prctl(PR_GET_NAME, comm, 0, 0, 0), 0);
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        ck_assert_int_gt(n, 0);
        exe[n] = '\0';
        ck_assert_int_eq(sa_usercache_new(&users), 0);

        p = read_ok("/proc", getpid(), users);
        ck_assert_str_eq(p->comm, comm);
        /* Under valgrind the kernel's exe is valgrind's tool; readlink of
         * /proc/self/exe is answered by valgrind with ours. */
        if (!strstr(p->exe, "/valgrind/"))
                ck_assert_str_eq(p->exe, exe);
        ck_assert(!p->exe_deleted);
        ck_assert_int_eq(p->ppid, getppid());
        ck_assert_uint_eq(p->uid, geteuid());
        ck_assert_ptr_nonnull(p->user);
        ck_assert_str_eq(p->user, sa_usercache_name(users, geteuid()));
        ck_assert_uint_ge(p->argc, 1);
        ck_assert_ptr_nonnull(p->cgroup);
        ck_assert(p->cgroup[0] == '/');
        ck_assert(!p->incomplete);
        sa_process_free(p);

        /* NULL proc_root means /proc. */
        p = read_ok(NULL, getpid(), NULL);
        ck_assert_int_eq(p->ppid, getppid());
        sa_process_free(p);

        sa_usercache_free(users);
}
END_TEST

/* Copies src to dst (mode 0755). */
static void copy_file(const char *src, const char *dst)
{
        char buf[65536];
        int in = open(src, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        ssize_t n;

        ck_assert_int_ge(in, 0);
        ck_assert_int_ge(out, 0);
        while ((n = read(in, buf, sizeof(buf))) > 0)
                ck_assert_int_eq(write(out, buf, (size_t) n), n);
        close(in);
        close(out);
}

/*
 * A running binary whose path now names another file (here: a bind mount
 * over it) is "replaced". A rename over it shows as "(deleted)" instead.
 */
START_TEST(test_exe_replaced)
{
        char dir[] = "/tmp/sa-exe-XXXXXX", prog[64], next[64];
        sa_process *p = NULL;
        pid_t pid;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("SKIP: test_exe_replaced: no private mount namespace: %s\n", strerror(errno));
                return;
        }
        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(prog, sizeof(prog), "%s/prog", dir);
        snprintf(next, sizeof(next), "%s/next", dir);
        copy_file("/bin/sleep", prog);
        copy_file("/bin/sleep", next);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                execl(prog, "prog", "30", (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 200 && !p; i++) {   /* until the exec is done */
                p = read_ok("/proc", pid, NULL);
                if (!p->exe || strcmp(p->exe, prog) != 0) {
                        p = sa_process_free(p);
                        usleep(10000);
                }
        }
        ck_assert_ptr_nonnull(p);
        ck_assert(!p->exe_replaced);
        sa_process_free(p);

        ck_assert_int_eq(mount(next, prog, NULL, MS_BIND, NULL), 0);
        p = read_ok("/proc", pid, NULL);
        ck_assert_str_eq(p->exe, prog);
        ck_assert(!p->exe_deleted);
        ck_assert(p->exe_replaced);
        sa_process_free(p);

        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        umount(prog);
        unlink(prog);
        unlink(next);
        rmdir(dir);
}
END_TEST

/* NSpid: the innermost pid of a holder in a nested PID namespace. */
START_TEST(test_read_nspid)
{
        static const struct {
                const char *line;       /* NSpid line, NULL = none */
                pid_t want;
        } cases[] = {
                { "NSpid:\t4242\t1\n", 1 },        /* pid 1 of a container */
                { "NSpid:\t4242\t17\t3\n", 3 },    /* two levels deep: innermost */
                { "NSpid:\t4242\n", 0 },           /* not nested */
                { "NSpid:\t4242\t4242\n", 0 },     /* same number: nothing to add */
                { NULL, 0 },                       /* kernel before 4.1 */
                { "NSpid:\t4242\tx\n", 0 },        /* garbage */
                { "NSpid:\t4242\t99999999999\n", 0 }, /* out of range */
                { "NSpid:\n", 0 },
        };
        char *root = pfx_new();

        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                char status[512];
                sa_process *p;

                snprintf(status, sizeof status,
                         "Name:\tsa-listen\nTgid:\t4242\nPid:\t4242\nPPid:\t4200\n"
                         "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nNStgid:\t4242\t1\n%sNSpgid:\t4242\t1\n",
                         cases[i].line ? cases[i].line : "");
                pfx_text(root, 4242, "status", status);
                pfx_text(root, 4242, "comm", "sa-listen\n");
                p = read_ok(root, 4242, NULL);
                ck_assert_msg(p->nspid == cases[i].want, "case %zu: nspid %d, want %d", i,
                              (int) p->nspid, (int) cases[i].want);
                ck_assert_int_eq(p->ppid, 4200);
                sa_process_free(p);
        }

        /* A member of very many groups: NSpid comes after a long Groups line. */
        size_t big = 9000;
        char *status = malloc(big + 256);
        ck_assert_ptr_nonnull(status);
        int n = snprintf(status, big + 256, "Name:\tx\nPPid:\t1\nUid:\t0\t0\t0\t0\nGroups:\t");
        while ((size_t) n < big)
                n += snprintf(status + n, big + 256 - (size_t) n, "%d ", 100000 + n);
        snprintf(status + n, big + 256 - (size_t) n, "\nNSpid:\t4242\t7\n");
        pfx_text(root, 4242, "status", status);
        free(status);
        sa_process *p = read_ok(root, 4242, NULL);
        ck_assert_int_eq(p->nspid, 7);

        /* JSON: pid_in_namespace, null when not nested, and read back. */
        json_t *j = sa_process_to_json(p);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "pid_in_namespace")), 7);
        json_decref(j);
        p->nspid = 0;
        j = sa_process_to_json(p);
        ck_assert(json_is_null(json_object_get(j, "pid_in_namespace")));
        json_decref(j);
        sa_process_free(p);
        pfx_free(root);
}
END_TEST

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* cgroup.c's rules on a process's cgroup file (fixture tree). */
START_TEST(test_pid_container)
{
        char *root = pfx_new(), *name = NULL;

        pfx_text(root, 10, "cgroup", "0::/system.slice/docker-" ID64 ".scope\n");
        pfx_text(root, 11, "cgroup", "12:pids:/\n1:name=systemd:/machine.slice/machine-web.scope\n0::/\n");
        pfx_text(root, 12, "cgroup", "0::/system.slice/nginx.service\n");
        pfx_mkdir(root, "13");

        ck_assert_int_eq(sa_pid_container(root, 10, &name), 0);
        ck_assert_str_eq(name, "docker:0123456789ab");
        free(name);
        ck_assert_int_eq(sa_pid_container(root, 11, &name), 0);
        ck_assert_str_eq(name, "web");
        free(name);
        name = (char *) 1;
        ck_assert_int_eq(sa_pid_container(root, 12, &name), 0);
        ck_assert_ptr_null(name);
        ck_assert_int_eq(sa_pid_container(root, 13, &name), -ESRCH); /* no cgroup file */
        ck_assert_int_eq(sa_pid_container(root, 99, &name), -ESRCH); /* gone */
        /* The live /proc: this process is in no container here (or in one: fine). */
        name = NULL;
        ck_assert_int_eq(sa_pid_container(NULL, 0, &name), 0);
        free(name);
        pfx_free(root);
}
END_TEST

Suite *process_suite(void)
{
        Suite *s = suite_create("process");
        TCase *tc = tcase_create("fixture");
        TCase *units = tcase_create("units");
        TCase *real = tcase_create("real");

        tcase_add_test(tc, test_read_all_fields);
        tcase_add_test(tc, test_read_hostile);
        tcase_add_test(tc, test_read_cmdline_bounds);
        tcase_add_test(tc, test_read_incomplete);
        tcase_add_test(tc, test_read_exiting);
        tcase_add_test(tc, test_read_cgroup_files);
        tcase_add_test(tc, test_read_nspid);
        tcase_add_test(tc, test_pid_container);
        suite_add_tcase(s, tc);
        tcase_add_test(units, test_usercache);
        suite_add_tcase(s, units);
        tcase_add_test(real, test_read_self);
        tcase_add_test(real, test_exe_replaced);
        suite_add_tcase(s, real);
        return s;
}
