/* SPDX-License-Identifier: MIT */
/* Activators among holders, and their units read from fixture unit files. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "activation.h"

static char root[] = "/tmp/sa-act-XXXXXX";

/* Writes text to root/rel, making the directories on the way. */
static void put_file(const char *rel, const char *text)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
        }
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

static void setup(void)
{
        ck_assert_ptr_nonnull(mkdtemp(root));
        /* /etc overrides /lib: web.socket listens on 9999, not 8443. */
        put_file("1/root/lib/systemd/system/web.socket", "[Socket]\nListenStream=8443\n");
        put_file("1/root/etc/systemd/system/web.socket", "[Unit]\nDescription=x\n[Socket]\nListenStream=9999\n");
        put_file("1/root/usr/lib/systemd/system/other.socket",
                 "[Unit]\nListenStream=8443\n# not in [Socket]\n[Socket]\n  ListenStream = [::]:8443\n"
                 "Service=foo.service\n");
        put_file("1/root/lib/systemd/system/dns.socket", "[Socket]\nListenDatagram=127.0.0.1:7000\n");
        put_file("1/root/lib/systemd/system/tcp7000.socket", "[Socket]\nListenStream=7000\nAccept=yes\n");
        put_file("1/root/lib/systemd/system/unix.socket", "[Socket]\nListenStream=/run/x.sock\n");
}

static void teardown(void)
{
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(root, "/tmp/sa-act-XXXXXX");
}

static sa_process init = { .pid = 1, .comm = "systemd", .exe = "/usr/lib/systemd/systemd", .unit = "init.scope" };
static sa_process foo = { .pid = 50, .ppid = 1, .comm = "foo", .exe = "/usr/bin/foo", .unit = "foo.service" };
static sa_process master = { .pid = 60, .ppid = 1, .comm = "nginx", .exe = "/usr/sbin/nginx", .unit = "nginx.service" };
static sa_process worker = { .pid = 61, .ppid = 60, .comm = "nginx", .exe = "/usr/sbin/nginx", .unit = "nginx.service" };
static sa_process inetd = { .pid = 70, .ppid = 1, .comm = "inetd", .exe = "/usr/sbin/inetd" };
static sa_process shell = { .pid = 80, .ppid = 1, .comm = "sh", .exe = "/bin/sh" };
static sa_process child = { .pid = 81, .ppid = 80, .comm = "sleep", .exe = "/bin/sleep", .unit = "job.service" };

static sa_listener mk(uint8_t proto, uint16_t port, sa_holder *h, size_t n)
{
        return (sa_listener) { .proto = proto, .family = AF_INET6, .port = port, .holders = h, .n_holders = n };
}

static void free_units(sa_listener *l)
{
        for (size_t i = 0; i < l->n_holders; i++) {
                free(l->holders[i].socket_unit);
                free(l->holders[i].service_unit);
        }
}

START_TEST(systemd_and_its_service)
{
        sa_holder h[2] = { { .proc = &init }, { .proc = &foo } };
        sa_listener l = mk(IPPROTO_TCP, 8443, h, 2);

        ck_assert_int_eq(sa_activation_annotate(root, &l), 0);
        ck_assert_int_eq(h[0].role, SA_ROLE_ACTIVATOR);
        ck_assert_int_eq(h[1].role, SA_ROLE_SERVICE);
        ck_assert_str_eq(h[0].socket_unit, "other.socket");
        ck_assert_str_eq(h[0].service_unit, "foo.service");
        ck_assert_ptr_null(h[1].socket_unit);
        ck_assert_str_eq(sa_holder_role_name(h[0].role), "activator");
        ck_assert_str_eq(sa_holder_role_name(h[1].role), "service");
        free_units(&l);
}
END_TEST

START_TEST(systemd_alone_names_socket_and_service)
{
        sa_holder h[1] = { { .proc = &init } };
        sa_listener udp = mk(IPPROTO_UDP, 7000, h, 1);

        ck_assert_int_eq(sa_activation_annotate(root, &udp), 0);
        ck_assert_int_eq(h[0].role, SA_ROLE_ACTIVATOR);
        ck_assert_str_eq(h[0].socket_unit, "dns.socket");       /* ListenDatagram: udp only */
        ck_assert_str_eq(h[0].service_unit, "dns.service");
        free_units(&udp);

        sa_holder t[1] = { { .proc = &init } };
        sa_listener tcp = mk(IPPROTO_TCP, 7000, t, 1);
        ck_assert_int_eq(sa_activation_annotate(root, &tcp), 0);
        ck_assert_str_eq(t[0].socket_unit, "tcp7000.socket");
        ck_assert_str_eq(t[0].service_unit, "tcp7000@.service"); /* Accept=yes: a template */
        free_units(&tcp);

        sa_holder n[1] = { { .proc = &init } };
        sa_listener none = mk(IPPROTO_TCP, 9998, n, 1);
        ck_assert_int_eq(sa_activation_annotate(root, &none), 0);
        ck_assert_int_eq(n[0].role, SA_ROLE_ACTIVATOR);
        ck_assert_ptr_null(n[0].socket_unit);
        ck_assert_ptr_null(n[0].service_unit);
}
END_TEST

/*
 * A root whose owner made its unit directories symlinks out of it (absolute
 * and by ".."): they resolve inside that root, where nothing is, so the
 * unit files outside it (the daemon's own, here) are never read.
 */
