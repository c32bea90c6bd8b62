/* SPDX-License-Identifier: MIT */
/*
 * The scanner and the snapshot: sock_diag dumps give the listening sockets
 * (in each network namespace, lib/netns.c), one /proc walk finds every fd
 * that points at one of them (socket inodes are unique host-wide), and each
 * holding process is described once. An unfiltered scan also leaves the
 * owner index behind, for sa_scanner_refresh() (lib/incremental.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "bpfscan.h"
#include "incremental.h"
#include "inomap.h"
#include "netns.h"
#include "ownerindex.h"
#include "process.h"
#include "procfd.h"
#include "sockaudit.h"
#include "sockdiag.h"
#include "usercache.h"
#include "util.h"
#include "vec.h"

/* A process noted new since the last full scan. */
typedef struct fresh_proc {
        pid_t pid;
        pid_t parent;         /* at fork time; 0 = unknown (read ppid when needed) */
        bool walked;          /* its fds were read since it was noted */
        bool may_inherit;     /* its parent may have held an indexed socket when it forked */
        uint64_t seq;         /* when it was noted (sa_scanner.note_seq) */
} fresh_proc;

struct sa_scanner {
        char *proc_root;
        sa_netns_set *ns;    /* namespaces and their sock_diag sockets */
        sa_usercache *users;
        sa_bpfscan *bpf;     /* the eBPF fd walk; NULL: procfs */
        char no_bpf_why[160];
        unsigned bpf_failures; /* eBPF walks that could not be read (procfs did them) */

        /* Incremental state, valid once an unfiltered scan ran (owners set). */
        sa_ownerindex *owners;
        sa_procfd_pid *pids; /* the last listing, sorted by pid */
        size_t n_pids;
        fresh_proc *fresh;   /* sorted by pid */
        size_t n_fresh, cap_fresh;
        uint32_t *marks;     /* inode positions per CPU when the last full scan started */
        size_t n_marks;
        uint64_t note_seq;   /* processes noted so far */
        uint64_t full_gen;   /* full scans that rebuilt the index */
        bool lost;           /* events lost: the next refresh is a full scan */
        bool details_dirty;  /* a known owner exec'd: describe holders again */
        bool oneshot;        /* sa_scan(): no index, nobody refreshes */
};

/* The eBPF walk when method allows and it loads; else why not. */
static int open_walker(sa_scanner *s, sa_scan_method method)
{
        int r;

        if (method == SA_SCAN_PROCFS) {
                snprintf(s->no_bpf_why, sizeof s->no_bpf_why, "procfs was asked for");
                return 0;
        }
        if (strcmp(s->proc_root, "/proc") != 0) {
                snprintf(s->no_bpf_why, sizeof s->no_bpf_why, "the proc root is %s, not /proc",
                         s->proc_root);
                return method == SA_SCAN_EBPF ? -EINVAL : 0;
        }
        r = sa_bpfscan_open(&s->bpf, s->no_bpf_why, sizeof s->no_bpf_why);
        return method == SA_SCAN_EBPF ? r : 0;
}

int sa_scanner_set_namespaces(sa_scanner *s, sa_netns_mode mode)
{
        sa_netns_set *ns = NULL;
        int r;

        if (mode != SA_NETNS_SELF && mode != SA_NETNS_ALL)
                return -EINVAL;
        r = sa_netns_set_new(mode == SA_NETNS_ALL, &ns);
        if (r < 0)
                return r;
        sa_netns_set_free(s->ns);
        s->ns = ns;
        s->lost = true; /* listeners of other namespaces: a full scan */
        return 0;
}

int sa_scanner_netns_status(const sa_scanner *s, uint64_t ino)
{
        if (!s->ns->all && ino != s->ns->self_ino)
                return -1;
        return sa_netns_set_has(s->ns, ino);
}

const char *sa_scanner_method(const sa_scanner *s, const char **ret_why)
{
        if (ret_why)
                *ret_why = s->bpf ? NULL : s->no_bpf_why;
        return s->bpf ? "ebpf" : "procfs";
}

int sa_scan_method_from_string(const char *str, sa_scan_method *ret)
{
        static const char *const names[] = {
                [SA_SCAN_AUTO] = "auto", [SA_SCAN_PROCFS] = "procfs", [SA_SCAN_EBPF] = "ebpf",
        };

        for (size_t i = 0; str && i < sizeof names / sizeof *names; i++)
                if (strcmp(str, names[i]) == 0) {
                        *ret = (sa_scan_method) i;
                        return 0;
                }
        return -EINVAL;
}

int sa_scanner_new(const sa_scan_config *cfg, sa_scanner **ret)
{
        sa_scanner *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        if (cfg && cfg->namespaces != SA_NETNS_SELF && cfg->namespaces != SA_NETNS_ALL) {
                r = -EINVAL;
                goto fail;
        }
        s->proc_root = strdup(cfg && cfg->proc_root ? cfg->proc_root : "/proc");
        if (!s->proc_root) {
                r = -ENOMEM;
                goto fail;
        }
        /* Our own namespace (not proc_root's), and others in ALL mode. */
        r = sa_netns_set_new(cfg && cfg->namespaces == SA_NETNS_ALL, &s->ns);
        if (r < 0)
                goto fail;
        r = sa_usercache_new(&s->users);
        if (r < 0)
                goto fail;
        r = open_walker(s, cfg ? cfg->method : SA_SCAN_AUTO);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        sa_scanner_free(s);
        return r;
}

sa_scanner *sa_scanner_free(sa_scanner *s)
{
        if (!s)
                return NULL;
        sa_ownerindex_free(s->owners);
        free(s->pids);
        free(s->fresh);
        free(s->marks);
        sa_bpfscan_free(s->bpf);
        sa_netns_set_free(s->ns);
        sa_usercache_free(s->users);
        free(s->proc_root);
        free(s);
        return NULL;
}

