/* SPDX-License-Identifier: MIT */
/* sockauditd.conf parsing (daemon/config.c): defaults, each key, each error and its line. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sockaudit.h"

static daemon_config *load_ok(const char *text)
{
        daemon_config *c = NULL;
        char err[512] = "";
        int r = config_load_string(text, "test.conf", err, sizeof(err), &c);

        ck_assert_msg(r == 0, "unexpected failure %d: %s\n--\n%s", r, err, text);
        ck_assert_ptr_nonnull(c);
        return c;
}

/* Loading fails with "test.conf:LINE: ..." containing what. */
static void load_fail(const char *text, unsigned line, const char *what)
{
        daemon_config *c = (daemon_config *) 0x1;
        char err[512] = "", prefix[64];
        int r = config_load_string(text, "test.conf", err, sizeof(err), &c);

        ck_assert_msg(r == -EINVAL, "expected -EINVAL, got %d for:\n%s", r, text);
        ck_assert_ptr_eq(c, (daemon_config *) 0x1);       /* untouched */
        snprintf(prefix, sizeof(prefix), "test.conf:%u: ", line);
        ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0, "want \"%s...\", got \"%s\"", prefix, err);
        ck_assert_msg(strstr(err, what) != NULL, "want \"%s\" in \"%s\"", what, err);
}

static const policy_rule *rule(const daemon_config *c, uint16_t port, uint8_t proto)
{
        for (size_t i = 0; i < c->policy.n_rules; i++)
                if (c->policy.rules[i].port == port && c->policy.rules[i].proto == proto)
                        return &c->policy.rules[i];
        return NULL;
}

static void assert_defaults(const daemon_config *c)
{
        ck_assert(!c->policy.all_ports);
        ck_assert_uint_eq(c->policy.n_ports, 1);
        ck_assert_uint_eq(c->policy.ports[0], 443);
        ck_assert_uint_eq(c->policy.protos, SA_PROTO_TCP | SA_PROTO_UDP);
        ck_assert_uint_eq(c->scan_interval_usec, 5000000);
        ck_assert_int_eq(c->namespaces, CONFIG_NAMESPACES_ALL);
        ck_assert_uint_eq(c->policy.n_rules, 0);
}

START_TEST(defaults)
{
        daemon_config *c = NULL;
        char err[256] = "";

        ck_assert_int_eq(config_new_default(&c), 0);
        assert_defaults(c);
        c = config_free(c);
        ck_assert_ptr_null(c);
        ck_assert_ptr_null(config_free(NULL));

        c = load_ok("");
        assert_defaults(c);
        config_free(c);
        c = load_ok("; only a comment\n# another\n\n[Daemon]\n");
        assert_defaults(c);
        config_free(c);

        /* The default path may be missing; an explicit one may not. */
        ck_assert_int_eq(config_load("/nonexistent/sockauditd.conf", true, err, sizeof(err), &c), 0);
        assert_defaults(c);
        config_free(c);
        c = NULL;
        ck_assert_int_eq(config_load("/nonexistent/sockauditd.conf", false, err, sizeof(err), &c), -ENOENT);
        ck_assert_ptr_null(c);
        ck_assert_ptr_nonnull(strstr(err, "/nonexistent/sockauditd.conf"));
}
END_TEST

