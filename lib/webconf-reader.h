/* SPDX-License-Identifier: MIT */
/*
 * What the nginx and Apache readers share (lib/webconf-reader.c): the
 * bounded reading of files inside a root with include cycles caught, glob
 * patterns expanded in that root, errors by file and line, and the result
 * being built. Internal to lib/webconf*.c.
 */
#ifndef SA_WEBCONF_READER_H
#define SA_WEBCONF_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "webconf.h"

typedef struct wc_reader {
        int root_fd;                    /* -1: no root, every include fails */
        uid_t uid;                      /* the server's: files it could not read are not read */
        gid_t gid;
        uint16_t port;                  /* 0: any */
        sa_webconf *res;
        size_t depth;                   /* files open now */
        size_t n_dirs;                  /* listed for globs */
        dev_t dev[SA_WEBCONF_DEPTH_MAX + 1];
        ino_t ino[SA_WEBCONF_DEPTH_MAX + 1];
} wc_reader;

/* A file's bytes, NUL-terminated (NULs inside are the parser's problem). */
typedef struct wc_text {
        char *path;
        char *buf;
        size_t len;
} wc_text;

/* Starts a result of kind with main file config (copied). 0 or -ENOMEM. */
int wc_reader_init(wc_reader *r, int root_fd, sa_webconf_kind kind, const char *config, uint16_t port);

/*
 * Records an error (printf-style why) against file:line; past the cap it
 * is only counted. 0 or -ENOMEM.
 */
int wc_error(wc_reader *r, const char *file, unsigned line, int error, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/*
 * Opens and reads path (absolute, inside the root) as the next file of the
 * include chain: caps on files, size and depth, and a cycle (a file already
 * on the chain) refused; only a regular file the server's ids may read
 * (no device or FIFO is ever opened). 1 with *t filled (wc_leave() later), 0 when it
 * was refused or unreadable (the error is recorded against from:line),
 * -ENOMEM.
 */
int wc_enter(wc_reader *r, const char *path, const char *from, unsigned line, wc_text *t);
void wc_leave(wc_reader *r, wc_text *t);

/*
 * The regular file path inside root_fd that uid/gid may read (uid 0: any),
 * at most max bytes: 0 with *t's
 * buf and len (caller frees buf), -EFBIG, -EISDIR, -EINVAL (not a
 * regular file: never opened), -EACCES, -ENOMEM, other -errno.
 */
int wc_read_file(int root_fd, const char *path, uid_t uid, gid_t gid, size_t max, wc_text *t);

/* Whether s holds a glob character (* ? [). */
bool wc_is_glob(const char *s);

/*
 * The files inside the root that pattern (absolute; globs in any
 * component; a directory given alone means every file in it when
 * dir_all) names, sorted, dot files left out, at most
 * SA_WEBCONF_FILES_MAX + 1. 0 with *ret (NULL-terminated, caller frees
 * with wc_strv_free) and *ret_n, -ENOMEM; unreadable directories give
 * fewer; past SA_WEBCONF_DIRS_MAX listings an error (against from:line)
 * says the expansion was cut.
 */
int wc_glob(wc_reader *r, const char *pattern, bool dir_all, const char *from, unsigned line,
            char ***ret, size_t *ret_n);
char **wc_strv_free(char **v);

/* path when absolute, else prefix/path; NULL on -ENOMEM. */
char *wc_join(const char *prefix, const char *path);

/* A new virtual server of the result, at file:line. NULL on -ENOMEM. */
sa_webconf_vhost *wc_vhost_add(wc_reader *r, const char *file, unsigned line);

/* A name SNI can carry: letters, digits, ".-_" and the wildcards "*?", at most SA_WEBCONF_NAME_MAX bytes. */
bool wc_host_name(const char *n);

/* Certificate and key files set outside any server (nginx's http level, Apache's main server). */
typedef struct wc_files {
        sa_webconf_path *certs, *keys;
        size_t n_certs, n_keys;
} wc_files;

/* Frees what f holds. */
void wc_files_clear(wc_files *f);

/*
 * Moves *v (zeroed after) to the end of the result's virtual servers,
 * given outer's certificate files when it set none (certs_set false) and
 * likewise outer's keys, as nginx and mod_ssl merge them. 0 or -ENOMEM.
 */
int wc_vhost_keep(wc_reader *r, sa_webconf_vhost *v, const wc_files *outer, bool certs_set, bool keys_set);

/* The first virtual server becomes the default when none is marked so. */
void wc_default_first(wc_reader *r);

/* Frees what v holds and zeroes it. */
void wc_vhost_clear(sa_webconf_vhost *v);

void wc_paths_free(sa_webconf_path *p, size_t n);

/*
 * Adds name (lowercased, duplicates dropped) under the global cap. 0; 1
 * past the cap, said against file:line (add no more); -ENOMEM.
 */
int wc_name_add(wc_reader *r, sa_webconf_vhost *v, const char *name, bool wildcard, const char *file,
                unsigned line);

/* Adds a copy of path to *list. 0 or -ENOMEM. */
int wc_path_add(sa_webconf_path **list, size_t *n, const char *path, bool unresolved);

/*
 * A certificate or key file directive's word into *list (at most
 * WC_FILES_MAX kept): as written when unresolved (a variable the reader
 * does not know), else joined to prefix; *set true when set is not NULL
 * (the directive was there). 0 or -ENOMEM.
 */
#define WC_FILES_MAX 16
int wc_file_add(const char *prefix, const char *word, bool unresolved, sa_webconf_path **list, size_t *n,
                bool *set);

/* Adds addr to v's addresses unless there. 0 or -ENOMEM. */
int wc_addr_add(sa_webconf_vhost *v, const char *addr);

/* Parses "443" (1..65535) into *ret; false when not a port. */
bool wc_port(const char *s, size_t n, uint16_t *ret);

/* The readers, on bytes already read (the file named path), with no root
 * (prefix: the server's root for relative paths). */
int wc_nginx_text(wc_reader *r, wc_text *t, const char *prefix);
int wc_apache_text(wc_reader *r, wc_text *t, const char *server_root);

/* A reader (wc_nginx_text, wc_apache_text) on the main file at path. */
typedef int (*wc_text_fn)(wc_reader *r, wc_text *t, const char *root);
int wc_read_main(wc_reader *r, const char *path, wc_text_fn text, const char *root);

#endif
