/* SPDX-License-Identifier: MIT */
/*
 * Which web server a process is and where its configuration starts: the
 * owner's executable, its command line (nginx -c/-p, Apache -f/-d) and
 * Debian's default paths, read from /proc/PID; then the readers
 * (lib/webconf-nginx.c, lib/webconf-apache.c) on its root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "webconf-reader.h"

/* Debian's compiled-in defaults (`nginx -V`, `apache2 -V`); other builds differ. */
#define NGINX_PREFIX    "/usr/share/nginx"
#define NGINX_CONF      "/etc/nginx/nginx.conf"
#define APACHE_ROOT     "/etc/apache2"
#define APACHE_CONF     "apache2.conf"
#define HTTPD_ROOT      "/etc/httpd"
#define HTTPD_CONF      "conf/httpd.conf"
#define CMDLINE_MAX     (128u << 10)
#define TITLE           "nginx: master process "

static const char *base_name(const char *path, size_t *ret_len)
{
        const char *b = strrchr(path, '/');
        const char *del = strstr(path, " (deleted)");

        b = b ? b + 1 : path;
        *ret_len = del && del > b && del[10] == '\0' ? (size_t) (del - b) : strlen(b);
        return b;
}

static bool named(const char *b, size_t n, const char *want)
{
        return n == strlen(want) && strncmp(b, want, n) == 0;
}

sa_webconf_kind sa_webconf_kind_of(const char *exe, const char *comm)
{
        const char *b;
        size_t n;

        if (exe && *exe)
                b = base_name(exe, &n);
        else if (comm)
                b = comm, n = strlen(comm);
        else
                return SA_WEBCONF_NONE;
        if (named(b, n, "nginx"))
                return SA_WEBCONF_NGINX;
        if (named(b, n, "apache2") || named(b, n, "httpd"))
                return SA_WEBCONF_APACHE;
        return SA_WEBCONF_NONE;
}

/* httpd (Red Hat's layout) rather than Debian's apache2. */
static bool is_httpd(const char *argv0)
{
        size_t n;
        const char *b = base_name(argv0, &n);

        return named(b, n, "httpd");
}

/* The value of option opt ("-c") at argv[*i]: "-cFILE" or "-c FILE". */
static const char *option(char *const *argv, size_t argc, size_t *i, const char *opt)
{
        const char *a = argv[*i];

        if (strncmp(a, opt, 2) != 0)
                return NULL;
        if (a[2])
                return a + 2;
        if (*i + 1 < argc)
                return argv[++*i];
        return NULL;
}

/* A directory name of path, with its slash ("/etc/nginx/" of "/etc/nginx/nginx.conf"). */
static char *dir_of(const char *path)
{
        const char *s = strrchr(path, '/');

        return s ? strndup(path, (size_t) (s - path + 1)) : strdup("/");
}

static int read_nginx(wc_reader *r, char *const *argv, size_t argc)
{
        const char *prefix = NGINX_PREFIX, *c = NULL;
        _cleanup_free_ char *file = NULL, *dir = NULL;

        for (size_t i = 1; i < argc; i++) {
                const char *v;

                if ((v = option(argv, argc, &i, "-c")))
                        c = v;
                else if ((v = option(argv, argc, &i, "-p")))
                        prefix = v;
        }
        file = wc_join(prefix, c ? c : NGINX_CONF);
        dir = file ? dir_of(file) : NULL;
        if (!dir)
                return -ENOMEM;
        free(r->res->config);
        r->res->config = TAKE_PTR(file);
        /* nginx takes relative includes and files from the main file's directory. */
        return wc_read_main(r, r->res->config, wc_nginx_text, dir);
}

static int read_apache(wc_reader *r, char *const *argv, size_t argc, bool httpd)
{
        const char *root = httpd ? HTTPD_ROOT : APACHE_ROOT, *f = httpd ? HTTPD_CONF : APACHE_CONF;
        _cleanup_free_ char *file = NULL;

        for (size_t i = 1; i < argc; i++) {
                const char *v;

                if ((v = option(argv, argc, &i, "-f")))
                        f = v;
                else if ((v = option(argv, argc, &i, "-d")))
                        root = v;
        }
        file = wc_join(root, f);
        if (!file)
                return -ENOMEM;
        free(r->res->config);
        r->res->config = TAKE_PTR(file);
        return wc_read_main(r, r->res->config, wc_apache_text, root);
}