bool sa_listener_match(const sa_listener *l, const sa_filter *f)
{
        if (!f)
                return true;
        unsigned protos = f->protos ? f->protos : SA_PROTO_ANY;
        unsigned mine = l->proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP;
        return (protos & mine) && (f->port == 0 || f->port == l->port);
}

/*
 * Runs the (up to four) dumps f asks for in namespace ns, appending to out,
 * each record stamped with ns's inode and name. On failure out is as it was.
 */
static int collect_one(sa_netns *ns, const sa_filter *f, sa_listener_vec *out, sa_scan_stats *st)
{
        static const uint8_t families[] = { AF_INET, AF_INET6 };
        static const struct { uint8_t proto; unsigned bit; } protos[] = {
                { IPPROTO_TCP, SA_PROTO_TCP },
                { IPPROTO_UDP, SA_PROTO_UDP },
        };
        unsigned want = f && f->protos ? f->protos : SA_PROTO_ANY;
        uint16_t port = f ? f->port : 0;
        size_t n0 = out->n;

        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++) {
                if (!(want & protos[p].bit))
                        continue;
                for (size_t i = 0; i < sizeof families; i++) {
                        int r = sa_sockdiag_dump(ns->nl, families[i], protos[p].proto, port,
                                                 ns->ino, out, st);
                        if (r < 0) {
                                sa_listener_vec_truncate(out, n0);
                                return r;
                        }
                }
        }
        for (size_t i = n0; i < out->n; i++)
                memcpy(out->items[i].netns_name, ns->name, sizeof ns->name);
        return 0;
}

/*
 * collect_one() over every namespace of the scanner that has a socket;
 * those without one are counted in st->netns_skipped. Any dump failure
 * fails the whole collection (a namespace silently missing would look like
 * closed sockets); the failing namespace's socket, which may be out of step,
 * is closed and made again at the next scan (the own one is kept).
 */
