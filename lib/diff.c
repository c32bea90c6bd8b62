/* SPDX-License-Identifier: MIT */
/* Snapshot diffing: which listeners came, went, or changed hands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockaudit.h"

const char *sa_change_kind_name(sa_change_kind kind)
{
        switch (kind) {
        case SA_CHANGE_ADDED:
                return "listener_added";
        case SA_CHANGE_REMOVED:
                return "listener_removed";
        case SA_CHANGE_OWNER:
                return "owner_changed";
        }
        return "?";
}

static int cmp_num(uint64_t a, uint64_t b)
{
        return a < b ? -1 : a > b;
}

/* By inode, or across boots by name: a namespace's inode means nothing after a reboot. */
static int cmp_netns(const sa_listener *a, const sa_listener *b, bool across_boots)
{
        int c;

        if (!across_boots)
                return cmp_num(a->netns, b->netns);
        c = strcmp(a->netns_name, b->netns_name);
        return c || a->netns_name[0] ? c : cmp_num(a->netns, b->netns);
}

static int cmp_place(const sa_listener *a, const sa_listener *b, bool across_boots)
{
        int c;

        if ((c = cmp_netns(a, b, across_boots)) ||
            (c = cmp_num(a->proto, b->proto)) ||
            (c = cmp_num(a->family, b->family)) ||
            (c = cmp_num(a->port, b->port)))
                return c;
        return memcmp(a->addr, b->addr, sizeof a->addr);
}

static int cmp_socket(const sa_listener *a, const sa_listener *b)
{
        int c = cmp_num(a->cookie, b->cookie);
        return c ? c : cmp_place(a, b, false);
}

/* qsort has no context argument: the key is chosen by comparator. */
static int cmp_ptr_socket(const void *x, const void *y)
{
        return cmp_socket(*(const sa_listener *const *) x, *(const sa_listener *const *) y);
}

static int cmp_ptr_address(const void *x, const void *y)
{
        return cmp_place(*(const sa_listener *const *) x, *(const sa_listener *const *) y, true);
}

static int cmp_str(const char *a, const char *b)
{
        if (!a || !b)
                return a ? 1 : b ? -1 : 0;
        return strcmp(a, b);
}

/*
 * A program: what a person means by "who holds it", pids aside: its exe and
 * unit. Not its user: apache2's root parent and www-data children are one
 * program, and a moment with only the parent is no change of owner.
 */
static int cmp_program(const sa_process *a, const sa_process *b)
{
        int c = cmp_str(a->exe, b->exe);

        return c ? c : cmp_str(a->unit, b->unit);
}

static int cmp_ptr_program(const void *x, const void *y)
{
        return cmp_program(*(const sa_process *const *) x, *(const sa_process *const *) y);
}

/*
 * Sorted, de-duplicated programs of l's complete holders into a new array
 * (*ret_n entries). An incomplete holder (exiting, unreadable), or one
 * whose exe could not be read (an apache2 worker exiting mid-walk), names
 * no program: what is missing from it is not a change.
 */
static int programs_of(const sa_listener *l, const sa_process ***ret, size_t *ret_n)
{
        const sa_process **p = calloc(l->n_holders + 1, sizeof *p);
        size_t n = 0, k = 0;

        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < l->n_holders; i++)
                if (!l->holders[i].proc->incomplete && l->holders[i].proc->exe)
                        p[k++] = l->holders[i].proc;
        qsort(p, k, sizeof *p, cmp_ptr_program);
        for (size_t i = 0; i < k; i++)
                if (n == 0 || cmp_program(p[n - 1], p[i]) != 0)
                        p[n++] = p[i];
        *ret = p;
        *ret_n = n;
        return 0;
}

/*
 * 1 when the sets of programs holding a and b differ, 0 when equal or
 * unknown: a side whose holders are all incomplete says nothing.
 */
static int programs_differ(const sa_listener *a, const sa_listener *b)
{
        const sa_process **pa = NULL, **pb = NULL;
        size_t na, nb;
        int r = programs_of(a, &pa, &na);

        if (r < 0)
                return r;
        r = programs_of(b, &pb, &nb);
        if (r >= 0 && ((na == 0 && a->n_holders > 0) || (nb == 0 && b->n_holders > 0)))
                r = 0;
        else if (r >= 0) {
                r = na != nb;
                for (size_t i = 0; r == 0 && i < na; i++)
                        r = cmp_program(pa[i], pb[i]) != 0;
        }
        free(pa);
        free(pb);
        return r;
}

/* Pointers to the listeners of snap passing f, sorted by the diff key. */
static int sorted_view(const sa_snapshot *snap, const sa_filter *f,
                       int (*cmp)(const void *, const void *),
                       const sa_listener ***ret, size_t *ret_n)
{
        size_t cap = snap ? snap->n_listeners : 0, n = 0;
        const sa_listener **v = calloc(cap + 1, sizeof *v);

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < cap; i++)
                if (sa_listener_match(&snap->listeners[i], f))
                        v[n++] = &snap->listeners[i];
        qsort(v, n, sizeof *v, cmp);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int push(sa_change **v, size_t *n, sa_change c)
{
        sa_change *nv = realloc(*v, (*n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        nv[(*n)++] = c;
        *v = nv;
        return 0;
}

int sa_snapshot_diff(const sa_snapshot *old, const sa_snapshot *new, const sa_filter *f,
                     sa_diff_key key, sa_change **ret_changes, size_t *ret_n)
{
        int (*cmp)(const void *, const void *) =
                key == SA_DIFF_BY_ADDRESS ? cmp_ptr_address : cmp_ptr_socket;
        const sa_listener **a = NULL, **b = NULL;
        sa_change *out = NULL;
        size_t na = 0, nb = 0, n = 0, i = 0, k = 0;
        int r;

        if ((r = sorted_view(old, f, cmp, &a, &na)) < 0 ||
            (r = sorted_view(new, f, cmp, &b, &nb)) < 0)
                goto fail;

        /* Merge walk over both sorted views. */
        while (i < na || k < nb) {
                int c = i == na ? 1 : k == nb ? -1 : cmp(&a[i], &b[k]);
                if (c < 0) {
                        r = push(&out, &n, (sa_change) { SA_CHANGE_REMOVED, a[i++], NULL });
                } else if (c > 0) {
                        r = push(&out, &n, (sa_change) { SA_CHANGE_ADDED, NULL, b[k++] });
                } else {
                        r = programs_differ(a[i], b[k]);
                        if (r > 0)
                                r = push(&out, &n, (sa_change) { SA_CHANGE_OWNER, a[i], b[k] });
                        i++;
                        k++;
                }
                if (r < 0)
                        goto fail;
        }
        free(a);
        free(b);
        *ret_changes = out;
        *ret_n = n;
        return 0;
fail:
        free(a);
        free(b);
        free(out);
        return r;
}
