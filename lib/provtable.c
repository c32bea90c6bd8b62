/* SPDX-License-Identifier: MIT */
/*
 * Shared provenance verdicts and the table that keeps them by running
 * image (lib/provtable.h): open addressing, rebuilt when it grows or is
 * pruned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provtable.h"
#include "util.h"

/* The public record first: a pointer to it is a pointer to the whole. */
typedef struct provobj {
        sa_exe_provenance pub;
        unsigned refs;
        char package[SA_DPKG_NAME_MAX];
        char version[SA_DPKG_VERSION_MAX];
        char architecture[SA_DPKG_ARCH_MAX];
        char reason[256];
} provobj;

typedef struct slot {
        sa_provkey k;                   /* k.path NULL: empty */
        uint64_t hash;
        const sa_exe_provenance *e;
} slot;

struct sa_provtable {
        slot *slots;                    /* power-of-two size, at most half full */
        size_t n, cap;
};

const sa_exe_provenance *sa_exe_provenance_new(const sa_provenance *v)
{
        provobj *o = calloc(1, sizeof *o);

        if (!o)
                return NULL;
        o->refs = 1;
        snprintf(o->package, sizeof o->package, "%s", v->package);
        snprintf(o->version, sizeof o->version, "%s", v->version);
        snprintf(o->architecture, sizeof o->architecture, "%s", v->architecture);
        snprintf(o->reason, sizeof o->reason, "%s", v->reason);
        o->pub.status = v->status;
        o->pub.location = v->location;
        memcpy(o->pub.exe_sha256, v->exe_sha256, sizeof o->pub.exe_sha256);
        o->pub.exe_sha256[64] = '\0';
        o->pub.package = o->package[0] ? o->package : NULL;
        o->pub.version = o->package[0] ? o->version : NULL;
        o->pub.architecture = o->package[0] ? o->architecture : NULL;
        o->pub.reason = o->reason;
        return &o->pub;
}

const sa_exe_provenance *sa_exe_provenance_ref(const sa_exe_provenance *e)
{
        __atomic_add_fetch(&((provobj *) e)->refs, 1, __ATOMIC_RELAXED);
        return e;
}

const sa_exe_provenance *sa_exe_provenance_unref(const sa_exe_provenance *e)
{
        if (e && __atomic_sub_fetch(&((provobj *) e)->refs, 1, __ATOMIC_ACQ_REL) == 0)
                free((provobj *) e);
        return NULL;
}

static unsigned refs_of(const sa_exe_provenance *e)
{
        return __atomic_load_n(&((const provobj *) e)->refs, __ATOMIC_ACQUIRE);
}

static int cmp_opt(const char *a, const char *b)
{
        return !a || !b ? (a != b) : strcmp(a, b);
}

bool sa_exe_provenance_same(const sa_exe_provenance *a, const sa_exe_provenance *b)
{
        if (!a || !b)
                return a == b;
        return a->status == b->status && a->location == b->location &&
               strcmp(a->exe_sha256, b->exe_sha256) == 0 && cmp_opt(a->package, b->package) == 0 &&
               cmp_opt(a->version, b->version) == 0 && cmp_opt(a->architecture, b->architecture) == 0 &&
               strcmp(a->reason, b->reason) == 0;
}

int sa_provkey_read(const char *proc_root, pid_t pid, const sa_process *p, sa_provkey *ret)
{
        char buf[128], link[4096];
        struct stat img, root;
        sa_provkey k = { 0 };
        ssize_t n;

        snprintf(buf, sizeof buf, "%s/%d/exe", proc_root ? proc_root : "/proc", (int) pid);
        if (stat(buf, &img) < 0)
                return -errno;
        if (p) {
                if (!p->exe)
                        return -ENOENT;
                snprintf(link, sizeof link, "%s", p->exe);
                k.deleted = p->exe_deleted;
                k.replaced = p->exe_replaced;
        } else {
                static const char mark[] = " (deleted)";

                n = readlink(buf, link, sizeof link - 1);
                if (n < 0)
                        return -errno;
                link[n] = '\0';
                if ((size_t) n > sizeof mark - 1 && strcmp(link + n - (sizeof mark - 1), mark) == 0) {
                        link[n - (sizeof mark - 1)] = '\0';
                        k.deleted = true;
                }
        }
        snprintf(buf, sizeof buf, "%s/%d/root", proc_root ? proc_root : "/proc", (int) pid);
        if (stat(buf, &root) < 0)
                root = (struct stat) { 0 };     /* unknown: a key of its own */
        k.dev = img.st_dev;
        k.ino = img.st_ino;
        k.size = img.st_size;
        k.mtime = img.st_mtim;
        k.ctime = img.st_ctim;
        k.root_dev = root.st_dev;
        k.root_ino = root.st_ino;
        k.path = strdup(link);
        if (!k.path)
                return -ENOMEM;
        *ret = k;
        return 0;
}

