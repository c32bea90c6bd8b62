/* SPDX-License-Identifier: MIT */
/*
 * Every network namespace: live namespaces the test makes (child processes
 * that unshare), named the `ip netns` way (an nsfs bind mount under
 * /run/netns). Each test runs in its own process (Check forks), in a
 * private mount namespace with a tmpfs on /run/netns: names never reach the
 * host and vanish with the test, and children die with it (PDEATHSIG).
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>

#include "netns.h"
#include "proc_fixture.h"
#include "scanner.h"
#include "sockaudit.h"

/* A child process alone in a fresh network namespace, with listeners on 443. */
typedef struct ns_child {
        pid_t pid;
        uint64_t netns;
        uint32_t tcp;     /* 0.0.0.0:443 */
        uint32_t udp;     /* [::]:443 */
} ns_child;

static uint64_t netns_of(const char *path)
{
        struct stat st;
        ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
        return st.st_ino;
}

static int lo_up(void)
{
        struct ifreq ifr = { .ifr_name = "lo" };
        int r = -1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
                ifr.ifr_flags |= IFF_UP;
                r = ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        if (fd >= 0)
                close(fd);
        return r;
}

/* A listener's socket inode, 0 on failure (usable in a child: no ck_assert). */
static uint32_t listen_ino(int family, int type, uint16_t port)
{
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        struct stat st;
        int one = 1, fd = socket(family, type, 0);

        if (fd < 0)
                return 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) &ss;
                in->sin_family = AF_INET;
                in->sin_port = htons(port);
                len = sizeof *in;
        } else {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                len = sizeof *in6;
        }
        if (bind(fd, (struct sockaddr *) &ss, len) < 0 ||
            (type == SOCK_STREAM && listen(fd, 16) < 0) || fstat(fd, &st) < 0)
                return 0;
        return (uint32_t) st.st_ino;
}

/*
 * The test's own setup: root, a private mount namespace with an empty
 * tmpfs on /run/netns, and a fresh network namespace (lo up) holding a TCP
 * listener on 443. False (SKIP printed) when that cannot be done here.
 */
