/* SPDX-License-Identifier: MIT */
/*
 * Walks of PROC_ROOT/PID/fd: list the pids once, then read each fd
 * directory and readlinkat every fd, on up to SA_PROCFD_MAX_THREADS threads
 * (the cost is nearly all kernel time per fd, so it scales with cores).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfd.h"
#include "util.h"
#include "vec.h"

/*
 * getdents64 buffers, one per thread and one for the root. 64 KiB holds
 * ~2700 fd entries: most fd directories are read in one call plus the
 * final empty one.
 */
#define DENTS_BUF ((size_t) 64 * 1024)
/* "socket:[4294967295]" is 19 bytes; anything longer is not a socket. */
#define LINK_BUF 32u
/* Pids handed to a thread at a time. */
#define CHUNK 8u
/* Fewer pids than this: one thread (starting one is not worth it). */
#define MIN_PIDS_PER_THREAD 64u

typedef struct hit_rec {
        size_t pid_idx;
        int fd;
        uint32_t inode;
        size_t idx;
} hit_rec;

typedef struct shared {
        const char *proc_root;
        int rootfd;
        const sa_procfd_pid *pids;
        size_t n;
        const sa_inomap *want;
        const sa_unseen *unseen; /* NULL: no leads wanted */
        size_t next;            /* next pid index to hand out (atomic) */
        int err;                /* first fatal error, 0 (atomic) */
} shared;

typedef struct worker {
        shared *sh;
        sa_procfd_hit_fn hit;   /* set: hits go straight to it (one thread) */
        void *userdata;
        pthread_t thread;
        bool started;
        char *fdbuf;
        sa_scan_stats stats;
        hit_rec *hits;
        size_t n_hits, cap_hits;
        int r;
} worker;

/* Decimal without sign, leading zero or overflow past max; -1 otherwise. */
static long long parse_num(const char *s, long long max)
{
        uint64_t v;

        if (s[0] == '0' && s[1] != '\0')
                return -1;
        return sa_parse_uint(s, (uint64_t) max, NULL, &v) == 0 ? (long long) v : -1;
}

/* N of a "PREFIX[N]" link of len bytes (N < 2^32), 0 when it is anything else. */
static uint32_t bracket_inode(const char *link, size_t len, const char *prefix)
{
        const size_t plen = strlen(prefix);
        uint64_t v = 0;

        if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']')
                return 0;
        for (size_t i = plen; i < len - 1; i++) {
                if (link[i] < '0' || link[i] > '9')
                        return 0;
                v = v * 10 + (uint64_t) (link[i] - '0');
                if (v > UINT32_MAX)
                        return 0;
        }
        return (uint32_t) v;
}

/* Inode of a "socket:[N]" link of len bytes, 0 when it is anything else. */
static uint32_t socket_inode(const char *link, size_t len)
{
        return bracket_inode(link, len, "socket:[");
}

/* N of a "net:[N]" link of len bytes (a network namespace's nsfs file), else 0. */
static uint32_t netns_inode(const char *link, size_t len)
{
        return bracket_inode(link, len, "net:[");
}

/*
 * What a link that is not a wanted socket leads to (unseen.h): *idx
 * SA_UNSEEN_SOCKET or _NSFD and the inode to report, or false.
 */
static bool unseen_lead(const sa_unseen *u, const char *link, size_t len, uint32_t sock,
                        uint32_t *ino, size_t *idx)
{
        size_t ns;

        if (sock != 0) {
                if (u->checked && sa_inomap_get(u->checked, sock, &ns) &&
                    sa_unseen_known(u, (uint32_t) ns))
                        return false;
                *ino = sock;
                *idx = SA_UNSEEN_SOCKET;
                return true;
        }
        *ino = netns_inode(link, len);
        *idx = SA_UNSEEN_NSFD;
        return !sa_unseen_known(u, *ino);
}

/* errno after a failed call, never 0. */
static int last_errno(void)
{
        int e = errno;

        return e > 0 ? e : EIO;
}

static bool is_vanished(int err)
{
        return err == ENOENT || err == ESRCH;
}

