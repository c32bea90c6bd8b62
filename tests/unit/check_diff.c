/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sockaudit.h"

static sa_process nginx_master = { .pid = 10, .comm = "nginx", .exe = "/usr/sbin/nginx",
                                   .user = "root", .unit = "nginx.service" };
static sa_process nginx_w1 = { .pid = 11, .comm = "nginx", .exe = "/usr/sbin/nginx",
                               .user = "root", .unit = "nginx.service" };
static sa_process nginx_w2 = { .pid = 12, .comm = "nginx", .exe = "/usr/sbin/nginx",
                               .user = "root", .unit = "nginx.service" };
static sa_process python = { .pid = 20, .comm = "python3", .exe = "/usr/bin/python3",
                             .user = "nobody", .unit = NULL };

static sa_listener mk(uint64_t cookie, uint8_t proto, uint16_t port, sa_holder *h, size_t nh)
{
        return (sa_listener) { .proto = proto, .family = AF_INET, .port = port, .cookie = cookie,
                               .inode = (uint32_t) cookie + 100, .netns = 1,
                               .holders = h, .n_holders = nh };
}

static const sa_change *find(const sa_change *c, size_t n, sa_change_kind kind, uint64_t cookie)
{
        for (size_t i = 0; i < n; i++) {
                const sa_listener *l = c[i].after ? c[i].after : c[i].before;
                if (c[i].kind == kind && l->cookie == cookie)
                        return &c[i];
        }
        return NULL;
}

