/* SPDX-License-Identifier: MIT */
/* Live scans: real sockets in a network namespace the test creates. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns_fixture.h"
#include "sockaudit.h"


static int listen_on(int family, int type, const char *addr, uint16_t port)
{
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        int one = 1, fd = socket(family, type, 0);

        ck_assert_int_ge(fd, 0);
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *) &ss;
                in->sin_family = AF_INET;
                in->sin_port = htons(port);
                inet_pton(AF_INET, addr, &in->sin_addr);
                len = sizeof *in;
        } else {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                inet_pton(AF_INET6, addr, &in6->sin6_addr);
                len = sizeof *in6;
        }
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &ss, len), 0);
        if (type == SOCK_STREAM)
                ck_assert_int_eq(listen(fd, 16), 0);
        return fd;
}

static uint32_t inode_of(int fd)
{
        struct stat st;
        ck_assert_int_eq(fstat(fd, &st), 0);
        return (uint32_t) st.st_ino;
}

static const sa_listener *find_inode(const sa_snapshot *snap, uint32_t ino)
{
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (snap->listeners[i].inode == ino)
                        return &snap->listeners[i];
        return NULL;
}

static const sa_holder *find_holder(const sa_listener *l, pid_t pid)
{
        for (size_t i = 0; i < l->n_holders; i++)
                if (l->holders[i].proc->pid == pid)
                        return &l->holders[i];
        return NULL;
}

START_TEST(scan_finds_every_holder)
{
        if (!fixture_enter_netns("scan_finds_every_holder"))
                return;
        int tcp = listen_on(AF_INET, SOCK_STREAM, "0.0.0.0", 443);
        int udp = listen_on(AF_INET6, SOCK_DGRAM, "::", 443);
        int noise = listen_on(AF_INET, SOCK_STREAM, "127.0.0.1", 8080);
        pid_t kids[2];
        for (int i = 0; i < 2; i++) {
                kids[i] = fork();
                ck_assert_int_ge(kids[i], 0);
                if (kids[i] == 0) {
                        pause();
                        _exit(0);
                }
        }

        sa_filter f = { .port = 443 };
        sa_snapshot *snap = NULL;
        ck_assert_int_eq(sa_scan(NULL, &f, &snap), 0);
        ck_assert_int_eq(snap->n_listeners, 2);
        ck_assert_ptr_null(find_inode(snap, inode_of(noise)));

        const sa_listener *lt = find_inode(snap, inode_of(tcp)), *lu = find_inode(snap, inode_of(udp));
        ck_assert_ptr_nonnull(lt);
        ck_assert_ptr_nonnull(lu);
        ck_assert_int_eq(lt->proto, IPPROTO_TCP);
        ck_assert_int_eq(lu->proto, IPPROTO_UDP);
        ck_assert(!lu->v6only);
        ck_assert_int_ne(lt->cookie, 0);

        pid_t want[3] = { getpid(), kids[0], kids[1] };
        for (int i = 0; i < 3; i++) {
                const sa_holder *ht = find_holder(lt, want[i]), *hu = find_holder(lu, want[i]);
                ck_assert_msg(ht && hu, "pid %d not listed as a holder", (int) want[i]);
                ck_assert_int_eq(ht->n_fds, 1);
                ck_assert_int_eq(ht->fds[0], tcp);
                ck_assert_int_eq(hu->fds[0], udp);
                ck_assert_int_eq(ht->proc->uid, geteuid());
                ck_assert_ptr_nonnull(ht->proc->exe);
        }
        ck_assert_int_eq(lt->n_holders, 3);
        ck_assert_int_eq(lt->owner_status, SA_OWNER_OK);
        ck_assert_int_eq(snap->n_procs, 3);
        ck_assert_int_eq(find_holder(lt, kids[0])->proc->ppid, getpid());
        sa_snapshot_free(snap);

        /* Unfiltered: the noise listener is there too. */
        ck_assert_int_eq(sa_scan(NULL, NULL, &snap), 0);
        ck_assert_int_eq(snap->n_listeners, 3);
        ck_assert_ptr_nonnull(find_inode(snap, inode_of(noise)));
        sa_snapshot_free(snap);

        for (int i = 0; i < 2; i++) {
                kill(kids[i], SIGKILL);
                waitpid(kids[i], NULL, 0);
        }
}
END_TEST