static bool setup(const char *test, uint32_t *ret_tcp)
{
        if (geteuid() != 0) {
                printf("SKIP: %s: needs root (setns, mounts)\n", test);
                return false;
        }
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("SKIP: %s: private mount namespace: %s\n", test, strerror(errno));
                return false;
        }
        if (mkdir(SA_NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST) {
                printf("SKIP: %s: mkdir %s: %s\n", test, SA_NETNS_RUN_DIR, strerror(errno));
                return false;
        }
        if (mount("sa-unit", SA_NETNS_RUN_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
                printf("SKIP: %s: tmpfs on %s: %s\n", test, SA_NETNS_RUN_DIR, strerror(errno));
                return false;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                printf("SKIP: %s: unshare(CLONE_NEWNET): %s\n", test, strerror(errno));
                return false;
        }
        ck_assert_int_eq(lo_up(), 0);
        *ret_tcp = listen_ino(AF_INET, SOCK_STREAM, 443);
        ck_assert_uint_ne(*ret_tcp, 0);
        return true;
}

/* Forks a child that unshares its network namespace and listens on 443. */
static ns_child spawn_ns_child(void)
{
        ns_child c = { 0 };
        pid_t parent = getpid();
        int p[2];

        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
        c.pid = fork();
        ck_assert_int_ge(c.pid, 0);
        if (c.pid == 0) {
                ns_child me = { 0 };
                struct stat st;

                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(1);
                /* Hold no socket of the parent's: holders must be exact. */
                if (p[1] > 3)
                        close_range(3, (unsigned) p[1] - 1, 0);
                close_range((unsigned) p[1] + 1, ~0u, 0);
                if (unshare(CLONE_NEWNET) == 0 && lo_up() == 0 &&
                    stat("/proc/self/ns/net", &st) == 0) {
                        me.netns = st.st_ino;
                        me.tcp = listen_ino(AF_INET, SOCK_STREAM, 443);
                        me.udp = listen_ino(AF_INET6, SOCK_DGRAM, 443);
                }
                if (write(p[1], &me, sizeof me) != (ssize_t) sizeof me)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(p[1]);
        ns_child got = { 0 };
        ck_assert_int_eq(read(p[0], &got, sizeof got), (ssize_t) sizeof got);
        close(p[0]);
        ck_assert_msg(got.netns && got.tcp && got.udp, "child could not set up its namespace");
        c.netns = got.netns;
        c.tcp = got.tcp;
        c.udp = got.udp;
        return c;
}

static void end_child(ns_child *c)
{
        if (c->pid <= 0)
                return;
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
}

/* Names a namespace the `ip netns add` way: SA_NETNS_RUN_DIR/NAME bound to ns_path. */
static void name_ns(const char *ns_path, const char *name)
{
        char path[256];
        int fd;

        snprintf(path, sizeof path, "%s/%s", SA_NETNS_RUN_DIR, name);
        fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
        ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
        close(fd);
        ck_assert_msg(mount(ns_path, path, "none", MS_BIND, NULL) == 0,
                      "bind %s on %s: %s", ns_path, path, strerror(errno));
}

static void unname_ns(const char *name)
{
        char path[256];

        snprintf(path, sizeof path, "%s/%s", SA_NETNS_RUN_DIR, name);
        ck_assert_int_eq(umount2(path, MNT_DETACH), 0);
        ck_assert_int_eq(unlink(path), 0);
}

static const sa_listener *find_inode(const sa_snapshot *snap, uint32_t ino)
{
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (snap->listeners[i].inode == ino)
                        return &snap->listeners[i];
        return NULL;
}

static bool has_netns(const sa_snapshot *snap, uint64_t netns)
{
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (snap->listeners[i].netns == netns)
                        return true;
        return false;
}

/* Open fds of this process. */
static size_t count_fds(void)
{
        size_t n = 0;
        DIR *d = opendir("/proc/self/fd");

        ck_assert_ptr_nonnull(d);
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static const sa_netns *set_find(const sa_netns_set *set, uint64_t ino)
{
        for (size_t i = 0; i < set->n; i++)
                if (set->items[i].ino == ino)
                        return &set->items[i];
        return NULL;
}

/* The inode of pid's network namespace, 0 when it cannot be seen. */
static uint64_t ns_ino_of_pid(pid_t pid)
{
        char path[64];
        struct stat st;

        snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
        return pid > 0 && stat(path, &st) == 0 ? (uint64_t) st.st_ino : 0;
}

/* The inode of what fd is now, 0 when it is closed. */
static ino_t fd_ino(int fd)
{
        struct stat st;

        return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/*
 * Entries of set that no process leads to any more: others' namespaces
 * come and go while a test runs (one whose first process exited is
 * skipped by a dump, not an error).
 */
static size_t set_gone(const sa_netns_set *set)
{
        size_t n = 0;

        for (size_t i = 0; i < set->n; i++) {
                const sa_netns *ns = &set->items[i];
                char path[64];
                struct stat st;

                if (ns->self || ns->named)
                        continue;
                snprintf(path, sizeof path, "/proc/%d/ns/net", (int) ns->pid);
                n += ns->pid <= 0 || stat(path, &st) < 0 || st.st_ino != ns->ino;
        }
        return n;
}

/* l is in namespace netns, named name ("" = none), held by pid alone. */
static void assert_listener(const sa_listener *l, uint64_t netns, const char *name, pid_t pid)
{
        ck_assert_ptr_nonnull(l);
        ck_assert_msg(l->netns == netns, "netns %llu, want %llu",
                      (unsigned long long) l->netns, (unsigned long long) netns);
        ck_assert_str_eq(l->netns_name, name);
        ck_assert_int_eq(l->n_holders, 1);
        ck_assert_int_eq(l->holders[0].proc->pid, pid);
        ck_assert_int_eq(l->owner_status, SA_OWNER_OK);
}

START_TEST(all_finds_every_namespace)
{
        uint32_t own_tcp;

        if (!setup("all_finds_every_namespace", &own_tcp))
                return;
        uint64_t own = netns_of("/proc/self/ns/net");
        ns_child b = spawn_ns_child(), c = spawn_ns_child();
        char c_path[64];
        snprintf(c_path, sizeof c_path, "/proc/%d/ns/net", (int) c.pid);
        name_ns(c_path, "sa-unit-c");
        ck_assert(own != b.netns && own != c.netns && b.netns != c.netns);

        sa_scan_config all = { .namespaces = SA_NETNS_ALL };
        sa_filter f = { .port = 443 };
        sa_snapshot *snap = NULL;
        ck_assert_int_eq(sa_scan(&all, &f, &snap), 0);
        assert_listener(find_inode(snap, own_tcp), own, "", getpid());
        assert_listener(find_inode(snap, b.tcp), b.netns, "", b.pid);
        assert_listener(find_inode(snap, b.udp), b.netns, "", b.pid);
        assert_listener(find_inode(snap, c.tcp), c.netns, "sa-unit-c", c.pid);
        assert_listener(find_inode(snap, c.udp), c.netns, "sa-unit-c", c.pid);
        ck_assert_uint_ge(snap->stats.netns, 3);
        /* Never left in another namespace. */
        ck_assert(netns_of("/proc/thread-self/ns/net") == own);

        json_t *j = sa_listener_to_json(find_inode(snap, c.tcp));
        ck_assert_str_eq(json_string_value(json_object_get(j, "netns_name")), "sa-unit-c");
        ck_assert_int_eq(json_integer_value(json_object_get(j, "netns")), (json_int_t) c.netns);
        json_decref(j);
        j = sa_listener_to_json(find_inode(snap, b.tcp));
        ck_assert(json_is_null(json_object_get(j, "netns_name")));
        json_decref(j);
        j = sa_scan_stats_to_json(&snap->stats);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "netns")), snap->stats.netns);
        ck_assert_ptr_nonnull(json_object_get(j, "netns_skipped"));
        json_decref(j);
        sa_snapshot_free(snap);

        /* SELF (and the zeroed config, and NULL): our namespace only. */
        sa_scan_config self = { .namespaces = SA_NETNS_SELF };
        const sa_scan_config *cfgs[] = { &self, NULL };
        for (size_t i = 0; i < 2; i++) {
                ck_assert_int_eq(sa_scan(cfgs[i], &f, &snap), 0);
                ck_assert_int_eq(snap->n_listeners, 1);
                assert_listener(find_inode(snap, own_tcp), own, "", getpid());
                ck_assert_uint_eq(snap->stats.netns, 1);
                sa_snapshot_free(snap);
        }

        /* The own namespace is named too, when /run/netns lists it. */
        name_ns("/proc/self/ns/net", "sa-unit-self");
        ck_assert_int_eq(sa_scan(&self, &f, &snap), 0);
        assert_listener(find_inode(snap, own_tcp), own, "sa-unit-self", getpid());
        sa_snapshot_free(snap);
        ck_assert_int_eq(sa_scan(&all, &f, &snap), 0);
        assert_listener(find_inode(snap, own_tcp), own, "sa-unit-self", getpid());
        assert_listener(find_inode(snap, c.tcp), c.netns, "sa-unit-c", c.pid);
        sa_snapshot_free(snap);

        unname_ns("sa-unit-self");
        unname_ns("sa-unit-c");
        end_child(&b);
        end_child(&c);
}
END_TEST

START_TEST(vanished_namespace_dropped)
{
        uint32_t own_tcp;

        if (!setup("vanished_namespace_dropped", &own_tcp))
                return;
        uint64_t own = netns_of("/proc/self/ns/net");
        ns_child b = spawn_ns_child(), c = spawn_ns_child();
        char c_path[64];
        snprintf(c_path, sizeof c_path, "/proc/%d/ns/net", (int) c.pid);
        name_ns(c_path, "sa-unit-c");

        sa_scan_config all = { .namespaces = SA_NETNS_ALL };
        sa_filter f = { .port = 443 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL;
        uint64_t *cookies = NULL;
        size_t n = 0;
        ck_assert_int_eq(sa_scanner_new(&all, &s), 0);
        ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
        ck_assert_ptr_nonnull(find_inode(snap, b.tcp));
        ck_assert_ptr_nonnull(find_inode(snap, c.tcp));
        sa_snapshot_free(snap);

        /* b's last process exits; c's too, but its name keeps it alive. */
        end_child(&b);
        end_child(&c);
        ck_assert_int_eq(sa_scanner_probe(s, &f, &cookies, &n), 0);
        free(cookies);
        ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
        /* Nothing of b's: its inode may already be another's new namespace. */
        ck_assert_ptr_null(find_inode(snap, b.tcp));
        ck_assert_ptr_null(find_inode(snap, b.udp));
        ck_assert(!has_netns(snap, c.netns)); /* alive, but nothing listens */
        assert_listener(find_inode(snap, own_tcp), own, "", getpid());
        sa_snapshot_free(snap);
        unname_ns("sa-unit-c");
        ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
        ck_assert_ptr_nonnull(find_inode(snap, own_tcp));
        sa_snapshot_free(snap);
        sa_scanner_free(s);

        /* The same, seen in the set: entries (and sockets) come and go. */
        ns_child d = spawn_ns_child(), e = spawn_ns_child();
        char e_path[64];
        snprintf(e_path, sizeof e_path, "/proc/%d/ns/net", (int) e.pid);
        name_ns(e_path, "sa-unit-e");
        sa_netns_set *set = NULL;
        sa_scan_stats st = { 0 };
        size_t fds0 = count_fds();
        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, &st), 0);
        ck_assert_ptr_nonnull(set_find(set, own));
        ck_assert(set_find(set, own)->self);
        ck_assert_ptr_nonnull(set_find(set, d.netns));
        ck_assert_ptr_nonnull(set_find(set, d.netns)->nl);
        ck_assert_ptr_nonnull(set_find(set, e.netns));
        ck_assert_str_eq(set_find(set, e.netns)->name, "sa-unit-e");
        struct nl_sock *kept = set_find(set, d.netns)->nl;
        int kept_fd = nl_socket_get_fd(kept);
        ino_t kept_ino = fd_ino(kept_fd);
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, &st), 0);
        ck_assert_ptr_eq(set_find(set, d.netns)->nl, kept); /* reused */
        ck_assert(fd_ino(kept_fd) == kept_ino);
        for (size_t i = 1; i < set->n; i++)
                ck_assert(set->items[i - 1].ino < set->items[i].ino);

        end_child(&d);
        end_child(&e);
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, &st), 0);
        ck_assert_ptr_null(set_find(set, d.netns));
        /* Its socket closed (a count of fds would not do: sockets come and
         * go for others' namespaces; the number may be one of theirs now). */
        ck_assert(fd_ino(kept_fd) != kept_ino);
        ck_assert_ptr_nonnull(set_find(set, e.netns)); /* named: still there */
        unname_ns("sa-unit-e");
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, &st), 0);
        ck_assert_ptr_null(set_find(set, e.netns));
        ck_assert_ptr_nonnull(set_find(set, own));
        ck_assert(netns_of("/proc/thread-self/ns/net") == own);
        sa_netns_set_free(set);
        ck_assert_int_eq(count_fds(), fds0);
}
END_TEST

