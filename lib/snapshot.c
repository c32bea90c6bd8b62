/* SPDX-License-Identifier: MIT */
/*
 * The snapshot object (lib/include/sockaudit.h): the order of its listeners, the
 * inode->process join that gives them their holders (from a full scan's
 * walk or from the owner index), the owner verdicts, and its destructor.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "activation.h"
#include "argv.h"
#include "process.h"
#include "scanner.h"

int sa_listener_cmp(const void *a, const void *b)
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

static int cmp_proc_pid(const void *a, const void *b)
{
        pid_t x = (*(const sa_process *const *) a)->pid, y = (*(const sa_process *const *) b)->pid;

        return x < y ? -1 : x > y;
}

/* j->old's details of pid, or NULL. */
static const sa_process *old_of(const sa_join *j, pid_t pid)
{
        sa_process key = { .pid = pid };
        const sa_process *k = &key, **hit;

        if (j->n_old == 0)
                return NULL;
        hit = bsearch(&k, j->old, j->n_old, sizeof *j->old, cmp_proc_pid);
        return hit ? *hit : NULL;
}

int sa_join_keep_details(sa_join *j, const sa_snapshot *old, const pid_t *reread, size_t n_reread)
{
        j->old = calloc(old->n_procs ? old->n_procs : 1, sizeof *j->old);
        if (!j->old)
                return -ENOMEM;
        for (size_t i = 0; i < old->n_procs; i++) {
                const sa_process *p = old->procs[i];
                bool again = p->incomplete;

                for (size_t k = 0; k < n_reread && !again; k++)
                        again = reread[k] == p->pid;
                if (!again)
                        j->old[j->n_old++] = p;
        }
        qsort(j->old, j->n_old, sizeof *j->old, cmp_proc_pid);
        return 0;
}

/* Details of the process being joined, read once. A vanished one is kept
 * with its pid only and marked incomplete: it held the socket a moment ago. */
static int join_current(sa_join *j, pid_t pid, sa_process **ret)
{
        sa_snapshot *snap = j->snap;
        sa_process *p = NULL;

        if (j->cur && j->cur_pid == pid) {
                *ret = j->cur;
                return 0;
        }
        if (old_of(j, pid)) {
                if (sa_process_copy(old_of(j, pid), &p) < 0)
                        return -ENOMEM;
                j->copied++;
        } else if (sa_process_read(j->proc_root, pid, j->users, &p) < 0) {
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
        sa_join_provenance(j, p);
        /* Identical command lines (forked children) are kept once. */
        if (sa_argv_intern(&j->argvs, p) < 0 ||
            sa_grow((void **) &snap->procs, &j->procs_cap, snap->n_procs, sizeof *snap->procs) < 0) {
                sa_process_free(p);
                return -ENOMEM;
        }
        snap->procs[snap->n_procs++] = p;
        j->cur = p;
        j->cur_pid = pid;
        *ret = p;
        return 0;
}

int sa_join_hit(sa_join *j, pid_t pid, int fd, size_t idx)
{
        sa_listener *l = &j->snap->listeners[idx];
        sa_process *p;
        sa_holder *h;
        int r = join_current(j, pid, &p);

        if (r < 0)
                return r;
        /* Hits are grouped by pid, so this process's holder is the last one. */
        h = l->n_holders > 0 ? &l->holders[l->n_holders - 1] : NULL;
        if (!h || h->proc != p) {
                sa_holder *hs;

                /* A holder's only fd lives in it (fd_one): pointed at again after the move. */
                for (size_t k = 0; k < l->n_holders; k++)
                        if (l->holders[k].fds == &l->holders[k].fd_one)
                                l->holders[k].fds = NULL;
                hs = realloc(l->holders, (l->n_holders + 1) * sizeof *hs);
                if (hs)
                        l->holders = hs;
                for (size_t k = 0; k < l->n_holders; k++)
                        if (!l->holders[k].fds)
                                l->holders[k].fds = &l->holders[k].fd_one;
                if (!hs)
                        return -ENOMEM;
                h = &hs[l->n_holders++];
                *h = (sa_holder) { .proc = p };
        }
        if (h->n_fds == 0) {
                h->fd_one = fd;
                h->fds = &h->fd_one;
                h->n_fds = 1;
                return 0;
        }
        int *fds = h->fds == &h->fd_one ? malloc(2 * sizeof *fds) : realloc(h->fds, (h->n_fds + 1) * sizeof *fds);
        if (!fds)
                return -ENOMEM;
        if (h->fds == &h->fd_one)
                fds[0] = h->fd_one;
        h->fds = fds;
        h->fds[h->n_fds++] = fd;
        return 0;
}

void sa_join_done(sa_join *j)
{
        free(j->old);
        j->old = NULL;
        j->n_old = 0;
        sa_argv_table_clear(&j->argvs);
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

int sa_snapshot_judge(sa_snapshot *snap, const char *proc_root)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < snap->n_listeners; i++) {
                judge_owners(&snap->listeners[i], &snap->stats);
                r = sa_activation_annotate(proc_root, &snap->listeners[i]);
        }
        return r;
}

sa_snapshot *sa_snapshot_free(sa_snapshot *snap)
{
        if (!snap)
                return NULL;
        for (size_t i = 0; i < snap->n_listeners; i++) {
                sa_listener *l = &snap->listeners[i];
                for (size_t k = 0; k < l->n_holders; k++) {
                        if (l->holders[k].fds != &l->holders[k].fd_one)
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
