/* SPDX-License-Identifier: MIT */
/*
 * The owner index: dense arrays of sockets and processes, each found by key
 * (inode, pid) through a small open-addressing map with backward-shift
 * deletion. A socket lists its (pid, fd) pairs sorted; a process lists the
 * inodes it holds, so an exit or a pid reuse drops its pairs in
 * O(its pairs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ownerindex.h"
#include "procfd.h"
#include "util.h"
#include "vec.h"

/* uint32 key (never 0) -> uint32 value; load <= 1/2. */
typedef struct u32map {
        uint32_t *keys;
        uint32_t *vals;
        size_t cap;             /* power of two, or 0 */
        size_t n;
} u32map;

/* Most sockets have one holder: its pair is kept inline (cap <= 1), the
 * rest in an array (cap > 1); 40 bytes a socket with no allocation. */
typedef struct sock_rec {
        uint32_t inode;
        uint64_t cookie;
        uint64_t seen_usec;     /* CLOCK_MONOTONIC: a pair found or read valid */
        union {
                sa_owner one;   /* cap <= 1 */
                sa_owner *many; /* cap > 1 */
        } o;                    /* sorted by pid, fd: sock_owners() */
        uint32_t n, cap;
} sock_rec;

static sa_owner *sock_owners(sock_rec *s)
{
        return s->cap > 1 ? s->o.many : &s->o.one;
}

static const sa_owner *sock_owners_const(const sock_rec *s)
{
        return s->cap > 1 ? s->o.many : &s->o.one;
}

/* Room for one more pair in s. -ENOMEM (s unchanged), -E2BIG past UINT32_MAX pairs. */
static int sock_owners_grow(sock_rec *s)
{
        uint32_t cap = s->cap > 1 ? s->cap : 1;
        sa_owner *a;

        if (s->n < cap)
                return 0;
        if (cap > UINT32_MAX / 2)
                return -E2BIG;
        if (s->cap > 1) {
                a = reallocarray(s->o.many, (size_t) cap * 2, sizeof *a);
        } else {
                a = malloc(4 * sizeof *a);
                if (a && s->n)
                        a[0] = s->o.one;
        }
        if (!a)
                return -ENOMEM;
        s->o.many = a;
        s->cap = s->cap > 1 ? cap * 2 : 4;
        return 0;
}

static void sock_owners_free(sock_rec *s)
{
        if (s->cap > 1)
                free(s->o.many);
        s->cap = s->n = 0;
}

typedef struct proc_rec {
        pid_t pid;
        uint64_t start;
        uint32_t *inodes;       /* one entry per pair (repeats for several fds) */
        size_t n, cap;
} proc_rec;

struct sa_ownerindex {
        int rootfd;
        u32map sock_map, proc_map;
        sock_rec *socks;
        size_t n_socks, cap_socks;
        proc_rec *procs;
        size_t n_procs, cap_procs;
        size_t n_pairs;
        uint64_t gen;
        uint64_t sole_usec;     /* sa_ownerindex_set_sole_interval() */
};

static size_t hash_u32(uint32_t k, size_t cap)
{
        return (size_t) ((k * UINT32_C(2654435769)) >> 7) & (cap - 1);
}

