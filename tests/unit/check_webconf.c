/* SPDX-License-Identifier: MIT */
/*
 * Web server configs (lib/webconf*.c): Debian-layout nginx and Apache
 * fixture roots (tests/unit/fixtures/webconf/), then caps and hostile
 * input in temporary roots: an oversized file, too many files, includes
 * too deep, a cycle, a link out of the root, a FIFO, a device, a file the
 * server may not read, escapes, the owner's kind and command line, a
 * certificate file as DER.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "webconf.h"

#define FIXTURES "tests/unit/fixtures/webconf"

static char top[] = "/tmp/sa-webconf-XXXXXX";

/* One line per virtual server: "file:line [default] names | certs | keys | addrs". */
static char *describe(const sa_webconf_vhost *v)
{
        static char out[2048];
        FILE *f = fmemopen(out, sizeof out, "w");

        ck_assert_ptr_nonnull(f);
        fprintf(f, "%s:%u%s", v->file, v->line, v->default_server ? " default" : "");
        for (size_t i = 0; i < v->n_names; i++)
                fprintf(f, " %s%s", v->names[i].name, v->names[i].wildcard ? "(w)" : "");
        fprintf(f, " |");
        for (size_t i = 0; i < v->n_certs; i++)
                fprintf(f, " %s%s", v->certs[i].path, v->certs[i].unresolved ? "(var)" : "");
        fprintf(f, " |");
        for (size_t i = 0; i < v->n_keys; i++)
                fprintf(f, " %s%s", v->keys[i].path, v->keys[i].unresolved ? "(var)" : "");
        fprintf(f, " |");
        for (size_t i = 0; i < v->n_addrs; i++)
                fprintf(f, " %s", v->addrs[i]);
        fclose(f);
        return out;
}

static bool has_error(const sa_webconf *r, const char *file, unsigned line, const char *why)
{
        for (size_t i = 0; i < r->n_errors; i++)
                if (strcmp(r->errors[i].file, file) == 0 && r->errors[i].line == line &&
                    strstr(r->errors[i].why, why))
                        return true;
        for (size_t i = 0; i < r->n_errors; i++)
                fprintf(stderr, "  error %s:%u: %s\n", r->errors[i].file, r->errors[i].line, r->errors[i].why);
        return false;
}

static sa_webconf *read_fixture(const char *root, sa_webconf_kind kind, char **argv, size_t argc, uint16_t port)
{
        char path[256];
        sa_webconf *r = NULL;
        int fd;

        snprintf(path, sizeof path, FIXTURES "/%s", root);
        fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(sa_webconf_read(&(sa_webconf_owner) { .root_fd = fd, .kind = kind, .argv = argv,
                                                               .argc = argc }, port, &r), 0);
        close(fd);
        return r;
}

#define SITES "/etc/nginx/sites-enabled/"