static int collect(sa_scanner *s, const sa_filter *f, sa_listener_vec *out, sa_scan_stats *st)
{
        for (size_t i = 0; i < s->ns->n; i++) {
                sa_netns *ns = &s->ns->items[i];
                int r;

                if (!ns->nl) {
                        st->netns_skipped++;
                        continue;
                }
                r = collect_one(ns, f, out, st);
                if (r < 0) {
                        if (!ns->self && r != -ENOMEM)
                                sa_netns_drop_socket(ns);
                        return r;
                }
                st->netns++;
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int sa_scanner_probe(sa_scanner *s, const sa_filter *f, uint64_t **ret_cookies, size_t *ret_n)
{
        sa_listener_vec v = { 0 };
        sa_scan_stats st = { 0 };
        uint64_t *cookies = NULL;
        int r = 0;

        /* Namespaces as the last scan found them; found once if none ran. */
        if (!s->ns->discovered)
                r = sa_netns_set_refresh(s->ns, s->proc_root, &st);
        if (r >= 0)
                r = collect(s, f, &v, &st);
        if (r < 0)
                goto out;
        if (v.n > 0) {
                cookies = malloc(v.n * sizeof *cookies);
                if (!cookies) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < v.n; i++)
                        cookies[i] = v.items[i].cookie;
                qsort(cookies, v.n, sizeof *cookies, cmp_u64);
        }
        *ret_cookies = cookies;
        *ret_n = v.n;
out:
        sa_listener_vec_clear(&v);
        return r;
}

/* Order of listeners in a snapshot: proto, port, family, address, inode. */
static int cmp_listener(const void *a, const void *b)
{
        const sa_listener *x = a, *y = b;
        int c;

        if (x->proto != y->proto)
                return x->proto < y->proto ? -1 : 1;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        c = memcmp(x->addr, y->addr, sizeof x->addr);
        if (c != 0)
                return c;
        return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* State of the join while /proc is walked. */
struct join {
        const char *proc_root;
        sa_usercache *users;
        sa_snapshot *snap;
        size_t procs_cap;
        pid_t cur_pid;          /* hits of one pid arrive together */
        sa_process *cur;        /* its details, read on its first hit */
};

/* Details of the process being walked, read once. A vanished one is kept
 * with its pid only and marked incomplete: it held the socket a moment ago. */
static int join_current(struct join *j, pid_t pid, sa_process **ret)
{
        sa_snapshot *snap = j->snap;
        sa_process *p = NULL;

        if (j->cur && j->cur_pid == pid) {
                *ret = j->cur;
                return 0;
        }
        if (sa_process_read(j->proc_root, pid, j->users, &p) < 0) {
                p = calloc(1, sizeof *p);
                if (!p)
                        return -ENOMEM;
                p->pid = pid;
                p->argv = calloc(1, sizeof *p->argv);
                p->incomplete = true;
                if (!p->argv) {
                        sa_process_free(p);
                        return -ENOMEM;
                }
        }
        if (sa_grow((void **) &snap->procs, &j->procs_cap, snap->n_procs, sizeof *snap->procs) < 0) {
                sa_process_free(p);
                return -ENOMEM;
        }
        snap->procs[snap->n_procs++] = p;
        j->cur = p;
        j->cur_pid = pid;
        *ret = p;
        return 0;
}

static int join_hit(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        struct join *j = userdata;
        sa_listener *l = &j->snap->listeners[idx];
        sa_process *p;
        sa_holder *h;
        int r = join_current(j, pid, &p);

        if (r < 0)
                return r;
        /* Hits are grouped by pid, so this process's holder is the last one. */
        h = l->n_holders > 0 ? &l->holders[l->n_holders - 1] : NULL;
        if (!h || h->proc != p) {
                sa_holder *hs = realloc(l->holders, (l->n_holders + 1) * sizeof *hs);
                if (!hs)
                        return -ENOMEM;
                l->holders = hs;
                h = &hs[l->n_holders++];
                *h = (sa_holder) { .proc = p };
        }
        int *fds = realloc(h->fds, (h->n_fds + 1) * sizeof *fds);
        if (!fds)
                return -ENOMEM;
        h->fds = fds;
        h->fds[h->n_fds++] = fd;
        return 0;
}

static void judge_owners(sa_listener *l, const sa_scan_stats *st)
{
        if (l->n_holders == 0) {
                l->owner_status = SA_OWNER_UNKNOWN;
                l->owner_reason = st->procs_denied > 0
                        ? "no holder found; some processes could not be inspected (permission denied)"
                        : "no process holds it: closed meanwhile, or held only by a process outside this PID namespace";
                return;
        }
        for (size_t i = 0; i < l->n_holders; i++)
                if (l->holders[i].proc->incomplete) {
                        l->owner_status = SA_OWNER_PARTIAL;
                        l->owner_reason = "a holder exited or could not be read while it was described";
                        return;
                }
        l->owner_status = SA_OWNER_OK;
        l->owner_reason = NULL;
}

/* Orders a listing by pid (procfs gives it sorted; fixture trees do not). */
static int cmp_pid_entry(const void *a, const void *b)
{
        const sa_procfd_pid *x = a, *y = b;

        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* True when CPU cpu is offline (it hands out no inode while it is). */
static bool cpu_offline(int cpu)
{
        char path[64], c = '1';
        int fd;

        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/online", cpu);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (read(fd, &c, 1) != 1)
                c = '1';
        close(fd);
        return c == '0';
}

/*
 * Where the kernel's get_next_ino() (socket and pipe inodes) stands on each
 * CPU: it hands out numbers from per-CPU batches of 1024 ([b+1, b+1024], b
 * a multiple of 1024) taken from a shared counter, so a pipe made on each
 * CPU in turn shows each CPU's position v. Afterwards, a CPU hands out
 * numbers in (v, end of its batch] or in batches above every current one:
 * ino_is_newer() tells such a number from one handed out before. Fills
 * marks[0..n) (n <= ncpu), or returns 0 when it cannot be had (a CPU we may
 * not run on): callers then assume nothing. Costs a migration and a pipe
 * per CPU (~20 µs each); the calling thread's affinity is restored.
 */
static size_t ino_marks(uint32_t *marks, size_t max)
{
        long ncpu = sysconf(_SC_NPROCESSORS_CONF);
        cpu_set_t saved, one;
        size_t n = 0;

        if (ncpu <= 0 || ncpu > CPU_SETSIZE || sched_getaffinity(0, sizeof saved, &saved) < 0)
                return 0;
        for (int cpu = 0; cpu < ncpu; cpu++) {
                struct stat st;
                int p[2];

                CPU_ZERO(&one);
                CPU_SET(cpu, &one);
                if (sched_setaffinity(0, sizeof one, &one) < 0) {
                        if (cpu_offline(cpu))
                                continue;
                        n = 0;
                        break;
                }
                if (n == max || pipe2(p, O_CLOEXEC) < 0) {
                        n = 0;
                        break;
                }
                if (fstat(p[0], &st) == 0 && st.st_ino <= UINT32_MAX)
                        marks[n++] = (uint32_t) st.st_ino;
                close(p[0]);
                close(p[1]);
        }
        (void) sched_setaffinity(0, sizeof saved, &saved);
        return n;
}

/* Last number of the batch that v is in. */
static uint64_t batch_end(uint32_t v)
{
        return (((uint64_t) v - 1) & ~(uint64_t) 1023) + 1024;
}

/* True when inode ino was handed out after the marks were taken. */
static bool ino_is_newer(const uint32_t *marks, size_t n, uint32_t ino)
{
        uint64_t top = 0;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                uint64_t end = batch_end(marks[i]);
                if (ino > marks[i] && ino <= end)
                        return true;
                if (end > top)
                        top = end;
        }
        return ino > top;
}

/*
 * After an unfiltered scan: the owner index becomes the snapshot's holders,
 * the listing the known processes, and nothing is fresh any more. Reads
 * each holder's start time (~5 µs a process). On failure the incremental
 * state is dropped (the next refresh is a full scan).
 */
static int index_rebuild(sa_scanner *s, const sa_snapshot *snap, sa_procfd_pid *pids, size_t n_pids,
                         uint32_t *marks, size_t n_marks, uint64_t since_seq)
{
        int r = 0;

        if (!s->owners) {
                r = sa_ownerindex_new(s->proc_root, &s->owners);
                if (r < 0)
                        goto fail;
        }
        sa_ownerindex_clear(s->owners);
        for (size_t i = 0; i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];

                r = sa_ownerindex_add_socket(s->owners, l->inode, l->cookie);
                if (r < 0)
                        goto fail;
                for (size_t k = 0; k < l->n_holders; k++)
                        for (size_t j = 0; j < l->holders[k].n_fds; j++) {
                                r = sa_ownerindex_add(s->owners, l->inode, l->holders[k].proc->pid,
                                                      l->holders[k].fds[j]);
                                if (r == -ENOMEM)
                                        goto fail;
                        }
        }
        if (n_pids > 0)         /* pids may be NULL then */
                qsort(pids, n_pids, sizeof *pids, cmp_pid_entry);
        free(s->pids);
        s->pids = pids;
        s->n_pids = n_pids;
        /* Processes noted after the walk began may have been missed by it:
         * they stay new, to be walked against the new index. */
        {
                size_t k = 0;
                for (size_t i = 0; i < s->n_fresh; i++)
                        if (s->fresh[i].seq > since_seq) {
                                s->fresh[k] = s->fresh[i];
                                s->fresh[k].walked = false;
                                s->fresh[k].may_inherit = true;
                                k++;
                        }
                s->n_fresh = k;
        }
        s->full_gen++;
        free(s->marks);
        s->marks = marks;
        s->n_marks = n_marks;
        s->lost = false;
        s->details_dirty = false;
        return 0;
fail:
        free(pids);
        free(marks);
        s->owners = sa_ownerindex_free(s->owners);
        return r;
}

/*
 * A full scan in three steps: prepare (dumps, the listing, on the calling
 * thread), walk (every process's fds: the eBPF iterator or procfs; touches
 * only the job and the loaded iterator, so it may run on a thread of its
 * own), finish (each holder's details, the index; calling thread).
 */
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
        pthread_t thread;
        bool threaded;
        int efd;
};

