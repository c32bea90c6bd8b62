/* SPDX-License-Identifier: MIT */
/*
 * The dpkg database as an index: every installed package's .list read
 * once into a path → packages hash table (open addressing over the 64-bit
 * hashes of distinct paths, the paths themselves not kept; a chain of
 * owners per path for shared directories), rebuilt when
 * status, info/ or diversions change; lookups with the usrmerge alias and
 * diversions. Contracts in lib/dpkg.h; the file formats in lib/dpkgfile.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpkg.h"
#include "util.h"

#define NONE UINT32_MAX

/*
 * A path is known by its 64-bit hash only: 16 bytes a path instead of ~90
 * (60 MB → 20 MB at 3,000 packages). Two of half a million paths sharing a
 * hash by accident: ~1e-8; a lookup hitting a wrong one: ~3e-14, and even
 * then the package's .md5sums has no line for the path, so a wrong match
 * gives "unverifiable", never "verified". Crafting a collision takes
 * writing dpkg's files, i.e. root.
 */
typedef struct node {
        uint64_t hash;
        uint32_t owner;                 /* first of its owners (index into owners) */
} node;

typedef struct owner {
        uint32_t pkg, next;
} owner;

/* What a file looked like when the index was built: any change rebuilds. */
typedef struct stamp {
        int err;                        /* 0, or the stat error (a missing diversions file) */
        struct timespec mtime, ctime;
        ino_t ino;
} stamp;

struct sa_dpkg {
        pthread_mutex_t lock;
        int dir_fd;
        bool built;
        int build_error;                /* returned by lookups until a file changes */
        stamp stamps[3];                /* status, info/, diversions */

        sa_dpkg_pkg *pkgs;
        bool *info_arch;                /* pkgs[i]'s info files are named "pkg:arch.*" */
        size_t npkgs;
        sa_dpkg_diversion *div;
        size_t ndiv;

        node *nodes;
        size_t nnodes, nodes_cap;
        owner *owners;
        size_t nowners, owners_cap;
        uint32_t *slots;                /* node index + 1, 0: empty */
        size_t nslots;                  /* a power of two */

        uint32_t cur_pkg;               /* the package whose .list is being read */
        sa_dpkg_stats stats;
        char error[256];
};

static const char *const stamp_names[3] = { "status", "info", "diversions" };

/* FNV-1a, then MurmurHash3's finalizer so the low bits (the slot) mix well. */
static uint64_t hash_path(const char *s, size_t n)
{
        uint64_t h = UINT64_C(14695981039346656037);

        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) s[i]) * UINT64_C(1099511628211);
        h ^= h >> 33;
        h *= UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 33;
        h *= UINT64_C(0xc4ceb9fe1a85ec53);
        h ^= h >> 33;
        return h;
}

static void index_clear(sa_dpkg *d)
{
        free(d->pkgs);
        free(d->info_arch);
        sa_dpkg_diversions_free(d->div, d->ndiv);
        free(d->nodes);
        free(d->owners);
        free(d->slots);
        d->pkgs = NULL;
        d->info_arch = NULL;
        d->div = NULL;
        d->nodes = NULL;
        d->owners = NULL;
        d->slots = NULL;
        d->npkgs = d->ndiv = 0;
        d->nnodes = d->nodes_cap = d->nowners = d->owners_cap = d->nslots = 0;
        d->built = false;
}

/* The node of the path hashed to h, or NONE. */
static uint32_t index_find(const sa_dpkg *d, uint64_t h)
{
        if (!d->nslots)
                return NONE;
        for (size_t i = h & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
                uint32_t k = d->slots[i];
                const node *e;

                if (!k)
                        return NONE;
                e = &d->nodes[k - 1];
                if (e->hash == h)
                        return k - 1;
        }
}

static void slot_put(uint32_t *slots, size_t nslots, const node *nodes, uint32_t k)
{
        size_t i = nodes[k].hash & (nslots - 1);

        while (slots[i])
                i = (i + 1) & (nslots - 1);
        slots[i] = k + 1;
}

/* Keeps the table at most half full. */
static int index_reserve(sa_dpkg *d)
{
        size_t n = d->nslots ? d->nslots : 1u << 16;
        uint32_t *slots;

        if (d->nslots && (d->nnodes + 1) * 2 <= d->nslots)
                return 0;
        while ((d->nnodes + 1) * 2 > n)
                n *= 2;
        slots = calloc(n, sizeof *slots);
        if (!slots)
                return -ENOMEM;
        for (size_t k = 0; k < d->nnodes; k++)
                slot_put(slots, n, d->nodes, (uint32_t) k);
        free(d->slots);
        d->slots = slots;
        d->nslots = n;
        return 0;
}