START_TEST(nginx_debian_layout)
{
        char *argv[] = { "/usr/sbin/nginx", "-g", "daemon on; master_process on;" };
        sa_webconf *r = read_fixture("nginx", SA_WEBCONF_NGINX, argv, 3, 443);

        ck_assert_str_eq(r->config, "/etc/nginx/nginx.conf");
        ck_assert_uint_eq(r->n_vhosts, 4);
        ck_assert_str_eq(describe(&r->vhosts[0]),
                         "/etc/nginx/conf.d/ssl-on.conf:2 old.example.org | /etc/ssl/certs/old example.pem"
                         " | /etc/ssl/private/old.key | *");
        ck_assert_str_eq(describe(&r->vhosts[1]),
                         SITES "default:12 default example.com www.example.com quoted.example.com"
                         " *.wild.example.com(w) dot.example.com *.dot.example.com(w)"
                         " | /etc/ssl/certs/example.pem /etc/ssl/certs/example-ec.pem"
                         " | /etc/ssl/private/example.key /etc/ssl/private/example-ec.key | * ::");
        ck_assert_str_eq(describe(&r->vhosts[2]),
                         SITES "local:8 dyn.example.net | /etc/ssl/$ssl_server_name.crt(var)"
                         " | /etc/ssl/$ssl_server_name.key(var) | *");
        ck_assert_str_eq(describe(&r->vhosts[3]),
                         SITES "local:15 inherit.example.net | /etc/ssl/certs/http-default.pem"
                         " | /etc/ssl/private/http-default.key | *");
        /* The cycle and the missing include are reported; the rest still counts. */
        ck_assert(has_error(r, "/etc/nginx/conf.d/cycle.inc", 1, "include cycle"));
        ck_assert(has_error(r, "/etc/nginx/nginx.conf", 30, "missing.conf: No such file"));
        ck_assert_uint_eq(r->n_errors, 2);
        {
                const char *sni[8], *files[8];
                size_t n = sa_webconf_sni_names(r, sni, 8);

                /* The default server's first, no wildcard; cut at max. */
                ck_assert_uint_eq(n, 7);
                ck_assert_str_eq(sni[0], "example.com");
                ck_assert_str_eq(sni[3], "dot.example.com");
                ck_assert_str_eq(sni[4], "old.example.org");
                ck_assert_str_eq(sni[6], "inherit.example.net");
                ck_assert_uint_eq(sa_webconf_sni_names(r, sni, 2), 2);
                n = sa_webconf_cert_files(r, files, 8);
                ck_assert_uint_eq(n, 4);        /* the $ssl_server_name one left out */
                ck_assert_str_eq(files[0], "/etc/ssl/certs/old example.pem");
                ck_assert_str_eq(files[3], "/etc/ssl/certs/http-default.pem");
        }
        sa_webconf_free(r);
}
END_TEST

START_TEST(nginx_other_ports)
{
        char *argv[] = { "nginx: master process /usr/sbin/nginx -c /etc/nginx/nginx.conf" };
        sa_webconf *r = read_fixture("nginx", SA_WEBCONF_NGINX, argv, 1, 8443);

        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert_str_eq(describe(&r->vhosts[0]),
                         SITES "local:1 default local.example.net | /etc/nginx/certs/local.pem"
                         " | /etc/nginx/certs/local.key | 127.0.0.1");
        sa_webconf_free(r);
        /* Port 80 has servers, none with TLS. */
        r = read_fixture("nginx", SA_WEBCONF_NGINX, argv, 1, 80);
        ck_assert_uint_eq(r->n_vhosts, 0);
        sa_webconf_free(r);
        /* Port 0: every TLS server (not the quic or unix: ones). */
        r = read_fixture("nginx", SA_WEBCONF_NGINX, argv, 1, 0);
        ck_assert_uint_eq(r->n_vhosts, 5);
        sa_webconf_free(r);
}
END_TEST

START_TEST(apache_debian_layout)
{
        char *argv[] = { "/usr/sbin/apache2", "-k", "start" };
        sa_webconf *r = read_fixture("apache", SA_WEBCONF_APACHE, argv, 3, 443);

        ck_assert_str_eq(r->config, "/etc/apache2/apache2.conf");
        ck_assert_uint_eq(r->n_vhosts, 2);
        ck_assert_str_eq(describe(&r->vhosts[0]),
                         "/etc/apache2/sites-enabled/default-ssl.conf:2 default"
                         " | /etc/ssl/certs/ssl-cert-snakeoil.pem | /etc/ssl/private/ssl-cert-snakeoil.key | *");
        ck_assert_str_eq(describe(&r->vhosts[1]),
                         "/etc/apache2/sites-enabled/shop.conf:2 shop.example.com www.shop.example.com"
                         " *.shop.example.com(w) shop-?.example.com(w) extra.shop.example.com"
                         " | /etc/ssl/shop/shop.crt ${UNDEFINED_DIR}/shop-ec.crt(var)"
                         " | /etc/ssl/shop/shop.key | 192.0.2.10 2001:db8::10");
        ck_assert(has_error(r, "/etc/apache2/shop-extra.conf", 2, "not a host name"));
        ck_assert_uint_eq(r->n_errors, 1);
        sa_webconf_free(r);

        r = read_fixture("apache", SA_WEBCONF_APACHE, argv, 3, 8443);
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert_str_eq(describe(&r->vhosts[0]),
                         "/etc/apache2/sites-enabled/shop.conf:13 default alt.example.com"
                         " | /etc/apache2/relative/alt.pem | | *");
        sa_webconf_free(r);
}
END_TEST

