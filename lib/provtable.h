/* SPDX-License-Identifier: MIT */
/*
 * Shared provenance verdicts (lib/provtable.c): one immutable, refcounted
 * sa_exe_provenance per running image, keyed by what the verdict depends
 * on (the image's identity, its path, whether the path still names it,
 * the process's root), and the scanner's table of them, so that a process
 * kept across refreshes keeps its verdict, the workers of one master share
 * one, and a process that exec'd (another key) gets none until it is
 * checked. Refcounts are atomic (a snapshot may be freed on any thread);
 * the table belongs to one thread (the scanner's). Internal to the library.
 */
#ifndef SA_PROVTABLE_H
#define SA_PROVTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <jansson.h>

#include "provenance.h"
#include "sockaudit.h"

#define SA_PROVTABLE_MAX 4096           /* verdicts kept; unused ones are dropped first */

typedef struct sa_provkey {
        dev_t dev, root_dev;
        ino_t ino, root_ino;
        off_t size;
        struct timespec mtime, ctime;
        bool deleted, replaced;         /* as sa_process's exe_deleted and exe_replaced */
        char *path;                     /* the exe path, " (deleted)" stripped (owned by whoever holds the key) */
} sa_provkey;

/*
 * The key of PROC_ROOT/PID's running image now: two stats (the image
 * through exe, the root); path, deleted and replaced from p (its exe,
 * exe_deleted, exe_replaced as sa_process_read saw them), or with p NULL
 * the path from a readlink (" (deleted)" stripped as sa_process_read does)
 * and replaced left false for the caller to set. 0 with *ret filled
 * (ret->path malloc'd: sa_provkey_clear), -errno (gone, a kernel thread:
 * no image).
 */
int sa_provkey_read(const char *proc_root, pid_t pid, const sa_process *p, sa_provkey *ret);
void sa_provkey_clear(sa_provkey *k);

/* A new verdict from v, refcount 1 (the caller's). NULL on ENOMEM. */
const sa_exe_provenance *sa_exe_provenance_new(const sa_provenance *v);
/* sa_exe_provenance_ref, _unref and _same: sockaudit.h. */

/*
 * An owner's provenance members as records carry them (docs/RECORDS.md,
 * lib/json.c): set on object o (none when e is NULL), 0 or nonzero on
 * ENOMEM; and read back from o, types checked, strings bounded: *ret NULL
 * when absent or not understood; 0, -ENOMEM.
 */
int sa_exe_provenance_to_json(json_t *o, const sa_exe_provenance *e);
int sa_exe_provenance_from_json(const json_t *o, const sa_exe_provenance **ret);

typedef struct sa_provtable sa_provtable;

int sa_provtable_new(sa_provtable **ret);
sa_provtable *sa_provtable_free(sa_provtable *t);

/* The verdict stored for k (borrowed), NULL if none. O(1). */
const sa_exe_provenance *sa_provtable_get(sa_provtable *t, const sa_provkey *k);

/*
 * Stores e (one more reference taken) under k (copied), replacing what was
 * there. When full, verdicts no snapshot uses are dropped first; still
 * full: -ENOSPC. 1 when the stored verdict is new or differs, 0 when it
 * was already there, -ENOMEM.
 */
int sa_provtable_put(sa_provtable *t, const sa_provkey *k, const sa_exe_provenance *e);

/* Drops the verdicts only the table holds (no snapshot's process uses them). */
void sa_provtable_prune(sa_provtable *t);
size_t sa_provtable_size(const sa_provtable *t);

#endif