/*
 * Errors that mean this walk cannot be trusted (we ran out of something),
 * as opposed to trouble with one process.
 */
static bool is_fatal(int err)
{
        return err == EMFILE || err == ENFILE || err == ENOMEM || err == ENOBUFS;
}

/*
 * Counts one process's failure. Vanished and denied are counted; any other
 * unreadable state of one process (EIO, ENOTDIR...) counts as denied. 0, or
 * -errno for errors that should stop the walk.
 */
static int proc_failed(sa_scan_stats *st, int err)
{
        if (is_fatal(err))
                return -err;
        if (is_vanished(err))
                st->procs_vanished++;
        else
                st->procs_denied++;
        return 0;
}

static int add_hit(worker *w, size_t pid_idx, int fd, uint32_t inode, size_t idx)
{
        if (w->hit) {
                int r = w->hit(w->sh->pids[pid_idx].pid, fd, inode, idx, w->userdata);
                return r < 0 ? r : 0;
        }
        if (sa_grow((void **) &w->hits, &w->cap_hits, w->n_hits, sizeof *w->hits) < 0)
                return -ENOMEM;
        w->hits[w->n_hits++] = (hit_rec) { pid_idx, fd, inode, idx };
        return 0;
}

/*
 * Reads the fd directory of one process (open on dfd, which this closes).
 * Every fd costs one readlinkat; fds closed meanwhile are skipped. 0 or
 * -errno for a fatal error.
 */
static int walk_fds(worker *w, size_t pid_idx, int dfd)
{
        int r = 0;

        for (;;) {
                ssize_t n = getdents64(dfd, w->fdbuf, DENTS_BUF);

                if (n < 0) {
                        r = proc_failed(&w->stats, last_errno());
                        break;
                }
                if (n == 0)
                        break;

                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) (w->fdbuf + off);
                        char link[LINK_BUF];
                        long long fd;
                        ssize_t len;
                        uint32_t ino;
                        size_t idx;

                        off += de->d_reclen;
                        fd = parse_num(de->d_name, INT_MAX);
                        if (fd < 0)
                                continue; /* ".", "..", junk */

                        w->stats.fds++;
                        len = readlinkat(dfd, de->d_name, link, sizeof(link));
                        if (len < 0) {
                                int err = last_errno();

                                if (err == ENOENT)
                                        continue; /* fd closed since getdents */
                                r = proc_failed(&w->stats, err);
                                goto out;
                        }
                        ino = socket_inode(link, (size_t) len);
                        if ((ino == 0 || !sa_inomap_get(w->sh->want, ino, &idx)) &&
                            (!w->sh->unseen ||
                             !unseen_lead(w->sh->unseen, link, (size_t) len, ino, &ino, &idx)))
                                continue;
                        r = add_hit(w, pid_idx, (int) fd, ino, idx);
                        if (r < 0)
                                goto out;
                }
        }
out:
        close(dfd);
        return r;
}