/* -f and -d move the config; relative -f is under -d. */
START_TEST(apache_command_line)
{
        char *argv[] = { "/usr/sbin/apache2", "-d", "/etc/apache2/", "-f", "ports.conf" };
        sa_webconf *r = read_fixture("apache", SA_WEBCONF_APACHE, argv, 5, 443);

        ck_assert_str_eq(r->config, "/etc/apache2/ports.conf");
        ck_assert_uint_eq(r->n_vhosts, 0);
        ck_assert_uint_eq(r->n_errors, 0);
        ck_assert_uint_eq(r->n_files, 1);
        sa_webconf_free(r);
}
END_TEST

static void put(const char *rel, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", top, rel);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        ck_assert_int_eq(fclose(f), 0);
}

static void setup(void)
{
        char path[600];

        ck_assert_ptr_nonnull(mkdtemp(top));
        snprintf(path, sizeof path, "%s/conf", top);
        ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void teardown(void)
{
        char cmd[600];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
        ck_assert_int_eq(system(cmd), 0);
        strcpy(top, "/tmp/sa-webconf-XXXXXX");
}

static sa_webconf *read_top_as(sa_webconf_kind kind, const char *conf, uid_t uid)
{
        char *argv[] = { kind == SA_WEBCONF_NGINX ? "nginx" : "apache2",
                         kind == SA_WEBCONF_NGINX ? "-c" : "-f", (char *) conf };
        sa_webconf *r = NULL;
        int fd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(sa_webconf_read(&(sa_webconf_owner) { .root_fd = fd, .kind = kind, .argv = argv,
                                                               .argc = 3, .uid = uid, .gid = uid }, 443, &r), 0);
        close(fd);
        return r;
}

static sa_webconf *read_top(sa_webconf_kind kind, const char *conf)
{
        return read_top_as(kind, conf, 0);
}

#define TLS_SERVER(name) "http { server { listen 443 ssl; server_name " name "; } }\n"

/* A file over 1 MiB is refused whole; the servers of the others count. */
START_TEST(oversized_file)
{
        char *big = malloc(SA_WEBCONF_FILE_MAX + 2);
        sa_webconf *r;

        memset(big, '#', SA_WEBCONF_FILE_MAX + 1);
        big[SA_WEBCONF_FILE_MAX + 1] = '\0';
        put("conf/big.conf", big);
        free(big);
        put("conf/main.conf", "include big.conf;\n" TLS_SERVER("ok.test"));
        r = read_top(SA_WEBCONF_NGINX, "/conf/main.conf");
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert_str_eq(r->vhosts[0].names[0].name, "ok.test");
        ck_assert(has_error(r, "/conf/main.conf", 1, "larger than 1048576 bytes"));
        sa_webconf_free(r);
}
END_TEST

/* 70 files through a glob: 64 are read, the rest are errors. */
START_TEST(too_many_files)
{
        char name[64], text[128];
        sa_webconf *r;

        for (int i = 0; i < 70; i++) {
                snprintf(name, sizeof name, "conf/s%02d.conf", i);
                snprintf(text, sizeof text, "server { listen 443 ssl; server_name s%02d.test; }\n", i);
                put(name, text);
        }
        put("conf/main.conf", "http { include s*.conf; }\n");
        r = read_top(SA_WEBCONF_NGINX, "/conf/main.conf");
        ck_assert_uint_eq(r->n_files, SA_WEBCONF_FILES_MAX);
        ck_assert_uint_eq(r->n_vhosts, SA_WEBCONF_FILES_MAX - 1);
        ck_assert_str_eq(r->vhosts[62].names[0].name, "s62.test");
        ck_assert(has_error(r, "/conf/main.conf", 1, "more than 64 files"));
        sa_webconf_free(r);

        /* A glob over 200 directories stops listing at 128. */
        for (int i = 0; i < 200; i++) {
                char path[600];

                snprintf(path, sizeof path, "%s/conf/d%03d", top, i);
                ck_assert_int_eq(mkdir(path, 0755), 0);
        }
        put("conf/d150/x.conf", "server { listen 443 ssl; server_name deep.test; }\n");
        put("conf/main.conf", "http { include /conf/d*/x.conf; }\n");
        r = read_top(SA_WEBCONF_NGINX, "/conf/main.conf");
        ck_assert(has_error(r, "/conf/main.conf", 1, "/conf/d*/x.conf: expansion cut after 128 directories"));
        ck_assert_uint_eq(r->n_vhosts, 0);
        sa_webconf_free(r);
}
END_TEST

/* A chain of 20 includes stops at depth 16; an Apache cycle is caught. */
START_TEST(depth_and_cycle)
{
        char name[64], text[128];
        sa_webconf *r;

        for (int i = 0; i < 20; i++) {
                snprintf(name, sizeof name, "conf/d%d.conf", i);
                snprintf(text, sizeof text, "include d%d.conf;\n", i + 1);
                put(name, text);
        }
        r = read_top(SA_WEBCONF_NGINX, "/conf/d0.conf");
        ck_assert_uint_eq(r->n_files, SA_WEBCONF_DEPTH_MAX);
        ck_assert(has_error(r, "/conf/d15.conf", 1, "nested deeper than 16"));
        sa_webconf_free(r);

        put("conf/a.conf", "Include /conf/b.conf\n");
        put("conf/b.conf", "<VirtualHost *:443>\nSSLEngine on\nServerName b.test\nInclude /conf/a.conf\n</VirtualHost>\n");
        r = read_top(SA_WEBCONF_APACHE, "/conf/a.conf");
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert(has_error(r, "/conf/b.conf", 4, "/conf/a.conf: include cycle"));
        sa_webconf_free(r);
}
END_TEST

static bool have_openat2(void)
{
        struct open_how how = { .flags = O_PATH | O_CLOEXEC };
        long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);

        if (fd < 0)
                return false;
        close((int) fd);
        return true;
}