static bool map_get(const u32map *m, uint32_t key, uint32_t *ret)
{
        if (m->cap == 0)
                return false;
        for (size_t i = hash_u32(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
                if (m->keys[i] == 0)
                        return false;
                if (m->keys[i] == key) {
                        *ret = m->vals[i];
                        return true;
                }
        }
}

static int map_grow(u32map *m)
{
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint32_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);

        if (!keys || !vals) {
                free(keys);
                free(vals);
                return -ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++) {
                if (m->keys[i] == 0)
                        continue;
                size_t j = hash_u32(m->keys[i], cap);
                while (keys[j] != 0)
                        j = (j + 1) & (cap - 1);
                keys[j] = m->keys[i];
                vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
        return 0;
}

/* Inserts or updates. -ENOMEM leaves m as it was. */
static int map_put(u32map *m, uint32_t key, uint32_t val)
{
        size_t i;

        if ((m->n + 1) * 2 > m->cap) {
                int r = map_grow(m);
                if (r < 0)
                        return r;
        }
        for (i = hash_u32(key, m->cap); m->keys[i] != 0 && m->keys[i] != key; i = (i + 1) & (m->cap - 1))
                ;
        if (m->keys[i] == 0)
                m->n++;
        m->keys[i] = key;
        m->vals[i] = val;
        return 0;
}

/* Changes the value of a key that is present (no allocation). */
static void map_set(u32map *m, uint32_t key, uint32_t val)
{
        for (size_t i = hash_u32(key, m->cap); m->keys[i] != 0; i = (i + 1) & (m->cap - 1))
                if (m->keys[i] == key) {
                        m->vals[i] = val;
                        return;
                }
}

/* Removes key if present, shifting later entries of its run back. */
static void map_del(u32map *m, uint32_t key)
{
        size_t mask = m->cap - 1, i, j;

        if (m->cap == 0)
                return;
        for (i = hash_u32(key, m->cap); m->keys[i] != key; i = (i + 1) & mask)
                if (m->keys[i] == 0)
                        return;
        m->keys[i] = 0;
        m->n--;
        for (j = (i + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
                size_t home = hash_u32(m->keys[j], m->cap);
                /* Move j back into the hole i when its home is not in (i, j]. */
                if (((j - home) & mask) >= ((j - i) & mask)) {
                        m->keys[i] = m->keys[j];
                        m->vals[i] = m->vals[j];
                        m->keys[j] = 0;
                        i = j;
                }
        }
}

static void map_clear(u32map *m)
{
        free(m->keys);
        free(m->vals);
        *m = (u32map) { 0 };
}

int sa_proc_stat_read(int rootfd, pid_t pid, uint64_t *ret_start, pid_t *ret_ppid)
{
        char path[32], buf[1024];
        const char *p;
        ssize_t n;
        int fd, field;
        uint64_t start = 0;
        long long ppid = -1;

        snprintf(path, sizeof path, "%d/stat", (int) pid);
        fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT || errno == ESRCH ? -ENOENT : -(errno ?: EIO);
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n < 0)
                return errno == ESRCH ? -ENOENT : -(errno ?: EIO);
        buf[n] = '\0';
        p = memrchr(buf, ')', (size_t) n);
        if (!p)
                return -EBADMSG;
        /* ") S PPID ...": field 3 is the state, 4 the parent, 22 the start. */
        p++;
        for (field = 2; *p && field < 22; field++) {
                while (*p == ' ')
                        p++;
                if (field + 1 == 4 || field + 1 == 22) {
                        char *end;
                        unsigned long long v;

                        errno = 0;
                        v = strtoull(p, &end, 10);
                        if (errno || end == p)
                                return -EBADMSG;
                        if (field + 1 == 4)
                                ppid = (long long) v;
                        else
                                start = v;
                }
                while (*p && *p != ' ')
                        p++;
        }
        if (field != 22 || ppid < 0)
                return -EBADMSG;
        *ret_start = start;
        if (ret_ppid)
                *ret_ppid = (pid_t) ppid;
        return 0;
}

int sa_ownerindex_new(const char *proc_root, sa_ownerindex **ret)
{
        sa_ownerindex *ix = calloc(1, sizeof *ix);

        if (!ix)
                return -ENOMEM;
        ix->rootfd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ix->rootfd < 0) {
                int r = -(errno ?: EIO);
                free(ix);
                return r;
        }
        ix->sole_usec = SA_OWNERINDEX_SOLE_USEC;
        *ret = ix;
        return 0;
}