static void job_free(sa_scan_job *j)
{
        if (!j)
                return;
        sa_snapshot_free(j->snap);
        sa_inomap_free(j->want);
        free(j->pids);
        free(j->marks);
        free(j->hits);
        if (j->efd >= 0)
                close(j->efd);
        free(j);
}

static int job_prepare(sa_scanner *s, const sa_filter *f, bool keep, sa_scan_job **ret)
{
        sa_scan_job *j = calloc(1, sizeof *j);
        sa_listener_vec v = { 0 };
        long ncpu = sysconf(_SC_NPROCESSORS_CONF);
        int r;

        if (!j)
                return -ENOMEM;
        j->efd = -1;
        j->t0 = now_usec(CLOCK_MONOTONIC);
        j->keep = keep;
        j->proc_root = s->proc_root;
        j->bpf = s->bpf;
        j->full_gen = s->full_gen;
        j->note_seq = s->note_seq;
        j->snap = calloc(1, sizeof *j->snap);
        if (!j->snap) {
                r = -ENOMEM;
                goto fail;
        }
        if (keep) {
                j->marks = calloc(ncpu > 0 ? (size_t) ncpu : 1, sizeof *j->marks);
                if (!j->marks) {
                        r = -ENOMEM;
                        goto fail;
                }
                j->n_marks = ino_marks(j->marks, ncpu > 0 ? (size_t) ncpu : 1);
        }
        clock_gettime(CLOCK_REALTIME, &j->snap->taken);

        r = sa_netns_set_refresh(s->ns, s->proc_root, &j->snap->stats);
        if (r < 0)
                goto fail;
        r = collect(s, f, &v, &j->snap->stats);
        if (r < 0)
                goto fail;
        if (v.n > 0)
                qsort(v.items, v.n, sizeof *v.items, cmp_listener);
        j->snap->listeners = v.items;
        j->snap->n_listeners = v.n;
        v = (sa_listener_vec) { 0 };

        r = sa_inomap_new(j->snap->n_listeners, &j->want);
        for (size_t i = 0; r >= 0 && i < j->snap->n_listeners; i++)
                r = sa_inomap_put(j->want, j->snap->listeners[i].inode, i);
        if (r < 0)
                goto fail;

        /* Unfiltered: the listing is kept for refreshes (even with no listener). */
        j->walk = j->snap->n_listeners > 0 || keep;
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
        sa_listener_vec_clear(&v);
        job_free(j);
        return r;
}

static int job_collect(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        sa_scan_job *j = userdata;

        if (sa_grow((void **) &j->hits, &j->cap_hits, j->n_hits, sizeof *j->hits) < 0)
                return -ENOMEM;
        j->hits[j->n_hits++] = (sa_bpfscan_hit) { pid, fd, inode, idx };
        return 0;
}

/* The walk: the eBPF iterator when loaded, else (or when it fails) procfs. */
static void job_walk(sa_scan_job *j)
{
        if (!j->walk)
                return;
        if (j->bpf) {
                j->wr = sa_bpfscan_walk(j->bpf, j->want, &j->hits, &j->n_hits, &j->wstats);
                if (j->wr >= 0) {
                        j->cap_hits = j->n_hits;
                        j->wstats.procs += (unsigned) j->n_pids;
                        return;
                }
                if (j->wr == -ENOMEM)
                        return;
                j->bpf_failed = true;
        }
        j->wr = sa_procfd_walk_pids(j->proc_root, j->pids, j->n_pids, 0, j->want, job_collect, j,
                                    &j->wstats);
}

/* Details of every holder, the index; the snapshot to *ret. Frees j. */
static int job_finish(sa_scanner *s, sa_scan_job *j, uint64_t since_seq, sa_snapshot **ret)
{
        sa_snapshot *snap = j->snap;
        struct join jn = { .proc_root = s->proc_root, .users = s->users, .snap = snap };
        int r = j->wr;

        if (j->bpf_failed)
                s->bpf_failures++;
        if (r < 0)
                goto out;
        sa_procfd_stats_add(&snap->stats, &j->wstats);
        for (size_t i = 0; r >= 0 && i < j->n_hits; i++)
                r = join_hit(j->hits[i].pid, j->hits[i].fd, j->hits[i].inode, j->hits[i].idx, &jn);
        for (size_t i = 0; r >= 0 && i < snap->n_listeners; i++) {
                judge_owners(&snap->listeners[i], &snap->stats);
                r = sa_activation_annotate(s->proc_root, &snap->listeners[i]);
        }
        if (r < 0)
                goto out;
        if (j->keep) {
                /* The index takes the listing and the marks. */
                r = index_rebuild(s, snap, j->pids, j->n_pids, j->marks, j->n_marks, since_seq);
                j->pids = NULL;
                j->marks = NULL;
                if (r < 0)
                        goto out;
        }
        snap->duration_usec = now_usec(CLOCK_MONOTONIC) - j->t0;
        *ret = snap;
        j->snap = NULL;
        r = 0;
out:
        job_free(j);
        return r;
}

