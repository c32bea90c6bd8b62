/* SPDX-License-Identifier: MIT */
/*
 * A namespace found through a new process: without eBPF, a refresh learns
 * a new process's namespace (sa_scanner_fresh_netns()), no full scan; an
 * entry nothing pins whose first pid left is checked by its cookie when a
 * new pid joins it (sa_netns_set_add()): reset when its inode went to
 * another namespace, kept when the cookie matches. Live, in namespaces of
 * the test's own.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockaudit-internal.h"
#include "netns.h"
#include "netns_fixture.h"
#include "scanner.h"

typedef struct {
        pid_t pid;
        uint64_t netns;
} child;

/* A child in a new network namespace listening on TCP port; pid 0 if not. */
static child spawn(uint16_t port)
{
        child c = { 0 };
        int p[2];
        char b;
        char path[64];
        struct stat st;

        ck_assert_int_eq(pipe(p), 0);
        c.pid = fork();
        ck_assert_int_ge(c.pid, 0);
        if (c.pid == 0) {
                struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
                int fd;

                close(p[0]);
                if (unshare(CLONE_NEWNET) < 0 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
                    bind(fd, (struct sockaddr *) &a, sizeof a) < 0 || listen(fd, 4) < 0)
                        _exit(1);
                if (write(p[1], "R", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        close(p[1]);
        ck_assert_int_eq(read(p[0], &b, 1), 1);
        close(p[0]);
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int) c.pid);
        ck_assert_int_eq(stat(path, &st), 0);
        c.netns = st.st_ino;
        return c;
}

static void end(child *c)
{
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
}

static sa_netns *find(sa_netns_set *set, uint64_t ino)
{
        for (size_t i = 0; i < set->n; i++)
                if (set->items[i].ino == ino)
                        return &set->items[i];
        return NULL;
}

START_TEST(stale_entry_reset_same_kept)
{
        if (!fixture_enter_netns("stale_entry_reset_same_kept"))
                return;
        sa_netns_set *set = NULL;
        child b = spawn(7444);
        sa_netns *ns;
        uint64_t cookie;

        ck_assert_int_eq(sa_netns_set_new(true, &set), 0);
        ck_assert_int_eq(sa_netns_set_refresh(set, NULL, NULL), 0);
        ns = find(set, b.netns);
        ck_assert_ptr_nonnull(ns);
        /* Pinned by its kept socket: the same namespace, nothing asked. */
        ck_assert_int_eq(sa_netns_set_add(set, b.pid, b.netns), 0);

        /* As if a namespace gone unpinned had left this entry, its first pid dead. */
        sa_netns_drop_socket(set, ns);
        ns->pid = 0;
        ns->cookie = 12345;
        ns->clean_seq = 7;
        snprintf(ns->name, sizeof ns->name, "stale");
        snprintf(ns->label, sizeof ns->label, "stale");
        ck_assert_int_eq(sa_netns_set_add(set, b.pid, b.netns), 1);
        ns = find(set, b.netns);
        ck_assert_int_eq(ns->pid, b.pid);
        ck_assert(ns->cookie != 0 && ns->cookie != 12345);
        ck_assert_uint_eq(ns->clean_seq, 0); /* dumped afresh */
        ck_assert_str_ne(ns->name, "stale");
        ck_assert_str_ne(ns->label, "stale");

        /* Same cookie: the same namespace, its name kept. */
        cookie = ns->cookie;
        ns->pid = 0;
        snprintf(ns->name, sizeof ns->name, "kept");
        ck_assert_int_eq(sa_netns_set_add(set, b.pid, b.netns), 0);
        ns = find(set, b.netns);
        ck_assert_int_eq(ns->pid, b.pid);
        ck_assert_uint_eq(ns->cookie, cookie);
        ck_assert_str_eq(ns->name, "kept");
        end(&b);
        sa_netns_set_free(set);
}
END_TEST

/* A listener in a namespace made after the full scan: found by a refresh. */
START_TEST(new_namespace_found_without_events)
{
        if (!fixture_enter_netns("new_namespace_found_without_events"))
                return;
        sa_filter f = { .port = 7445 };
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL, *next = NULL;
        sa_refresh_info info;
        child b;
        bool found = false;

        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        ck_assert_int_eq(sa_scanner_set_namespaces(s, SA_NETNS_ALL), 0);
        ck_assert_int_eq(sa_scanner_scan(s, NULL, &snap), 0);
        b = spawn(7445);
        ck_assert_int_eq(sa_scanner_note_new(s, b.pid, getpid()), 0);
        ck_assert_int_eq(sa_scanner_refresh(s, snap, &f, 1, SA_REFRESH_VERIFY, &info, &next), 1);
        ck_assert_msg(!info.full, "full scan: %s", info.reason ?: "");
        for (size_t i = 0; i < next->n_listeners; i++)
                found |= next->listeners[i].netns == b.netns && next->listeners[i].port == 7445;
        ck_assert(found);
        end(&b);
        sa_snapshot_free(next);
        sa_snapshot_free(snap);
        sa_scanner_free(s);
}
END_TEST

Suite *netnsreuse_suite(void)
{
        Suite *s = suite_create("netnsreuse");
        TCase *tc = tcase_create("live");

        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, stale_entry_reset_same_kept);
        tcase_add_test(tc, new_namespace_found_without_events);
        suite_add_tcase(s, tc);
        return s;
}