/* sa_dpkg_parse_list's callback: path (n bytes) is shipped by d->cur_pkg. */
static int index_add(const char *path, size_t n, void *userdata)
{
        sa_dpkg *d = userdata;
        uint64_t h = hash_path(path, n);
        uint32_t k = index_find(d, h);
        int r;

        if (k == NONE) {
                if (d->nnodes >= SA_DPKG_PATHS_MAX)
                        return -E2BIG;
                r = index_reserve(d);
                if (r < 0)
                        return r;
                r = sa_grow((void **) &d->nodes, &d->nodes_cap, d->nnodes, sizeof *d->nodes);
                if (r < 0)
                        return r;
                k = (uint32_t) d->nnodes++;
                d->nodes[k] = (node) { .hash = h, .owner = NONE };
                slot_put(d->slots, d->nslots, d->nodes, k);
        } else if (d->owners[d->nodes[k].owner].pkg == d->cur_pkg) {
                return 0;       /* listed twice by one package */
        }
        r = sa_grow((void **) &d->owners, &d->owners_cap, d->nowners, sizeof *d->owners);
        if (r < 0)
                return r;
        /* Owners are prepended: the first package in status order ends up last. */
        d->owners[d->nowners] = (owner) { .pkg = d->cur_pkg, .next = d->nodes[k].owner };
        d->nodes[k].owner = (uint32_t) d->nowners++;
        return 0;
}

/* Reads pkgs[i]'s .list into the index ("pkg:arch.list", else "pkg.list"). */
static int index_list(sa_dpkg *d, int info_fd, size_t i)
{
        _cleanup_free_ char *buf = NULL;
        char name[SA_DPKG_NAME_MAX + SA_DPKG_ARCH_MAX + 16];
        size_t len;
        int r;

        snprintf(name, sizeof name, "%s:%s.list", d->pkgs[i].base, d->pkgs[i].arch);
        r = sa_dpkg_read_file(info_fd, name, SA_DPKG_LIST_MAX, &buf, &len);
        d->info_arch[i] = r != -ENOENT;
        if (r == -ENOENT) {
                snprintf(name, sizeof name, "%s.list", d->pkgs[i].base);
                r = sa_dpkg_read_file(info_fd, name, SA_DPKG_LIST_MAX, &buf, &len);
        }
        if (r == -ENOENT) {
                d->stats.lists_missing++;
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                d->stats.lists_failed++;
                return 0;
        }
        d->cur_pkg = (uint32_t) i;
        return sa_dpkg_parse_list(buf, len, index_add, d, &d->stats.bad_lines);
}

static void stamps_take(sa_dpkg *d, stamp out[3])
{
        for (int i = 0; i < 3; i++) {
                struct stat st;

                memset(&out[i], 0, sizeof out[i]);
                if (fstatat(d->dir_fd, stamp_names[i], &st, 0) < 0) {
                        out[i].err = -errno;
                        continue;
                }
                out[i].mtime = st.st_mtim;
                out[i].ctime = st.st_ctim;
                out[i].ino = st.st_ino;
        }
}

static int fail(sa_dpkg *d, int r, const char *what)
{
        snprintf(d->error, sizeof d->error, "%s: %s", what,
                 r == -EFBIG ? "file larger than its cap" :
                 r == -E2BIG ? "more entries than the cap" : strerror(-r));
        return r;
}

/* Reads status, diversions and every .list. */
static int index_build(sa_dpkg *d)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int info_fd = -1;
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        unsigned builds = d->stats.builds;
        size_t len;
        int r;

        index_clear(d);
        memset(&d->stats, 0, sizeof d->stats);
        d->stats.builds = builds + 1;
        d->error[0] = '\0';

        r = sa_dpkg_read_file(d->dir_fd, "status", SA_DPKG_STATUS_MAX, &buf, &len);
        if (r == -ENOENT)
                return fail(d, -ENOPKG, "status");
        if (r < 0)
                return fail(d, r, "status");
        r = sa_dpkg_parse_status(buf, len, SA_DPKG_PKGS_MAX, &d->pkgs, &d->npkgs, &d->stats.bad_lines);
        if (r < 0)
                return fail(d, r, "status");
        free(TAKE_PTR(buf));

        r = sa_dpkg_read_file(d->dir_fd, "diversions", SA_DPKG_DIVERT_MAX, &buf, &len);
        if (r == 0)
                r = sa_dpkg_parse_diversions(buf, len, SA_DPKG_DIVERSIONS_MAX, &d->div, &d->ndiv,
                                             &d->stats.bad_lines);
        if (r < 0 && r != -ENOENT)
                return fail(d, r, "diversions");

        d->info_arch = calloc(d->npkgs ? d->npkgs : 1, sizeof *d->info_arch);
        if (!d->info_arch)
                return fail(d, -ENOMEM, "index");
        info_fd = openat(d->dir_fd, "info", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (info_fd < 0)        /* -ENOENT would read as "no package ships it" */
                return fail(d, errno == ENOENT ? -EBADMSG : -errno, "info");
        for (size_t i = 0; i < d->npkgs; i++) {
                r = index_list(d, info_fd, i);
                if (r < 0)
                        return fail(d, r, "info/*.list");
        }
        d->stats.packages = d->npkgs;
        d->stats.paths = d->nnodes;
        d->stats.diversions = d->ndiv;
        d->stats.build_usec = now_usec(CLOCK_MONOTONIC) - t0;
        d->built = true;
        return 0;
}