int sa_scanner_scan(sa_scanner *s, const sa_filter *f, sa_snapshot **ret)
{
        sa_scan_job *j = NULL;
        int r = job_prepare(s, f, !f && !s->oneshot, &j);

        if (r < 0)
                return r;
        job_walk(j);
        return job_finish(s, j, UINT64_MAX, ret);
}

static void *job_thread(void *arg)
{
        sa_scan_job *j = arg;
        uint64_t one = 1;

        job_walk(j);
        if (write(j->efd, &one, sizeof one) < 0) {
                /* an eventfd takes 2^64-2 writes: cannot fail */
        }
        return NULL;
}

int sa_scanner_scan_start(sa_scanner *s, sa_scan_job **ret)
{
        sa_scan_job *j = NULL;
        int r;

        if (s->oneshot)
                return -EINVAL;
        r = job_prepare(s, NULL, true, &j);
        if (r < 0)
                return r;
        j->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (j->efd < 0) {
                r = -errno;
                job_free(j);
                return r;
        }
        r = -pthread_create(&j->thread, NULL, job_thread, j);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->threaded = true;
        *ret = j;
        return 0;
}

int sa_scan_job_fd(const sa_scan_job *j)
{
        return j->efd;
}

int sa_scanner_scan_finish(sa_scanner *s, sa_scan_job *j, sa_snapshot **ret)
{
        if (j->threaded)
                pthread_join(j->thread, NULL);
        if (j->full_gen != s->full_gen) {
                /* A full scan finished meanwhile: its index is newer. */
                job_free(j);
                return -ESTALE;
        }
        return job_finish(s, j, j->note_seq, ret);
}

void sa_scan_job_cancel(sa_scan_job *j)
{
        if (!j)
                return;
        if (j->threaded)
                pthread_join(j->thread, NULL);
        job_free(j);
}

int sa_scan(const sa_scan_config *cfg, const sa_filter *f, sa_snapshot **ret)
{
        sa_scanner *s = NULL;
        int r = sa_scanner_new(cfg, &s);

        if (r < 0)
                return r;
        s->oneshot = true;
        r = sa_scanner_scan(s, f, ret);
        sa_scanner_free(s);
        return r;
}

sa_snapshot *sa_snapshot_free(sa_snapshot *snap)
{
        if (!snap)
                return NULL;
        for (size_t i = 0; i < snap->n_listeners; i++) {
                sa_listener *l = &snap->listeners[i];
                for (size_t k = 0; k < l->n_holders; k++) {
                        free(l->holders[k].fds);
                        free(l->holders[k].socket_unit);
                        free(l->holders[k].service_unit);
                }
                free(l->holders);
        }
        free(snap->listeners);
        for (size_t i = 0; i < snap->n_procs; i++)
                sa_process_free(snap->procs[i]);
        free(snap->procs);
        free(snap);
        return NULL;
}

/* ---------------------------------------------------------- incremental */

/* Processes noted new that are remembered at most: past that, a full scan. */
#define FRESH_MAX 65536u

static int cmp_fresh_pid(const void *key, const void *element)
{
        pid_t a = *(const pid_t *) key, b = ((const fresh_proc *) element)->pid;

        return (a > b) - (a < b);
}

static size_t fresh_find(const sa_scanner *s, pid_t pid, bool *found)
{
        return sa_lower_bound(&pid, s->fresh, s->n_fresh, sizeof *s->fresh, cmp_fresh_pid, found);
}

/*
 * Whether a child of parent, forked now, may hold a socket of the index:
 * fds are inherited at fork, so only when the parent is an indexed holder
 * or itself a new process that may hold one (or is unknown). Sockets passed
 * over SCM_RIGHTS are left to the resync, as everywhere.
 */
static bool may_inherit(const sa_scanner *s, pid_t parent)
{
        bool found;
        size_t at;

        if (parent <= 0 || sa_ownerindex_has_pid(s->owners, parent, NULL))
                return true;
        at = fresh_find(s, parent, &found);
        return found && s->fresh[at].may_inherit;
}

/*
 * Notes pid as new since the last full scan (parent 0: unknown). walk: its
 * fds are read at the next refresh. An indexed holder (an exec, or a pid
 * reused behind our back) loses its pairs until then and is described again.
 */
static int note(sa_scanner *s, pid_t pid, pid_t parent, bool walk)
{
        bool found, holder;
        size_t at;

        if (pid <= 0)
                return -EINVAL;
        if (!s->owners)
                return 0; /* no index: the next refresh scans everything anyway */
        holder = sa_ownerindex_has_pid(s->owners, pid, NULL);
        walk = walk || holder;
        at = fresh_find(s, pid, &found);
        if (found) {
                s->fresh[at].seq = ++s->note_seq;
                if (walk) {
                        s->fresh[at].walked = false;
                        s->fresh[at].may_inherit = true;
                }
                if (parent > 0)
                        s->fresh[at].parent = parent;
        } else {
                if (s->n_fresh >= FRESH_MAX) {
                        s->lost = true;
                        return 0;
                }
                if (s->n_fresh == s->cap_fresh) {
                        size_t cap = s->cap_fresh ? s->cap_fresh * 2 : 64;
                        fresh_proc *f = realloc(s->fresh, cap * sizeof *f);
                        if (!f) {
                                s->lost = true;
                                return -ENOMEM;
                        }
                        s->fresh = f;
                        s->cap_fresh = cap;
                }
                memmove(&s->fresh[at + 1], &s->fresh[at], (s->n_fresh - at) * sizeof *s->fresh);
                s->fresh[at] = (fresh_proc) { .pid = pid, .parent = parent > 0 ? parent : 0,
                                              .may_inherit = walk, .seq = ++s->note_seq };
                s->n_fresh++;
        }
        if (holder) {
                sa_ownerindex_forget_pid(s->owners, pid);
                s->details_dirty = true;
        }
        return 0;
}

