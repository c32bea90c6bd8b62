/* SPDX-License-Identifier: MIT */
/*
 * Provenance for a scanner's holders (sockaudit.h, sockaudit-internal.h):
 * the dpkg handle and image cache, verdicts attached at each join from the
 * table (lib/provtable.h), computed synchronously for the CLI or on a
 * thread for the daemon (pids copied out at the start, verdicts kept at
 * the finish). A verdict is kept under the key read before it was made,
 * and only if the image it read is that key's (an exec meanwhile: dropped).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provtable.h"
#include "scanner.h"
#include "util.h"
#include "worker.h"

typedef struct prov_result {
        pid_t pid;
        int r;                          /* 0: key and v are valid */
        sa_provkey key;
        sa_provenance *v;
} prov_result;

struct sa_prov_job {
        uint64_t t0;
        char *proc_root;
        sa_dpkg *dpkg;                  /* borrowed from the scanner, thread-safe */
        sa_execache *execache;          /* the same */
        prov_result *res;
        size_t n;
        sa_worker worker;
};

static void join_provenance(sa_join *j, sa_process *p);
static void provenance_free(sa_scanner *s);

int sa_scanner_provenance_enable(sa_scanner *s, const char *dpkg_admindir)
{
        int r;

        if (s->prov)
                return 0;
        r = sa_provtable_new(&s->prov);
        if (r >= 0)
                r = sa_execache_new(0, &s->execache);
        if (r >= 0) {
                r = sa_dpkg_open(dpkg_admindir, &s->dpkg);
                if (r == -ENOPKG) {
                        snprintf(s->prov_stats.last_error, sizeof s->prov_stats.last_error,
                                 "no dpkg database at %s", dpkg_admindir ? dpkg_admindir : "/var/lib/dpkg");
                        r = 0;
                }
        }
        if (r < 0) {
                s->prov = sa_provtable_free(s->prov);
                s->execache = sa_execache_free(s->execache);
        }
        s->prov_join = r < 0 ? NULL : join_provenance;
        s->prov_free = r < 0 ? NULL : provenance_free;
        return r;
}

/* Frees what sa_scanner_provenance_enable made (sa_scanner_free, through s->prov_free). */
static void provenance_free(sa_scanner *s)
{
        s->prov = sa_provtable_free(s->prov);
        s->dpkg = sa_dpkg_free(s->dpkg);
        s->execache = sa_execache_free(s->execache);
}

/*
 * One pid's key (read here unless res->key.path is set) and verdict, on
 * any thread; quick: only when cheap (sa_provenance_read_quick), else
 * res->r is -EAGAIN.
 */
static void compute(const char *proc_root, sa_dpkg *db, sa_execache *c, bool quick, prov_result *res)
{
        const struct stat *st;

        res->r = res->key.path ? 0 : sa_provkey_read(proc_root, res->pid, NULL, &res->key);
        if (res->r < 0)
                return;
        res->v = malloc(sizeof *res->v);
        res->r = !res->v ? -ENOMEM
                 : (quick ? sa_provenance_read_quick : sa_provenance_read)(db, c, proc_root, res->pid, res->v);
        if (res->r < 0)
                return;
        st = &res->v->image_st;
        if (!quick)
                res->key.replaced = res->v->replaced;
        else if (res->key.replaced != res->v->replaced)
                res->r = -ESTALE;       /* sa_process_read saw otherwise: the job decides */
        if (res->v->image_read && (st->st_dev != res->key.dev || st->st_ino != res->key.ino ||
            st->st_size != res->key.size || st->st_mtim.tv_sec != res->key.mtime.tv_sec ||
            st->st_mtim.tv_nsec != res->key.mtime.tv_nsec || st->st_ctim.tv_nsec != res->key.ctime.tv_nsec))
                res->r = -ESTALE;       /* exec'd meanwhile: its verdict is not this key's */
}

static void result_clear(prov_result *res)
{
        sa_provkey_clear(&res->key);
        free(res->v);
        res->v = NULL;
}

/* Keeps res's verdict in s's table: 1 new or changed, 0 known, <0. The verdict (or NULL) in *ret_e. */
static int keep(sa_scanner *s, prov_result *res, const sa_exe_provenance **ret_e)
{
        const sa_exe_provenance *e;
        int r;

        *ret_e = NULL;
        s->prov_stats.checked++;
        if (res->r == -ENOMEM)
                return res->r;
        if (res->r < 0) {
                if (res->r != -ENOENT && res->r != -ESRCH && res->r != -ESTALE && res->r != -EAGAIN)
                        snprintf(s->prov_stats.last_error, sizeof s->prov_stats.last_error,
                                 "pid %d: %s", (int) res->pid, strerror(-res->r));
                return 0;
        }
        e = sa_exe_provenance_new(res->v);
        if (!e)
                return -ENOMEM;
        r = sa_provtable_put(s->prov, &res->key, e);
        if (r == -ENOSPC) {
                snprintf(s->prov_stats.last_error, sizeof s->prov_stats.last_error,
                         "more than %d distinct verdicts", SA_PROVTABLE_MAX);
                r = 0;
        }
        *ret_e = e;
        return r;
}

/* sa_join_provenance, through s->prov_join. */
static void join_provenance(sa_join *j, sa_process *p)
{
        sa_scanner *s = j->prov;
        prov_result res = { .pid = p->pid };
        const sa_exe_provenance *e;

        if (!s || p->provenance || p->incomplete || sa_provkey_read(j->proc_root, p->pid, p, &res.key) < 0)
                return;
        e = sa_provtable_get(s->prov, &res.key);
        if (e)
                p->provenance = sa_exe_provenance_ref(e);
        else {
                /* A known image (a new worker, a file replaced under it): no hashing here. */
                compute(j->proc_root, s->dpkg, s->execache, true, &res);
                if (res.r == 0) {
                        if (keep(s, &res, &e) < 0)
                                e = sa_exe_provenance_unref(e);
                        s->prov_stats.checked--;        /* counted apart */
                        s->prov_stats.checked_inline += e != NULL;
                        p->provenance = e;
                }
        }
        result_clear(&res);
}

