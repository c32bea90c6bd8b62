/* SPDX-License-Identifier: MIT */
/*
 * The last known provenance verdict of each owner, by pid (daemon/verdicts.c):
 * what lets the monitor report a verdict that changed (verified, then
 * deleted once the package was upgraded under it) although the snapshots
 * in between showed it "not checked yet" while its job ran.
 */
#ifndef DAEMON_VERDICTS_H
#define DAEMON_VERDICTS_H

#include <stddef.h>

#include "sockaudit.h"

typedef struct verdict_entry verdict_entry;

typedef struct verdicts {
        verdict_entry *e;       /* sorted by pid; each holds a reference */
        size_t n;
} verdicts;

/* befores[k]: holder k's verdict before, when it changed; NULL where it did not. */
typedef void (*verdicts_changed_fn)(const sa_listener *l, const sa_exe_provenance *const *befores,
                                    void *userdata);

/*
 * Calls fn (if not NULL) once for each listener of snap one of whose
 * holders has a verdict other than the one remembered for its pid (status
 * or exe_sha256; both known), then remembers snap's verdicts: a process of
 * snap without one keeps what was remembered, pids not in snap are
 * forgotten. Costs a sort of snap's processes and a search per holder.
 * 0, or -ENOMEM (nothing changed).
 */
int verdicts_update(verdicts *v, const sa_snapshot *snap, verdicts_changed_fn fn, void *userdata);
void verdicts_clear(verdicts *v);

#endif