int sa_scanner_note_new(sa_scanner *s, pid_t pid, pid_t parent)
{
        return note(s, pid, parent, !s->owners || may_inherit(s, parent));
}

int sa_scanner_note_exec(sa_scanner *s, pid_t pid)
{
        /* exec keeps the fds: only a holder has anything to walk for. */
        return note(s, pid, 0, false);
}

void sa_scanner_note_exit(sa_scanner *s, pid_t pid)
{
        bool found;
        size_t at;

        if (!s->owners || pid <= 0)
                return;
        sa_ownerindex_forget_pid(s->owners, pid);
        at = fresh_find(s, pid, &found);
        if (found) {
                memmove(&s->fresh[at], &s->fresh[at + 1], (s->n_fresh - at - 1) * sizeof *s->fresh);
                s->n_fresh--;
        }
}

void sa_scanner_note_lost(sa_scanner *s)
{
        s->lost = true;
}

bool sa_scanner_knows_owner(const sa_scanner *s, pid_t pid)
{
        return s->owners && sa_ownerindex_has_pid(s->owners, pid, NULL);
}

void sa_scanner_incremental_stats(const sa_scanner *s, sa_incremental_stats *ret)
{
        *ret = (sa_incremental_stats) {
                .have_index = s->owners != NULL,
                .sockets = s->owners ? sa_ownerindex_n_sockets(s->owners) : 0,
                .pairs = s->owners ? sa_ownerindex_n_pairs(s->owners) : 0,
                .procs = s->owners ? sa_ownerindex_n_procs(s->owners) : 0,
                .pids = s->n_pids,
                .fresh = s->n_fresh,
                .cpu_marks = s->n_marks,
                .ebpf_fallbacks = s->bpf_failures,
        };
}

static bool in_scope(const sa_listener *l, const sa_filter *fs, size_t n_fs)
{
        if (n_fs == 0)
                return true;
        for (size_t i = 0; i < n_fs; i++)
                if (sa_listener_match(l, &fs[i]))
                        return true;
        return false;
}

/* A hit of a walk of a few processes: the pair goes into the index. */
static int index_hit(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        sa_scanner *s = userdata;
        int r = sa_ownerindex_add(s->owners, inode, pid, fd);

        return r == -ENOMEM ? r : 0; /* gone meanwhile: nothing to record */
}

/*
 * Lists PROC_ROOT and compares with the last listing: pids that appeared
 * are noted new; gone ones are forgotten; a pid whose directory inode
 * changed is new unless it owns indexed sockets with an unchanged start
 * time (procfs made its dentry again). One getdents64 pass.
 */
static int refresh_listing(sa_scanner *s)
{
        int rootfd = sa_ownerindex_rootfd(s->owners);
        sa_procfd_pid *now = NULL;
        size_t n = 0, i = 0, k = 0;
        int r = sa_procfd_list(s->proc_root, &now, &n);

        if (r < 0)
                return r;
        if (n > 0)
                qsort(now, n, sizeof *now, cmp_pid_entry);
        while (r >= 0 && (i < s->n_pids || k < n)) {
                if (k >= n || (i < s->n_pids && s->pids[i].pid < now[k].pid)) {
                        sa_scanner_note_exit(s, s->pids[i++].pid);
                } else if (i >= s->n_pids || now[k].pid < s->pids[i].pid) {
                        r = sa_scanner_note_new(s, now[k++].pid, 0);
                } else {
                        pid_t pid = now[k].pid;
                        uint64_t had, start;

                        if (s->pids[i].dir_ino != now[k].dir_ino &&
                            !(sa_ownerindex_has_pid(s->owners, pid, &had) &&
                              sa_proc_stat_read(rootfd, pid, &start, NULL) >= 0 && start == had))
                                r = sa_scanner_note_new(s, pid, 0);
                        i++;
                        k++;
                }
        }
        free(s->pids);
        s->pids = now;
        s->n_pids = n;
        return r;
}

/*
 * The nearest ancestor of pid (a process noted new) that is not new
 * itself: the one that may have made a socket before forking the new ones.
 * Parents come from the fork notes, else from PROC_ROOT/PID/stat. 0 when
 * there is none (the chain ends or cannot be read).
 */
static pid_t old_ancestor(sa_scanner *s, pid_t pid)
{
        int rootfd = sa_ownerindex_rootfd(s->owners);

        for (int depth = 0; depth < 256; depth++) {
                bool found;
                size_t at = fresh_find(s, pid, &found);
                pid_t parent;
                uint64_t start;

                if (!found)
                        return depth > 0 ? pid : 0;
                parent = s->fresh[at].parent;
                if (parent <= 0 && sa_proc_stat_read(rootfd, pid, &start, &parent) < 0)
                        return 0;
                if (parent <= 0)
                        return 0;
                pid = parent;
        }
        return 0;
}

