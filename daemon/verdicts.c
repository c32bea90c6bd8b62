/* SPDX-License-Identifier: MIT */
/* The last known verdict of each owner, by pid (verdicts.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verdicts.h"

struct verdict_entry {
        pid_t pid;
        const sa_exe_provenance *e;
};

static int cmp_entry(const void *a, const void *b)
{
        pid_t x = ((const verdict_entry *) a)->pid, y = ((const verdict_entry *) b)->pid;

        return x < y ? -1 : x > y;
}

static const sa_exe_provenance *remembered(const verdicts *v, pid_t pid)
{
        verdict_entry key = { .pid = pid }, *hit;

        hit = v->n ? bsearch(&key, v->e, v->n, sizeof *v->e, cmp_entry) : NULL;
        return hit ? hit->e : NULL;
}

static bool differs(const sa_exe_provenance *before, const sa_exe_provenance *now)
{
        return before && now && (before->status != now->status || strcmp(before->exe_sha256, now->exe_sha256) != 0);
}

/* fn for l when one of its holders' verdict changed. -ENOMEM. */
static int report(const verdicts *v, const sa_listener *l, verdicts_changed_fn fn, void *userdata)
{
        const sa_exe_provenance **befores;
        bool any = false;

        for (size_t k = 0; !any && k < l->n_holders; k++)
                any = differs(remembered(v, l->holders[k].proc->pid), l->holders[k].proc->provenance);
        if (!any)
                return 0;
        befores = calloc(l->n_holders, sizeof *befores);
        if (!befores)
                return -ENOMEM;
        for (size_t k = 0; k < l->n_holders; k++) {
                const sa_exe_provenance *b = remembered(v, l->holders[k].proc->pid);

                if (differs(b, l->holders[k].proc->provenance))
                        befores[k] = b;
        }
        fn(l, befores, userdata);
        free(befores);
        return 0;
}

int verdicts_update(verdicts *v, const sa_snapshot *snap, verdicts_changed_fn fn, void *userdata)
{
        verdict_entry *e = calloc(snap->n_procs + 1, sizeof *e);
        size_t n = 0;
        int r = 0;

        if (!e)
                return -ENOMEM;
        for (size_t i = 0; fn && r >= 0 && i < snap->n_listeners; i++)
                r = report(v, &snap->listeners[i], fn, userdata);
        if (r < 0) {
                free(e);
                return r;
        }
        for (size_t i = 0; i < snap->n_procs; i++) {
                const sa_process *p = snap->procs[i];
                const sa_exe_provenance *keep = p->provenance ? p->provenance : remembered(v, p->pid);

                if (keep)
                        e[n++] = (verdict_entry) { p->pid, sa_exe_provenance_ref(keep) };
        }
        qsort(e, n, sizeof *e, cmp_entry);
        verdicts_clear(v);
        v->e = e;
        v->n = n;
        return 0;
}

void verdicts_clear(verdicts *v)
{
        for (size_t i = 0; i < v->n; i++)
                sa_exe_provenance_unref(v->e[i].e);
        free(v->e);
        v->e = NULL;
        v->n = 0;
}