START_TEST(added_removed_owner_changed)
{
        sa_holder a_old[2] = { { .proc = &nginx_master }, { .proc = &nginx_w1 } };
        sa_holder a_new[2] = { { .proc = &nginx_master }, { .proc = &nginx_w2 } }; /* worker churn */
        sa_holder b_old[1] = { { .proc = &nginx_master } };
        sa_holder b_new[1] = { { .proc = &python } };
        sa_holder c_old[1] = { { .proc = &python } };
        sa_holder d_new[1] = { { .proc = &python } };
        sa_listener lo[3] = { mk(1, IPPROTO_TCP, 443, a_old, 2), mk(2, IPPROTO_UDP, 443, b_old, 1),
                              mk(3, IPPROTO_TCP, 80, c_old, 1) };
        sa_listener ln[3] = { mk(4, IPPROTO_TCP, 443, d_new, 1), mk(2, IPPROTO_UDP, 443, b_new, 1),
                              mk(1, IPPROTO_TCP, 443, a_new, 2) };
        sa_snapshot old = { .listeners = lo, .n_listeners = 3 }, new = { .listeners = ln, .n_listeners = 3 };
        sa_change *c = NULL;
        size_t n = 0;

        ck_assert_int_eq(sa_snapshot_diff(&old, &new, NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 3);
        ck_assert_ptr_nonnull(find(c, n, SA_CHANGE_ADDED, 4));
        ck_assert_ptr_nonnull(find(c, n, SA_CHANGE_REMOVED, 3));
        const sa_change *o = find(c, n, SA_CHANGE_OWNER, 2);
        ck_assert_ptr_nonnull(o);
        ck_assert_ptr_eq(o->before, &lo[1]);
        ck_assert_ptr_eq(o->after, &ln[1]);
        ck_assert_str_eq(sa_change_kind_name(o->kind), "owner_changed");
        free(c);

        /* Only port 443: the removal of port 80 is not reported. */
        sa_filter f = { .port = 443 };
        ck_assert_int_eq(sa_snapshot_diff(&old, &new, &f, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 2);
        ck_assert_ptr_null(find(c, n, SA_CHANGE_REMOVED, 3));
        free(c);

        /* No old snapshot: everything is added. */
        ck_assert_int_eq(sa_snapshot_diff(NULL, &new, NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 3);
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(c[i].kind, SA_CHANGE_ADDED);
        free(c);
}
END_TEST

START_TEST(same_socket_reopened)
{
        sa_holder h[1] = { { .proc = &nginx_master } };
        sa_listener lo[1] = { mk(1, IPPROTO_TCP, 443, h, 1) };
        sa_listener ln[1] = { mk(9, IPPROTO_TCP, 443, h, 1) };
        sa_snapshot old = { .listeners = lo, .n_listeners = 1 }, new = { .listeners = ln, .n_listeners = 1 };
        sa_change *c = NULL;
        size_t n = 0;

        /* A new socket on the same address is a new listener... */
        ck_assert_int_eq(sa_snapshot_diff(&old, &new, NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 2);
        free(c);
        /* ...unless compared by address (a baseline from an earlier boot). */
        ck_assert_int_eq(sa_snapshot_diff(&old, &new, NULL, SA_DIFF_BY_ADDRESS, &c, &n), 0);
        ck_assert_int_eq(n, 0);
        ck_assert_ptr_null(c);
}
END_TEST

/* Issue 19: a container's reboot gives its namespaces new inodes; across
 * boots a named one is matched by name, an unnamed one by inode only. */
START_TEST(across_boots_by_netns_name)
{
        sa_holder h[1] = { { .proc = &nginx_master } };
        sa_listener lo[2] = { mk(1, IPPROTO_TCP, 443, h, 1), mk(2, IPPROTO_TCP, 80, h, 1) };
        sa_listener ln[2] = { mk(7, IPPROTO_TCP, 443, h, 1), mk(8, IPPROTO_TCP, 80, h, 1) };
        sa_snapshot old = { .listeners = lo, .n_listeners = 2 }, new = { .listeners = ln, .n_listeners = 2 };
        sa_change *c = NULL;
        size_t n = 0;

        strcpy(lo[0].netns_name, SA_NETNS_HOST_NAME);
        strcpy(ln[0].netns_name, SA_NETNS_HOST_NAME);
        lo[0].netns = lo[1].netns = 4026532100;
        ln[0].netns = ln[1].netns = 4026532300;
        ck_assert_int_eq(sa_snapshot_diff(&old, &new, NULL, SA_DIFF_BY_ADDRESS, &c, &n), 0);
        ck_assert_int_eq(n, 2);         /* 80 is in an unnamed namespace: not the same one */
        ck_assert_ptr_nonnull(find(c, n, SA_CHANGE_REMOVED, 2));
        ck_assert_ptr_nonnull(find(c, n, SA_CHANGE_ADDED, 8));
        free(c);
        /* Within a boot, the inode is what counts, named or not. */
        ck_assert_int_eq(sa_snapshot_diff(&old, &new, NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 4);
        free(c);
}
END_TEST

/* Issue 17: apache2 -k graceful. The root parent keeps the socket; www-data
 * children exit (incomplete: no exe, no user) and new ones start. */
START_TEST(graceful_restart_is_no_change)
{
        sa_process parent = { .pid = 30, .exe = "/usr/sbin/apache2", .unit = "apache2.service",
                              .user = "root", .uid = 0 };
        sa_process child = { .pid = 40, .exe = "/usr/sbin/apache2", .unit = "apache2.service",
                             .user = "www-data", .uid = 33 };
        sa_process exiting = { .pid = 41, .unit = "apache2.service", .uid = 33, .incomplete = true };
        sa_process other = { .pid = 50, .exe = "/usr/bin/python3", .unit = "apache2.service", .uid = 33 };
        /* read whole but for its exe (gone as it exits): names no program either */
        sa_process noexe = { .pid = 42, .unit = "apache2.service", .user = "www-data", .uid = 33 };
        sa_holder before[2] = { { .proc = &parent }, { .proc = &child } };
        sa_holder during[2] = { { .proc = &parent }, { .proc = &exiting } };
        sa_holder alone[1] = { { .proc = &parent } };
        sa_holder gone[1] = { { .proc = &exiting } };
        sa_holder replaced[2] = { { .proc = &parent }, { .proc = &other } };
        sa_holder unread[2] = { { .proc = &parent }, { .proc = &noexe } };
        sa_listener l0[1] = { mk(1, IPPROTO_TCP, 8443, before, 2) };
        sa_listener l1[1] = { mk(1, IPPROTO_TCP, 8443, during, 2) };
        sa_listener l2[1] = { mk(1, IPPROTO_TCP, 8443, alone, 1) };
        sa_listener l3[1] = { mk(1, IPPROTO_TCP, 8443, gone, 1) };
        sa_listener l4[1] = { mk(1, IPPROTO_TCP, 8443, replaced, 2) };
        sa_listener l5[1] = { mk(1, IPPROTO_TCP, 8443, unread, 2) };
        sa_snapshot s5 = { .listeners = l5, .n_listeners = 1 };
        sa_snapshot s0 = { .listeners = l0, .n_listeners = 1 }, s1 = { .listeners = l1, .n_listeners = 1 },
                    s2 = { .listeners = l2, .n_listeners = 1 }, s3 = { .listeners = l3, .n_listeners = 1 },
                    s4 = { .listeners = l4, .n_listeners = 1 };
        const sa_snapshot *quiet[][2] = { { &s0, &s1 }, { &s1, &s0 }, { &s0, &s2 }, { &s2, &s0 },
                                          { &s0, &s3 }, { &s3, &s4 }, { &s4, &s3 }, { &s0, &s5 }, { &s5, &s0 } };
        sa_change *c = NULL;
        size_t n = 0;

        for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
                ck_assert_int_eq(sa_snapshot_diff(quiet[i][0], quiet[i][1], NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
                ck_assert_msg(n == 0, "pair %zu: %zu changes", i, n);
                free(c);
        }
        /* Another program among the holders is still news. */
        ck_assert_int_eq(sa_snapshot_diff(&s0, &s4, NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(c[0].kind, SA_CHANGE_OWNER);
        free(c);
}
END_TEST

START_TEST(json_roundtrip_is_no_change)
{
        static char *argv[] = { "nginx: master", NULL };
        sa_process p = nginx_master;
        p.argv = argv;
        p.argc = 1;
        p.cgroup = "/system.slice/nginx.service";
        int fds[2] = { 6, 7 };
        sa_holder h[1] = { { .proc = &p, .fds = fds, .n_fds = 2 } };
        sa_listener l[2] = { mk(1, IPPROTO_TCP, 443, h, 1), mk(2, IPPROTO_UDP, 443, NULL, 0) };
        l[1].family = AF_INET6;
        l[1].v6only = true;
        l[1].owner_status = SA_OWNER_UNKNOWN;
        l[1].owner_reason = "no process holds it";
        sa_snapshot orig = { .listeners = l, .n_listeners = 2 }, *back = NULL;
        char err[128] = "";

        json_t *j = sa_snapshot_listeners_to_json(&orig, NULL);
        ck_assert_int_eq(sa_snapshot_from_json(j, &back, err, sizeof err), 0);
        ck_assert_int_eq(back->n_listeners, 2);
        ck_assert_int_eq(back->listeners[0].n_holders, 1);
        ck_assert_int_eq(back->listeners[0].holders[0].n_fds, 2);
        ck_assert_str_eq(back->listeners[0].holders[0].proc->argv[0], "nginx: master");
        ck_assert(back->listeners[1].v6only);
        ck_assert_int_eq(back->listeners[1].owner_status, SA_OWNER_UNKNOWN);

        sa_change *c = NULL;
        size_t n = 1;
        ck_assert_int_eq(sa_snapshot_diff(&orig, back, NULL, SA_DIFF_BY_SOCKET, &c, &n), 0);
        ck_assert_int_eq(n, 0);
        sa_snapshot_free(back);
        json_decref(j);
}
END_TEST

START_TEST(json_malformed_records)
{
        static const char *bad[] = {
                "{}",
                "[{\"proto\":\"tcp\"}]",
                "[{\"proto\":\"sctp\",\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":1,\"inode\":1,"
                "\"cookie\":1,\"uid\":0,\"netns\":1,\"owners\":[]}]",
                "[{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":\"::\",\"port\":1,\"inode\":1,"
                "\"cookie\":1,\"uid\":0,\"netns\":1,\"owners\":[]}]",
                "[{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":70000,\"inode\":1,"
                "\"cookie\":1,\"uid\":0,\"netns\":1,\"owners\":[]}]",
                "[{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":1,\"inode\":1,"
                "\"cookie\":1,\"uid\":0,\"netns\":1,\"owners\":[{\"pid\":\"x\"}]}]",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                json_t *j = json_loads(bad[i], 0, NULL);
                sa_snapshot *s = NULL;
                char err[128] = "";
                ck_assert_ptr_nonnull(j);
                ck_assert_int_eq(sa_snapshot_from_json(j, &s, err, sizeof err), -EBADMSG);
                ck_assert_ptr_null(s);
                ck_assert_msg(err[0] != '\0', "no message for case %zu", i);
                json_decref(j);
        }
}
END_TEST

Suite *diff_suite(void)
{
        Suite *s = suite_create("diff");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, added_removed_owner_changed);
        tcase_add_test(tc, same_socket_reopened);
        tcase_add_test(tc, across_boots_by_netns_name);
        tcase_add_test(tc, graceful_restart_is_no_change);
        tcase_add_test(tc, json_roundtrip_is_no_change);
        tcase_add_test(tc, json_malformed_records);
        suite_add_tcase(s, tc);
        return s;
}
