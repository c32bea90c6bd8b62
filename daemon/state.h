/* SPDX-License-Identifier: MIT */
/*
 * The baseline kept across restarts: the watched listeners known at the
 * last change, the policy violations already reported, what the TLS
 * probes reported at each place (daemon/tlsprobes.c) and the exposure
 * violations reported at each place (daemon/reachability.c), in one JSON file
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

/* Records other modules keep in the baseline, each an array under its name. */
typedef enum state_kept {
        STATE_KEPT_TLS,          /* "tls": the TLS probes' records (tlsprobes.c) */
        STATE_KEPT_EXPOSURE,     /* "exposure": exposure_exceeded reported per place (reachability.c) */
        _STATE_KEPT_MAX,
} state_kept;

typedef struct state {
        sa_snapshot *known;      /* watched listeners at the last save */
        bool same_boot;          /* saved during this boot: socket cookies still mean something */
        char **violations;       /* keys of violations already reported */
        size_t n_violations;
        json_t *kept[_STATE_KEPT_MAX]; /* arrays by state_kept, NULL: none */
} state;

/*
 * Whether dir may hold the baseline: a directory (symlinks followed) owned
 * by root or by the daemon's own user, writable by neither group nor
 * others. Anyone else who can write there could plant a baseline that
 * marks their violations as already reported (silencing them) or swap the
 * files under us. 0, or -EPERM with the reason in err; -errno when it
 * cannot be stat'ed.
 */
int state_dir_check(const char *dir, char *err, size_t errlen);

/*
 * This boot's id into buf (at least 37 bytes), "" if unknown: from
 * $SOCKAUDIT_BOOT_ID when set, else /proc/sys/kernel/random/boot_id. The
 * unit passes systemd's %b: its sandbox's /proc (ProcSubset=pid) has no
 * sys/.
 */
#define STATE_BOOT_ID_ENV "SOCKAUDIT_BOOT_ID"
void state_boot_id(char *buf, size_t size);

/* text (32 hex digits, or a UUID with dashes) as a lowercase UUID into buf
 * (at least 37 bytes): 0, or -EINVAL. */
int state_boot_id_parse(const char *text, char *buf, size_t size);

/*
 * Reads path. -ENOENT when there is none; -EBADMSG for a corrupt or
 * truncated file (or a kept member, "tls" or "exposure", that is not an
 * array), with the problem in
 * err. Caller frees with state_clear().
 */
int state_load(const char *path, state *ret, char *err, size_t errlen);
void state_clear(state *s);

/*
 * Writes listeners (a JSON array, borrowed) and the violation keys to path
 * atomically: the old file stays intact if anything fails (-ENOSPC, ...).
 * The temporary file PATH.tmp is created with O_EXCL: whatever was there
 * (a leftover, a symlink or hard link someone planted) is unlinked first,
 * never followed nor truncated.
 */
int state_save(const char *path, const json_t *listeners, char *const *violations, size_t n);

/*
 * state_save() in two halves, for a writer thread (saver.h): the file's
 * bytes (ending in a newline; caller frees *ret), cheap and on the loop,
 * then the slow part, the atomic write (two fsyncs), anywhere. kept (the
 * arrays by state_kept, borrowed; NULL ones: none) are saved by their names.
 */
int state_serialize(const json_t *listeners, char *const *violations, size_t n, json_t *const *kept, char **ret,
                    size_t *ret_len);
int state_write(const char *path, const char *buf, size_t len);

#endif
