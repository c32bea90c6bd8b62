/* SPDX-License-Identifier: MIT */
/*
 * The names a listener's TLS probe asks for and the certificate files it
 * compares with what is served, from the owners' web server configs
 * (tlsplan.h, docs/TLS.md#names-asked-for-and-served-vs-on-disk).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlsplan.h"
#include "tlsprobe.h"
#include "util.h"
#include "webconf.h"

typedef struct plan_owner {
        sa_webconf *conf;
        int root_fd;            /* its "/", O_PATH, for the certificate files */
} plan_owner;

/* A certificate file read: its fingerprint, or why not. */
typedef struct plan_file {
        size_t owner;
        const char *path;       /* borrowed from the owner's conf */
        char sha256[65];        /* "" when it could not be read */
} plan_file;

struct sa_tls_plan {
        plan_owner owners[SA_TLS_PLAN_OWNERS_MAX];
        size_t n_owners;
        const char *sni[SA_TLS_SNI_MAX];
        size_t n_sni;
        json_t *errors;         /* config_errors so far (webconf's and ours) */
        size_t errors_dropped;
};

sa_tls_plan *sa_tls_plan_free(sa_tls_plan *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_owners; i++) {
                sa_webconf_free(p->owners[i].conf);
                safe_close(p->owners[i].root_fd);
        }
        json_decref(p->errors);
        free(p);
        return NULL;
}

/* Appends {file, line, reason} to errs, or counts it past the bound. -ENOMEM only. */
static int add_error(json_t *errs, size_t *dropped, const char *file, unsigned line, const char *reason)
{
        if (json_array_size(errs) >= SA_TLS_PLAN_ERRORS_MAX) {
                (*dropped)++;
                return 0;
        }
        return json_array_append_new(errs, json_pack("{s:s, s:I, s:s}", "file", file ? file : "",
                                                      "line", (json_int_t) line,
                                                      "reason", reason ? reason : "")) < 0 ? -ENOMEM : 0;
}