/*
 * sa_netns_set_add: a namespace made after the last refresh joins by its
 * pid alone, with no kept socket; a wrong or gone pid is refused; one
 * added whose process left is dropped at the next add; SELF mode refuses.
 */
START_TEST(added_by_pid)
{
        uint32_t own_tcp;

        if (!setup("added_by_pid", &own_tcp))
                return;
        uint64_t own = netns_of("/proc/self/ns/net");
        sa_netns_set *set = NULL, *self = NULL;
        sa_scan_stats st = { 0 };
        struct nl_sock *nl = NULL;

        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert_int_eq(sa_netns_set_add(set, getpid(), own), -EOPNOTSUPP); /* before the first refresh */
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, &st), 0);
        ns_child b = spawn_ns_child(), c = spawn_ns_child();
        ck_assert(!sa_netns_set_has(set, b.netns));
        ck_assert_int_eq(sa_netns_set_add(set, getpid(), b.netns), -ESRCH); /* we are not in it */
        ck_assert_int_eq(sa_netns_set_add(set, b.pid, b.netns), 1);
        ck_assert(sa_netns_set_has(set, b.netns));
        ck_assert_int_eq(sa_netns_set_add(set, b.pid, b.netns), 0);
        ck_assert(set_find(set, b.netns)->added);
        /* Dumped through a socket made for it, not kept. */
        ck_assert_int_eq(sa_netns_socket_get(set, (sa_netns *) set_find(set, b.netns), &nl), 0);
        ck_assert_ptr_nonnull(nl);
        ck_assert_ptr_null(set_find(set, b.netns)->nl);
        sa_netns_socket_put(set_find(set, b.netns), nl);
        ck_assert(netns_of("/proc/thread-self/ns/net") == own);

        end_child(&b);
        ck_assert_int_eq(sa_netns_set_add(set, c.pid, c.netns), 1);
        ck_assert_ptr_null(set_find(set, b.netns)); /* its process left: dropped */
        ck_assert_ptr_nonnull(set_find(set, c.netns));
        /* A refresh finds it the usual way: no longer "added". */
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, &st), 0);
        ck_assert(!set_find(set, c.netns)->added);
        end_child(&c);
        sa_netns_set_free(set);

        ck_assert_int_eq(sa_netns_set_new(false, &self), 0);
        ck_assert_int_eq(sa_netns_set_refresh(self, NULL, &st), 0);
        ck_assert_int_eq(sa_netns_set_add(self, getpid(), own), -EOPNOTSUPP);
        sa_netns_set_free(self);
}
END_TEST