void sa_ownerindex_clear(sa_ownerindex *ix)
{
        for (size_t i = 0; i < ix->n_socks; i++)
                sock_owners_free(&ix->socks[i]);
        for (size_t i = 0; i < ix->n_procs; i++)
                free(ix->procs[i].inodes);
        ix->n_socks = ix->n_procs = ix->n_pairs = 0;
        map_clear(&ix->sock_map);
        map_clear(&ix->proc_map);
        ix->gen++;
}

sa_ownerindex *sa_ownerindex_free(sa_ownerindex *ix)
{
        if (!ix)
                return NULL;
        sa_ownerindex_clear(ix);
        free(ix->socks);
        free(ix->procs);
        if (ix->rootfd >= 0)
                close(ix->rootfd);
        free(ix);
        return NULL;
}

int sa_ownerindex_rootfd(const sa_ownerindex *ix)
{
        return ix->rootfd;
}

static sock_rec *sock_find(const sa_ownerindex *ix, uint32_t inode)
{
        uint32_t i;

        return inode != 0 && map_get(&ix->sock_map, inode, &i) ? &ix->socks[i] : NULL;
}

static proc_rec *proc_find(const sa_ownerindex *ix, pid_t pid)
{
        uint32_t i;

        return pid > 0 && map_get(&ix->proc_map, (uint32_t) pid, &i) ? &ix->procs[i] : NULL;
}

/* Position of (pid, fd) in s's sorted owners, or where it would go. */
static int cmp_owner_key(const void *key, const void *element)
{
        const sa_owner *a = key, *b = element;

        if (a->pid != b->pid)
                return a->pid < b->pid ? -1 : 1;
        return (a->fd > b->fd) - (a->fd < b->fd);
}

static size_t owner_pos(const sock_rec *s, pid_t pid, int fd, bool *found)
{
        sa_owner key = { .pid = pid, .fd = fd };

        return sa_lower_bound(&key, sock_owners_const(s), s->n, sizeof key, cmp_owner_key, found);
}

/* Removes one occurrence of inode from p's list. */
static void proc_unlink_inode(proc_rec *p, uint32_t inode)
{
        for (size_t i = 0; i < p->n; i++)
                if (p->inodes[i] == inode) {
                        p->inodes[i] = p->inodes[--p->n];
                        return;
                }
}

static void proc_remove(sa_ownerindex *ix, proc_rec *p)
{
        size_t i = (size_t) (p - ix->procs), last = ix->n_procs - 1;

        map_del(&ix->proc_map, (uint32_t) p->pid);
        free(p->inodes);
        if (i != last) {
                ix->procs[i] = ix->procs[last];
                map_set(&ix->proc_map, (uint32_t) ix->procs[i].pid, (uint32_t) i);
        }
        ix->n_procs--;
}

/* Drops one pair; the process record goes with its last pair. */
static void pair_drop(sa_ownerindex *ix, sock_rec *s, size_t at)
{
        sa_owner *owners = sock_owners(s);
        pid_t pid = owners[at].pid;
        proc_rec *p = proc_find(ix, pid);

        memmove(&owners[at], &owners[at + 1], (s->n - at - 1) * sizeof *owners);
        s->n--;
        ix->n_pairs--;
        ix->gen++;
        if (p) {
                proc_unlink_inode(p, s->inode);
                if (p->n == 0)
                        proc_remove(ix, p);
        }
}

void sa_ownerindex_forget_pid(sa_ownerindex *ix, pid_t pid)
{
        proc_rec *p = proc_find(ix, pid);

        while (p && p->n > 0) {
                sock_rec *s = sock_find(ix, p->inodes[p->n - 1]);
                size_t k;
                bool found = false;

                if (!s) { /* cannot happen; keep the index consistent anyway */
                        p->n--;
                        continue;
                }
                for (k = 0; k < s->n; k++)
                        if (sock_owners(s)[k].pid == pid) {
                                found = true;
                                break;
                        }
                if (!found) {
                        p->n--;
                        continue;
                }
                pair_drop(ix, s, k); /* may free p with its last pair */
                p = proc_find(ix, pid);
        }
        if (p) {
                proc_remove(ix, p);
                ix->gen++;
        }
}

