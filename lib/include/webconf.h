/* SPDX-License-Identifier: MIT */
/*
 * Which names and certificate files a web server is configured with
 * (lib/webconf*.c): the TLS virtual servers of an nginx or Apache process
 * for one port, read from the process's own root (/proc/PID/root, through
 * lib/rootpath.c) and never executed. The probe asks for these names (SNI)
 * and compares the files with what is served (docs/TLS.md). In-tree, for
 * lib, the daemon and the CLI (the TLS probe's callers).
 *
 * Everything is bounded: files, bytes per file, include depth, names,
 * errors. Trouble is reported per file and line in the result, and what
 * was read before it still counts.
 */
#ifndef SA_WEBCONF_H
#define SA_WEBCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SA_WEBCONF_FILES_MAX   64              /* files read, includes counted */
#define SA_WEBCONF_FILE_MAX    (1u << 20)      /* bytes of one file */
#define SA_WEBCONF_DEPTH_MAX   16              /* nested includes */
#define SA_WEBCONF_NAMES_MAX   4096            /* server names over all virtual servers */
#define SA_WEBCONF_ERRORS_MAX  32              /* errors kept; more are only counted */
#define SA_WEBCONF_TOKEN_MAX   4096            /* bytes of one word or line */
#define SA_WEBCONF_CERT_MAX    (1u << 20)      /* bytes of a certificate file */
#define SA_WEBCONF_SERVERS_MAX 4096            /* server blocks / <VirtualHost>s, whatever their port */
#define SA_WEBCONF_DIRS_MAX    128             /* directories listed for globs */
#define SA_WEBCONF_NAME_MAX    253             /* bytes of a name (DNS's limit) */

typedef enum sa_webconf_kind {
        SA_WEBCONF_NONE,
        SA_WEBCONF_NGINX,
        SA_WEBCONF_APACHE,
} sa_webconf_kind;

typedef struct sa_webconf_name {
        char *name;             /* lowercase; "*.a.b", "www.a.*", Apache's "?" */
        bool wildcard;
} sa_webconf_name;

typedef struct sa_webconf_path {
        char *path;             /* absolute inside the root when resolved, else as written */
        bool unresolved;        /* holds a variable ($ssl_server_name, ${X}): no file to read */
} sa_webconf_path;

/* One TLS virtual server that listens on the asked port. */
typedef struct sa_webconf_vhost {
        char *file;             /* where its block starts */
        unsigned line;
        bool default_server;    /* marked default_server (nginx) or _default_ (Apache), else the
                                   first: what a client without SNI is likely served */
        char **addrs;           /* the addresses it listens on at that port: "*", "127.0.0.1", "::" */
        size_t n_addrs;
        sa_webconf_name *names; /* configured order, duplicates dropped */
        size_t n_names;
        sa_webconf_path *certs; /* ssl_certificate / SSLCertificateFile */
        size_t n_certs;
        sa_webconf_path *keys;  /* ssl_certificate_key / SSLCertificateKeyFile */
        size_t n_keys;
} sa_webconf_vhost;

typedef struct sa_webconf_error {
        char *file;             /* "" when no file is to blame */
        unsigned line;          /* 0: the file as a whole */
        int error;              /* -errno */
        char *why;
} sa_webconf_error;

typedef struct sa_webconf {
        sa_webconf_kind kind;
        char *config;           /* the main file, inside the root */
        sa_webconf_vhost *vhosts;
        size_t n_vhosts;
        sa_webconf_error *errors;
        size_t n_errors;
        size_t errors_dropped;  /* beyond SA_WEBCONF_ERRORS_MAX */
        size_t n_files;         /* files read */
        size_t n_names;         /* names kept, over all virtual servers */
        uid_t uid;              /* the server's ids the files were read with */
        gid_t gid;
} sa_webconf;

/* Frees r and all it holds. Accepts NULL; returns NULL. */
sa_webconf *sa_webconf_free(sa_webconf *r);

/*
 * Which server an owner is, by its executable's path (a " (deleted)"
 * suffix is ignored) or, when exe is NULL or empty, its comm: basename
 * "nginx" → NGINX, "apache2" or "httpd" → APACHE, else NONE.
 */
sa_webconf_kind sa_webconf_kind_of(const char *exe, const char *comm);

/* The server whose configuration is read. */
typedef struct sa_webconf_owner {
        int root_fd;            /* its "/" (/proc/PID/root); O_PATH is enough */
        sa_webconf_kind kind;
        char *const *argv;      /* its command line, argc strings */
        size_t argc;
        uid_t uid;              /* its file system ids: a file they may not read (by */
        gid_t gid;              /* its mode bits) is not read for it; uid 0 reads all */
} sa_webconf_owner;

/*
 * Reads the configuration of server o (nginx's retitled "nginx: master
 * process ..." command line is split back into words) and returns its TLS
 * virtual servers listening on port (0: every port). Only regular files
 * are opened. 0 and a result (caller frees; it may hold errors and no
 * virtual server), -EINVAL (kind NONE), -ENOMEM. Costs at most
 * SA_WEBCONF_FILES_MAX file reads.
 */
int sa_webconf_read(const sa_webconf_owner *o, uint16_t port, sa_webconf **ret);

/*
 * The names to ask for (SNI) on the result's port: borrowed pointers into
 * r, in order (the default server's first), each once, wildcards left out
 * (a client cannot ask for "*.a.b"), at most max of them. Returns how many
 * were put in out.
 */
size_t sa_webconf_sni_names(const sa_webconf *r, const char **out, size_t max);

/*
 * The certificate files named for the port that can be read (resolved),
 * each once, in order; borrowed like the above. Returns how many.
 */
size_t sa_webconf_cert_files(const sa_webconf *r, const char **out, size_t max);

/*
 * The same for process pid under proc_root ("/proc", or a fixture): its
 * root, exe, comm, cmdline and file system ids; for an nginx worker (whose
 * title hides the command line) its master's. -ENOENT (gone), -EOPNOTSUPP (not a web
 * server we read), -ENOMEM, other -errno.
 */
int sa_webconf_read_pid(const char *proc_root, pid_t pid, uint16_t port, sa_webconf **ret);

/*
 * The parsers on one file's bytes (no root: includes give errors), for
 * the fuzz targets and unit tests. Same results and errors as above.
 */
int sa_webconf_parse_nginx(const char *buf, size_t len, uint16_t port, sa_webconf **ret);
int sa_webconf_parse_apache(const char *buf, size_t len, uint16_t port, sa_webconf **ret);

/*
 * The first PEM certificate of path (absolute, inside root_fd), read with
 * the server's ids (a result's uid and gid; uid 0 reads all), as DER
 * bytes: 0 with *ret_der (caller frees) and *ret_len; -EFBIG (over
 * SA_WEBCONF_CERT_MAX), -EINVAL (not a regular file), -EACCES (not
 * readable by those ids), -ENOMSG (no certificate in it), -ENOMEM, other
 * -errno of opening or reading it. Nothing is left set on failure.
 */
int sa_webconf_cert_der(int root_fd, uid_t uid, gid_t gid, const char *path,
                        unsigned char **ret_der, size_t *ret_len);

#endif
