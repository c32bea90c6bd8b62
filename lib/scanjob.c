/* SPDX-License-Identifier: MIT */
/*
 * A full scan as a job of three steps (lib/scanner.h): prepare (dumps, the
 * listing, on the calling thread), walk (every process's fds: the eBPF
 * iterator or procfs; touches only the job and the loaded iterator, so it
 * may run on a thread of its own), finish (each holder's details, the
 * index; calling thread). sa_scanner_scan() runs the three in a row; the
 * threaded job of sockaudit-internal.h (sa_scanner_scan_start/finish) runs the
 * walk on a thread and says when it is done through an eventfd. In
 * Namespaces=all the walk also reports leads to namespaces no dump covered
 * (unseen.h); finish follows them (lib/hiddenns.c) and dumps what they
 * lead to before the join.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inomap.h"
#include "inomarks.h"
#include "netnsdirt.h"
#include "scanner.h"
#include "util.h"
#include "worker.h"

struct sa_scan_job {
        sa_snapshot *snap;
        sa_inomap *want;
        sa_procfd_pid *pids;
        size_t n_pids;
        uint32_t *marks;
        size_t n_marks;
        uint64_t t0;
        bool keep;              /* rebuild the index (an unfiltered scan of a lasting scanner) */
        bool walk;              /* something to walk for */
        bool hunt;              /* look for namespaces no dump covered (lib/hiddenns.c) */
        sa_filter filter;       /* what the dumps asked for (none: all) */
        bool filtered;
        uint32_t *known;        /* the dumped namespaces, sorted: the walk's sa_unseen */
        sa_unseen unseen;
        sa_hiddenns *hidden;    /* the scanner's, taken for the job */
        const char *proc_root;
        sa_bpfscan *bpf;
        /* The walk's results. */
        sa_bpfscan_hit *hits;
        size_t n_hits, cap_hits;
        sa_scan_stats wstats;
        bool bpf_failed;        /* read by procfs instead */
        int wr;
        /* Asynchronous jobs. */
        uint64_t full_gen, note_seq;
        uint64_t *dumped;       /* keep: the namespaces dumped (inodes), clean as of dump_seq */
        size_t n_dumped;
        uint64_t dump_seq;
        sa_worker worker;
};

static void job_free(sa_scan_job *j)
{
        if (!j)
                return;
        sa_worker_join(&j->worker);     /* the walk uses all of it */
        sa_snapshot_free(j->snap);
        sa_inomap_free(j->want);
        free(j->pids);
        free(j->marks);
        free(j->hits);
        free(j->known);
        sa_hiddenns_free(j->hidden);
        free(j->dumped);
        free(j);
}

/* Where each CPU's inode counter stands before anything is dumped. */
static int job_take_marks(sa_scan_job *j)
{
        long ncpu = sysconf(_SC_NPROCESSORS_CONF);
        size_t max = ncpu > 0 ? (size_t) ncpu : 1;

        j->marks = calloc(max, sizeof *j->marks);
        if (!j->marks)
                return -ENOMEM;
        j->n_marks = sa_inomarks_take(j->marks, max);
        return 0;
}

/* The namespaces collect just dumped (pending_seq == j->dump_seq), for sa_scan_job_finish(). */
static int job_note_dumped(sa_scanner *s, sa_scan_job *j)
{
        j->dumped = malloc((s->ns->n ?: 1) * sizeof *j->dumped);
        if (!j->dumped)
                return -ENOMEM;
        for (size_t i = 0; i < s->ns->n; i++)
                if (s->ns->items[i].pending_seq == j->dump_seq)
                        j->dumped[j->n_dumped++] = s->ns->items[i].ino;
        return 0;
}

/* The namespaces, then the listeners passing f into the snapshot (sorted),
 * and the map of their inodes the walk looks for. */