bool sa_ownerindex_has_pid(const sa_ownerindex *ix, pid_t pid, uint64_t *ret_start)
{
        const proc_rec *p = proc_find(ix, pid);

        if (p && ret_start)
                *ret_start = p->start;
        return p != NULL;
}

void sa_ownerindex_remove_socket(sa_ownerindex *ix, uint32_t inode)
{
        sock_rec *s = sock_find(ix, inode);
        size_t i, last;

        if (!s)
                return;
        while (s->n > 0)
                pair_drop(ix, s, s->n - 1);
        sock_owners_free(s);
        i = (size_t) (s - ix->socks);
        last = ix->n_socks - 1;
        map_del(&ix->sock_map, inode);
        if (i != last) {
                ix->socks[i] = ix->socks[last];
                map_set(&ix->sock_map, ix->socks[i].inode, (uint32_t) i);
        }
        ix->n_socks--;
        ix->gen++;
}

int sa_ownerindex_add_socket(sa_ownerindex *ix, uint32_t inode, uint64_t cookie)
{
        sock_rec *s = sock_find(ix, inode);
        int r;

        if (inode == 0)
                return -EINVAL;
        if (s && s->cookie != cookie && s->cookie != 0 && cookie != 0) {
                sa_ownerindex_remove_socket(ix, inode); /* the inode number wrapped */
                s = NULL;
        }
        if (s) {
                if (cookie != 0)
                        s->cookie = cookie;
                return 0;
        }
        r = sa_grow((void **) &ix->socks, &ix->cap_socks, ix->n_socks, sizeof *ix->socks);
        if (r < 0)
                return r;
        r = map_put(&ix->sock_map, inode, (uint32_t) ix->n_socks);
        if (r < 0)
                return r;
        ix->socks[ix->n_socks++] = (sock_rec) { .inode = inode, .cookie = cookie };
        ix->gen++;
        return 0;
}

bool sa_ownerindex_has_socket(const sa_ownerindex *ix, uint32_t inode, uint64_t *ret_cookie)
{
        const sock_rec *s = sock_find(ix, inode);

        if (s && ret_cookie)
                *ret_cookie = s->cookie;
        return s != NULL;
}

int sa_ownerindex_add_start(sa_ownerindex *ix, uint32_t inode, pid_t pid, int fd, uint64_t start)
{
        sock_rec *s;
        proc_rec *p;
        size_t at;
        bool found;
        int r;

        if (inode == 0 || pid <= 0 || fd < 0)
                return -EINVAL;
        if (start == 0) {
                r = sa_proc_stat_read(ix->rootfd, pid, &start, NULL);
                if (r < 0)
                        return r;
        }
        p = proc_find(ix, pid);
        if (p && p->start != start) {
                sa_ownerindex_forget_pid(ix, pid); /* the pid was reused */
                p = NULL;
        }
        r = sa_ownerindex_add_socket(ix, inode, 0);
        if (r < 0)
                return r;
        s = sock_find(ix, inode);
        at = owner_pos(s, pid, fd, &found);
        if (found)
                return 0;
        if (!p) {
                r = sa_grow((void **) &ix->procs, &ix->cap_procs, ix->n_procs, sizeof *ix->procs);
                if (r < 0)
                        return r;
                r = map_put(&ix->proc_map, (uint32_t) pid, (uint32_t) ix->n_procs);
                if (r < 0)
                        return r;
                p = &ix->procs[ix->n_procs++];
                *p = (proc_rec) { .pid = pid, .start = start };
        }
        r = sa_grow((void **) &p->inodes, &p->cap, p->n, sizeof *p->inodes);
        if (r >= 0)
                r = sock_owners_grow(s);
        if (r < 0) {
                if (p->n == 0)
                        proc_remove(ix, p);
                return r;
        }
        p->inodes[p->n++] = inode;
        sa_owner *owners = sock_owners(s);
        memmove(&owners[at + 1], &owners[at], (s->n - at) * sizeof *owners);
        owners[at] = (sa_owner) { pid, fd };
        s->n++;
        s->seen_usec = now_usec(CLOCK_MONOTONIC);
        ix->n_pairs++;
        ix->gen++;
        return 0;
}

