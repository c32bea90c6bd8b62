/* SPDX-License-Identifier: MIT */
/*
 * The shared part of the web server config readers: files read inside the
 * owner's root with caps and cycle detection, globs expanded there with
 * opendir + fnmatch, errors by file and line, the result being built and
 * freed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rootpath.h"
#include "util.h"
#include "webconf-reader.h"

sa_webconf *sa_webconf_free(sa_webconf *r)
{
        if (!r)
                return NULL;
        for (size_t i = 0; i < r->n_vhosts; i++)
                wc_vhost_clear(&r->vhosts[i]);
        free(r->vhosts);
        for (size_t i = 0; i < r->n_errors; i++) {
                free(r->errors[i].file);
                free(r->errors[i].why);
        }
        free(r->errors);
        free(r->config);
        free(r);
        return NULL;
}

int wc_reader_init(wc_reader *r, int root_fd, sa_webconf_kind kind, const char *config, uint16_t port)
{
        *r = (wc_reader) { .root_fd = root_fd, .port = port };   /* uid 0: reads every file */
        r->res = calloc(1, sizeof *r->res);
        if (!r->res)
                return -ENOMEM;
        r->res->kind = kind;
        r->res->config = strdup(config);
        if (!r->res->config) {
                r->res = sa_webconf_free(r->res);
                return -ENOMEM;
        }
        return 0;
}

int wc_error(wc_reader *r, const char *file, unsigned line, int error, const char *fmt, ...)
{
        sa_webconf *res = r->res;
        sa_webconf_error *e;
        va_list ap;
        int n;

        if (res->n_errors >= SA_WEBCONF_ERRORS_MAX) {
                res->errors_dropped++;
                return 0;
        }
        e = realloc(res->errors, (res->n_errors + 1) * sizeof *e);
        if (!e)
                return -ENOMEM;
        res->errors = e;
        e += res->n_errors;
        *e = (sa_webconf_error) { .line = line, .error = error };
        e->file = strdup(file ? file : "");
        va_start(ap, fmt);
        n = vasprintf(&e->why, fmt, ap);
        va_end(ap);
        if (n < 0)
                e->why = NULL;
        if (!e->file || !e->why) {
                free(e->file);
                free(e->why);
                return -ENOMEM;
        }
        res->n_errors++;
        return 0;
}

/* Whether a process with these ids (root: every file) may read a file of mode st. */
static bool readable_by(const struct stat *st, uid_t uid, gid_t gid)
{
        if (uid == 0)
                return true;
        if (st->st_uid == uid)
                return st->st_mode & S_IRUSR;
        if (st->st_gid == gid)
                return st->st_mode & S_IRGRP;
        return st->st_mode & S_IROTH;
}

/*
 * Opens path inside root_fd for reading, only when it is a regular file
 * the ids may read: looked at through an O_PATH fd first, so no device or
 * FIFO is ever opened (a watchdog or a tape would act on it), then
 * reopened through /proc/self/fd, the same inode. The fd, or -errno
 * (-EINVAL: not a regular file, -EACCES: not readable by those ids).
 */