/* nginx's retitled master ("nginx: master process /usr/sbin/nginx -c F") back into words. */
static int untitle(char *const *argv, size_t argc, char ***ret, size_t *ret_n)
{
        _cleanup_free_ char *copy = NULL;
        char **v, *save = NULL;
        size_t n = 0;

        *ret = NULL;
        if (argc != 1 || strncmp(argv[0], TITLE, strlen(TITLE)) != 0)
                return 0;
        copy = strdup(argv[0] + strlen(TITLE));
        v = copy ? calloc(strlen(copy) / 2 + 2, sizeof *v) : NULL;
        if (!v)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                if (!(v[n++] = strdup(w))) {
                        wc_strv_free(v);
                        return -ENOMEM;
                }
        *ret = v;
        *ret_n = n;
        return 0;
}

int sa_webconf_read(const sa_webconf_owner *o, uint16_t port, sa_webconf **ret)
{
        char *const *argv = o->argv;
        size_t argc = o->argc, n = 0;
        char **words = NULL;
        wc_reader r;
        int e;

        if (o->kind == SA_WEBCONF_NONE)
                return -EINVAL;
        if ((e = untitle(argv, argc, &words, &n)) < 0)
                return e;
        if (words) {
                argv = words;
                argc = n;
        }
        e = wc_reader_init(&r, o->root_fd, o->kind, "", port);
        if (e == 0) {
                r.uid = r.res->uid = o->uid;
                r.gid = r.res->gid = o->gid;
        }
        if (e == 0 && o->kind == SA_WEBCONF_NGINX)
                e = read_nginx(&r, argv, argc);
        else if (e == 0)
                e = read_apache(&r, argv, argc, argc > 0 && is_httpd(argv[0]));
        wc_strv_free(words);
        if (e < 0) {
                sa_webconf_free(r.res);
                return e;
        }
        *ret = r.res;
        return 0;
}

static int parse_text(sa_webconf_kind kind, const char *buf, size_t len, uint16_t port, sa_webconf **ret)
{
        wc_text t = { .path = (char *) "<input>" };
        wc_reader r;
        int e = wc_reader_init(&r, -1, kind, "<input>", port);

        if (e < 0)
                return e;
        t.buf = malloc(len + 1);
        if (!t.buf) {
                sa_webconf_free(r.res);
                return -ENOMEM;
        }
        memcpy(t.buf, buf, len);
        t.buf[len] = '\0';
        t.len = len;
        e = kind == SA_WEBCONF_NGINX ? wc_nginx_text(&r, &t, "/etc/nginx/") : wc_apache_text(&r, &t, APACHE_ROOT);
        free(t.buf);
        if (e < 0) {
                sa_webconf_free(r.res);
                return e;
        }
        *ret = r.res;
        return 0;
}

int sa_webconf_parse_nginx(const char *buf, size_t len, uint16_t port, sa_webconf **ret)
{
        return parse_text(SA_WEBCONF_NGINX, buf, len, port, ret);
}

int sa_webconf_parse_apache(const char *buf, size_t len, uint16_t port, sa_webconf **ret)
{
        return parse_text(SA_WEBCONF_APACHE, buf, len, port, ret);
}