/*
 * A link to the host's /etc is read inside the root: there is none. An
 * absolute link inside (Debian's sites-enabled) is followed there, with
 * openat2; without it (valgrind, old kernels) every link is refused.
 */
START_TEST(links_stay_in_root)
{
        char path[600];
        sa_webconf *r;
        bool in_root = have_openat2();

        snprintf(path, sizeof path, "%s/conf/escape.conf", top);
        ck_assert_int_eq(symlink("../../../../../../etc/passwd", path), 0);
        snprintf(path, sizeof path, "%s/conf/site.conf", top);
        ck_assert_int_eq(symlink("/conf/available.conf", path), 0);
        put("conf/available.conf", TLS_SERVER("site.test"));
        put("conf/main.conf", "include escape.conf;\ninclude site.conf;\n");
        r = read_top(SA_WEBCONF_NGINX, "/conf/main.conf");
        ck_assert(has_error(r, "/conf/main.conf", 1, in_root ? "escape.conf: No such file" :
                                                               "escape.conf: Too many levels of symbolic links"));
        ck_assert_uint_eq(r->n_vhosts, in_root ? 1 : 0);
        if (!in_root)
                printf("SKIP: links_stay_in_root: no openat2 here, links inside the root are refused\n");
        sa_webconf_free(r);
}
END_TEST

/*
 * Only regular files are opened (a FIFO would block, a device could act);
 * a server that is not root gets only what its ids may read.
 */