/* One process: open PID/fd and read it. 0, or -errno for a fatal error. */
static int walk_one(worker *w, size_t pid_idx)
{
        char path[32];
        int dfd;

        w->stats.procs++;
        snprintf(path, sizeof path, "%d/fd", (int) w->sh->pids[pid_idx].pid);
        dfd = openat(w->sh->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return proc_failed(&w->stats, last_errno());
        return walk_fds(w, pid_idx, dfd);
}

static void *worker_main(void *arg)
{
        worker *w = arg;
        shared *sh = w->sh;

        for (;;) {
                size_t first = __atomic_fetch_add(&sh->next, CHUNK, __ATOMIC_RELAXED);

                if (first >= sh->n || __atomic_load_n(&sh->err, __ATOMIC_RELAXED) != 0)
                        break;
                for (size_t i = first; i < first + CHUNK && i < sh->n; i++) {
                        int r = walk_one(w, i);
                        if (r < 0) {
                                int zero = 0;
                                __atomic_compare_exchange_n(&sh->err, &zero, r, false,
                                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED);
                                w->r = r;
                                return NULL;
                        }
                }
        }
        return NULL;
}

/* CPUs this thread may run on, at least 1. */
static unsigned cpus_allowed(void)
{
        cpu_set_t set;

        if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
                return (unsigned) CPU_COUNT(&set);
        return 1;
}

static unsigned pick_threads(unsigned threads, size_t n)
{
        size_t most = n / MIN_PIDS_PER_THREAD;

        if (threads == 0)
                threads = cpus_allowed();
        if (threads > SA_PROCFD_MAX_THREADS)
                threads = SA_PROCFD_MAX_THREADS;
        if (threads > most)
                threads = (unsigned) most;
        return threads ? threads : 1;
}

void sa_procfd_stats_add(sa_scan_stats *to, const sa_scan_stats *from)
{
        to->procs += from->procs;
        to->fds += from->fds;
        to->procs_vanished += from->procs_vanished;
        to->procs_denied += from->procs_denied;
        to->proc_usec += from->proc_usec;
}

static int cmp_hit(const void *a, const void *b)
{
        const hit_rec *x = a, *y = b;

        if (x->pid_idx != y->pid_idx)
                return x->pid_idx < y->pid_idx ? -1 : 1;
        return x->fd < y->fd ? -1 : x->fd > y->fd;
}

int sa_procfd_walk_pids(const char *proc_root, const sa_procfd_pid *pids, size_t n,
                        unsigned threads, const sa_inomap *want, sa_procfd_hit_fn hit,
                        void *userdata, sa_scan_stats *stats)
{
        return sa_procfd_walk_unseen(proc_root, pids, n, threads, want, NULL, hit, userdata, stats);
}

int sa_procfd_walk_unseen(const char *proc_root, const sa_procfd_pid *pids, size_t n,
                          unsigned threads, const sa_inomap *want, const sa_unseen *unseen,
                          sa_procfd_hit_fn hit, void *userdata, sa_scan_stats *stats)
{
        sa_scan_stats dummy = { 0 };
        worker ws[SA_PROCFD_MAX_THREADS];
        shared sh = { 0 };
        hit_rec *all = NULL;
        size_t n_all = 0;
        unsigned nt;
        uint64_t start;
        int r = 0;

        if (!want || !hit || (n > 0 && !pids))
                return -EINVAL;
        if (!stats)
                stats = &dummy;
        if (!proc_root)
                proc_root = "/proc";
        if ((sa_inomap_size(want) == 0 && !unseen) || n == 0)
                return 0;

        start = now_usec(CLOCK_MONOTONIC);
        memset(ws, 0, sizeof ws);
        nt = pick_threads(threads, n);
        sh = (shared) { .proc_root = proc_root, .pids = pids, .n = n, .want = want,
                        .unseen = unseen };
        sh.rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sh.rootfd < 0) {
                r = -last_errno();
                goto done;
        }
        for (unsigned i = 0; i < nt; i++) {
                ws[i].sh = &sh;
                ws[i].fdbuf = malloc(DENTS_BUF);
                if (!ws[i].fdbuf) {
                        r = -ENOMEM;
                        goto done;
                }
        }
        /* Alone: hits go straight to hit(), which may stop the walk early.
         * Else workers 1.. on their own threads, worker 0 here; a thread
         * that cannot be started leaves its share to the others. */
        if (nt == 1) {
                ws[0].hit = hit;
                ws[0].userdata = userdata;
        }
        for (unsigned i = 1; i < nt; i++)
                ws[i].started = pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) == 0;
        worker_main(&ws[0]);
        for (unsigned i = 1; i < nt; i++)
                if (ws[i].started)
                        pthread_join(ws[i].thread, NULL);

        for (unsigned i = 0; i < nt; i++) {
                sa_procfd_stats_add(stats, &ws[i].stats);
                n_all += ws[i].n_hits;
        }
        if (sh.err < 0) {
                r = sh.err;
                goto done;
        }

        /* Hand the hits over in pid order, each pid's together. */
        if (n_all > 0) {
                size_t k = 0;

                all = malloc(n_all * sizeof *all);
                if (!all) {
                        r = -ENOMEM;
                        goto done;
                }
                for (unsigned i = 0; i < nt; i++) {
                        if (ws[i].n_hits == 0)
                                continue;       /* hits may be NULL */
                        memcpy(all + k, ws[i].hits, ws[i].n_hits * sizeof *all);
                        k += ws[i].n_hits;
                }
                qsort(all, n_all, sizeof *all, cmp_hit);
        }
        for (size_t i = 0; i < n_all; i++) {
                r = hit(pids[all[i].pid_idx].pid, all[i].fd, all[i].inode, all[i].idx, userdata);
                if (r < 0)
                        goto done;
                r = 0;
        }