int sa_scanner_provenance(sa_scanner *s, sa_snapshot *snap)
{
        int r = sa_scanner_provenance_enable(s, NULL);

        for (size_t i = 0; r >= 0 && i < snap->n_procs; i++) {
                sa_process *p = snap->procs[i];
                sa_join j = { .proc_root = s->proc_root, .prov = s };
                prov_result res = { .pid = p->pid };
                const sa_exe_provenance *e;

                join_provenance(&j, p);
                if (p->provenance || p->incomplete)
                        continue;
                compute(s->proc_root, s->dpkg, s->execache, false, &res);
                r = keep(s, &res, &e);
                /* The verdict of now, even when it cannot be kept under a key. */
                if (!e && res.v && res.r != -ENOMEM && res.r != 0 && res.v->reason[0])
                        e = sa_exe_provenance_new(res.v);
                p->provenance = e;
                result_clear(&res);
        }
        return r < 0 ? r : 0;
}

bool sa_listener_provenance_missing(const sa_listener *l)
{
        for (size_t k = 0; k < l->n_holders; k++)
                if (!l->holders[k].proc->provenance && !l->holders[k].proc->incomplete)
                        return true;
        return false;
}

bool sa_snapshot_provenance_missing(const sa_snapshot *snap)
{
        for (size_t i = 0; snap && i < snap->n_procs; i++)
                if (!snap->procs[i]->provenance && !snap->procs[i]->incomplete)
                        return true;
        return false;
}

static void job_run(void *arg)
{
        sa_prov_job *j = arg;

        for (size_t i = 0; i < j->n; i++)
                compute(j->proc_root, j->dpkg, j->execache, false, &j->res[i]);
}

void sa_prov_job_cancel(sa_prov_job *j)
{
        if (!j)
                return;
        sa_worker_join(&j->worker);
        for (size_t i = 0; i < j->n; i++)
                result_clear(&j->res[i]);
        free(j->res);
        free(j->proc_root);
        free(j);
}

int sa_scanner_provenance_start(sa_scanner *s, const sa_snapshot *snap, bool recheck, sa_prov_job **ret)
{
        sa_prov_job *j;
        int r;

        if (!s->prov)
                return -ENODATA;
        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->worker = (sa_worker) SA_WORKER_INIT;
        j->t0 = now_usec(CLOCK_MONOTONIC);
        j->dpkg = s->dpkg;
        j->execache = s->execache;
        j->proc_root = strdup(s->proc_root);
        j->res = calloc((snap->n_procs < SA_PROVJOB_MAX ? snap->n_procs : SA_PROVJOB_MAX) + 1, sizeof *j->res);
        if (!j->proc_root || !j->res) {
                sa_prov_job_cancel(j);
                return -ENOMEM;
        }
        for (size_t i = 0; i < snap->n_procs && j->n < SA_PROVJOB_MAX; i++) {
                const sa_process *p = snap->procs[i];

                if (!p->incomplete && (recheck || !p->provenance))
                        j->res[j->n++].pid = p->pid;
        }
        r = j->n == 0 ? -ENODATA : sa_worker_start(&j->worker, job_run, j);
        if (r < 0) {
                sa_prov_job_cancel(j);
                return r;
        }
        *ret = j;
        return 0;
}

int sa_prov_job_fd(const sa_prov_job *j)
{
        return j->worker.efd;
}

int sa_scanner_provenance_finish(sa_scanner *s, sa_prov_job *j)
{
        int r = 0, changed = 0;

        sa_worker_join(&j->worker);
        s->prov_stats.last_job_usec = now_usec(CLOCK_MONOTONIC) - j->t0;
        s->prov_stats.last_job_pids = j->n;
        /* Before, not after: the verdicts kept now are used by no snapshot until the next refresh. */
        sa_provtable_prune(s->prov);
        for (size_t i = 0; r >= 0 && i < j->n; i++) {
                const sa_exe_provenance *e;

                r = keep(s, &j->res[i], &e);
                sa_exe_provenance_unref(e);
                if (r > 0)
                        changed++;
        }
        s->prov_stats.jobs++;
        sa_prov_job_cancel(j);
        return r < 0 ? r : changed;
}

int sa_scanner_provenance_attach(sa_scanner *s, sa_snapshot *snap)
{
        sa_join j = { .proc_root = s->proc_root, .prov = s->prov ? s : NULL };
        int n = 0;

        for (size_t i = 0; snap && i < snap->n_procs; i++) {
                sa_process *p = snap->procs[i];

                if (p->provenance || p->incomplete)
                        continue;
                sa_join_provenance(&j, p);
                n += p->provenance != NULL;
        }
        return n;
}

void sa_scanner_provenance_stats(sa_scanner *s, sa_provenance_stats *ret)
{
        sa_dpkg_stats ds = { 0 };

        *ret = s->prov_stats;
        if (s->execache)
                sa_execache_counts(s->execache, &ret->cache_hits, &ret->images_hashed);
        if (s->dpkg) {
                char err[160];

                sa_dpkg_get_stats(s->dpkg, &ds);
                ret->dpkg_build_usec = ds.build_usec;
                ret->dpkg_builds = ds.builds;
                sa_dpkg_error(s->dpkg, err, sizeof err);
                if (err[0])
                        snprintf(ret->last_error, sizeof ret->last_error, "%s", err);
        }
        ret->verdicts = sa_provtable_size(s->prov);
}