START_TEST(regular_and_readable_only)
{
        char path[600];
        sa_webconf *r;

        if (geteuid() != 0) {
                printf("SKIP: regular_and_readable_only: needs root (mknod, chown)\n");
                return;
        }
        snprintf(path, sizeof path, "%s/conf/fifo.conf", top);
        ck_assert_int_eq(mkfifo(path, 0644), 0);
        snprintf(path, sizeof path, "%s/conf/null.conf", top);
        ck_assert_int_eq(mknod(path, S_IFCHR | 0644, makedev(1, 3)), 0);
        put("conf/secret.conf", TLS_SERVER("secret.test"));
        put("conf/mine.conf", TLS_SERVER("mine.test"));
        put("conf/public.conf", TLS_SERVER("public.test"));
        snprintf(path, sizeof path, "%s/conf/secret.conf", top);
        ck_assert_int_eq(chmod(path, 0600), 0);
        snprintf(path, sizeof path, "%s/conf/mine.conf", top);
        ck_assert_int_eq(chmod(path, 0600), 0);
        ck_assert_int_eq(chown(path, 1000, 1000), 0);
        put("conf/main.conf", "include fifo.conf;\ninclude null.conf;\ninclude secret.conf;\n"
                              "include mine.conf;\ninclude public.conf;\n");
        r = read_top_as(SA_WEBCONF_NGINX, "/conf/main.conf", 1000);
        ck_assert(has_error(r, "/conf/main.conf", 1, "fifo.conf: not a regular file"));
        ck_assert(has_error(r, "/conf/main.conf", 2, "null.conf: not a regular file"));
        ck_assert(has_error(r, "/conf/main.conf", 3, "secret.conf: not readable by the server's user (uid 1000)"));
        ck_assert_uint_eq(r->n_vhosts, 2);
        ck_assert_str_eq(r->vhosts[0].names[0].name, "mine.test");
        ck_assert_str_eq(r->vhosts[1].names[0].name, "public.test");
        sa_webconf_free(r);
        /* root reads the secret one. */
        r = read_top(SA_WEBCONF_NGINX, "/conf/main.conf");
        ck_assert_uint_eq(r->n_vhosts, 3);
        sa_webconf_free(r);
}
END_TEST

static sa_webconf *nginx_text(const char *text)
{
        sa_webconf *r = NULL;

        ck_assert_int_eq(sa_webconf_parse_nginx(text, strlen(text), 443, &r), 0);
        return r;
}

/* Quotes, escapes, ${} and comments as nginx reads them; syntax errors say where. */
START_TEST(nginx_syntax)
{
        sa_webconf *r;

        r = nginx_text("http {\n server { listen\t443 ssl ; server_name \"a\\\"b.test\" 'c.test' d\\.test;\n"
                       " ssl_certificate \"/x/${a}{b}.pem\"; # } not a block end\n"
                       " set $v ${x}; } }\n");
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert_str_eq(describe(&r->vhosts[0]), "<input>:2 default c.test | /x/${a}{b}.pem(var) | | *");
        ck_assert(has_error(r, "<input>", 2, "not a host name"));  /* a"b.test, d\.test */
        sa_webconf_free(r);

        r = nginx_text("http { server { listen 443 ssl; server_name a.test; }\n server { \"unterminated }");
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert(has_error(r, "<input>", 2, "unterminated quoted string"));
        sa_webconf_free(r);

        r = nginx_text("http { server { listen 443 ssl; server_name a.test; } } }\n");
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert(has_error(r, "<input>", 1, "unexpected \"}\""));
        sa_webconf_free(r);

        ck_assert_int_eq(sa_webconf_parse_nginx("http { server { listen 443 ssl;\0 } }", 35, 443, &r), 0);
        ck_assert(has_error(r, "<input>", 1, "NUL byte"));
        ck_assert_uint_eq(r->n_vhosts, 1);      /* read up to the error */
        sa_webconf_free(r);

        /* ssl belongs to the socket: a server on it without "ssl" serves TLS too. */
        r = nginx_text("http { server { listen 0.0.0.0:443 ssl; server_name a.test; }\n"
                       "server { listen 443; server_name b.test; }\n"
                       "server { listen 127.0.0.1:443; server_name c.test; } }");
        ck_assert_uint_eq(r->n_vhosts, 2);
        ck_assert_str_eq(describe(&r->vhosts[1]), "<input>:2 b.test | | | *");
        sa_webconf_free(r);

        r = nginx_text("http { include /etc/nginx/x.conf; server { listen [::1]:443 ssl; listen [bad; } }");
        ck_assert(has_error(r, "<input>", 1, "no root"));
        ck_assert(has_error(r, "<input>", 1, "listen: cannot parse"));
        ck_assert_str_eq(describe(&r->vhosts[0]), "<input>:1 default | | | ::1");
        sa_webconf_free(r);
}
END_TEST