done:
        for (unsigned i = 0; i < SA_PROCFD_MAX_THREADS; i++) {
                free(ws[i].fdbuf);
                free(ws[i].hits);
        }
        free(all);
        if (sh.rootfd > 0)
                close(sh.rootfd);
        stats->proc_usec += now_usec(CLOCK_MONOTONIC) - start;
        return r;
}

int sa_procfd_list(const char *proc_root, sa_procfd_pid **ret, size_t *ret_n)
{
        sa_procfd_pid *pids = NULL;
        size_t n = 0, cap = 0;
        char *buf = NULL;
        int fd, r = 0;

        fd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -last_errno();
        buf = malloc(DENTS_BUF);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        for (;;) {
                ssize_t got = getdents64(fd, buf, DENTS_BUF);

                if (got < 0) {
                        r = -last_errno();
                        goto out;
                }
                if (got == 0)
                        break;
                for (ssize_t off = 0; off < got;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buf + off);
                        long long pid;

                        off += de->d_reclen;
                        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                                continue;
                        pid = parse_num(de->d_name, INT_MAX);
                        if (pid <= 0)
                                continue;
                        if (sa_grow((void **) &pids, &cap, n, sizeof *pids) < 0) {
                                r = -ENOMEM;
                                goto out;
                        }
                        pids[n++] = (sa_procfd_pid) { (pid_t) pid, de->d_ino };
                }
        }
out:
        free(buf);
        close(fd);
        if (r < 0) {
                free(pids);
                return r;
        }
        if (n == 0) {
                free(pids);
                pids = NULL;
        }
        *ret = pids;
        *ret_n = n;
        return 0;
}

int sa_procfd_walk_all(const char *proc_root, const sa_inomap *want, sa_procfd_hit_fn hit,
                       void *userdata, sa_scan_stats *stats, sa_procfd_pid **ret_pids,
                       size_t *ret_n_pids)
{
        sa_scan_stats dummy = { 0 };
        sa_procfd_pid *pids = NULL;
        size_t n = 0;
        uint64_t start;
        int r;

        if (!want || !hit)
                return -EINVAL;
        if (!stats)
                stats = &dummy;
        /* Nothing to look for: spare the walk (and the listing, unless asked). */
        if (sa_inomap_size(want) == 0 && !ret_pids)
                return 0;
        start = now_usec(CLOCK_MONOTONIC);
        r = sa_procfd_list(proc_root, &pids, &n);
        stats->proc_usec += now_usec(CLOCK_MONOTONIC) - start;
        if (r < 0)
                return r;
        r = sa_procfd_walk_pids(proc_root, pids, n, 0, want, hit, userdata, stats);
        if (ret_pids) {
                *ret_pids = pids;
                *ret_n_pids = n;
        } else {
                free(pids);
        }
        return r;
}

int sa_procfd_walk(const char *proc_root, const sa_inomap *want,
                   sa_procfd_hit_fn hit, void *userdata, sa_scan_stats *stats)
{
        return sa_procfd_walk_all(proc_root, want, hit, userdata, stats, NULL, NULL);
}

int sa_procfd_socket_of(int rootfd, pid_t pid, int fd, uint32_t *ret_inode)
{
        char path[48], link[LINK_BUF];
        ssize_t len;

        snprintf(path, sizeof path, "%d/fd/%d", (int) pid, fd);
        len = readlinkat(rootfd, path, link, sizeof link);
        if (len < 0)
                return is_vanished(errno) ? -ENOENT : -last_errno();
        *ret_inode = socket_inode(link, (size_t) len);
        return 0;
}