int sa_ownerindex_add(sa_ownerindex *ix, uint32_t inode, pid_t pid, int fd)
{
        return sa_ownerindex_add_start(ix, inode, pid, fd, 0);
}

void sa_ownerindex_owners(const sa_ownerindex *ix, uint32_t inode, const sa_owner **ret, size_t *ret_n)
{
        const sock_rec *s = sock_find(ix, inode);

        *ret = s && s->n ? sock_owners_const(s) : NULL;
        *ret_n = s ? s->n : 0;
}

static int push_pid(sa_verify_result *v, pid_t pid)
{
        pid_t *p = realloc(v->reused, (v->n_reused + 1) * sizeof *p);

        if (!p)
                return -ENOMEM;
        v->reused = p;
        v->reused[v->n_reused++] = pid;
        return 0;
}

static int cmp_pair_pid(const void *a, const void *b)
{
        const sa_verify_pair *x = a, *y = b;

        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int take_socket(const sa_ownerindex *ix, const sock_rec *s, sa_verify_pair **pairs, size_t *n,
                       size_t *cap)
{
        for (size_t k = 0; k < s->n; k++) {
                sa_owner o = sock_owners_const(s)[k];
                const proc_rec *p = proc_find(ix, o.pid);

                if (sa_grow((void **) pairs, cap, *n, sizeof **pairs) < 0)
                        return -ENOMEM;
                (*pairs)[(*n)++] = (sa_verify_pair) {
                        .inode = s->inode, .pid = o.pid, .fd = o.fd, .start = p ? p->start : 0,
                };
        }
        return 0;
}

/* A socket with one pair, found or read valid less than sole_usec ago (the
 * caller is told of every exit): closing that fd would have closed it. */
static bool sole_fresh(const sa_ownerindex *ix, const sock_rec *s, uint64_t now)
{
        return s->n == 1 && now - s->seen_usec < ix->sole_usec;
}

/* The pairs of the n sockets in inodes (NULL: every socket); skip_sole: not those sole_fresh(). */
static int take(const sa_ownerindex *ix, const uint32_t *inodes, size_t n, bool skip_sole, sa_verify_pair **ret,
                size_t *ret_n)
{
        sa_verify_pair *pairs = NULL;
        size_t n_pairs = 0, cap = 0, count = inodes ? n : ix->n_socks;
        uint64_t now = skip_sole ? now_usec(CLOCK_MONOTONIC) : 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < count; i++) {
                const sock_rec *s = inodes ? sock_find(ix, inodes[i]) : &ix->socks[i];

                if (s && !(skip_sole && sole_fresh(ix, s, now)))
                        r = take_socket(ix, s, &pairs, &n_pairs, &cap);
        }
        if (r < 0) {
                free(pairs);
                return r;
        }
        if (n_pairs > 1)
                qsort(pairs, n_pairs, sizeof *pairs, cmp_pair_pid);
        *ret = pairs;
        *ret_n = n_pairs;
        return 0;
}

int sa_ownerindex_verify_take(const sa_ownerindex *ix, const uint32_t *inodes, size_t n, sa_verify_pair **ret,
                              size_t *ret_n)
{
        return take(ix, inodes, n, false, ret, ret_n);
}