START_TEST(daemon_keys)
{
        daemon_config *c;

        c = load_ok("[Daemon]\nPorts=8443 80 22 80\nProtocols=tcp\nScanInterval=500ms\nNamespaces=self\n"
                    "ScanMethod=procfs\n");
        ck_assert(!c->policy.all_ports);
        ck_assert_uint_eq(c->policy.n_ports, 3);
        ck_assert_uint_eq(c->policy.ports[0], 22);
        ck_assert_uint_eq(c->policy.ports[1], 80);
        ck_assert_uint_eq(c->policy.ports[2], 8443);
        ck_assert_uint_eq(c->policy.protos, SA_PROTO_TCP);
        ck_assert_uint_eq(c->scan_interval_usec, 500000);
        ck_assert_int_eq(c->namespaces, CONFIG_NAMESPACES_SELF);
        ck_assert_int_eq(c->scan_method, SA_SCAN_PROCFS);
        config_free(c);

        c = load_ok("[Daemon]\nPorts = all   ; every listener\nProtocols=udp\nNamespaces=all\n");
        ck_assert(c->policy.all_ports);
        ck_assert_uint_eq(c->policy.n_ports, 0);
        ck_assert_uint_eq(c->policy.protos, SA_PROTO_UDP);
        config_free(c);

        /* Last assignment wins for scalars; CRLF and a BOM are fine. */
        c = load_ok("\xef\xbb\xbf[Daemon]\r\nPorts=1\r\nPorts=65535\r\nProtocols=udp tcp\r\n");
        ck_assert_uint_eq(c->policy.n_ports, 1);
        ck_assert_uint_eq(c->policy.ports[0], 65535);
        ck_assert_uint_eq(c->policy.protos, SA_PROTO_TCP | SA_PROTO_UDP);
        config_free(c);

        /* Ports=all then a list: the list. */
        c = load_ok("[Daemon]\nPorts=all\nPorts=443\n");
        ck_assert(!c->policy.all_ports);
        ck_assert_uint_eq(c->policy.n_ports, 1);
        config_free(c);

        /* MetricsFile= empty: none, also after a path (CONFIG.md). */
        c = load_ok("[Daemon]\nMetricsFile=/run/x.prom\n");
        ck_assert_str_eq(c->metrics_file, "/run/x.prom");
        config_free(c);
        c = load_ok("[Daemon]\nMetricsFile=/run/x.prom\nMetricsFile=\n");
        ck_assert_str_eq(c->metrics_file, "");
        config_free(c);
}
END_TEST

static uint64_t span(const char *s)
{
        uint64_t u = 0;

        ck_assert_msg(config_parse_timespan(s, &u) == 0, "%s", s);
        return u;
}

START_TEST(time_spans)
{
        uint64_t u = 7;
        daemon_config *c;

        ck_assert_uint_eq(span("5s"), 5000000);
        ck_assert_uint_eq(span("500ms"), 500000);
        ck_assert_uint_eq(span("1min"), 60000000);
        ck_assert_uint_eq(span("2m"), 120000000);
        ck_assert_uint_eq(span("10"), 10000000);
        ck_assert_uint_eq(span("1.5s"), 1500000);
        ck_assert_uint_eq(span("1min 30s"), 90000000);
        ck_assert_uint_eq(span("1h"), 3600000000);
        ck_assert_uint_eq(span(" 2 sec "), 2000000);
        ck_assert_uint_eq(span("250msec"), 250000);
        ck_assert_uint_eq(span("100000us"), 100000);
        ck_assert_uint_eq(span("0.25"), 250000);
        ck_assert_int_eq(config_parse_timespan("", &u), -EINVAL);
        ck_assert_int_eq(config_parse_timespan("abc", &u), -EINVAL);
        ck_assert_int_eq(config_parse_timespan("5 parsecs", &u), -EINVAL);
        ck_assert_int_eq(config_parse_timespan("-5s", &u), -EINVAL);
        ck_assert_int_eq(config_parse_timespan(".s", &u), -EINVAL);
        ck_assert_int_eq(config_parse_timespan("99999999999999999999h", &u), -ERANGE);
        ck_assert_uint_eq(u, 7);                 /* untouched on failure */

        c = load_ok("[Daemon]\nScanInterval=100ms\n");
        ck_assert_uint_eq(c->scan_interval_usec, 100000);
        config_free(c);
        c = load_ok("[Daemon]\nScanInterval=1h\n");
        ck_assert_uint_eq(c->scan_interval_usec, 3600000000);
        config_free(c);
        c = load_ok("[Daemon]\nScanInterval=30\n");
        ck_assert_uint_eq(c->scan_interval_usec, 30000000);
        config_free(c);
}
END_TEST