/* Builds the index when missing or when a file changed since. */
static int index_fresh(sa_dpkg *d)
{
        stamp now[3];
        int r;

        stamps_take(d, now);
        if (now[0].err == -ENOENT)
                return -ENOPKG;
        if ((d->built || d->build_error) && memcmp(now, d->stamps, sizeof now) == 0)
                return d->build_error;
        r = index_build(d);
        if (r < 0)
                index_clear(d);
        memcpy(d->stamps, now, sizeof now);
        d->build_error = r;
        return r;
}

int sa_dpkg_open(const char *admindir, sa_dpkg **ret)
{
        sa_dpkg *d;
        int fd;

        fd = open(admindir ? admindir : "/var/lib/dpkg", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR ? -ENOPKG : -errno;
        if (faccessat(fd, "status", F_OK, 0) < 0) {
                int r = errno == ENOENT ? -ENOPKG : -errno;

                close(fd);
                return r;
        }
        d = calloc(1, sizeof *d);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        d->dir_fd = fd;
        pthread_mutex_init(&d->lock, NULL);
        *ret = d;
        return 0;
}

sa_dpkg *sa_dpkg_free(sa_dpkg *d)
{
        if (!d)
                return NULL;
        index_clear(d);
        safe_close(d->dir_fd);
        pthread_mutex_destroy(&d->lock);
        free(d);
        return NULL;
}

/* The other spelling of path under usrmerge (/bin/x ↔ /usr/bin/x), or false. */
static bool usrmerge_alias(const char *path, char *out, size_t n)
{
        static const char *const dirs[] = { "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/libo32/" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                size_t k = strlen(dirs[i]);

                if (strncmp(path, "/usr", 4) == 0 && strncmp(path + 4, dirs[i], k) == 0)
                        return (size_t) snprintf(out, n, "%s", path + 4) < n;
                if (strncmp(path, dirs[i], k) == 0)
                        return (size_t) snprintf(out, n, "/usr%s", path) < n;
        }
        return false;
}

static bool pkg_is(const sa_dpkg_pkg *p, const char *name)
{
        return strcmp(p->name, name) == 0 || strcmp(p->base, name) == 0;
}

/*
 * The package of path's entry: the first in status order, but not one
 * named "not" (NULL: any), and only one named "only" (NULL: any). NONE if
 * there is none.
 */
static uint32_t owner_of(const sa_dpkg *d, const char *path, const char *not, const char *only)
{
        uint32_t k = index_find(d, hash_path(path, strlen(path))), best = NONE;

        if (k == NONE)
                return NONE;
        for (uint32_t o = d->nodes[k].owner; o != NONE; o = d->owners[o].next) {
                const sa_dpkg_pkg *p = &d->pkgs[d->owners[o].pkg];

                if ((not && pkg_is(p, not)) || (only && !pkg_is(p, only)))
                        continue;
                best = d->owners[o].pkg;        /* the last one in the chain came first */
        }
        return best;
}

static void fill(const sa_dpkg *d, uint32_t pkg, const char *matched, sa_dpkg_file *ret)
{
        const sa_dpkg_pkg *p = &d->pkgs[pkg];
        _cleanup_close_ int info_fd = -1;
        _cleanup_free_ char *buf = NULL;
        char name[SA_DPKG_NAME_MAX + SA_DPKG_ARCH_MAX + 16];
        size_t len, bad = 0;
        int r;

        snprintf(ret->package, sizeof ret->package, "%s", p->name);
        snprintf(ret->version, sizeof ret->version, "%s", p->version);
        snprintf(ret->architecture, sizeof ret->architecture, "%s", p->arch);
        snprintf(ret->matched, sizeof ret->matched, "%s", matched);
        ret->md5[0] = '\0';
        info_fd = openat(d->dir_fd, "info", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (info_fd < 0) {
                ret->md5_error = -errno;
                return;
        }
        if (d->info_arch[pkg])
                snprintf(name, sizeof name, "%s:%s.md5sums", p->base, p->arch);
        else
                snprintf(name, sizeof name, "%s.md5sums", p->base);
        r = sa_dpkg_read_file(info_fd, name, SA_DPKG_LIST_MAX, &buf, &len);
        if (r == 0)
                r = sa_dpkg_parse_md5sums(buf, len, matched, ret->md5, &bad);
        ret->md5_error = r == -ENOENT && !buf ? -ENODATA : r;
}

/*
 * One spelling f of the path: 0 found (*ret filled), 1 definitely no
 * package (a file diverted away from f), -ENOENT not here.
 */
static int lookup_form(const sa_dpkg *d, const char *f, sa_dpkg_file *ret)
{
        char alias[SA_DPKG_PATH_MAX];
        uint32_t pkg;

        for (size_t i = 0; i < d->ndiv; i++) {
                const sa_dpkg_diversion *v = &d->div[i];
                const char *by = strcmp(v->by, ":") == 0 ? NULL : v->by;

                if (strcmp(v->to, f) == 0) {
                        /* dpkg put another package's "from" here. */
                        const char *from = v->from;

                        pkg = owner_of(d, from, by, NULL);
                        if (pkg == NONE && usrmerge_alias(v->from, alias, sizeof alias)) {
                                from = alias;
                                pkg = owner_of(d, from, by, NULL);
                        }
                        if (pkg != NONE) {
                                fill(d, pkg, from, ret);
                                ret->diverted = true;
                                return 0;
                        }
                } else if (strcmp(v->from, f) == 0) {
                        /* Only the diverting package's own file stays at "from". */
                        pkg = by ? owner_of(d, f, NULL, by) : NONE;
                        if (pkg == NONE)
                                return 1;
                        fill(d, pkg, f, ret);
                        ret->diverted = true;
                        return 0;
                }
        }
        pkg = owner_of(d, f, NULL, NULL);
        if (pkg == NONE)
                return -ENOENT;
        fill(d, pkg, f, ret);
        return 0;
}

/* Whether the index is built and no file changed since (three stats). */
static bool index_current(sa_dpkg *d)
{
        stamp now[3];

        stamps_take(d, now);
        return d->built && memcmp(now, d->stamps, sizeof now) == 0;
}

/* sa_dpkg_lookup, or with quick: -EAGAIN rather than wait for the lock or build the index. */
static int lookup(sa_dpkg *d, const char *path, bool quick, sa_dpkg_file *ret)
{
        char alias[SA_DPKG_PATH_MAX];
        sa_dpkg_file *f;
        int r;

        if (!path || path[0] != '/' || strlen(path) >= SA_DPKG_PATH_MAX)
                return -EINVAL;
        f = calloc(1, sizeof *f);
        if (!f)
                return -ENOMEM;
        if (!quick)
                pthread_mutex_lock(&d->lock);
        else if (pthread_mutex_trylock(&d->lock) != 0) {
                free(f);
                return -EAGAIN;
        }
        r = quick && !index_current(d) ? -EAGAIN : index_fresh(d);
        if (r == 0) {
                r = lookup_form(d, path, f);
                if (r == -ENOENT && usrmerge_alias(path, alias, sizeof alias)) {
                        r = lookup_form(d, alias, f);
                        f->usrmerge = r == 0;
                }
                if (r == 1)
                        r = -ENOENT;
        }
        pthread_mutex_unlock(&d->lock);
        if (r == 0)
                *ret = *f;
        free(f);
        return r;
}

int sa_dpkg_lookup(sa_dpkg *d, const char *path, sa_dpkg_file *ret)
{
        return lookup(d, path, false, ret);
}

int sa_dpkg_lookup_quick(sa_dpkg *d, const char *path, sa_dpkg_file *ret)
{
        return lookup(d, path, true, ret);
}

void sa_dpkg_get_stats(sa_dpkg *d, sa_dpkg_stats *ret)
{
        pthread_mutex_lock(&d->lock);
        *ret = d->stats;
        pthread_mutex_unlock(&d->lock);
}

void sa_dpkg_error(sa_dpkg *d, char *buf, size_t n)
{
        pthread_mutex_lock(&d->lock);
        snprintf(buf, n, "%s", d->error);
        pthread_mutex_unlock(&d->lock);
}
