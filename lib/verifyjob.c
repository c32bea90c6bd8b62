/* SPDX-License-Identifier: MIT */
/*
 * The re-verification of every known owner with its reads on a thread
 * (sockaudit-internal.h): the pairs are copied out of the index at the
 * start, read on the thread (a dup of PROC_ROOT, never the index), and
 * applied at the finish, where pairs whose process changed meanwhile are
 * left to what the index learnt since.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "ownerindex.h"
#include "scanner.h"
#include "util.h"
#include "worker.h"

struct sa_verify_job {
        sa_verify_pair *pairs;
        size_t n;
        int rootfd;
        bool identity;
        uint64_t t0;
        sa_worker worker;
};

static void job_read(void *arg)
{
        sa_verify_job *j = arg;

        sa_verify_read(j->rootfd, j->pairs, j->n, j->identity);
}

void sa_verify_job_cancel(sa_verify_job *j)
{
        if (!j)
                return;
        sa_worker_join(&j->worker);
        if (j->rootfd >= 0)
                close(j->rootfd);
        free(j->pairs);
        free(j);
}

int sa_scanner_verify_start(sa_scanner *s, unsigned flags, sa_verify_job **ret)
{
        sa_verify_job *j;
        int r;

        if (!s->owners)
                return -ENODATA;
        j = calloc(1, sizeof *j);
        if (!j)
                return -ENOMEM;
        j->worker = (sa_worker) SA_WORKER_INIT;
        j->identity = !(flags & SA_REFRESH_EXITS_KNOWN);
        j->t0 = now_usec(CLOCK_MONOTONIC);
        /* Its own PROC_ROOT: the index may be rebuilt (or freed) meanwhile. */
        j->rootfd = fcntl(sa_ownerindex_rootfd(s->owners), F_DUPFD_CLOEXEC, 3);
        r = j->rootfd < 0 ? -errno : sa_ownerindex_verify_take(s->owners, NULL, 0, &j->pairs, &j->n);
        if (r >= 0)
                r = sa_worker_start(&j->worker, job_read, j);
        if (r < 0) {
                sa_verify_job_cancel(j);
                return r;
        }
        *ret = j;
        return 0;
}

int sa_verify_job_fd(const sa_verify_job *j)
{
        return j->worker.efd;
}

int sa_scanner_verify_finish(sa_scanner *s, sa_verify_job *j, sa_refresh_info *info)
{
        sa_verify_result vr = { 0 };
        int r = 0;

        sa_worker_join(&j->worker);
        if (s->owners)
                r = sa_ownerindex_verify_apply(s->owners, j->pairs, j->n, &vr);
        for (size_t i = 0; r >= 0 && i < vr.n_reused; i++)
                r = sa_scanner_note_new(s, vr.reused[i], 0);
        if (info) {
                *info = (sa_refresh_info) { .verified = vr.checked, .dropped = vr.dropped };
                info->usec = now_usec(CLOCK_MONOTONIC) - j->t0;
        }
        free(vr.reused);
        sa_verify_job_cancel(j);
        return r;
}