START_TEST(port_sections)
{
        const policy_rule *r;
        daemon_config *c;

        c = load_ok("[Port 443/tcp]\n"
                    "AllowExe=/usr/sbin/nginx\n"
                    "AllowUnit=nginx.service\n"
                    "AllowUser=root www-data\n"
                    "AllowAddress=0.0.0.0 ::\n"
                    "[Port 53/udp]\n"
                    "AllowUser=systemd-resolve 101\n"
                    "AllowUnit=systemd-*.service\n"
                    "[Port 443/tcp]\n"
                    "AllowExe=/usr/local/sbin/*\n"
                    "AllowAddress=::1 127.0.0.1\n"
                    "[Port 8080/tcp]\n");
        ck_assert_uint_eq(c->policy.n_rules, 3);
        r = rule(c, 443, IPPROTO_TCP);
        ck_assert_ptr_nonnull(r);
        ck_assert_ptr_eq(r, &c->policy.rules[0]);      /* order of first appearance */
        ck_assert_uint_eq(r->allow_exe.n, 2);
        ck_assert_str_eq(r->allow_exe.items[0], "/usr/sbin/nginx");
        ck_assert_str_eq(r->allow_exe.items[1], "/usr/local/sbin/*");
        ck_assert_uint_eq(r->allow_unit.n, 1);
        ck_assert_str_eq(r->allow_unit.items[0], "nginx.service");
        ck_assert_uint_eq(r->allow_user.n, 2);
        ck_assert_str_eq(r->allow_user.items[1], "www-data");
        ck_assert_uint_eq(r->allow_address.n, 4);
        ck_assert_str_eq(r->allow_address.items[3], "127.0.0.1");
        r = rule(c, 53, IPPROTO_UDP);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->allow_user.n, 2);
        ck_assert_str_eq(r->allow_user.items[1], "101");
        ck_assert_ptr_null(rule(c, 53, IPPROTO_TCP));
        /* An empty section still names a watched port, with nothing restricted. */
        r = rule(c, 8080, IPPROTO_TCP);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(r->allow_exe.n + r->allow_unit.n + r->allow_user.n + r->allow_address.n, 0);
        /* [Daemon] keeps its defaults */
        ck_assert_uint_eq(c->policy.n_ports, 1);
        config_free(c);

        /* Repeats accumulate; an empty assignment resets the list. */
        c = load_ok("[Port 22/tcp]\nAllowUser=root\nAllowUser=admin\nAllowUser=\nAllowUser=sshd\n"
                    "AllowExe=/usr/sbin/sshd\nAllowExe=\n");
        r = rule(c, 22, IPPROTO_TCP);
        ck_assert_uint_eq(r->allow_user.n, 1);
        ck_assert_str_eq(r->allow_user.items[0], "sshd");
        ck_assert_uint_eq(r->allow_exe.n, 0);
        config_free(c);
}
END_TEST

/* Issue 17: Namespace= scopes a section; AllowUser= names become uids at
 * load; unknown users and missing executables are warnings, not errors. */
