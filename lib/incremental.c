/* SPDX-License-Identifier: MIT */
/*
 * Incremental scanning (lib/include/sockaudit-internal.h): the processes
 * noted new since the last full scan (the fresh list, kept sorted by pid),
 * and sa_scanner_refresh(), which brings a snapshot up to date from the
 * owner index a full scan leaves behind (lib/indexrebuild.c) in named steps
 * over one struct refresh, falling back to a full scan when a step finds it
 * cannot be cheap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inomap.h"
#include "inomarks.h"
#include "scanner.h"
#include "util.h"

/* Processes noted new that are remembered at most: past that, a full scan. */
#define FRESH_MAX 65536u

/* ---------------------------------------------------------- the fresh list */

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
                sa_scanner_redescribe(s, pid);
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

int sa_scanner_note_listen(sa_scanner *s, pid_t pid)
{
        /* As an exec: walked by the refresh that finds its listener new. */
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

int sa_scanner_note_walk(sa_scanner *s, pid_t pid)
{
        return note(s, pid, 0, true);
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
                .fd_rewalks = s->fd_rewalks,
                .rewalks_skipped = s->rewalks_skipped,
        };
}

/* ------------------------------------------------------------ the refresh */

/* One sa_scanner_refresh(): its arguments and what its steps share. */
typedef struct refresh {
        sa_scanner *s;
        const sa_snapshot *old;
        const sa_filter *fs;
        size_t n_fs;
        unsigned flags;
        sa_refresh_info *info;  /* never NULL */
        uint64_t t0;            /* CLOCK_MONOTONIC at the start */
        struct timespec taken;  /* CLOCK_REALTIME at the start */
        sa_scan_stats st;
        sa_listener_vec v;      /* the listeners in scope now, by cookie, each once */
        uint32_t *known;        /* inodes of those the index knows */
        size_t n_known;
        size_t *news;           /* positions in v of those it does not */
        size_t n_new;
        size_t unshown;         /* listeners of v that old lacks (new ones, or known from a resync) */
        sa_procfd_pid *cand;    /* processes to walk */
        size_t n_cand, cap_cand;
        sa_inomap *want;        /* every socket of the index (after refresh_walk_fresh) */
        const char *why;        /* set by a step: only a full scan will do, and why (static) */
} refresh;

static bool in_scope(const sa_listener *l, const sa_filter *fs, size_t n_fs)
{
        return sa_scanner_in_scope(l, fs, n_fs);
}

