/* SPDX-License-Identifier: MIT */
/*
 * A small reader of the dpkg database (lib/dpkg.c, lib/dpkgfile.c): which
 * installed package ships a path, its version and architecture, and the
 * MD5 dpkg recorded for the file. Reads `status`, `info/PKG[:ARCH].list`,
 * `info/PKG[:ARCH].md5sums` and `diversions` under an admin dir
 * ("/var/lib/dpkg", or a fixture). libdpkg's API is declared volatile; the
 * file formats are not. Internal to the library.
 *
 * Every file is read whole with a size cap, every line and field has a
 * length cap: a hostile or corrupt file gives an error or counted bad
 * lines, never unbounded memory. See docs/PROVENANCE.md.
 */
#ifndef SA_DPKG_H
#define SA_DPKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SA_DPKG_NAME_MAX     160      /* "pkg:arch" and its NUL */
#define SA_DPKG_VERSION_MAX  128
#define SA_DPKG_ARCH_MAX     32
#define SA_DPKG_PATH_MAX     4096     /* a path in a .list, with its NUL */
#define SA_DPKG_STATUS_MAX   (64u << 20)   /* bytes of `status` */
#define SA_DPKG_LIST_MAX     (16u << 20)   /* bytes of one .list or .md5sums */
#define SA_DPKG_DIVERT_MAX   (4u << 20)    /* bytes of `diversions` */
#define SA_DPKG_PKGS_MAX     100000        /* installed packages */
#define SA_DPKG_PATHS_MAX    (8u << 20)    /* distinct paths in the index */
#define SA_DPKG_DIVERSIONS_MAX 100000

/* One installed package from `status`. */
typedef struct sa_dpkg_pkg {
        char name[SA_DPKG_NAME_MAX];    /* as dpkg-query shows it: pkg, or pkg:arch for Multi-Arch: same */
        char base[SA_DPKG_NAME_MAX];    /* the Package: field alone */
        char version[SA_DPKG_VERSION_MAX];
        char arch[SA_DPKG_ARCH_MAX];
        bool multiarch_same;
} sa_dpkg_pkg;

/* One diversion: the file "from" of every package but "by" goes to "to". */
typedef struct sa_dpkg_diversion {
        char *from;                     /* these three share one allocation (from's) */
        char *to;
        char *by;                       /* a package name, or ":" (a local diversion) */
} sa_dpkg_diversion;

/*
 * The parsers, on a file's bytes (len bytes at buf, NULs anywhere):
 * pure, so the fuzz targets run them directly. Lines that break the format
 * (or a cap) are skipped and counted in *ret_bad.
 */

/*
 * Installed packages (Status: "<want> ok installed"), in file order, up
 * to max of them. Names, versions and architectures are checked against
 * Debian's character sets (a name becomes part of a file name). 0 with a
 * malloc'd array (caller frees; NULL when none), -E2BIG (more than max),
 * -ENOMEM.
 */
int sa_dpkg_parse_status(const char *buf, size_t len, size_t max,
                         sa_dpkg_pkg **ret, size_t *ret_n, size_t *ret_bad);

/*
 * Calls cb for each absolute path in a .list (n bytes, not NUL-terminated
 * at path[n]: cb copies what it keeps); "/." is left out. A negative cb
 * result stops the walk and is returned; else 0.
 */
int sa_dpkg_parse_list(const char *buf, size_t len,
                       int (*cb)(const char *path, size_t n, void *userdata),
                       void *userdata, size_t *ret_bad);

/*
 * The MD5 an .md5sums file ("<32 hex>  <path without leading slash>")
 * records for path (absolute). 0 with ret_md5 set to 32 lowercase hex
 * digits and a NUL, -ENOENT when path is not listed.
 */
int sa_dpkg_parse_md5sums(const char *buf, size_t len, const char *path,
                          char ret_md5[33], size_t *ret_bad);

/*
 * The diversions file: triples of lines (from, to, diverting package or
 * ":"), up to max. 0 with a malloc'd array (free with
 * sa_dpkg_diversions_free), -E2BIG, -ENOMEM.
 */
