/* SPDX-License-Identifier: MIT */
/*
 * The owner index made anew after a full scan (sa_scanner_index_rebuild(),
 * lib/scanner.h): snap's listeners and holders, the listing and the inode
 * marks the scan took, and the processes noted meanwhile kept new.
 */
#include <errno.h>
#include <stdlib.h>

#include "scanner.h"

/* Orders a listing by pid (procfs gives it sorted; fixture trees do not). */
static int cmp_pid_entry(const void *a, const void *b)
{
        const sa_procfd_pid *x = a, *y = b;

        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void sa_procfd_pids_sort(sa_procfd_pid *pids, size_t n)
{
        if (n > 0)      /* pids may be NULL then */
                qsort(pids, n, sizeof *pids, cmp_pid_entry);
}

/* The index made anew from snap's listeners and holders. */
static int index_fill(sa_scanner *s, const sa_snapshot *snap)
{
        int r;

        if (!s->owners) {
                r = sa_ownerindex_new(s->proc_root, &s->owners);
                if (r < 0)
                        return r;
        }
        sa_ownerindex_clear(s->owners);
        for (size_t i = 0; i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];

                r = sa_ownerindex_add_socket(s->owners, l->inode, l->cookie);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < l->n_holders; k++)
                        for (size_t j = 0; j < l->holders[k].n_fds; j++) {
                                pid_t pid = l->holders[k].proc->pid;
                                uint64_t start = 0;

                                /* A process's start time is read once a fill, not per pair. */
                                (void) sa_ownerindex_has_pid(s->owners, pid, &start);
                                r = sa_ownerindex_add_start(s->owners, l->inode, pid, l->holders[k].fds[j], start);
                                if (r == -ENOMEM)
                                        return r;
                        }
        }
        return 0;
}

/* Processes noted after the walk began (after since_seq) may have been
 * missed by it: they stay new, to be walked against the new index. */
static void fresh_keep_after(sa_scanner *s, uint64_t since_seq)
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

int sa_scanner_index_rebuild(sa_scanner *s, const sa_snapshot *snap, sa_procfd_pid *pids,
                             size_t n_pids, uint32_t *marks, size_t n_marks, uint64_t since_seq)
{
        int r = index_fill(s, snap);

        if (r < 0) {
                free(pids);
                free(marks);
                s->owners = sa_ownerindex_free(s->owners);
                return r;
        }
        sa_procfd_pids_sort(pids, n_pids);
        free(s->pids);
        s->pids = pids;
        s->n_pids = n_pids;
        fresh_keep_after(s, since_seq);
        s->full_gen++;
        free(s->marks);
        s->marks = marks;
        s->n_marks = n_marks;
        s->lost = false;
        sa_scanner_details_read(s);
        return 0;
}