START_TEST(probe_matches_scan)
{
        if (!fixture_enter_netns("probe_matches_scan"))
                return;
        int fds[3] = {
                listen_on(AF_INET, SOCK_STREAM, "127.0.0.1", 443),
                listen_on(AF_INET6, SOCK_STREAM, "::1", 443),
                listen_on(AF_INET, SOCK_DGRAM, "0.0.0.0", 443),
        };
        (void) fds;
        sa_scanner *s = NULL;
        sa_snapshot *snap = NULL;
        uint64_t *cookies = NULL;
        size_t n = 0;
        sa_filter tcp = { .port = 443, .protos = SA_PROTO_TCP };

        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        ck_assert_int_eq(sa_scanner_probe(s, &tcp, &cookies, &n), 0);
        ck_assert_int_eq(n, 2);
        ck_assert_int_eq(sa_scanner_scan(s, &tcp, &snap), 0);
        ck_assert_int_eq(snap->n_listeners, 2);
        for (size_t i = 0; i < snap->n_listeners; i++)
                ck_assert(snap->listeners[i].cookie == cookies[0] || snap->listeners[i].cookie == cookies[1]);
        ck_assert(cookies[0] < cookies[1]);
        free(cookies);
        sa_snapshot_free(snap);

        sa_filter none = { .port = 4444 };
        ck_assert_int_eq(sa_scanner_probe(s, &none, &cookies, &n), 0);
        ck_assert_int_eq(n, 0);
        ck_assert_ptr_null(cookies);
        sa_scanner_free(s);
}
END_TEST

/*
 * How a scanner walks fds is a value with a reason (sa_scanner_method), its
 * words for status come from sa_scanner_method_detail, and the names go
 * both ways.
 */
START_TEST(scan_method_values)
{
        static const sa_scan_method methods[] = { SA_SCAN_AUTO, SA_SCAN_PROCFS, SA_SCAN_EBPF };
        sa_scan_config procfs = { .method = SA_SCAN_PROCFS };
        sa_scan_config fixture = { .proc_root = "/nonexistent" };
        sa_scan_config fixture_ebpf = { .proc_root = "/nonexistent", .method = SA_SCAN_EBPF };
        sa_scan_fallback why = SA_SCAN_FALLBACK_NONE;
        sa_scanner *s = NULL;
        sa_scan_method m, back;

        for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
                ck_assert_int_eq(sa_scan_method_from_string(sa_scan_method_name(methods[i]), &back), 0);
                ck_assert_int_eq(back, methods[i]);
        }
        ck_assert_str_eq(sa_scan_method_name(SA_SCAN_EBPF), "ebpf");
        ck_assert_ptr_null(sa_scan_method_name((sa_scan_method) 99));
        ck_assert_int_eq(sa_scan_method_from_string("sideways", &back), -EINVAL);
        ck_assert_ptr_null(sa_scan_fallback_text(SA_SCAN_FALLBACK_NONE));
        for (int r = SA_SCAN_FALLBACK_ASKED; r <= SA_SCAN_FALLBACK_SELF_TEST; r++)
                ck_assert_ptr_nonnull(sa_scan_fallback_text((sa_scan_fallback) r));

        ck_assert_int_eq(sa_scanner_new(&procfs, &s), 0);
        ck_assert_int_eq(sa_scanner_method(s, &why), SA_SCAN_PROCFS);
        ck_assert_int_eq(why, SA_SCAN_FALLBACK_ASKED);
        ck_assert_str_eq(sa_scanner_method_detail(s), "procfs was asked for");
        ck_assert_str_eq(sa_scan_fallback_text(why), "procfs was asked for");
        sa_scanner_free(s);

        ck_assert_int_eq(sa_scanner_new(&fixture, &s), 0);
        ck_assert_int_eq(sa_scanner_method(s, &why), SA_SCAN_PROCFS);
        ck_assert_int_eq(why, SA_SCAN_FALLBACK_PROC_ROOT);
        ck_assert_str_eq(sa_scanner_method_detail(s), "the proc root is /nonexistent, not /proc");
        sa_scanner_free(s);
        ck_assert_int_eq(sa_scanner_new(&fixture_ebpf, &s), -EINVAL);

        /* /proc and auto: eBPF with no reason, or procfs with one. */
        ck_assert_int_eq(sa_scanner_new(NULL, &s), 0);
        m = sa_scanner_method(s, &why);
        ck_assert_int_eq(m == SA_SCAN_EBPF, why == SA_SCAN_FALLBACK_NONE);
        ck_assert(m == SA_SCAN_EBPF || m == SA_SCAN_PROCFS);
        if (m == SA_SCAN_EBPF)
                ck_assert_str_eq(sa_scanner_method_detail(s), "iter/task_file");
        else
                ck_assert(why >= SA_SCAN_FALLBACK_NOT_BUILT && why <= SA_SCAN_FALLBACK_SELF_TEST);
        sa_scanner_free(s);
}
END_TEST

Suite *snapshot_suite(void)
{
        Suite *s = suite_create("snapshot");
        TCase *tc = tcase_create("live");
        tcase_add_test(tc, scan_finds_every_holder);
        tcase_add_test(tc, probe_matches_scan);
        suite_add_tcase(s, tc);
        tc = tcase_create("method");
        tcase_add_test(tc, scan_method_values);
        suite_add_tcase(s, tc);
        return s;
}