int sa_dpkg_parse_diversions(const char *buf, size_t len, size_t max,
                             sa_dpkg_diversion **ret, size_t *ret_n, size_t *ret_bad);
void sa_dpkg_diversions_free(sa_dpkg_diversion *d, size_t n);

/*
 * Reads the file name (relative to dir_fd) whole, refusing more than max
 * bytes: 0 with a malloc'd, NUL-terminated copy (caller frees), -EFBIG,
 * -ENOENT, other -errno.
 */
int sa_dpkg_read_file(int dir_fd, const char *name, size_t max, char **ret_buf, size_t *ret_len);

/* What a lookup found. */
typedef struct sa_dpkg_file {
        char package[SA_DPKG_NAME_MAX];
        char version[SA_DPKG_VERSION_MAX];
        char architecture[SA_DPKG_ARCH_MAX];
        char matched[SA_DPKG_PATH_MAX]; /* the path as the package's .list records it */
        char md5[33];                   /* lowercase hex, "" when none */
        int md5_error;                  /* 0, -ENODATA (no .md5sums), -ENOENT (file not in it), other -errno */
        bool usrmerge;                  /* matched the /bin ↔ /usr/bin alias, not the path itself */
        bool diverted;                  /* matched through a diversion */
} sa_dpkg_file;

typedef struct sa_dpkg sa_dpkg;

/* What the last index build met: counted, not logged. */
typedef struct sa_dpkg_stats {
        size_t packages;                /* installed ones */
        size_t paths;                   /* distinct paths indexed */
        size_t diversions;
        size_t bad_lines;               /* skipped in status, .list files and diversions */
        size_t lists_missing;           /* installed packages without a .list */
        size_t lists_failed;            /* .list files unreadable or over the cap */
        uint64_t build_usec;            /* the last index build's wall time */
        unsigned builds;
} sa_dpkg_stats;

/*
 * Opens the database under admindir (NULL: "/var/lib/dpkg"). The index is
 * built on the first lookup. 0, -ENOPKG when admindir has no `status`
 * (not a Debian host), -ENOMEM. Caller frees with sa_dpkg_free.
 */
int sa_dpkg_open(const char *admindir, sa_dpkg **ret);
sa_dpkg *sa_dpkg_free(sa_dpkg *d);

/*
 * Which installed package ships path (absolute), as dpkg sees it:
 * exactly, or through the usrmerge alias (/bin, /sbin, /lib* ↔ /usr/...),
 * and through diversions (a file at a diversion's "to" belongs to the
 * package that ships "from", with that entry's MD5; a file at "from"
 * belongs to the diverting package, or to none). The path → package index
 * is built once (all .list files: ~31 ms of CPU for 800 packages, ~180 ms
 * for 3,000, see docs/PROVENANCE.md) and rebuilt when `status`, `info/` or
 * `diversions` changed (three stat calls per lookup); the .md5sums of the one
 * package found is read per lookup. Thread-safe (one mutex).
 * 0 with *ret filled, -ENOENT (no package ships it), -ENOPKG (the
 * database went away), -EBADMSG/-EFBIG/-E2BIG (status or diversions
 * unusable: sa_dpkg_error() says why), -ENOMEM.
 */
int sa_dpkg_lookup(sa_dpkg *d, const char *path, sa_dpkg_file *ret);

/*
 * The same without waiting: -EAGAIN when another thread holds the database
 * (building the index, say) or the index would have to be built. For an
 * event loop. Costs three stats and the package's .md5sums read.
 */
int sa_dpkg_lookup_quick(sa_dpkg *d, const char *path, sa_dpkg_file *ret);

/* The last build's counters (copied under the lock). */
void sa_dpkg_get_stats(sa_dpkg *d, sa_dpkg_stats *ret);

/* Words for the last failed build ("" when none): copied into buf. */
void sa_dpkg_error(sa_dpkg *d, char *buf, size_t n);

#endif