/* Drops CAP_SYS_ADMIN from the effective set: setns then fails with EPERM. */
static void drop_sys_admin(void)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2];

        ck_assert_int_eq(syscall(SYS_capget, &h, d), 0);
        d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
        ck_assert_int_eq(syscall(SYS_capset, &h, d), 0);
}

START_TEST(unenterable_namespace_skipped)
{
        uint32_t own_tcp;

        if (!setup("unenterable_namespace_skipped", &own_tcp))
                return;
        uint64_t own = netns_of("/proc/self/ns/net");
        ns_child b = spawn_ns_child();
        drop_sys_admin();

        sa_scan_config all = { .namespaces = SA_NETNS_ALL };
        sa_filter f = { .port = 443 };
        sa_snapshot *snap = NULL;
        ck_assert_int_eq(sa_scan(&all, &f, &snap), 0);
        ck_assert_uint_ge(snap->stats.netns_skipped, 1);
        ck_assert_uint_eq(snap->stats.netns, 1);
        ck_assert(!has_netns(snap, b.netns));
        assert_listener(find_inode(snap, own_tcp), own, "", getpid());
        ck_assert(netns_of("/proc/thread-self/ns/net") == own);
        sa_snapshot_free(snap);
        end_child(&b);
}
END_TEST

/* A fixture proc_root is no source of namespaces: its pids are not live. */
START_TEST(fixture_proc_root_not_walked)
{
        uint32_t own_tcp;

        if (!setup("fixture_proc_root_not_walked", &own_tcp))
                return;
        uint64_t own = netns_of("/proc/self/ns/net");
        ns_child b = spawn_ns_child();
        char b_path[64];
        snprintf(b_path, sizeof b_path, "/proc/%d/ns/net", (int) b.pid);
        char *root = pfx_new();
        pfx_mkdir(root, "4242");
        pfx_mkdir(root, "4242/ns");
        pfx_link(root, 4242, "ns/net", b_path);

        sa_netns_set *set = NULL;
        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert_int_eq(sa_netns_set_refresh(set, root, NULL), 0);
        ck_assert_int_eq(set->n, 1);
        ck_assert(set->items[0].ino == own);
        /* The same tree's pid 4242 would have led to b under a real procfs. */
        ck_assert_int_eq(sa_netns_set_refresh(set, "/proc", NULL), 0);
        ck_assert_ptr_nonnull(set_find(set, b.netns));
        sa_netns_set_free(set);

        /* Names that are no network namespace: a stale file, another type. */
        int fd = open(SA_NETNS_RUN_DIR "/sa-unit-stale", O_RDONLY | O_CREAT | O_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        close(fd);
        name_ns("/proc/self/ns/uts", "sa-unit-uts");
        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert_int_eq(sa_netns_set_refresh(set, root, NULL), 0);
        ck_assert_int_eq(set->n, 1);
        ck_assert_str_eq(set->items[0].name, "");
        sa_netns_set_free(set);
        unname_ns("sa-unit-uts");

        sa_scan_config cfg = { .proc_root = root, .namespaces = SA_NETNS_ALL };
        sa_snapshot *snap = NULL;
        ck_assert_int_eq(sa_scan(&cfg, NULL, &snap), 0);
        ck_assert(!has_netns(snap, b.netns));
        ck_assert_ptr_nonnull(find_inode(snap, own_tcp));
        sa_snapshot_free(snap);
        pfx_free(root);
        end_child(&b);
}
END_TEST

/* Creates cgroup v2 directory rel under the unified mount; false if impossible here. */
static bool cg_make(const char *rel, char *path, size_t size)
{
        snprintf(path, size, "/sys/fs/cgroup/unified/%s", rel);
        return mkdir(path, 0755) == 0 || errno == EEXIST;
}

/* Moves pid into the cgroup at path. */
static bool cg_enter(const char *path, pid_t pid)
{
        char procs[512];
        FILE *f;
        bool ok;

        snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
        f = fopen(procs, "w");
        if (!f)
                return false;
        ok = fprintf(f, "%d\n", (int) pid) > 0;
        ok = fclose(f) == 0 && ok;
        return ok;
}

/* What host_and_container_names must undo even when an assertion ends it (exit). */
static struct {
        pid_t pid[2];           /* children inside cg_scope */
        char cg[256], cg_scope[512];
} cg_undo;

static void cg_cleanup(void)
{
        for (size_t i = 0; i < 2; i++)
                if (cg_undo.pid[i] > 0) {
                        kill(cg_undo.pid[i], SIGKILL);
                        waitpid(cg_undo.pid[i], NULL, 0);
                        cg_undo.pid[i] = 0;
                }
        if (cg_undo.cg_scope[0])
                rmdir(cg_undo.cg_scope);
        if (cg_undo.cg[0])
                rmdir(cg_undo.cg);
        cg_undo.cg_scope[0] = cg_undo.cg[0] = '\0';
}

/*
 * Names (docs/EXPOSURE.md): the host's namespace is "host" (kthreadd's),
 * "host" under /run/netns names nothing else, a namespace without an
 * `ip netns` name takes its container's, computed once and cached.
 */
START_TEST(host_and_container_names)
{
        uint32_t own_tcp;
        struct stat st;

        if (!setup("host_and_container_names", &own_tcp))
                return;
        uint64_t own = netns_of("/proc/self/ns/net");
        uint64_t host = sa_netns_host_ino(NULL);
        if (stat("/proc/2/ns/net", &st) == 0)
                ck_assert_msg(host == st.st_ino, "host %llu, kthreadd's %llu",
                              (unsigned long long) host, (unsigned long long) st.st_ino);
        if (host == 0) {
                printf("SKIP: host_and_container_names: neither kthreadd's nor PID 1's namespace is readable\n");
                return;
        }
        ck_assert(host != own);
        /* A fixture tree without pid 2 or 1 tells nothing. */
        char *root = pfx_new();
        ck_assert(sa_netns_host_ino(root) == 0);
        pfx_free(root);

        ns_child b = spawn_ns_child(), c = spawn_ns_child();
        char b_path[64];
        snprintf(b_path, sizeof b_path, "/proc/%d/ns/net", (int) b.pid);
        name_ns(b_path, SA_NETNS_HOST_NAME); /* reserved: ignored for b */

        /* c in a docker-like cgroup (pid-unique id), when cgroup v2 allows. */
        char id[65], dir[128];
        char *cg = cg_undo.cg, *cg_scope = cg_undo.cg_scope;
        snprintf(id, sizeof id, "%064x", (unsigned) getpid());
        snprintf(dir, sizeof dir, "sa-unit-%d.slice", (int) getpid()); /* where runtimes put scopes */
        atexit(cg_cleanup);
        cg_undo.pid[0] = c.pid;
        bool have_cg = cg_make(dir, cg, sizeof cg_undo.cg);
        if (have_cg) {
                char rel[256];
                snprintf(rel, sizeof rel, "%s/docker-%s.scope", dir, id);
                have_cg = cg_make(rel, cg_scope, sizeof cg_undo.cg_scope) && cg_enter(cg_scope, c.pid);
        }
        if (!have_cg)
                printf("SKIP: host_and_container_names: cgroup v2 not writable here; container part not run\n");

        sa_netns_set *set = NULL;
        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert(set->host_ino == host);
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
        ck_assert_ptr_nonnull(set_find(set, host)); /* it has processes */
        ck_assert_str_eq(set_find(set, host)->name, SA_NETNS_HOST_NAME);
        ck_assert(set_find(set, host)->host);
        ck_assert_str_eq(set_find(set, own)->name, "");
        ck_assert(!set_find(set, own)->host);
        ck_assert_ptr_nonnull(set_find(set, b.netns));
        ck_assert_str_eq(set_find(set, b.netns)->name, "");
        char want[64];
        snprintf(want, sizeof want, "docker:%.12s", id);
        if (have_cg) {
                ck_assert_str_eq(set_find(set, c.netns)->name, want);
                /* Cached: leaving the cgroup changes nothing (no second read). */
                ck_assert(cg_enter("/sys/fs/cgroup/unified", c.pid));
                ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
                ck_assert_str_eq(set_find(set, c.netns)->name, want);
                /* An `ip netns` name wins over the container's. */
                char c_path[64];
                snprintf(c_path, sizeof c_path, "/proc/%d/ns/net", (int) c.pid);
                name_ns(c_path, "sa-unit-c");
                ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
                ck_assert_str_eq(set_find(set, c.netns)->name, "sa-unit-c");
                unname_ns("sa-unit-c");
                ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
                ck_assert_str_eq(set_find(set, c.netns)->name, want);
                /* Moved into its container's cgroup after the namespace was seen. */
                ns_child d = spawn_ns_child();
                cg_undo.pid[1] = d.pid;
                ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
                ck_assert_str_eq(set_find(set, d.netns)->name, "");
                ck_assert(cg_enter(cg_scope, d.pid));
                ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
                ck_assert_str_eq(set_find(set, d.netns)->name, want);
                end_child(&d);
                cg_undo.pid[1] = 0;
        } else {
                ck_assert_str_eq(set_find(set, c.netns)->name, "");
        }
        /* A fixture proc_root learns no container names. */
        sa_netns_set_free(set);
        root = pfx_new();
        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert_int_eq(sa_netns_set_refresh(set, root, NULL), 0);
        ck_assert_ptr_null(set_find(set, c.netns)); /* no name, no live pid walk */
        ck_assert_str_eq(set_find(set, own)->name, "");
        sa_netns_set_free(set);
        pfx_free(root);

        /* The same through a scan: records carry the names. */
        if (have_cg)
                ck_assert(cg_enter(cg_scope, c.pid));
        sa_scan_config all = { .namespaces = SA_NETNS_ALL };
        sa_filter f = { .port = 443 };
        sa_snapshot *snap = NULL;
        ck_assert_int_eq(sa_scan(&all, &f, &snap), 0);
        assert_listener(find_inode(snap, b.tcp), b.netns, "", b.pid);
        assert_listener(find_inode(snap, c.tcp), c.netns, have_cg ? want : "", c.pid);
        sa_exposure e;
        sa_listener_exposure(find_inode(snap, c.tcp), &e);
        ck_assert(!e.host_netns);
        sa_snapshot_free(snap);

        unname_ns(SA_NETNS_HOST_NAME);
        end_child(&b);
        end_child(&c);
        cg_undo.pid[0] = 0;
        if (have_cg) {
                ck_assert_int_eq(rmdir(cg_scope), 0);
                ck_assert_int_eq(rmdir(cg), 0);
        }
        cg_undo.cg_scope[0] = cg_undo.cg[0] = '\0';
}
END_TEST

/* SELF mode: the own namespace is "host" only when it is the host's. */
START_TEST(self_mode_host_name)
{
        uint64_t host = sa_netns_host_ino(NULL), own = netns_of("/proc/self/ns/net");
        sa_netns_set *set = NULL;

        if (host == 0 || host != own) {
                printf("SKIP: self_mode_host_name: the test does not run in the host's namespace\n");
                return;
        }
        ck_assert_int_eq(sa_netns_set_new(false, &set), 0);
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
        ck_assert_int_eq(set->n, 1);
        ck_assert_str_eq(set->items[0].name, SA_NETNS_HOST_NAME);
        sa_netns_set_free(set);
}
END_TEST

/* setup(), then n children each in a namespace of its own, and an ALL scanner. */
static bool setup_kids(const char *test, ns_child *kids, int n, sa_scanner **ret)
{
        sa_scan_config all = { .namespaces = SA_NETNS_ALL };
        uint32_t own_tcp;

        if (!setup(test, &own_tcp))
                return false;
        for (int i = 0; i < n; i++)
                kids[i] = spawn_ns_child();
        ck_assert_int_eq(sa_scanner_new(&all, ret), 0);
        return true;
}

/* Cost of a full ALL scan with extra namespaces (printed, not asserted). */
START_TEST(scan_cost)
{
        enum { N = 50, ROUNDS = 20 };
        ns_child kids[N];
        sa_filter f = { .port = 443 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL;

        if (!setup_kids("scan_cost", kids, N, &s))
                return;
        uint64_t best = UINT64_MAX, first;
        unsigned netns = 0;

        ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
        first = snap->duration_usec;
        sa_snapshot_free(snap);
        for (int r = 0; r < ROUNDS; r++) {
                ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
                if (snap->duration_usec < best)
                        best = snap->duration_usec;
                netns = snap->stats.netns;
                for (int i = 0; i < N; i++)
                        ck_assert_ptr_nonnull(find_inode(snap, kids[i].tcp));
                if (r == ROUNDS - 1)
                        printf("# scan_cost: %u namespaces, port 443: first scan %llu us, "
                               "best of %d later %llu us (netlink %llu, netns %llu, proc %llu)\n",
                               netns, (unsigned long long) first, ROUNDS,
                               (unsigned long long) best,
                               (unsigned long long) snap->stats.netlink_usec,
                               (unsigned long long) snap->stats.netns_usec,
                               (unsigned long long) snap->stats.proc_usec);
                sa_snapshot_free(snap);
        }
        sa_scanner_free(s);
        for (int i = 0; i < N; i++)
                end_child(&kids[i]);
}
END_TEST

/*
 * Sockets are kept for keep_max namespaces only, the others get one per
 * dump (closed after it): every listener is found and scans open no fd for
 * good. With no fd left at all, a refresh still drops the namespaces whose
 * processes exited, and closes their sockets.
 */
START_TEST(sockets_capped_sweep_without_fds)
{
        enum { N = 6 };
        ns_child kids[N];
        sa_filter f = { .port = 443 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL;
        size_t fds0, fds1, with_socket = 0, kids_kept = 0, kept1;

        if (!setup_kids("sockets_capped_sweep_without_fds", kids, N, &s))
                return;
        ck_assert_uint_le(s->ns->keep_max, SA_NETNS_KEEP_MAX);
        /* Other tests' namespaces may be there too: all but two kept. */
        s->ns->keep_max = 0;
        ck_assert_int_eq(sa_netns_set_refresh(s->ns, s->proc_root, NULL), 0);
        ck_assert_uint_eq(s->ns->kept, 0);
        ck_assert_uint_ge(s->ns->n, N + 1);
        s->ns->keep_max = s->ns->n - 1 - 2;
        ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
        sa_snapshot_free(snap);
        ck_assert_uint_le(s->ns->kept, s->ns->keep_max);
        fds0 = count_fds() - s->ns->kept;
        for (int r = 0; r < 3; r++) {
                ck_assert_int_eq(sa_scanner_scan(s, &f, &snap), 0);
                for (int i = 0; i < N; i++)
                        ck_assert_ptr_nonnull(find_inode(snap, kids[i].tcp));
                ck_assert_uint_ge(snap->stats.netns, N + 1);
                /* None skipped but others' namespaces that ended meanwhile. */
                ck_assert_uint_le(snap->stats.netns_skipped, set_gone(s->ns));
                sa_snapshot_free(snap);
        }
        /* Sockets made for a dump are closed after it. */
        ck_assert_uint_eq(count_fds() - s->ns->kept, fds0);
        for (size_t i = 0; i < s->ns->n; i++)
                with_socket += !s->ns->items[i].self && s->ns->items[i].nl;
        ck_assert_uint_eq(with_socket, s->ns->kept);
        ck_assert_uint_le(s->ns->kept, s->ns->keep_max);
        for (int i = 0; i < N; i++)
                kids_kept += set_find(s->ns, kids[i].netns)->nl != NULL;
        ck_assert_uint_ge(kids_kept, 1);

        /* Every fd number taken: the limit at the highest one. */
        struct rlimit rl0, rl;
        int fill[64], n_fill = 0, fd;
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl0), 0);
        fds1 = count_fds();
        kept1 = s->ns->kept;
        rl = rl0;
        rl.rlim_cur = fds1 + 8;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
        while (n_fill < 64 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
                fill[n_fill++] = fd;
        ck_assert_int_eq(errno, EMFILE); /* every slot is full: not even opendir() works */
        pid_t pids[N];
        for (int i = 0; i < N; i++) {
                pids[i] = kids[i].pid;
                end_child(&kids[i]);
        }
        ck_assert_int_eq(sa_netns_set_refresh(s->ns, s->proc_root, NULL), 0);
        for (int i = 0; i < N; i++) {
                const sa_netns *ns = set_find(s->ns, kids[i].netns);
                /* Found again only as another process's new namespace with the freed inode. */
                ck_assert_msg(!ns || (ns->pid != pids[i] && ns_ino_of_pid(ns->pid) == kids[i].netns),
                              "kid %d's namespace %llu still known (pid %d)", i,
                              (unsigned long long) kids[i].netns, ns ? (int) ns->pid : 0);
        }
        ck_assert_uint_gt(s->ns->fd_failures, 0); /* the names' directory */
        ck_assert_int_eq(s->ns->last_fd_error, -EMFILE);
        while (n_fill > 0)
                close(fill[--n_fill]);
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl0), 0);
        /* Their sockets closed (the slots freed may have gone to others kept). */
        ck_assert_uint_eq(count_fds() + kept1, fds1 + s->ns->kept);
        sa_scanner_free(s);
}
END_TEST

Suite *netns_suite(void)
{
        Suite *s = suite_create("netns");
        TCase *tc = tcase_create("live");
        tcase_add_test(tc, all_finds_every_namespace);
        tcase_add_test(tc, vanished_namespace_dropped);
        tcase_add_test(tc, added_by_pid);
        tcase_add_test(tc, unenterable_namespace_skipped);
        tcase_add_test(tc, fixture_proc_root_not_walked);
        tcase_add_test(tc, host_and_container_names);
        tcase_add_test(tc, self_mode_host_name);
        tcase_add_test(tc, scan_cost);
        tcase_add_test(tc, sockets_capped_sweep_without_fds);
        suite_add_tcase(s, tc);
        return s;
}