START_TEST(unit_dirs_resolve_inside_the_root)
{
        static sa_process init2 = { .pid = 2, .comm = "systemd", .exe = "/usr/lib/systemd/systemd",
                                    .unit = "init.scope" };
        char outside[512], link[512];
        sa_holder h[1] = { { .proc = &init2 } };
        sa_listener l = mk(IPPROTO_TCP, 8443, h, 1);

        put_file("outside/systemd/system/evil.socket", "[Socket]\nListenStream=8443\nService=evil.service\n");
        put_file("2/root/usr/README", "");
        put_file("2/root/run/README", "");
        snprintf(outside, sizeof outside, "%s/outside/systemd/system", root);
        snprintf(link, sizeof link, "%s/2/root/etc", root);
        ck_assert_int_eq(mkdir(link, 0755), 0);
        snprintf(link, sizeof link, "%s/2/root/etc/systemd", root);
        ck_assert_int_eq(symlink("../../../outside/systemd", link), 0);        /* relative, climbing */
        snprintf(link, sizeof link, "%s/2/root/run/systemd", root);
        ck_assert_int_eq(symlink(outside, link), 0);                            /* absolute */
        snprintf(link, sizeof link, "%s/2/root/lib", root);
        ck_assert_int_eq(symlink(outside, link), 0);

        ck_assert_int_eq(sa_activation_annotate(root, &l), 0);
        ck_assert_int_eq(h[0].role, SA_ROLE_ACTIVATOR);
        ck_assert_ptr_null(h[0].socket_unit);
        ck_assert_ptr_null(h[0].service_unit);
        free_units(&l);
}
END_TEST

START_TEST(workers_of_one_program_are_not_activated)
{
        sa_holder h[2] = { { .proc = &master }, { .proc = &worker } };
        sa_listener l = mk(IPPROTO_TCP, 443, h, 2);

        ck_assert_int_eq(sa_activation_annotate(root, &l), 0);
        ck_assert_int_eq(h[0].role, SA_ROLE_NONE);
        ck_assert_int_eq(h[1].role, SA_ROLE_NONE);
        ck_assert_ptr_null(sa_holder_role_name(h[0].role));
}
END_TEST

START_TEST(supervisors)
{
        sa_holder a[1] = { { .proc = &inetd } };
        sa_listener l = mk(IPPROTO_TCP, 21, a, 1);
        ck_assert_int_eq(sa_activation_annotate(root, &l), 0);
        ck_assert_int_eq(a[0].role, SA_ROLE_ACTIVATOR);      /* by name */
        ck_assert_ptr_null(a[0].socket_unit);

        /* The parent of another program that was told of its fds (sd_listen_fds). */
        static const char env[] = "PATH=/bin\0LISTEN_PID=81\0LISTEN_FDS=1\0LISTEN_FDNAMES=x\0";
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/81", root);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/81/environ", root);
        ck_assert_ptr_nonnull(f = fopen(path, "w"));
        ck_assert_uint_eq(fwrite(env, 1, sizeof env - 1, f), sizeof env - 1);
        fclose(f);
        sa_holder b[2] = { { .proc = &shell }, { .proc = &child } };
        sa_listener m = mk(IPPROTO_TCP, 22, b, 2);
        ck_assert_int_eq(sa_activation_annotate(root, &m), 0);
        ck_assert_int_eq(b[0].role, SA_ROLE_ACTIVATOR);
        ck_assert_int_eq(b[1].role, SA_ROLE_SERVICE);
        ck_assert_str_eq(b[0].service_unit, "job.service");
        ck_assert_ptr_null(b[0].socket_unit);                 /* not systemd: no unit files read */
        free_units(&m);
}
END_TEST

/* Issue 17: a parent that leaked its listening fd to a child running
 * another program is no activator; nor is one whose child's LISTEN_PID
 * names someone else (inherited from further up). */
START_TEST(leaked_fd_is_no_activation)
{
        static const char *const envs[] = {
                "PATH=/bin\0HOME=/\0",                           /* leaked: nothing said */
                "LISTEN_PID=80\0LISTEN_FDS=1\0",                  /* meant for the parent */
                "LISTEN_PID=81\0LISTEN_FDS=0\0",                  /* no fds passed */
                "LISTEN_PID=81x\0LISTEN_FDS=1\0",
        };
        char path[512];

        snprintf(path, sizeof path, "%s/81", root);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        for (size_t i = 0; i <= sizeof envs / sizeof envs[0]; i++) {
                sa_holder b[2] = { { .proc = &shell }, { .proc = &child } };
                sa_listener m = mk(IPPROTO_TCP, 22, b, 2);
                FILE *f;

                snprintf(path, sizeof path, "%s/81/environ", root);
                if (i < sizeof envs / sizeof envs[0]) {
                        size_t len = 0;

                        while (envs[i][len] || envs[i][len + 1])     /* up to the final "\0\0" */
                                len++;
                        ck_assert_ptr_nonnull(f = fopen(path, "w"));
                        ck_assert_uint_eq(fwrite(envs[i], 1, len + 1, f), len + 1);
                        fclose(f);
                } else
                        unlink(path);                           /* unreadable environ */
                ck_assert_int_eq(sa_activation_annotate(root, &m), 0);
                ck_assert_msg(b[0].role == SA_ROLE_NONE && b[1].role == SA_ROLE_NONE, "case %zu", i);
                free_units(&m);
        }
}
END_TEST

Suite *activation_suite(void)
{
        Suite *s = suite_create("activation");
        TCase *tc = tcase_create("core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, systemd_and_its_service);
        tcase_add_test(tc, systemd_alone_names_socket_and_service);
        tcase_add_test(tc, unit_dirs_resolve_inside_the_root);
        tcase_add_test(tc, workers_of_one_program_are_not_activated);
        tcase_add_test(tc, supervisors);
        tcase_add_test(tc, leaked_fd_is_no_activation);
        suite_add_tcase(s, tc);
        return s;
}