static int job_dump(sa_scanner *s, const sa_filter *f, const sa_snapshot *old, sa_scan_job *j)
{
        sa_listener_vec v = { 0 };
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r = sa_netns_set_refresh(s->ns, s->proc_root, &j->snap->stats);
        unsigned dumped;

        if (old && (!s->ns->events || now - s->ns->full_dump_usec >= SA_NETNS_FULL_DUMP_USEC))
                old = NULL;     /* every namespace, as a check on the events */
        if (j->keep && !f && !old) {
                j->dump_seq = sa_netns_dump_seq(s->ns);
                s->ns->full_dump_usec = now;
        }
        if (r >= 0 && old) {
                r = sa_scanner_collect_refresh(s, old, NULL, 0, &v, &j->snap->stats, &dumped);
                j->dump_seq = s->ns->dirt_seq; /* its sequence number: no event ran meanwhile */
        } else if (r >= 0)
                r = sa_scanner_collect_picked(s, f, false, j->dump_seq, &v, &j->snap->stats);
        if (r >= 0 && j->dump_seq)
                r = job_note_dumped(s, j);
        if (r < 0) {
                sa_listener_vec_clear(&v);
                return r;
        }
        if (v.n > 0)
                qsort(v.items, v.n, sizeof *v.items, sa_listener_cmp);
        j->snap->listeners = v.items;
        j->snap->n_listeners = v.n;

        r = sa_inomap_new(j->snap->n_listeners, &j->want);
        for (size_t i = 0; r >= 0 && i < j->snap->n_listeners; i++)
                r = sa_inomap_put(j->want, j->snap->listeners[i].inode, i);
        return r;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return (x > y) - (x < y);
}

/*
 * Namespaces=all on a live /proc: the walk will also report leads to
 * namespaces other than the dumped ones (j->unseen), with the scanner's
 * cache of sockets asked before, taken for the job (a job running meanwhile
 * starts one of its own).
 */
static int job_hunt_prepare(sa_scanner *s, const sa_filter *f, sa_scan_job *j)
{
        const sa_netns_set *set = s->ns;
        int r;

        if (!set->all || set->proc_fd < 0)
                return 0;
        if (f) {
                j->filter = *f;
                j->filtered = true;
        }
        j->known = malloc((set->n ? set->n : 1) * sizeof *j->known);
        if (!j->known)
                return -ENOMEM;
        for (size_t i = 0; i < set->n; i++)
                j->known[i] = (uint32_t) set->items[i].ino;
        qsort(j->known, set->n, sizeof *j->known, cmp_u32);
        j->hidden = TAKE_PTR(s->hidden);
        if (!j->hidden) {
                r = sa_hiddenns_new(&j->hidden);
                if (r < 0)
                        return r;
        }
        j->unseen = (sa_unseen) { .known = j->known, .n_known = set->n,
                                  .checked = sa_hiddenns_checked(j->hidden) };
        j->hunt = true;
        return 0;
}

int sa_scan_job_prepare(sa_scanner *s, const sa_filter *f, bool keep, const sa_snapshot *old,
                        sa_scan_job **ret)
{
        sa_scan_job *j = calloc(1, sizeof *j);
        int r;

        if (!j)
                return -ENOMEM;
        j->worker = (sa_worker) SA_WORKER_INIT;
        j->t0 = now_usec(CLOCK_MONOTONIC);
        j->keep = keep;
        j->proc_root = s->proc_root;
        j->bpf = s->bpf;
        j->full_gen = s->full_gen;
        j->note_seq = s->note_seq;
        j->snap = calloc(1, sizeof *j->snap);
        r = j->snap ? 0 : -ENOMEM;
        if (r >= 0 && keep)
                r = job_take_marks(j);
        if (r < 0)
                goto fail;
        clock_gettime(CLOCK_REALTIME, &j->snap->taken);
        r = job_dump(s, f, keep && !f ? old : NULL, j);
        if (r >= 0)
                r = job_hunt_prepare(s, f, j);
        if (r < 0)
                goto fail;

        /* Unfiltered: the listing is kept for refreshes (even with no listener). */
        j->walk = j->snap->n_listeners > 0 || keep || j->hunt;
        if (j->walk) {
                uint64_t t = now_usec(CLOCK_MONOTONIC);

                r = sa_procfd_list(s->proc_root, &j->pids, &j->n_pids);
                j->snap->stats.proc_usec += now_usec(CLOCK_MONOTONIC) - t;
                if (r < 0)
                        goto fail;
        }
        *ret = j;
        return 0;
fail:
        job_free(j);
        return r;
}