void sa_provkey_clear(sa_provkey *k)
{
        free(k->path);
        k->path = NULL;
}

static bool key_eq(const sa_provkey *a, const sa_provkey *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
               a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
               a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec &&
               a->root_dev == b->root_dev && a->root_ino == b->root_ino &&
               a->deleted == b->deleted && a->replaced == b->replaced && strcmp(a->path, b->path) == 0;
}

/* FNV-1a over the identity numbers and the path. */
static uint64_t key_hash(const sa_provkey *k)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        uint64_t nums[] = { k->dev, k->ino, (uint64_t) k->size, (uint64_t) k->mtime.tv_nsec,
                            (uint64_t) k->ctime.tv_nsec, k->root_ino, k->deleted * 2u + k->replaced };

        for (size_t i = 0; i < ELEMENTSOF(nums); i++)
                h = (h ^ nums[i]) * UINT64_C(0x100000001b3);
        for (const unsigned char *s = (const unsigned char *) k->path; *s; s++)
                h = (h ^ *s) * UINT64_C(0x100000001b3);
        return h;
}

int sa_provtable_new(sa_provtable **ret)
{
        sa_provtable *t = calloc(1, sizeof *t);

        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}

static void slot_clear(slot *s)
{
        sa_provkey_clear(&s->k);
        s->e = sa_exe_provenance_unref(s->e);
}

sa_provtable *sa_provtable_free(sa_provtable *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->cap; i++)
                if (t->slots[i].k.path)
                        slot_clear(&t->slots[i]);
        free(t->slots);
        free(t);
        return NULL;
}

static slot *find(const sa_provtable *t, const sa_provkey *k, uint64_t h)
{
        for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
                slot *s = &t->slots[i];

                if (!s->k.path || (s->hash == h && key_eq(&s->k, k)))
                        return s;
        }
}

const sa_exe_provenance *sa_provtable_get(sa_provtable *t, const sa_provkey *k)
{
        slot *s;

        if (!t || t->n == 0 || !k->path)
                return NULL;
        s = find(t, k, key_hash(k));
        return s->k.path ? s->e : NULL;
}

/* Moves the entries into cap slots, those only the table holds left out when keep_unused is false. */
static int rehash(sa_provtable *t, size_t cap, bool keep_unused)
{
        slot *old = t->slots;
        size_t old_cap = t->cap;

        t->slots = calloc(cap, sizeof *t->slots);
        if (!t->slots) {
                t->slots = old;
                return -ENOMEM;
        }
        t->cap = cap;
        t->n = 0;
        for (size_t i = 0; i < old_cap; i++) {
                if (!old[i].k.path)
                        continue;
                if (!keep_unused && refs_of(old[i].e) == 1) {
                        slot_clear(&old[i]);
                        continue;
                }
                *find(t, &old[i].k, old[i].hash) = old[i];
                t->n++;
        }
        free(old);
        return 0;
}

void sa_provtable_prune(sa_provtable *t)
{
        if (t && t->cap > 0)
                (void) rehash(t, t->cap, false);       /* same size: cannot fail for room */
}

size_t sa_provtable_size(const sa_provtable *t)
{
        return t ? t->n : 0;
}

int sa_provtable_put(sa_provtable *t, const sa_provkey *k, const sa_exe_provenance *e)
{
        uint64_t h = key_hash(k);
        slot *s;
        int r;

        if (t->n >= SA_PROVTABLE_MAX)
                sa_provtable_prune(t);
        if (t->n >= SA_PROVTABLE_MAX)
                return -ENOSPC;
        if ((t->n + 1) * 2 > t->cap) {
                r = rehash(t, t->cap ? t->cap * 2 : 16, true);
                if (r < 0)
                        return r;
        }
        s = find(t, k, h);
        if (s->k.path) {
                bool same = sa_exe_provenance_same(s->e, e);

                sa_exe_provenance_unref(s->e);
                s->e = sa_exe_provenance_ref(e);
                return !same;
        }
        s->k = *k;
        s->k.path = strdup(k->path);
        if (!s->k.path)
                return -ENOMEM;
        s->hash = h;
        s->e = sa_exe_provenance_ref(e);
        t->n++;
        return 1;
}