/* Whether r is the config another owner already gave (an nginx master and its workers). */
static bool same_server(const sa_tls_plan *p, const sa_webconf *r, int root_fd)
{
        struct stat a, b;

        if (fstat(root_fd, &a) < 0)
                return false;
        for (size_t i = 0; i < p->n_owners; i++) {
                const sa_webconf *o = p->owners[i].conf;

                if (o->kind == r->kind && strcmp(o->config ? o->config : "", r->config ? r->config : "") == 0 &&
                    fstat(p->owners[i].root_fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                        return true;
        }
        return false;
}

/* Reads one owner's config into p. -ENOMEM only; all else is an error kept or nothing. */
static int add_owner(sa_tls_plan *p, const char *proc_root, pid_t pid, uint16_t port)
{
        sa_webconf *r = NULL;
        char path[4096], why[128];
        int e, root_fd;

        e = sa_webconf_read_pid(proc_root, pid, port, &r);
        if (e == -ENOMEM)
                return e;
        if (e == -ENOENT || e == -EOPNOTSUPP || e == -ESRCH)
                return 0;               /* gone, or not a web server we read */
        if (e < 0) {
                snprintf(why, sizeof why, "reading the config of pid %d: %s", (int) pid, strerror(-e));
                return add_error(p->errors, &p->errors_dropped, "", 0, why);
        }
        snprintf(path, sizeof path, "%s/%d/root", proc_root, (int) pid);
        root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 || same_server(p, r, root_fd)) {
                safe_close(root_fd);
                sa_webconf_free(r);
                return 0;
        }
        p->owners[p->n_owners++] = (plan_owner) { .conf = r, .root_fd = root_fd };
        for (size_t i = 0; i < r->n_errors; i++)
                if (add_error(p->errors, &p->errors_dropped, r->errors[i].file, r->errors[i].line,
                              r->errors[i].why) < 0)
                        return -ENOMEM;
        p->errors_dropped += r->errors_dropped;
        return 0;
}

/* Whether name is among the n of names. */
static bool listed(const char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

int sa_tls_plan_new(const char *proc_root, const pid_t *pids, size_t n, uint16_t port,
                    sa_tls_plan **ret)
{
        sa_tls_plan *p = calloc(1, sizeof(*p));
        const char *names[SA_TLS_SNI_MAX];

        if (!p || !(p->errors = json_array()))
                return sa_tls_plan_free(p), -ENOMEM;
        if (!proc_root)
                proc_root = "/proc";
        for (size_t i = 0; i < n && p->n_owners < SA_TLS_PLAN_OWNERS_MAX; i++)
                if (add_owner(p, proc_root, pids[i], port) < 0)
                        return sa_tls_plan_free(p), -ENOMEM;
        /* Each owner's names, the default server's first, each once. */
        for (size_t i = 0; i < p->n_owners; i++) {
                size_t k = sa_webconf_sni_names(p->owners[i].conf, names, SA_TLS_SNI_MAX);

                for (size_t j = 0; j < k && p->n_sni < SA_TLS_SNI_MAX; j++)
                        if (!listed(p->sni, p->n_sni, names[j]))
                                p->sni[p->n_sni++] = names[j];
        }
        *ret = p;
        return 0;
}

const char *const *sa_tls_plan_sni(const sa_tls_plan *p, size_t *ret_n)
{
        *ret_n = p->n_sni;
        return p->sni;
}

/* Whether a san entry (maybe "*.a.b", one label) covers name. */
static bool san_covers(const char *san, const char *name)
{
        const char *dot;

        if (strcasecmp(san, name) == 0)
                return true;
        if (strncmp(san, "*.", 2) != 0 || !(dot = strchr(name, '.')) || dot == name)
                return false;
        return strcasecmp(san + 1, dot) == 0;
}

/*
 * The certificate served for virtual server v: the one asked for with one
 * of its names; for the default server, the one served without SNI; else
 * one whose san covers one of its names. Borrowed from certs; NULL: none.
 */
static json_t *served_for(json_t *certs, const sa_webconf_vhost *v)
{
        size_t i, k, j;
        json_t *c, *s;

        json_array_foreach(certs, i, c) {
                const char *sni = json_string_value(json_object_get(c, "sni"));

                for (k = 0; sni && k < v->n_names; k++)
                        if (strcmp(sni, v->names[k].name) == 0)
                                return c;
        }
        if (v->default_server && json_is_null(json_object_get(json_array_get(certs, 0), "sni")))
                return json_array_get(certs, 0);
        json_array_foreach(certs, i, c)
                json_array_foreach(json_object_get(c, "san"), j, s)
                        for (k = 0; k < v->n_names; k++)
                                if (json_string_value(s) && san_covers(json_string_value(s), v->names[k].name))
                                        return c;
        return NULL;
}

/* The comparison's state: files read once each, the lists it builds. */
typedef struct compare_ctx {
        const sa_tls_plan *p;
        plan_file files[SA_TLS_PLAN_FILES_MAX];
        size_t n_files;
        json_t *errors, *stale;
        size_t dropped;
        sa_tls_cert_sha256_fn fn;
        void *userdata;
} compare_ctx;

/* Owner o's file path, read and fingerprinted once. NULL past the bound. -ENOMEM in *err. */
static const plan_file *file_of(compare_ctx *cx, size_t o, const sa_webconf_vhost *v,
                                const char *path, int *err)
{
        const sa_webconf *conf = cx->p->owners[o].conf;
        char why[512];
        plan_file *f;
        int e;

        for (size_t i = 0; i < cx->n_files; i++)
                if (cx->files[i].owner == o && strcmp(cx->files[i].path, path) == 0)
                        return &cx->files[i];
        if (cx->n_files >= SA_TLS_PLAN_FILES_MAX)
                return NULL;
        f = &cx->files[cx->n_files++];
        *f = (plan_file) { .owner = o, .path = path };
        e = cx->fn(cx->userdata, cx->p->owners[o].root_fd, conf->uid, conf->gid, path, f->sha256);
        if (e < 0)
                f->sha256[0] = '\0';
        if (e < 0) {
                snprintf(why, sizeof why, "reading the certificate file named at %s:%u: %s",
                         v->file, v->line, e == -ENOMSG ? "no PEM certificate in it"
                         : e == -ENOEXEC ? "the helper sockaudit-provenance did not fingerprint it" : strerror(-e));
                if (e == -ENOMEM || add_error(cx->errors, &cx->dropped, path, 0, why) < 0)
                        *err = -ENOMEM;
        }
        return f;
}

/* Whether certificate c's sha256 is hex. */
static bool same_sha256(const json_t *c, const char *hex)
{
        const char *s = json_string_value(json_object_get(c, "sha256"));

        return s && strcmp(s, hex) == 0;
}

/* Sets c's `config` from file f of v; a stale one joins cx->stale. -ENOMEM only. */
static int set_config(compare_ctx *cx, json_t *c, const sa_webconf_vhost *v, const plan_file *f)
{
        const char *served = json_string_value(json_object_get(c, "sha256"));
        bool matches = same_sha256(c, f->sha256);
        json_t *old = json_object_get(c, "config");

        if (json_is_true(json_object_get(old, "matches")))
                return 0;               /* another server's file matched it already */
        if (json_object_set_new(c, "config",
                                json_pack("{s:s, s:s, s:I, s:s, s:b}", "file", f->path, "server_file", v->file,
                                          "line", (json_int_t) v->line, "on_disk_sha256", f->sha256,
                                          "matches", matches)) < 0)
                return -ENOMEM;
        if (matches || old)
                return 0;
        return json_array_append_new(cx->stale,
                                     json_pack("{s:O, s:s, s:s, s:s}", "sni", json_object_get(c, "sni") ?: json_null(),
                                               "file", f->path, "served_sha256", served ? served : "",
                                               "on_disk_sha256", f->sha256)) < 0 ? -ENOMEM : 0;
}

/* Compares virtual server v of owner o with what was served. -ENOMEM only. */
static int compare_vhost(compare_ctx *cx, json_t *certs, size_t o, const sa_webconf_vhost *v)
{
        json_t *served = served_for(certs, v), *c;
        const plan_file *first = NULL, *f;
        int err = 0;
        size_t i;

        for (size_t k = 0; k < v->n_certs; k++) {
                if (v->certs[k].unresolved || !(f = file_of(cx, o, v, v->certs[k].path, &err)))
                        continue;
                if (err < 0)
                        return err;
                if (!f->sha256[0])
                        continue;
                /* A file served for any name counts (two certificates per server: RSA and EC). */
                json_array_foreach(certs, i, c)
                        if (same_sha256(c, f->sha256) && (c == served || !served))
                                return set_config(cx, c, v, f);
                if (!first)
                        first = f;
        }
        return served && first ? set_config(cx, served, v, first) : 0;
}

int sa_tls_plan_compare_with(const sa_tls_plan *p, json_t *tls, sa_tls_cert_sha256_fn fn, void *userdata)
{
        compare_ctx cx = { .p = p, .fn = fn, .userdata = userdata };
        json_t *certs = json_object_get(tls, "certificates"), *c;
        bool ok = json_is_string(json_object_get(tls, "status")) &&
                  strcmp(json_string_value(json_object_get(tls, "status")), "ok") == 0;
        size_t i;
        int e = 0;

        json_object_del(tls, "stale_on_disk");
        json_object_del(tls, "config_errors");
        json_object_del(tls, "config_errors_dropped");
        json_array_foreach(certs, i, c)
                json_object_del(c, "config");
        cx.errors = json_deep_copy(p->errors);
        cx.stale = json_array();
        cx.dropped = p->errors_dropped;
        if (!cx.errors || !cx.stale)
                e = -ENOMEM;
        for (size_t o = 0; ok && e == 0 && o < p->n_owners; o++)
                for (size_t v = 0; e == 0 && v < p->owners[o].conf->n_vhosts; v++)
                        e = compare_vhost(&cx, certs, o, &p->owners[o].conf->vhosts[v]);
        if (e == 0 && ok && cx.n_files > 0 && json_object_set(tls, "stale_on_disk", cx.stale) < 0)
                e = -ENOMEM;
        if (e == 0 && json_array_size(cx.errors) > 0 && json_object_set(tls, "config_errors", cx.errors) < 0)
                e = -ENOMEM;
        if (e == 0 && cx.dropped > 0 &&
            json_object_set_new(tls, "config_errors_dropped", json_integer((json_int_t) cx.dropped)) < 0)
                e = -ENOMEM;
        json_decref(cx.errors);
        json_decref(cx.stale);
        return e;
}