static int cmp_cookie(const void *a, const void *b)
{
        const sa_listener *x = a, *y = b;

        return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* Where v (sorted by cookie) has cookie, or SIZE_MAX. */
static size_t find_cookie(const sa_listener_vec *v, uint64_t cookie)
{
        sa_listener key = { .cookie = cookie };
        const sa_listener *l = v->n > 0 ? bsearch(&key, v->items, v->n, sizeof *v->items, cmp_cookie) : NULL;

        return l ? (size_t) (l - v->items) : SIZE_MAX;
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
        sa_procfd_pids_sort(now, n);
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

/* Adds pid to the candidates unless it is there already. */
static int cand_add(refresh *rf, pid_t pid)
{
        for (size_t i = 0; i < rf->n_cand; i++)
                if (rf->cand[i].pid == pid)
                        return 0;
        if (sa_grow((void **) &rf->cand, &rf->cap_cand, rf->n_cand, sizeof *rf->cand) < 0)
                return -ENOMEM;
        rf->cand[rf->n_cand++] = (sa_procfd_pid) { .pid = pid };
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

/* A hit of a walk of a few processes: the pair goes into the index. */
static int index_hit(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        sa_scanner *s = userdata;
        int r = sa_ownerindex_add(s->owners, inode, pid, fd);

        return r == -ENOMEM ? r : 0; /* gone meanwhile: nothing to record */
}

/* Walks the candidates' fds; what they hold of the index goes into it. */
static int refresh_walk(refresh *rf)
{
        int r = sa_procfd_walk_pids(rf->s->proc_root, rf->cand, rf->n_cand, 1, rf->want, index_hit,
                                    rf->s, &rf->st);

        if (r >= 0)
                rf->info->walked += (unsigned) rf->n_cand;
        return r;
}

/* The index's pairs for the socket of new listener i. */
static void new_owners(const refresh *rf, size_t i, const sa_owner **ret, size_t *ret_n)
{
        sa_ownerindex_owners(rf->s->owners, rf->v.items[rf->news[i]].inode, ret, ret_n);
}

/* Step: no index to refresh from, or events lost: a full scan. */
static int refresh_check_index(refresh *rf)
{
        if (!rf->old)
                rf->why = "no snapshot yet";
        else if (!rf->s->owners)
                rf->why = "no owner index yet";
        else if (rf->s->lost)
                rf->why = "process events were lost";
        return 0;
}

/* Step (SA_REFRESH_LIST_PIDS): new and gone processes from a listing. */
static int refresh_list_pids(refresh *rf)
{
        int r;

        if (!(rf->flags & SA_REFRESH_LIST_PIDS))
                return 0;
        r = refresh_listing(rf->s);
        if (r >= 0 && rf->s->lost)
                rf->why = "too many new processes";
        return r;
}

/* Step: new processes' namespaces (sa_scanner_fresh_netns()); too many: a full scan. */
static int refresh_learn_netns(refresh *rf)
{
        int r = sa_scanner_fresh_netns(rf->s);

        rf->why = r == -ENOSPC ? "too many new namespaces" : NULL; /* NULL before each step */
        return r == -ENOSPC ? 0 : r;
}

/*
 * Step: the listeners in scope now, each once (filters may overlap); with
 * namespace events, dirty namespaces dumped, the others' from old
 * (sa_scanner_collect_refresh()).
 */
static int refresh_dump(refresh *rf)
{
        sa_listener_vec *v = &rf->v;
        int r = sa_scanner_collect_refresh(rf->s, rf->old, rf->fs, rf->n_fs, v, &rf->st, &rf->info->netns_dumped);

        if (r < 0)
                return r;
        if (v->n > 1) {
                size_t u = 1;
                qsort(v->items, v->n, sizeof *v->items, cmp_cookie);
                for (size_t i = 1; i < v->n; i++)
                        if (v->items[i].cookie != v->items[u - 1].cookie)
                                v->items[u++] = v->items[i];
                v->n = u;
        }
        return 0;
}

/*
 * Step: which listeners the index knows; the others are new, and must have
 * been made after the last full scan started (else a full scan): they join
 * the index, without owners yet.
 */
static int refresh_sort_new(refresh *rf)
{
        sa_scanner *s = rf->s;

        rf->known = malloc((rf->v.n ?: 1) * sizeof *rf->known);
        rf->news = malloc((rf->v.n ?: 1) * sizeof *rf->news);
        if (!rf->known || !rf->news)
                return -ENOMEM;
        for (size_t i = 0; i < rf->v.n; i++) {
                uint64_t c;
                if (sa_ownerindex_has_socket(s->owners, rf->v.items[i].inode, &c) &&
                    (c == rf->v.items[i].cookie || c == 0))
                        rf->known[rf->n_known++] = rf->v.items[i].inode;
                else
                        rf->news[rf->n_new++] = i;
        }
        rf->info->new_sockets = (unsigned) rf->n_new;
        for (size_t i = 0; i < rf->n_new; i++)
                if (!sa_inomarks_newer(s->marks, s->n_marks, rf->v.items[rf->news[i]].inode)) {
                        rf->why = "a socket older than the last full scan became a listener";
                        return 0;
                }
        for (size_t i = 0; i < rf->n_new; i++) {
                const sa_listener *l = &rf->v.items[rf->news[i]];
                int r = sa_ownerindex_add_socket(s->owners, l->inode, l->cookie);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Step (SA_REFRESH_VERIFY): the known owners re-read; reused pids are new. */
static int refresh_verify(refresh *rf)
{
        sa_verify_result vr = { 0 };
        int r;

        if (!(rf->flags & SA_REFRESH_VERIFY) || rf->n_known == 0)
                return 0;
        r = (rf->flags & SA_REFRESH_EXITS_KNOWN ? sa_ownerindex_verify_fds : sa_ownerindex_verify)(
                rf->s->owners, rf->known, rf->n_known, &vr);
        rf->info->verified = vr.checked;
        rf->info->dropped = vr.dropped;
        for (size_t i = 0; r >= 0 && i < vr.n_reused; i++)
                r = sa_scanner_note_new(rf->s, vr.reused[i], 0);
        free(vr.reused);
        return r;
}

/*
 * Step: new processes that may have inherited an indexed socket are walked
 * (all of them when a listener is new: its maker may be one walked before
 * it made it).
 */
static int refresh_walk_fresh(refresh *rf)
{
        sa_scanner *s = rf->s;
        int r;

        for (size_t i = 0; i < s->n_fresh; i++)
                if (rf->n_new > 0 || (!s->fresh[i].walked && s->fresh[i].may_inherit)) {
                        r = cand_add(rf, s->fresh[i].pid);
                        if (r < 0)
                                return r;
                }
        if (rf->n_cand > 0 || rf->n_new > 0) {
                r = index_want(s->owners, &rf->want);
                if (r < 0)
                        return r;
        }
        if (rf->n_cand == 0)
                return 0;
        r = refresh_walk(rf);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_fresh; i++)
                s->fresh[i].walked = true;
        return 0;
}

/* Whether the kernel still has l: one dump of its port and protocol, every namespace. */
static int still_listening(refresh *rf, const sa_listener *l)
{
        sa_filter f = { .port = l->port, .protos = l->proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP };
        sa_listener_vec now = { 0 };
        bool found = false;
        int r = sa_scanner_collect(rf->s, &f, &now, &rf->st);

        for (size_t i = 0; r >= 0 && i < now.n && !found; i++)
                found = now.items[i].cookie == l->cookie;
        sa_listener_vec_clear(&now);
        return r < 0 ? r : found;
}

/*
 * Closed meanwhile is not "held by nobody": a new listener no walk found a
 * holder for is dumped again (its port; at most REDUMP_MAX of them a
 * refresh); one the kernel no longer has (a program that listened for a
 * moment, a namespace whose process left) leaves v and the index, counted
 * in info->closed, and needs no full scan. A dump that fails keeps it.
 */
#define REDUMP_MAX 8
static int refresh_drop_closed(refresh *rf)
{
        size_t w = 0, k = 0, redumps = 0, dropped = 0;
        _cleanup_free_ size_t *newpos = NULL;
        const sa_owner *o;
        size_t n;

        if (rf->n_new == 0)
                return 0;
        newpos = malloc(rf->v.n * sizeof *newpos);
        if (!newpos)
                return -ENOMEM;
        for (size_t i = 0; i < rf->n_new; i++) {
                sa_listener *l = &rf->v.items[rf->news[i]];
                int r;

                new_owners(rf, i, &o, &n);
                if (n > 0 || redumps >= REDUMP_MAX)
                        continue;
                redumps++;
                r = still_listening(rf, l);
                if (r == -ENOMEM)
                        return r;
                if (r != 0)
                        continue;
                sa_ownerindex_remove_socket(rf->s->owners, l->inode);
                l->cookie = 0; /* marked: no dumped socket has cookie 0 */
                dropped++;
        }
        if (dropped == 0)
                return 0;
        /* v without the marked ones; news follow their listeners. */
        for (size_t i = 0; i < rf->v.n; i++) {
                if (rf->v.items[i].cookie == 0) {
                        newpos[i] = SIZE_MAX;
                        continue;
                }
                newpos[i] = w;
                rf->v.items[w++] = rf->v.items[i];
        }
        for (size_t i = 0; i < rf->n_new; i++)
                if (newpos[rf->news[i]] != SIZE_MAX)
                        rf->news[k++] = newpos[rf->news[i]];
        rf->v.n = w;
        rf->n_new = k;
        rf->info->closed += (unsigned) dropped;
        return 0;
}

/*
 * Step: the old ancestors of the holders of new listeners are walked (one
 * may have made the socket before forking them); a new listener still held
 * by nobody needs a full scan. The holders are walked again later (rewalk).
 */
static int refresh_walk_ancestors(refresh *rf)
{
        const sa_owner *o;
        size_t n;
        int r;

        if (rf->n_new == 0)
                return 0;
        rf->n_cand = 0;
        for (size_t i = 0; i < rf->n_new; i++) {
                new_owners(rf, i, &o, &n);
                for (size_t k = 0; k < n; k++) {
                        pid_t a = old_ancestor(rf->s, o[k].pid);
                        if (a > 0 && (r = cand_add(rf, a)) < 0)
                                return r;
                }
        }
        if (rf->n_cand > 0) {
                r = refresh_walk(rf);
                if (r < 0)
                        return r;
        }
        r = refresh_drop_closed(rf);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rf->n_new; i++) {
                new_owners(rf, i, &o, &n);
                if (n == 0) {
                        rf->why = "a new listener is held by no process started since the last full scan";
                        return 0;
                }
                for (size_t k = 0; k < n; k++)
                        sa_scanner_rewalk_add(rf->s, o[k].pid); /* lib/rewalk.c */
        }
        return 0;
}

/*
 * Step: listeners in scope that closed leave the index; those of v that old
 * does not show are counted (rf->unshown): the index may know listeners old
 * lacks (a resync's, rebuilt before its snapshot is installed).
 */
static int refresh_forget_gone(refresh *rf)
{
        _cleanup_free_ bool *shown = calloc(rf->v.n ?: 1, sizeof *shown);

        if (!shown)
                return -ENOMEM;
        for (size_t i = 0; i < rf->old->n_listeners; i++) {
                const sa_listener *l = &rf->old->listeners[i];
                size_t at;
                uint64_t c;

                if (!in_scope(l, rf->fs, rf->n_fs))
                        continue;
                at = find_cookie(&rf->v, l->cookie);
                if (at != SIZE_MAX) {
                        shown[at] = true;
                        continue;
                }
                rf->info->gone_sockets++;
                if (sa_ownerindex_has_socket(rf->s->owners, l->inode, &c) && c == l->cookie)
                        sa_ownerindex_remove_socket(rf->s->owners, l->inode);
        }
        for (size_t i = 0; i < rf->v.n; i++)
                rf->unshown += !shown[i];
        return 0;
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

/* Whether old no longer shows what the index now knows (new listeners are unshown too). */
static bool refresh_changed(const refresh *rf)
{
        bool changed = rf->s->details_dirty || rf->unshown > 0 || rf->info->gone_sockets > 0;

        for (size_t i = 0; !changed && i < rf->old->n_listeners; i++)
                changed = !holders_match(rf->s->owners, &rf->old->listeners[i]);
        return changed;
}

/* snap's listeners: the fresh records of v (in scope) and old's out of scope, sorted. */
static int merge_listeners(const refresh *rf, sa_snapshot *snap)
{
        sa_listener_vec all = { 0 };
        int r = 0;

        for (size_t i = 0; i < rf->v.n && r >= 0; i++)
                r = sa_listener_vec_push(&all, &rf->v.items[i]);
        for (size_t i = 0; i < rf->old->n_listeners && r >= 0; i++)
                if (!in_scope(&rf->old->listeners[i], rf->fs, rf->n_fs))
                        r = sa_listener_vec_push(&all, &rf->old->listeners[i]);
        if (r < 0) {
                sa_listener_vec_clear(&all);
                return r;
        }
        if (all.n > 0)
                qsort(all.items, all.n, sizeof *all.items, sa_listener_cmp);
        snap->listeners = all.items;
        snap->n_listeners = all.n;
        return 0;
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

/* The index's pairs of snap's listeners, sorted by pid (*ret: caller frees). */
static int index_pairs(const sa_ownerindex *ix, const sa_snapshot *snap, pair_hit **ret, size_t *ret_n)
{
        pair_hit *hits = NULL;
        size_t n_hits = 0, cap = 0;

        for (size_t i = 0; i < snap->n_listeners; i++) {
                const sa_owner *o;
                size_t n;

                sa_ownerindex_owners(ix, snap->listeners[i].inode, &o, &n);
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
        *ret = hits;
        *ret_n = n_hits;
        return 0;
}

/*
 * A new snapshot: merge_listeners(), each with the index's owners, every
 * holder described anew. 1 and *ret (caller frees), or -errno.
 */
static int refresh_build(refresh *rf, sa_snapshot **ret)
{
        sa_scanner *s = rf->s;
        sa_snapshot *snap = calloc(1, sizeof *snap);
        pair_hit *hits = NULL;
        size_t n_hits = 0;
        int r;

        if (!snap)
                return -ENOMEM;
        snap->taken = rf->taken;
        snap->stats = rf->st;
        r = merge_listeners(rf, snap);
        if (r >= 0)
                r = index_pairs(s->owners, snap, &hits, &n_hits);
        if (r >= 0) {
                sa_join j = { .proc_root = s->proc_root, .users = s->users, .snap = snap, .prov = s->prov ? s : NULL };

                /* The others' details are the old snapshot's: no event said they changed
                 * (a full scan reads every one; PERFORMANCE.md). Only when every exit is told
                 * (a pid is still its process); without memory, all are read. */
                if (!s->redescribe_all && (rf->flags & SA_REFRESH_EXITS_KNOWN))
                        (void) sa_join_keep_details(&j, rf->old, s->redescribe, s->n_redescribe);
                for (size_t i = 0; i < n_hits && r >= 0; i++)
                        r = sa_join_hit(&j, hits[i].pid, hits[i].fd, hits[i].idx);
                rf->info->details_copied = j.copied;
                sa_join_done(&j);
                free(hits);
        }
        if (r >= 0)
                r = sa_snapshot_judge(snap, s->proc_root);
        if (r < 0) {
                sa_snapshot_free(snap);
                return r;
        }
        sa_scanner_details_read(s);
        snap->duration_usec = now_usec(CLOCK_MONOTONIC) - rf->t0;
        *ret = snap;
        return 1;
}

/* Only a full scan will do (rf->why): one, unfiltered. 1, or -errno. */
static int refresh_full(refresh *rf, sa_snapshot **ret)
{
        int r;

        rf->info->full = true;
        rf->info->reason = rf->why;
        r = sa_scanner_scan(rf->s, NULL, ret);
        return r < 0 ? r : 1;
}

/* The refresh in order; each step may set why (then a full scan follows). */
static int (*const refresh_steps[])(refresh *rf) = {
        refresh_check_index,
        refresh_list_pids,
        refresh_learn_netns,
        refresh_dump,
        refresh_sort_new,
        refresh_verify,
        refresh_walk_fresh,
        refresh_walk_ancestors,
        refresh_forget_gone,
};

int sa_scanner_refresh(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                       unsigned flags, sa_refresh_info *info, sa_snapshot **ret)
{
        sa_refresh_info dummy;
        refresh rf = {
                .s = s, .old = old, .fs = fs, .n_fs = n_fs, .flags = flags,
                .info = info ? info : &dummy, .t0 = now_usec(CLOCK_MONOTONIC),
        };
        int r = 0;

        *rf.info = (sa_refresh_info) { 0 };
        clock_gettime(CLOCK_REALTIME, &rf.taken);
        for (size_t i = 0; r >= 0 && !rf.why && i < ELEMENTSOF(refresh_steps); i++)
                r = refresh_steps[i](&rf);
        if (r >= 0 && rf.why && (flags & SA_REFRESH_NO_FULL)) {
                rf.info->full = true;
                rf.info->reason = rf.why;
                s->lost = true;
                r = -EAGAIN;
        } else if (r >= 0 && rf.why)
                r = refresh_full(&rf, ret);
        else if (r >= 0)
                r = refresh_changed(&rf) ? refresh_build(&rf, ret) : 0;
        if (r >= 0 && !rf.why)
                sa_scanner_refresh_cleaned(s); /* what the caller installs now holds them */

        rf.info->usec = now_usec(CLOCK_MONOTONIC) - rf.t0;
        sa_listener_vec_clear(&rf.v);
        sa_inomap_free(rf.want);
        free(rf.cand);
        free(rf.known);
        free(rf.news);
        return r;
}