/* 5000 names: 4096 kept, one error. */
START_TEST(names_capped)
{
        size_t len = 5000 * 16 + 128;
        char *text = malloc(len), *p = text;
        sa_webconf *r;

        p += sprintf(p, "http { server { listen 443 ssl; server_name");
        for (int i = 0; i < 5000; i++)
                p += sprintf(p, " n%d.test", i);
        strcpy(p, "; } }");
        r = nginx_text(text);
        free(text);
        ck_assert_uint_eq(r->n_names, SA_WEBCONF_NAMES_MAX);
        ck_assert_uint_eq(r->vhosts[0].n_names, SA_WEBCONF_NAMES_MAX);
        ck_assert(has_error(r, "<input>", 1, "more than 4096 server names"));
        sa_webconf_free(r);
}
END_TEST

/* 5000 server blocks: 4096 read; a 254-byte name is no host name. */
START_TEST(servers_capped)
{
        char *text = malloc(5000 * 48 + 600), *p = text;
        sa_webconf *r = NULL;

        p += sprintf(p, "http {");
        for (int i = 0; i < 5000; i++)
                p += sprintf(p, " server { listen 443 ssl; }");
        p += sprintf(p, "\nserver { listen 443 ssl; server_name %0254d; } }", 0);
        r = nginx_text(text);
        ck_assert_uint_eq(r->n_vhosts, SA_WEBCONF_SERVERS_MAX);
        ck_assert(has_error(r, "<input>", 1, "more than 4096 servers"));
        ck_assert_uint_eq(r->n_errors, 1);
        sa_webconf_free(r);

        p = text + sprintf(text, "<VirtualHost *:443>\nSSLEngine on\nServerName %0254d\n</VirtualHost>\n", 0);
        for (int i = 0; i < 4200; i++)
                p += sprintf(p, "<VirtualHost *:443>\nSSLEngine on\n</VirtualHost>\n");
        ck_assert_int_eq(sa_webconf_parse_apache(text, strlen(text), 443, &r), 0);
        ck_assert_uint_eq(r->n_vhosts, SA_WEBCONF_SERVERS_MAX);
        ck_assert(has_error(r, "<input>", 3, "not a host name"));
        ck_assert(has_error(r, "<input>", 5 + 3 * 4095, "more than 4096 <VirtualHost>s"));
        sa_webconf_free(r);
        free(text);
}
END_TEST

START_TEST(apache_syntax)
{
        static const char text[] =
                "<VirtualHost *:443>\nSSLEngine on\n<IfModule x>\nServerName a.test\n</VirtualHost>\n"
                "<VirtualHost *>\nSSLEngine on\nServerName b.test\n";
        sa_webconf *r = NULL;

        ck_assert_int_eq(sa_webconf_parse_apache(text, strlen(text), 443, &r), 0);
        ck_assert(has_error(r, "<input>", 5, "</VirtualHost> closes nothing open"));
        ck_assert_uint_eq(r->n_vhosts, 1);
        ck_assert_str_eq(describe(&r->vhosts[0]), "<input>:1 default a.test | | | *");
        sa_webconf_free(r);
}
END_TEST