/* Reads name under dfd (a /proc/PID directory) whole, up to max bytes, NUL-terminated. */
static int read_proc(int dfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        ssize_t len;

        if (fd < 0)
                return -errno;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        len = sa_read_upto(fd, buf, max);
        if (len < 0)
                return (int) len;
        buf[len] = '\0';
        *ret_len = (size_t) len;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* cmdline's NUL-separated words as an argv (pointers into buf). */
static char **split_cmdline(char *buf, size_t len, size_t *ret_argc)
{
        size_t n = 0;
        char **v = calloc(len / 2 + 2, sizeof *v);

        for (size_t i = 0; v && i < len; i += strlen(buf + i) + 1)
                if (buf[i])
                        v[n++] = buf + i;
        *ret_argc = n;
        return v;
}

/* The number after key ("\nPPid:") in status, field 0 or 3 (Uid's fs id); -1 when none. */
static long status_field(const char *st, const char *key, int field)
{
        const char *p = strstr(st, key);
        uint64_t v = 0;

        if (!p)
                return -1;
        p += strlen(key);
        for (int i = 0; i <= field; i++) {
                p += strspn(p, " \t");
                if (sa_parse_uint(p, UINT32_MAX, &p, &v) < 0)
                        return -1;
        }
        return (long) v;
}

int sa_webconf_read_pid(const char *proc_root, pid_t pid, uint16_t port, sa_webconf **ret)
{
        for (int hop = 0; hop < 2; hop++) {
                _cleanup_free_ char *cmd = NULL, *comm = NULL, *st = NULL, **argv = NULL;
                _cleanup_close_ int dfd = -1, root = -1;
                char path[4096], exe[4096] = "";
                sa_webconf_owner o = { 0 };
                long uid, gid;
                size_t len;
                ssize_t n;
                int e;

                snprintf(path, sizeof path, "%s/%d", proc_root, (int) pid);
                dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        return -errno;
                n = readlinkat(dfd, "exe", exe, sizeof exe - 1);
                exe[n > 0 ? n : 0] = '\0';
                if (read_proc(dfd, "comm", 64, &comm, &len) < 0)
                        return -ENOENT;
                comm[strcspn(comm, "\n")] = '\0';
                o.kind = sa_webconf_kind_of(exe, comm);
                if (o.kind == SA_WEBCONF_NONE)
                        return -EOPNOTSUPP;
                if ((e = read_proc(dfd, "status", 8192, &st, &len)) < 0)
                        return e;
                if ((e = read_proc(dfd, "cmdline", CMDLINE_MAX, &cmd, &len)) < 0)
                        return e;
                if (!(argv = split_cmdline(cmd, len, &o.argc)))
                        return -ENOMEM;
                /* A worker's title hides the command line: its master has it. */
                if (o.kind == SA_WEBCONF_NGINX && o.argc == 1 && strncmp(argv[0], "nginx: ", 7) == 0 &&
                    strncmp(argv[0], TITLE, strlen(TITLE)) != 0 && hop == 0) {
                        long ppid = status_field(st, "\nPPid:", 0);

                        if (ppid <= 1)
                                return -ENOENT;
                        pid = (pid_t) ppid;
                        continue;
                }
                uid = status_field(st, "\nUid:", 3);
                gid = status_field(st, "\nGid:", 3);
                if (uid < 0 || gid < 0)
                        return -EBADMSG;
                root = openat(dfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (root < 0)
                        return -errno;
                o.root_fd = root;
                o.argv = argv;
                o.uid = (uid_t) uid;
                o.gid = (gid_t) gid;
                return sa_webconf_read(&o, port, ret);
        }
        return -ENOENT;
}

/* Whether s is among the n strings at out. */
static bool listed(const char **out, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(out[i], s) == 0)
                        return true;
        return false;
}

size_t sa_webconf_sni_names(const sa_webconf *r, const char **out, size_t max)
{
        size_t n = 0;

        /* Two passes: the default server's names, then the others'. */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < r->n_vhosts; i++) {
                        const sa_webconf_vhost *v = &r->vhosts[i];

                        if (v->default_server != (pass == 0))
                                continue;
                        for (size_t k = 0; k < v->n_names && n < max; k++)
                                if (!v->names[k].wildcard && !listed(out, n, v->names[k].name))
                                        out[n++] = v->names[k].name;
                }
        return n;
}

size_t sa_webconf_cert_files(const sa_webconf *r, const char **out, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < r->n_vhosts; i++)
                for (size_t k = 0; k < r->vhosts[i].n_certs && n < max; k++) {
                        const sa_webconf_path *c = &r->vhosts[i].certs[k];

                        if (!c->unresolved && !listed(out, n, c->path))
                                out[n++] = c->path;
                }
        return n;
}