static int open_regular(int root_fd, const char *path, uid_t uid, gid_t gid, struct stat *ret_st)
{
        _cleanup_close_ int pfd = sa_root_open(root_fd, path, O_PATH);
        char self[64];
        int fd;

        if (pfd < 0)
                return pfd;
        if (fstat(pfd, ret_st) < 0)
                return -errno;
        if (!S_ISREG(ret_st->st_mode))
                return S_ISDIR(ret_st->st_mode) ? -EISDIR : -EINVAL;
        if (!readable_by(ret_st, uid, gid))
                return -EACCES;
        snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
        fd = open(self, O_RDONLY | O_NOCTTY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* Reads fd, a regular file of size st_size, at most max bytes, into *t's buffer. */
static int read_capped(int fd, off_t st_size, size_t max, wc_text *t)
{
        ssize_t len;
        char *buf;

        if ((uint64_t) st_size > max)
                return -EFBIG;
        /* Read to the size seen plus a margin, at most one byte over the cap:
         * a file that grows while read stops there, never past the buffer. */
        size_t cap = (size_t) st_size + 4096 < max + 1 ? (size_t) st_size + 4096 : max + 1;
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        len = sa_read_upto(fd, buf, cap);
        if (len < 0 || (size_t) len > max) {
                free(buf);
                return len < 0 ? (int) len : -EFBIG;
        }
        buf[len] = '\0';
        t->buf = buf;
        t->len = (size_t) len;
        return 0;
}

int wc_read_file(int root_fd, const char *path, uid_t uid, gid_t gid, size_t max, wc_text *t)
{
        struct stat st;
        _cleanup_close_ int fd = open_regular(root_fd, path, uid, gid, &st);

        if (fd < 0)
                return fd;
        return read_capped(fd, st.st_size, max, t);
}

int wc_enter(wc_reader *r, const char *path, const char *from, unsigned line, wc_text *t)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        int e;

        *t = (wc_text) { 0 };
        if (r->root_fd < 0)
                return wc_error(r, from, line, -ENOENT, "%s: not read (no root to read it from)", path);
        if (r->depth >= SA_WEBCONF_DEPTH_MAX)
                return wc_error(r, from, line, -ELOOP, "%s: includes nested deeper than %d",
                                path, SA_WEBCONF_DEPTH_MAX);
        if (r->res->n_files >= SA_WEBCONF_FILES_MAX)
                return wc_error(r, from, line, -E2BIG, "%s: more than %d files", path,
                                SA_WEBCONF_FILES_MAX);
        fd = open_regular(r->root_fd, path, r->uid, r->gid, &st);
        if (fd == -EINVAL)
                return wc_error(r, from, line, fd, "%s: not a regular file", path);
        if (fd == -EACCES)
                return wc_error(r, from, line, fd, "%s: not readable by the server's user (uid %u)",
                                path, (unsigned) r->uid);
        if (fd < 0)
                return wc_error(r, from, line, fd, "%s: %s", path, strerror(-fd));
        for (size_t i = 0; i < r->depth; i++)
                if (r->dev[i] == st.st_dev && r->ino[i] == st.st_ino)
                        return wc_error(r, from, line, -ELOOP, "%s: include cycle", path);
        e = read_capped(fd, st.st_size, SA_WEBCONF_FILE_MAX, t);
        if (e == -ENOMEM)
                return e;
        if (e == -EFBIG)
                return wc_error(r, from, line, e, "%s: larger than %u bytes", path, SA_WEBCONF_FILE_MAX);
        if (e < 0)
                return wc_error(r, from, line, e, "%s: %s", path, strerror(-e));
        t->path = strdup(path);
        if (!t->path) {
                free(t->buf);
                t->buf = NULL;
                return -ENOMEM;
        }
        r->dev[r->depth] = st.st_dev;
        r->ino[r->depth] = st.st_ino;
        r->depth++;
        r->res->n_files++;
        return 1;
}

void wc_leave(wc_reader *r, wc_text *t)
{
        if (r->depth > 0)
                r->depth--;
        free(t->path);
        free(t->buf);
        *t = (wc_text) { 0 };
}

bool wc_is_glob(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

char **wc_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

typedef struct strv {
        char **v;
        size_t n, cap;
} strv;

static int strv_push(strv *s, char *str)
{
        if (!str || sa_grow((void **) &s->v, &s->cap, s->n + 1, sizeof(char *)) < 0) {
                free(str);
                return -ENOMEM;
        }
        s->v[s->n++] = str;
        s->v[s->n] = NULL;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

#define DIR_MATCHES_MAX 4096    /* matching entries of one directory, sorted */
#define DIR_ENTRIES_MAX 65536   /* entries of one directory looked at */

/*
 * Entries of directory dir (inside the root) whose names match pat,
 * sorted, as dir/name; only directories when dirs_only. Bounded.
 */
static int list_dir(wc_reader *r, const char *dir, const char *pat, bool dirs_only, strv *out)
{
        int fd;
        size_t first = out->n, seen = 0;
        struct dirent *de;
        DIR *d;

        if (r->n_dirs >= SA_WEBCONF_DIRS_MAX)
                return 0;
        r->n_dirs++;
        fd = sa_root_open(r->root_fd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return 0;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return 0;
        }
        while ((de = readdir(d)) && out->n - first < DIR_MATCHES_MAX && seen++ < DIR_ENTRIES_MAX) {
                char *p;

                if (fnmatch(pat, de->d_name, FNM_PERIOD) != 0)
                        continue;
                if (dirs_only && de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                if (!dirs_only && de->d_type == DT_DIR)
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0 || strv_push(out, p) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        if (out->n > first)     /* out->v is NULL while nothing matched: no qsort(NULL) */
                qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
        /* The first files in order, one past the file cap so that it shows. */
        while (!dirs_only && out->n > first + SA_WEBCONF_FILES_MAX + 1) {
                free(out->v[--out->n]);
                out->v[out->n] = NULL;
        }
        return 0;
}

/* Expands pattern's components from the one at rest on, below base. */
static int glob_from(wc_reader *r, const char *base, const char *rest, strv *out, unsigned depth)
{
        const char *slash;
        _cleanup_free_ char *comp = NULL;
        strv dirs = { 0 };
        int e = 0;

        rest += strspn(rest, "/");
        slash = strchr(rest, '/');
        if (!slash)
                return list_dir(r, base, rest, false, out);
        comp = strndup(rest, (size_t) (slash - rest));
        if (!comp)
                return -ENOMEM;
        if (!wc_is_glob(comp) || depth > 32) {
                _cleanup_free_ char *next = NULL;

                if (asprintf(&next, "%s/%s", base, comp) < 0)
                        return -ENOMEM;
                return glob_from(r, next, slash, out, depth + 1);
        }
        e = list_dir(r, base, comp, true, &dirs);
        for (size_t i = 0; e == 0 && i < dirs.n && out->n <= SA_WEBCONF_FILES_MAX; i++)
                e = glob_from(r, dirs.v[i], slash, out, depth + 1);
        wc_strv_free(dirs.v);
        return e;
}

int wc_glob(wc_reader *r, const char *pattern, bool dir_all, const char *from, unsigned line,
            char ***ret, size_t *ret_n)
{
        strv out = { 0 };
        int e = 0;

        if (r->root_fd >= 0 && dir_all && !wc_is_glob(pattern)) {
                int fd = sa_root_open(r->root_fd, pattern, O_RDONLY | O_DIRECTORY);

                if (fd >= 0) {
                        safe_close(fd);
                        e = list_dir(r, pattern, "*", false, &out);
                        goto done;
                }
        }
        if (r->root_fd >= 0)
                e = glob_from(r, "", pattern, &out, 0);
done:
        if (e == 0 && r->n_dirs >= SA_WEBCONF_DIRS_MAX)
                e = wc_error(r, from, line, -E2BIG, "%s: expansion cut after %d directories",
                             pattern, SA_WEBCONF_DIRS_MAX);
        if (e < 0) {
                wc_strv_free(out.v);
                return e;
        }
        if (!out.v && !(out.v = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = out.v;
        *ret_n = out.n;
        return 0;
}

char *wc_join(const char *prefix, const char *path)
{
        char *p;

        if (path[0] == '/' || !prefix || !*prefix)
                return strdup(path);
        if (asprintf(&p, "%s%s%s", prefix, prefix[strlen(prefix) - 1] == '/' ? "" : "/", path) < 0)
                return NULL;
        return p;
}

sa_webconf_vhost *wc_vhost_add(wc_reader *r, const char *file, unsigned line)
{
        sa_webconf *res = r->res;
        sa_webconf_vhost *v = realloc(res->vhosts, (res->n_vhosts + 1) * sizeof *v);

        if (!v)
                return NULL;
        res->vhosts = v;
        v += res->n_vhosts;
        *v = (sa_webconf_vhost) { .line = line };
        v->file = strdup(file);
        if (!v->file)
                return NULL;
        res->n_vhosts++;
        return v;
}

/* Appends copies of the n paths at from to *to. 0 or -ENOMEM. */
static int paths_copy(const sa_webconf_path *from, size_t n, sa_webconf_path **to, size_t *to_n)
{
        for (size_t i = 0; i < n; i++)
                if (wc_path_add(to, to_n, from[i].path, from[i].unresolved) < 0)
                        return -ENOMEM;
        return 0;
}

int wc_vhost_keep(wc_reader *r, sa_webconf_vhost *v, const wc_files *outer, bool certs_set, bool keys_set)
{
        sa_webconf *res = r->res;
        sa_webconf_vhost *all;

        if ((!certs_set && paths_copy(outer->certs, outer->n_certs, &v->certs, &v->n_certs) < 0) ||
            (!keys_set && paths_copy(outer->keys, outer->n_keys, &v->keys, &v->n_keys) < 0))
                return -ENOMEM;
        all = realloc(res->vhosts, (res->n_vhosts + 1) * sizeof *all);
        if (!all)
                return -ENOMEM;
        res->vhosts = all;
        all[res->n_vhosts++] = *v;
        *v = (sa_webconf_vhost) { 0 };
        return 0;
}

void wc_default_first(wc_reader *r)
{
        if (r->port == 0)
                return;         /* one default per port */
        for (size_t i = 0; i < r->res->n_vhosts; i++)
                if (r->res->vhosts[i].default_server)
                        return;
        if (r->res->n_vhosts > 0)
                r->res->vhosts[0].default_server = true;
}

void wc_paths_free(sa_webconf_path *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(p[i].path);
        free(p);
}

void wc_files_clear(wc_files *f)
{
        wc_paths_free(f->certs, f->n_certs);
        wc_paths_free(f->keys, f->n_keys);
        *f = (wc_files) { 0 };
}

void wc_vhost_clear(sa_webconf_vhost *v)
{
        free(v->file);
        for (size_t i = 0; i < v->n_names; i++)
                free(v->names[i].name);
        free(v->names);
        for (size_t i = 0; i < v->n_addrs; i++)
                free(v->addrs[i]);
        free(v->addrs);
        wc_paths_free(v->certs, v->n_certs);
        wc_paths_free(v->keys, v->n_keys);
        *v = (sa_webconf_vhost) { 0 };
}

/* Not isalnum(): the locale must not widen what a host name is. */
static bool name_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr(".-_*?", c));
}

bool wc_host_name(const char *n)
{
        if (!*n || strlen(n) > SA_WEBCONF_NAME_MAX)
                return false;
        for (; *n; n++)
                if (!name_char(*n))
                        return false;
        return true;
}

int wc_name_add(wc_reader *r, sa_webconf_vhost *v, const char *name, bool wildcard, const char *file,
                unsigned line)
{
        sa_webconf_name *n;
        char *s;

        for (size_t i = 0; i < v->n_names; i++)
                if (strcasecmp(v->names[i].name, name) == 0)
                        return 0;
        if (r->res->n_names >= SA_WEBCONF_NAMES_MAX)
                return wc_error(r, file, line, -E2BIG, "more than %d server names", SA_WEBCONF_NAMES_MAX) ?: 1;
        s = strdup(name);
        n = s ? realloc(v->names, (v->n_names + 1) * sizeof *n) : NULL;
        if (!n) {
                free(s);
                return -ENOMEM;
        }
        for (char *c = s; *c; c++)
                *c = *c >= 'A' && *c <= 'Z' ? (char) (*c - 'A' + 'a') : *c;
        v->names = n;
        v->names[v->n_names++] = (sa_webconf_name) { .name = s, .wildcard = wildcard };
        r->res->n_names++;
        return 0;
}

int wc_path_add(sa_webconf_path **list, size_t *n, const char *path, bool unresolved)
{
        sa_webconf_path *l;
        char *s = strdup(path);

        l = s ? realloc(*list, (*n + 1) * sizeof *l) : NULL;
        if (!l) {
                free(s);
                return -ENOMEM;
        }
        *list = l;
        l[(*n)++] = (sa_webconf_path) { .path = s, .unresolved = unresolved };
        return 0;
}

int wc_file_add(const char *prefix, const char *word, bool unresolved, sa_webconf_path **list, size_t *n,
                bool *set)
{
        _cleanup_free_ char *full = unresolved ? strdup(word) : wc_join(prefix, word);

        if (!full)
                return -ENOMEM;
        if (set)
                *set = true;
        return *n >= WC_FILES_MAX ? 0 : wc_path_add(list, n, full, unresolved);
}

int wc_addr_add(sa_webconf_vhost *v, const char *addr)
{
        char **a;
        char *s;

        for (size_t i = 0; i < v->n_addrs; i++)
                if (strcmp(v->addrs[i], addr) == 0)
                        return 0;
        s = strdup(addr);
        a = s ? realloc(v->addrs, (v->n_addrs + 1) * sizeof *a) : NULL;
        if (!a) {
                free(s);
                return -ENOMEM;
        }
        v->addrs = a;
        a[v->n_addrs++] = s;
        return 0;
}

bool wc_port(const char *s, size_t n, uint16_t *ret)
{
        unsigned v = 0;

        if (n == 0 || n > 5)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return false;
        *ret = (uint16_t) v;
        return true;
}

int wc_read_main(wc_reader *r, const char *path, wc_text_fn text, const char *root)
{
        wc_text t;
        int e = wc_enter(r, path, "", 0, &t);

        if (e <= 0)
                return e;
        e = text(r, &t, root);
        wc_leave(r, &t);
        return e;
}