static int job_collect(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        sa_scan_job *j = userdata;

        if (sa_grow((void **) &j->hits, &j->cap_hits, j->n_hits, sizeof *j->hits) < 0)
                return -ENOMEM;
        /* procfs hands an nsfs fd's namespace as inode; the eBPF walk as netns */
        j->hits[j->n_hits++] = idx == SA_UNSEEN_NSFD ? (sa_bpfscan_hit) { pid, fd, 0, inode, idx }
                                                     : (sa_bpfscan_hit) { pid, fd, inode, 0, idx };
        return 0;
}

void sa_scan_job_walk(sa_scan_job *j)
{
        if (!j->walk)
                return;
        if (j->bpf) {
                j->wr = sa_bpfscan_walk(j->bpf, j->want, j->hunt ? &j->unseen : NULL, &j->hits,
                                        &j->n_hits, &j->wstats);
                if (j->wr >= 0) {
                        j->cap_hits = j->n_hits;
                        j->wstats.procs += (unsigned) j->n_pids;
                        return;
                }
                if (j->wr == -ENOMEM)
                        return;
                j->bpf_failed = true;
        }
        j->wr = sa_procfd_walk_unseen(j->proc_root, j->pids, j->n_pids, 0, j->want,
                                      j->hunt ? &j->unseen : NULL, job_collect, j, &j->wstats);
}

/* The walk's hits joined into the snapshot, with the verdicts. */
static int job_join(sa_scanner *s, sa_scan_job *j)
{
        sa_join jn = { .proc_root = s->proc_root, .users = s->users, .snap = j->snap, .prov = s->prov ? s : NULL };
        int r = 0;

        sa_procfd_stats_add(&j->snap->stats, &j->wstats);
        for (size_t i = 0; r >= 0 && i < j->n_hits; i++)
                r = sa_join_hit(&jn, j->hits[i].pid, j->hits[i].fd, j->hits[i].idx);
        sa_join_done(&jn);
        return r < 0 ? r : sa_snapshot_judge(j->snap, s->proc_root);
}

static int cmp_hit_pid_fd(const void *a, const void *b)
{
        const sa_bpfscan_hit *x = a, *y = b;

        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/*
 * The listeners of namespaces found by hunting (held, not among j->known)
 * added to the snapshot, re-sorted, and every hit pointed at its listener
 * again; leads to those listeners become hits, other leads are dropped.
 */
static int job_merge_held(sa_scanner *s, sa_scan_job *j, size_t n_only_hits)
{
        sa_listener_vec v = { j->snap->listeners, j->snap->n_listeners, j->snap->n_listeners };
        const sa_filter *f = j->filtered ? &j->filter : NULL;
        size_t n0 = v.n, k = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < s->ns->n; i++) {
                sa_netns *ns = &s->ns->items[i];

                if (ns->held.kind != SA_NSHOLDER_NONE && !sa_unseen_known(&j->unseen, (uint32_t) ns->ino))
                        r = sa_scanner_collect_ns(s, ns, f, &v, &j->snap->stats);
        }
        j->snap->listeners = v.items;
        j->snap->n_listeners = v.n;
        if (r < 0 || v.n == n0) {
                j->n_hits = n_only_hits;
                return r;
        }
        qsort(v.items, v.n, sizeof *v.items, sa_listener_cmp);
        sa_inomap_free(j->want);
        j->want = NULL;
        r = sa_inomap_new(v.n, &j->want);
        for (size_t i = 0; r >= 0 && i < v.n; i++)
                r = sa_inomap_put(j->want, v.items[i].inode, i);
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->n_hits; i++) {
                sa_bpfscan_hit h = j->hits[i];

                if (h.inode != 0 && sa_inomap_get(j->want, h.inode, &h.idx))
                        j->hits[k++] = h;
        }
        j->n_hits = k;
        qsort(j->hits, j->n_hits, sizeof *j->hits, cmp_hit_pid_fd);
        return 0;
}

/*
 * After the walk, when hunting: its leads followed (lib/hiddenns.c), and
 * the mount tables read; the namespaces found dumped and merged. Leads
 * leave j->hits either way. The cache goes back to the scanner.
 */