static int cmp_cookie(const void *a, const void *b)
{
        const sa_listener *x = a, *y = b;

        return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static bool has_cookie(const sa_listener_vec *v, uint64_t cookie)
{
        sa_listener key = { .cookie = cookie };

        return v->n > 0 && bsearch(&key, v->items, v->n, sizeof *v->items, cmp_cookie) != NULL;
}

static int cmp_owner(const void *a, const void *b)
{
        const sa_owner *x = a, *y = b;

        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* Whether l's holders are exactly the index's pairs for its socket. */
static bool holders_match(const sa_ownerindex *ix, const sa_listener *l)
{
        const sa_owner *o;
        size_t n, total = 0;

        sa_ownerindex_owners(ix, l->inode, &o, &n);
        for (size_t i = 0; i < l->n_holders; i++)
                total += l->holders[i].n_fds;
        if (total != n)
                return false;
        for (size_t i = 0; i < l->n_holders; i++)
                for (size_t k = 0; k < l->holders[i].n_fds; k++) {
                        sa_owner key = { l->holders[i].proc->pid, l->holders[i].fds[k] };
                        if (!bsearch(&key, o, n, sizeof *o, cmp_owner))
                                return false;
                }
        return true;
}

typedef struct pair_hit {
        pid_t pid;
        int fd;
        size_t idx;
} pair_hit;

static int cmp_pair_hit(const void *a, const void *b)
{
        const pair_hit *x = a, *y = b;

        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        if (x->fd != y->fd)
                return x->fd < y->fd ? -1 : 1;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * A new snapshot: the fresh records of v (in scope) and old's records out
 * of scope, each with the index's owners, every holder described anew.
 */
static int build_from_index(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                            const sa_listener_vec *v, sa_snapshot *snap)
{
        sa_listener_vec all = { 0 };
        pair_hit *hits = NULL;
        size_t n_hits = 0, cap = 0;
        int r = 0;

        for (size_t i = 0; i < v->n && r >= 0; i++)
                r = sa_listener_vec_push(&all, &v->items[i]);
        for (size_t i = 0; i < old->n_listeners && r >= 0; i++)
                if (!in_scope(&old->listeners[i], fs, n_fs))
                        r = sa_listener_vec_push(&all, &old->listeners[i]);
        if (r < 0) {
                sa_listener_vec_clear(&all);
                return r;
        }
        if (all.n > 0)
                qsort(all.items, all.n, sizeof *all.items, cmp_listener);
        snap->listeners = all.items;
        snap->n_listeners = all.n;

        for (size_t i = 0; i < snap->n_listeners; i++) {
                const sa_owner *o;
                size_t n;

                sa_ownerindex_owners(s->owners, snap->listeners[i].inode, &o, &n);
                if (n_hits + n > cap) {
                        size_t c = cap ? cap * 2 : 64;
                        while (c < n_hits + n)
                                c *= 2;
                        pair_hit *h = realloc(hits, c * sizeof *h);
                        if (!h) {
                                free(hits);
                                return -ENOMEM;
                        }
                        hits = h;
                        cap = c;
                }
                for (size_t k = 0; k < n; k++)
                        hits[n_hits++] = (pair_hit) { o[k].pid, o[k].fd, i };
        }
        if (n_hits > 0)
                qsort(hits, n_hits, sizeof *hits, cmp_pair_hit);
        struct join j = { .proc_root = s->proc_root, .users = s->users, .snap = snap };
        for (size_t i = 0; i < n_hits && r >= 0; i++)
                r = join_hit(hits[i].pid, hits[i].fd, snap->listeners[hits[i].idx].inode,
                             hits[i].idx, &j);
        free(hits);
        for (size_t i = 0; i < snap->n_listeners && r >= 0; i++) {
                judge_owners(&snap->listeners[i], &snap->stats);
                r = sa_activation_annotate(s->proc_root, &snap->listeners[i]);
        }
        return r;
}

/* Adds pid to a candidate list unless it is there already. */
static int cand_add(sa_procfd_pid **c, size_t *n, size_t *cap, pid_t pid)
{
        for (size_t i = 0; i < *n; i++)
                if ((*c)[i].pid == pid)
                        return 0;
        if (sa_grow((void **) c, cap, *n, sizeof **c) < 0)
                return -ENOMEM;
        (*c)[(*n)++] = (sa_procfd_pid) { .pid = pid };
        return 0;
}

/* The inomap of every socket the index knows (values unused). */
static int index_want(const sa_ownerindex *ix, sa_inomap **ret)
{
        uint32_t *inodes = NULL;
        size_t n = 0;
        sa_inomap *m = NULL;
        int r = sa_ownerindex_sockets(ix, &inodes, &n);

        if (r >= 0)
                r = sa_inomap_new(n, &m);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sa_inomap_put(m, inodes[i], 0);
        free(inodes);
        if (r < 0) {
                sa_inomap_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

int sa_scanner_refresh(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                       unsigned flags, sa_refresh_info *info, sa_snapshot **ret)
{
        sa_refresh_info dummy;
        sa_scan_stats st = { 0 };
        sa_listener_vec v = { 0 };
        uint32_t *known = NULL;
        size_t *news = NULL, n_known = 0, n_new = 0;
        sa_procfd_pid *cand = NULL;
        size_t n_cand = 0, cap_cand = 0;
        sa_inomap *want = NULL;
        sa_snapshot *snap = NULL;
        const char *why = NULL;
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        struct timespec taken;
        bool changed;
        int r = 0;

        if (!info)
                info = &dummy;
        *info = (sa_refresh_info) { 0 };
        clock_gettime(CLOCK_REALTIME, &taken);
        if (!old)
                why = "no snapshot yet";
        else if (!s->owners)
                why = "no owner index yet";
        else if (s->lost)
                why = "process events were lost";
        if (why)
                goto full;

        if (flags & SA_REFRESH_LIST_PIDS) {
                r = refresh_listing(s);
                if (r < 0)
                        goto out;
                if (s->lost) {
                        why = "too many new processes";
                        goto full;
                }
        }

        /* The listeners in scope now, each once (filters may overlap). */
        for (size_t i = 0; i < (n_fs ? n_fs : 1) && r >= 0; i++)
                r = collect(s, n_fs ? &fs[i] : NULL, &v, &st);
        if (r < 0)
                goto out;
        if (v.n > 1) {
                size_t u = 1;
                qsort(v.items, v.n, sizeof *v.items, cmp_cookie);
                for (size_t i = 1; i < v.n; i++)
                        if (v.items[i].cookie != v.items[u - 1].cookie)
                                v.items[u++] = v.items[i];
                v.n = u;
        }

        known = malloc((v.n ?: 1) * sizeof *known);
        news = malloc((v.n ?: 1) * sizeof *news);
        if (!known || !news) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < v.n; i++) {
                uint64_t c;
                if (sa_ownerindex_has_socket(s->owners, v.items[i].inode, &c) &&
                    (c == v.items[i].cookie || c == 0))
                        known[n_known++] = v.items[i].inode;
                else
                        news[n_new++] = i;
        }
        info->new_sockets = (unsigned) n_new;
        for (size_t i = 0; i < n_new; i++) {
                const sa_listener *l = &v.items[news[i]];
                if (!ino_is_newer(s->marks, s->n_marks, l->inode)) {
                        why = "a socket older than the last full scan became a listener";
                        goto full;
                }
        }
        for (size_t i = 0; i < n_new; i++) {
                r = sa_ownerindex_add_socket(s->owners, v.items[news[i]].inode, v.items[news[i]].cookie);
                if (r < 0)
                        goto out;
        }

        if ((flags & SA_REFRESH_VERIFY) && n_known > 0) {
                sa_verify_result vr = { 0 };

                r = (flags & SA_REFRESH_EXITS_KNOWN ? sa_ownerindex_verify_fds : sa_ownerindex_verify)(
                        s->owners, known, n_known, &vr);
                info->verified = vr.checked;
                info->dropped = vr.dropped;
                for (size_t i = 0; r >= 0 && i < vr.n_reused; i++)
                        r = sa_scanner_note_new(s, vr.reused[i], 0);
                free(vr.reused);
                if (r < 0)
                        goto out;
        }

        /* New processes that may have inherited an indexed socket (all of
         * them when a listener is new: its maker may be one walked before
         * it made it), then the old ancestors of the holders of new
         * listeners. */
        for (size_t i = 0; i < s->n_fresh; i++)
                if (n_new > 0 || (!s->fresh[i].walked && s->fresh[i].may_inherit)) {
                        r = cand_add(&cand, &n_cand, &cap_cand, s->fresh[i].pid);
                        if (r < 0)
                                goto out;
                }
        if (n_cand > 0 || n_new > 0) {
                r = index_want(s->owners, &want);
                if (r < 0)
                        goto out;
        }
        if (n_cand > 0) {
                r = sa_procfd_walk_pids(s->proc_root, cand, n_cand, 1, want, index_hit, s, &st);
                if (r < 0)
                        goto out;
                info->walked += (unsigned) n_cand;
                for (size_t i = 0; i < s->n_fresh; i++)
                        s->fresh[i].walked = true;
        }
        if (n_new > 0) {
                n_cand = 0;
                for (size_t i = 0; i < n_new; i++) {
                        const sa_owner *o;
                        size_t n;

                        sa_ownerindex_owners(s->owners, v.items[news[i]].inode, &o, &n);
                        for (size_t k = 0; k < n; k++) {
                                pid_t a = old_ancestor(s, o[k].pid);
                                if (a > 0 && (r = cand_add(&cand, &n_cand, &cap_cand, a)) < 0)
                                        goto out;
                        }
                }
                if (n_cand > 0) {
                        r = sa_procfd_walk_pids(s->proc_root, cand, n_cand, 1, want, index_hit, s, &st);
                        if (r < 0)
                                goto out;
                        info->walked += (unsigned) n_cand;
                }
                for (size_t i = 0; i < n_new; i++) {
                        const sa_owner *o;
                        size_t n;

                        sa_ownerindex_owners(s->owners, v.items[news[i]].inode, &o, &n);
                        if (n == 0) {
                                why = "a new listener is held by no process started since the last full scan";
                                goto full;
                        }
                }
        }

        /* Listeners in scope that closed leave the index. */
        for (size_t i = 0; i < old->n_listeners; i++) {
                const sa_listener *l = &old->listeners[i];
                uint64_t c;

                if (!in_scope(l, fs, n_fs) || has_cookie(&v, l->cookie))
                        continue;
                info->gone_sockets++;
                if (sa_ownerindex_has_socket(s->owners, l->inode, &c) && c == l->cookie)
                        sa_ownerindex_remove_socket(s->owners, l->inode);
        }

        changed = s->details_dirty || n_new > 0 || info->gone_sockets > 0;
        for (size_t i = 0; !changed && i < old->n_listeners; i++)
                changed = !holders_match(s->owners, &old->listeners[i]);
        if (!changed) {
                r = 0;
                goto out;
        }

        snap = calloc(1, sizeof *snap);
        if (!snap) {
                r = -ENOMEM;
                goto out;
        }
        snap->taken = taken;
        snap->stats = st;
        r = build_from_index(s, old, fs, n_fs, &v, snap);
        if (r < 0)
                goto out;
        s->details_dirty = false;
        snap->duration_usec = now_usec(CLOCK_MONOTONIC) - t0;
        *ret = snap;
        snap = NULL;
        r = 1;
        goto out;

full:
        info->full = true;
        info->reason = why;
        r = sa_scanner_scan(s, NULL, ret);
        if (r >= 0)
                r = 1;
out:
        info->usec = now_usec(CLOCK_MONOTONIC) - t0;
        sa_snapshot_free(snap);
        sa_listener_vec_clear(&v);
        sa_inomap_free(want);
        free(cand);
        free(known);
        free(news);
        return r;
}