START_TEST(owner_kind)
{
        ck_assert_int_eq(sa_webconf_kind_of("/usr/sbin/nginx", "nginx"), SA_WEBCONF_NGINX);
        ck_assert_int_eq(sa_webconf_kind_of("/usr/sbin/nginx (deleted)", NULL), SA_WEBCONF_NGINX);
        ck_assert_int_eq(sa_webconf_kind_of("/usr/sbin/apache2", NULL), SA_WEBCONF_APACHE);
        ck_assert_int_eq(sa_webconf_kind_of("/usr/sbin/httpd", NULL), SA_WEBCONF_APACHE);
        ck_assert_int_eq(sa_webconf_kind_of(NULL, "nginx"), SA_WEBCONF_NGINX);
        ck_assert_int_eq(sa_webconf_kind_of("/opt/nginx-proxy", "nginx"), SA_WEBCONF_NONE);
        ck_assert_int_eq(sa_webconf_kind_of("/usr/bin/python3", "nginx"), SA_WEBCONF_NONE);
        ck_assert_int_eq(sa_webconf_kind_of("", ""), SA_WEBCONF_NONE);
}
END_TEST

/* The first certificate of a PEM file, read inside the root; not a certificate: -ENOMSG. */
START_TEST(cert_der)
{
        char cmd[1024];
        unsigned char *der = NULL;
        size_t len = 0;
        int fd;

        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=t"
                 " -keyout %s/conf/k.pem -out %s/conf/c.pem 2>/dev/null &&"
                 " openssl x509 -in %s/conf/c.pem -outform DER -out %s/conf/c.der", top, top, top, top);
        if (system(cmd) != 0) {
                printf("SKIP: cert_der: openssl could not make a certificate\n");
                return;
        }
        fd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_eq(sa_webconf_cert_der(fd, 0, 0, "/conf/c.pem", &der, &len), 0);
        {
                char path[600], want[4096];
                FILE *f;
                size_t n;

                snprintf(path, sizeof path, "%s/conf/c.der", top);
                f = fopen(path, "r");
                ck_assert_ptr_nonnull(f);
                n = fread(want, 1, sizeof want, f);
                fclose(f);
                ck_assert_uint_eq(len, n);
                ck_assert_int_eq(memcmp(der, want, n), 0);
        }
        free(der);
        ck_assert_int_eq(sa_webconf_cert_der(fd, 0, 0, "/conf/k.pem", &der, &len), -ENOMSG);
        ck_assert_int_eq(sa_webconf_cert_der(fd, 0, 0, "/conf/none.pem", &der, &len), -ENOENT);
        /* 0600 root: refused to uid 1000, and nothing is set. */
        der = NULL;
        ck_assert_int_eq(sa_webconf_cert_der(fd, 1000, 1000, "/conf/k.pem", &der, &len), -EACCES);
        ck_assert_ptr_null(der);
        ck_assert_int_eq(sa_webconf_cert_der(fd, 0, 0, "/conf", &der, &len), -EISDIR);
        close(fd);
}
END_TEST

Suite *webconf_suite(void)
{
        Suite *s = suite_create("webconf");
        TCase *fixtures = tcase_create("fixtures");
        TCase *tmp = tcase_create("limits");

        tcase_add_test(fixtures, nginx_debian_layout);
        tcase_add_test(fixtures, nginx_other_ports);
        tcase_add_test(fixtures, apache_debian_layout);
        tcase_add_test(fixtures, apache_command_line);
        tcase_add_test(fixtures, nginx_syntax);
        tcase_add_test(fixtures, names_capped);
        tcase_add_test(fixtures, apache_syntax);
        tcase_add_test(fixtures, servers_capped);
        tcase_add_test(fixtures, owner_kind);
        suite_add_tcase(s, fixtures);
        tcase_add_checked_fixture(tmp, setup, teardown);
        tcase_add_test(tmp, oversized_file);
        tcase_add_test(tmp, too_many_files);
        tcase_add_test(tmp, depth_and_cycle);
        tcase_add_test(tmp, links_stay_in_root);
        tcase_add_test(tmp, regular_and_readable_only);
        tcase_add_test(tmp, cert_der);
        suite_add_tcase(s, tmp);
        return s;
}