static int job_hunt(sa_scanner *s, sa_scan_job *j)
{
        sa_scan_stats *st = &j->snap->stats;
        sa_bpfscan_hit *leads;
        size_t n_leads = 0, n_hits, k = 0;
        int r, found;

        /* Leads apart, in pid order; hits stay in front. */
        leads = malloc((j->n_hits ? j->n_hits : 1) * sizeof *leads);
        if (!leads)
                return -ENOMEM;
        for (size_t i = 0; i < j->n_hits; i++) {
                if (j->hits[i].idx < j->snap->n_listeners)
                        j->hits[k++] = j->hits[i];
                else
                        leads[n_leads++] = j->hits[i];
        }
        n_hits = j->n_hits;
        j->n_hits = k;
        if (n_leads)
                memcpy(j->hits + k, leads, n_leads * sizeof *leads);
        free(leads);
        leads = j->hits + k;
        found = sa_hiddenns_follow(j->hidden, s->ns, leads, n_leads, st);
        r = found;
        if (r >= 0) {
                r = sa_hiddenns_mounts(s->ns, j->pids, j->n_pids, st);
                found += r;
        }
        if (r >= 0 && found > 0) {
                j->n_hits = n_hits; /* the leads too: some become hits */
                r = job_merge_held(s, j, k);
        }
        if (!s->hidden)
                s->hidden = TAKE_PTR(j->hidden);
        return r < 0 ? r : 0;
}

int sa_scan_job_finish(sa_scanner *s, sa_scan_job *j, uint64_t since_seq, sa_snapshot **ret)
{
        int r = j->wr;

        if (j->bpf_failed)
                s->bpf_failures++;
        if (r >= 0 && j->hunt)
                r = job_hunt(s, j);
        if (r >= 0)
                r = job_join(s, j);
        if (r >= 0 && j->keep) {
                /* The index takes the listing and the marks. */
                r = sa_scanner_index_rebuild(s, j->snap, TAKE_PTR(j->pids), j->n_pids,
                                             TAKE_PTR(j->marks), j->n_marks, since_seq);
        }
        /* The snapshot returned holds the dumped namespaces as of the dump. */
        for (size_t i = 0; r >= 0 && i < j->n_dumped; i++) {
                sa_netns *ns = sa_netns_find(s->ns, j->dumped[i]);
                if (ns)
                        sa_netns_cleaned(ns, j->dump_seq);
        }
        if (r >= 0) {
                j->snap->duration_usec = now_usec(CLOCK_MONOTONIC) - j->t0;
                *ret = TAKE_PTR(j->snap);
                r = 0;
        }
        job_free(j);
        return r;
}

static void job_walk(void *arg)
{
        sa_scan_job_walk(arg);
}

int sa_scanner_scan_start(sa_scanner *s, sa_scan_job **ret)
{
        return sa_scanner_scan_start_from(s, NULL, ret);
}

int sa_scanner_scan_start_from(sa_scanner *s, const sa_snapshot *old, sa_scan_job **ret)
{
        sa_scan_job *j = NULL;
        int r;

        if (s->oneshot)
                return -EINVAL;
        r = sa_scan_job_prepare(s, NULL, true, old, &j);
        if (r < 0)
                return r;
        r = sa_worker_start(&j->worker, job_walk, j);
        if (r < 0) {
                job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int sa_scan_job_fd(const sa_scan_job *j)
{
        return j->worker.efd;
}

int sa_scanner_scan_finish(sa_scanner *s, sa_scan_job *j, sa_snapshot **ret)
{
        sa_worker_join(&j->worker);
        if (j->full_gen != s->full_gen) {
                /* A full scan finished meanwhile: its index is newer. */
                job_free(j);
                return -ESTALE;
        }
        /* Its namespaces are not marked clean: until the caller refreshes
         * (and installs) its snapshot, refreshes of an older one must dump
         * what changed since that one, not reuse its records. */
        j->n_dumped = 0;
        return sa_scan_job_finish(s, j, j->note_seq, ret);
}

void sa_scan_job_cancel(sa_scan_job *j)
{
        if (!j)
                return;
        job_free(j);
}