START_TEST(namespace_and_load_warnings)
{
        const policy_rule *r;
        daemon_config *c;
        char text[160];

        c = load_ok("[Port 443/tcp]\nNamespace=host docker:*\nAllowUser=root www-data 1234\n"
                    "AllowExe=/bin/sh\n");
        r = rule(c, 443, IPPROTO_TCP);
        ck_assert_uint_eq(r->namespaces.n, 2);
        ck_assert_str_eq(r->namespaces.items[0], "host");
        ck_assert_str_eq(r->namespaces.items[1], "docker:*");
        ck_assert_uint_eq(r->n_allow_uids, 3);
        ck_assert_uint_eq(r->allow_uids[0], 0);
        ck_assert_uint_eq(r->allow_uids[1], 33);         /* Debian's www-data */
        ck_assert_uint_eq(r->allow_uids[2], 1234);
        ck_assert_uint_eq(c->warnings.n, 0);
        config_free(c);

        c = load_ok("[Port 443/tcp]\nNamespace=\n[Port 8443/tcp]\nAllowUser=sa-no-such-user\n"
                    "AllowExe=/nonexistent/apache2 /usr/sbin/*\n");
        ck_assert_uint_eq(rule(c, 443, IPPROTO_TCP)->namespaces.n, 0);
        ck_assert_uint_eq(c->warnings.n, 2);
        ck_assert_str_eq(c->warnings.items[0], "test.conf: [Port 8443/tcp] AllowUser=: no user "
                         "\"sa-no-such-user\" on this host (it matches only a process whose user name is that)");
        ck_assert_str_eq(c->warnings.items[1], "test.conf: [Port 8443/tcp] AllowExe=: /nonexistent/apache2: "
                         "No such file or directory");
        config_free(c);

        load_fail("[Port 443/tcp]\nNamespace=netns/blue\n", 2, "\"netns/blue\" is not a namespace name");
        /* 64 bytes: longer than any namespace name can be. */
        snprintf(text, sizeof(text), "[Port 443/tcp]\nNamespace=%.64s\n",
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        load_fail(text, 2, "Namespace=");
        load_fail("[Port 443/tcp]\nNamespace=a\x01b\n", 2, "Namespace=");
}
END_TEST

/* RequirePackage= (a boolean) and AllowPackage= (names, patterns; no ":arch"). */
START_TEST(package_keys)
{
        daemon_config *c = load_ok("[Port 443/tcp]\nRequirePackage=yes\nAllowPackage=nginx apache2\n"
                                   "AllowPackage=php*-fpm libc6\n[Port 53/udp]\nAllowPackage=bind9\nAllowPackage=\n");
        const policy_rule *r = rule(c, 443, IPPROTO_TCP);

        ck_assert_ptr_nonnull(r);
        ck_assert(r->require_package);
        ck_assert_uint_eq(r->allow_package.n, 4);
        ck_assert_str_eq(r->allow_package.items[2], "php*-fpm");
        r = rule(c, 53, IPPROTO_UDP);
        ck_assert(!r->require_package);
        ck_assert_uint_eq(r->allow_package.n, 0);   /* an empty assignment clears */
        config_free(c);
        c = load_ok("[Port 443/tcp]\nRequirePackage=yes\nRequirePackage=no\n");
        ck_assert(!rule(c, 443, IPPROTO_TCP)->require_package);
        config_free(c);
        /* No dpkg database there: a load warning per section using the keys. */
        c = load_ok("[Daemon]\nDpkgAdminDir=/nonexistent/dpkg\n[Port 443/tcp]\nRequirePackage=yes\n"
                    "[Port 80/tcp]\nAllowExe=/nonexistent/nginx\n[Port 53/udp]\nAllowPackage=bind9\n");
        ck_assert_uint_eq(c->warnings.n, 3);
        ck_assert_str_eq(c->warnings.items[1], "test.conf: [Port 443/tcp] RequirePackage=: no dpkg database "
                         "(/nonexistent/dpkg/status: No such file or directory): every owner will be unverifiable, "
                         "from no known package");
        ck_assert_ptr_nonnull(strstr(c->warnings.items[2], "[Port 53/udp] AllowPackage=: no dpkg database"));
        config_free(c);
        load_fail("[Port 443/tcp]\nRequirePackage=maybe\n", 2, "RequirePackage=: \"maybe\" is not \"yes\" or \"no\"");
        load_fail("[Port 443/tcp]\nAllowPackage=nginx:amd64\n", 2, "\"nginx:amd64\" is not a package name");
        load_fail("[Port 443/tcp]\nAllowPackage=Nginx\n", 2, "\"Nginx\"");
        load_fail("[Port 443/tcp]\nAllowPackage=/usr/sbin/nginx\n", 2, "\"/usr/sbin/nginx\"");
        load_fail("[Port 443/tcp]\nAllowPackage=-x\n", 2, "\"-x\"");
}
END_TEST

START_TEST(errors_with_line_numbers)
{
        load_fail("[Deamon]\nPorts=443\n", 1, "unknown section [Deamon]");
        load_fail("# comment\n\n[Bogus]\n", 3, "unknown section [Bogus]");     /* empty, still refused */
        load_fail("[Daemon]\nPort=443\n", 2, "unknown key \"Port\" in [Daemon]");
        load_fail("[Daemon]\nports=443\n", 2, "unknown key");                  /* case matters */
        load_fail("Ports=443\n", 1, "outside any section");
        load_fail("[Daemon]\n\n\nPorts=0\n", 4, "\"0\" is not a port number");
        load_fail("[Daemon]\nPorts=70000\n", 2, "\"70000\"");
        load_fail("[Daemon]\nPorts=443 https\n", 2, "\"https\"");
        load_fail("[Daemon]\nPorts=all 443\n", 2, "\"all\"");
        load_fail("[Daemon]\nPorts=\n", 2, "Ports= needs");
        load_fail("[Daemon]\nProtocols=tcp sctp\n", 2, "unknown protocol \"sctp\"");
        load_fail("[Daemon]\nProtocols=\n", 2, "Protocols= needs");
        load_fail("[Daemon]\nScanInterval=50ms\n", 2, "out of range");
        load_fail("[Daemon]\nScanInterval=2h\n", 2, "out of range");
        load_fail("[Daemon]\nScanInterval=0\n", 2, "out of range");
        load_fail("[Daemon]\nScanInterval=soon\n", 2, "not a time span");
        load_fail("[Daemon]\nNamespaces=some\n", 2, "Namespaces=");
        load_fail("[Daemon]\nScanMethod=bpf\n", 2, "ScanMethod=");
        load_fail("[Port 0/tcp]\n", 1, "unknown section [Port 0/tcp]");
        load_fail("[Port 70000/tcp]\n", 1, "unknown section");
        load_fail("[Port 443/sctp]\nAllowUser=root\n", 1, "unknown section");
        load_fail("[Port 443]\n", 1, "unknown section");
        load_fail("[Port 443/tcp]\nAllowGroup=wheel\n", 2, "unknown key \"AllowGroup\" in [Port 443/tcp]");
        load_fail("[Port 443/tcp]\nAllowAddress=0.0.0.0 localhost\n", 2, "\"localhost\"");
        load_fail("[Port 443/tcp]\nAllowExe=nginx\n", 2, "\"nginx\"");
        load_fail("[Port 443/tcp]\nAllowUser=ro/ot\n", 2, "\"ro/ot\"");
        load_fail("[Port 443/tcp]\nAllowUnit=/etc/x\n", 2, "\"/etc/x\"");
        /* inih's own syntax errors keep their line too */
        load_fail("[Daemon]\nPorts 443\n", 2, "syntax error");
        load_fail("[Daemon\nPorts=443\n", 1, "syntax error");
        /* The first error is the one reported. */
        load_fail("[Daemon]\nPorts=1\nBogus=1\nPorts=0\n", 3, "Bogus");
        load_fail("[Daemon]\nnot a pair\n[Nope]\n", 2, "syntax error");
        load_fail("[Nope]\nnot a pair\n", 1, "[Nope]");
}
END_TEST

START_TEST(hostile_lines)
{
        char *text = malloc(4096);
        static const char nul[] = "[Daemon]\nPorts=4\0" "43\nProtocols=tcp\n";
        daemon_config *c = (daemon_config *) 0x1;
        char err[256];
        FILE *f;

        /* A line too long for inih is an error on its own line, not a silent split. */
        ck_assert_ptr_nonnull(text);
        strcpy(text, "[Daemon]\nScanInterval=5s\n[Port 443/tcp]\nAllowExe=");
        for (int i = 0; i < 40; i++)
                strcat(text, "/usr/sbin/nginx ");
        strcat(text, "\nAllowUser=root\n");
        load_fail(text, 4, "line longer than");
        free(text);

        /* A NUL byte in the file. */
        f = fmemopen((void *) nul, sizeof(nul) - 1, "r");
        ck_assert_ptr_nonnull(f);
        fclose(f);
        {
                char path[] = "/tmp/check_config.XXXXXX";
                int fd = mkstemp(path);

                ck_assert_int_ge(fd, 0);
                ck_assert_int_eq(write(fd, nul, sizeof(nul) - 1), (ssize_t) (sizeof(nul) - 1));
                close(fd);
                ck_assert_int_eq(config_load(path, false, err, sizeof(err), &c), -EINVAL);
                ck_assert_ptr_eq(c, (daemon_config *) 0x1);
                ck_assert_ptr_nonnull(strstr(err, ":2: NUL byte"));
                unlink(path);
        }

        /* A directory is not a config file. */
        ck_assert_int_lt(config_load("/tmp", false, err, sizeof(err), &c), 0);
        ck_assert_ptr_eq(c, (daemon_config *) 0x1);
}
END_TEST

START_TEST(multiline_continuation)
{
        const policy_rule *r;
        daemon_config *c;

        /* inih: an indented line continues the previous key: the list grows. */
        c = load_ok("[Port 443/tcp]\nAllowUser=root\n  www-data nginx\n");
        r = rule(c, 443, IPPROTO_TCP);
        ck_assert_uint_eq(r->allow_user.n, 3);
        config_free(c);
        load_fail("[Port 443/tcp]\nAllowUser=root\n  bad/user\n", 3, "\"bad/user\"");
}
END_TEST

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

START_TEST(reload_keeps_old_on_failure)
{
        char path[] = "/tmp/check_config.XXXXXX";
        daemon_config *running = NULL, *before;
        char err[256] = "";
        int fd = mkstemp(path);

        ck_assert_int_ge(fd, 0);
        close(fd);
        write_file(path, "[Daemon]\nPorts=80\nScanInterval=2s\n");
        ck_assert_int_eq(config_load(path, false, err, sizeof(err), &running), 0);
        ck_assert_uint_eq(running->policy.ports[0], 80);

        /* A bad file: refused, the running config is the same object, same values. */
        write_file(path, "[Daemon]\nPorts=80\nScanInterval=2 fortnights\n");
        before = running;
        ck_assert_int_eq(config_reload(path, false, err, sizeof(err), &running), -EINVAL);
        ck_assert_ptr_eq(running, before);
        ck_assert_uint_eq(running->policy.ports[0], 80);
        ck_assert_uint_eq(running->scan_interval_usec, 2000000);
        ck_assert_ptr_nonnull(strstr(err, ":3: ScanInterval="));
        ck_assert_ptr_nonnull(strstr(err, path));

        /* The file vanishes (explicit path): refused too. */
        unlink(path);
        ck_assert_int_eq(config_reload(path, false, err, sizeof(err), &running), -ENOENT);
        ck_assert_ptr_eq(running, before);

        /* ... but a missing default file means the defaults. */
        ck_assert_int_eq(config_reload(path, true, err, sizeof(err), &running), 0);
        assert_defaults(running);

        /* A good file replaces it. */
        write_file(path, "[Daemon]\nPorts=22 443\n[Port 22/tcp]\nAllowUser=root\n");
        ck_assert_int_eq(config_reload(path, false, err, sizeof(err), &running), 0);
        ck_assert_uint_eq(running->policy.n_ports, 2);
        ck_assert_uint_eq(running->policy.n_rules, 1);
        config_free(running);
        unlink(path);
}
END_TEST

Suite *config_suite(void)
{
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, defaults);
        tcase_add_test(tc, daemon_keys);
        tcase_add_test(tc, time_spans);
        tcase_add_test(tc, port_sections);
        tcase_add_test(tc, namespace_and_load_warnings);
        tcase_add_test(tc, errors_with_line_numbers);
        tcase_add_test(tc, hostile_lines);
        tcase_add_test(tc, multiline_continuation);
        tcase_add_test(tc, package_keys);
        tcase_add_test(tc, reload_keeps_old_on_failure);
        suite_add_tcase(s, tc);
        return s;
}