void sa_verify_read(int rootfd, sa_verify_pair *pairs, size_t n, bool identity)
{
        for (size_t i = 0; i < n; i++) {
                sa_verify_pair *v = &pairs[i];

                if (identity && i > 0 && pairs[i - 1].pid == v->pid) {
                        v->gone = pairs[i - 1].gone;
                        v->reused = pairs[i - 1].reused;
                } else if (identity) {
                        uint64_t start = 0;
                        int e = sa_proc_stat_read(rootfd, v->pid, &start, NULL);

                        v->reused = e >= 0 && start != v->start;
                        v->gone = e < 0 || v->reused;
                }
                if (!v->gone && sa_procfd_socket_of(rootfd, v->pid, v->fd, &v->now) < 0)
                        v->now = 0;
        }
}

int sa_ownerindex_verify_apply(sa_ownerindex *ix, const sa_verify_pair *pairs, size_t n, sa_verify_result *ret)
{
        sa_verify_result dummy = { 0 };
        sa_verify_result *vr = ret ? ret : &dummy;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                const sa_verify_pair *v = &pairs[i];
                proc_rec *p = proc_find(ix, v->pid);
                sock_rec *s;
                size_t k;
                bool found;

                /* Forgotten or learnt anew since taken: not this pair's process any more. */
                if (!p || p->start != v->start)
                        continue;
                if (v->gone) {
                        /* Gone or replaced: every pair of that pid goes. */
                        size_t before = ix->n_pairs;

                        sa_ownerindex_forget_pid(ix, v->pid);
                        vr->dropped += (unsigned) (before - ix->n_pairs);
                        if (v->reused && r >= 0)
                                r = push_pid(vr, v->pid);
                        continue;
                }
                vr->checked++;
                if (!(s = sock_find(ix, v->inode)))
                        continue;
                if (v->now == v->inode) {
                        s->seen_usec = now;
                        continue;
                }
                k = owner_pos(s, v->pid, v->fd, &found);
                if (found) {
                        pair_drop(ix, s, k);
                        vr->dropped++;
                }
        }
        if (!ret)
                free(dummy.reused);
        return r;
}

static int verify(sa_ownerindex *ix, const uint32_t *inodes, size_t n, bool identity,
                  sa_verify_result *ret)
{
        sa_verify_pair *pairs = NULL;
        size_t n_pairs = 0;
        int r = take(ix, inodes, n, !identity, &pairs, &n_pairs);

        if (r < 0)
                return r;
        sa_verify_read(ix->rootfd, pairs, n_pairs, identity);
        r = sa_ownerindex_verify_apply(ix, pairs, n_pairs, ret);
        free(pairs);
        return r;
}

int sa_ownerindex_verify(sa_ownerindex *ix, const uint32_t *inodes, size_t n, sa_verify_result *ret)
{
        return verify(ix, inodes, n, true, ret);
}

int sa_ownerindex_verify_fds(sa_ownerindex *ix, const uint32_t *inodes, size_t n, sa_verify_result *ret)
{
        return verify(ix, inodes, n, false, ret);
}

void sa_ownerindex_set_sole_interval(sa_ownerindex *ix, uint64_t usec)
{
        ix->sole_usec = usec;
}

size_t sa_ownerindex_n_sockets(const sa_ownerindex *ix)
{
        return ix->n_socks;
}

size_t sa_ownerindex_n_pairs(const sa_ownerindex *ix)
{
        return ix->n_pairs;
}

size_t sa_ownerindex_n_procs(const sa_ownerindex *ix)
{
        return ix->n_procs;
}

uint64_t sa_ownerindex_generation(const sa_ownerindex *ix)
{
        return ix->gen;
}

int sa_ownerindex_sockets(const sa_ownerindex *ix, uint32_t **ret, size_t *ret_n)
{
        uint32_t *a = malloc((ix->n_socks ?: 1) * sizeof *a);

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < ix->n_socks; i++)
                a[i] = ix->socks[i].inode;
        *ret = a;
        *ret_n = ix->n_socks;
        return 0;
}
