/* SPDX-License-Identifier: MIT */
/* One daemon per state directory: an flock on DIR/lock, held for the daemon's life. */
#ifndef SAD_STATELOCK_H
#define SAD_STATELOCK_H

#include <stddef.h>

#define STATELOCK_FILE_NAME "lock"

/*
 * Makes dir this daemon's alone: creates it (0700) when missing, checks it
 * as the baseline's directory (state_dir_check(): a directory others could
 * write is not locked, for anyone there could hold the lock and keep the
 * daemon from starting), opens DIR/lock (created 0600; no symlink followed,
 * nothing but a regular file accepted), takes an exclusive flock without
 * waiting and writes our pid into it. Returns the fd, which holds the lock
 * until the process exits (O_CLOEXEC). -EBUSY: another process holds it
 * (err names its pid when the file gives one); -EPERM: dir refused;
 * -errno otherwise. err says what failed.
 */
int statelock_acquire(const char *dir, char *err, size_t errlen);

#endif
