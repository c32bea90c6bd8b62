/* SPDX-License-Identifier: MIT */
/*
 * The baseline kept across restarts: the watched listeners known at the
 * last change and the policy violations already reported, in one JSON file
 * written atomically (temporary file, fsync, rename, fsync of the directory).
 */
#ifndef SAD_STATE_H
#define SAD_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sockaudit.h"

#define STATE_DEFAULT_DIR "/var/lib/sockaudit"
#define STATE_FILE_NAME   "state.json"

typedef struct state {
        sa_snapshot *known;      /* watched listeners at the last save */
        bool same_boot;          /* saved during this boot: socket cookies still mean something */
        char **violations;       /* keys of violations already reported */
        size_t n_violations;
} state;

/* This boot's id (/proc/sys/kernel/random/boot_id) into buf, "" if unknown. */
void state_boot_id(char *buf, size_t size);

/*
 * Reads path. -ENOENT when there is none; -EBADMSG for a corrupt or
 * truncated file, with the problem in err. Caller frees with state_clear().
 */
int state_load(const char *path, state *ret, char *err, size_t errlen);
void state_clear(state *s);

/*
 * Writes listeners (a JSON array, borrowed) and the violation keys to path
 * atomically: the old file stays intact if anything fails (-ENOSPC, ...).
 */
int state_save(const char *path, const json_t *listeners, char *const *violations, size_t n);

#endif
