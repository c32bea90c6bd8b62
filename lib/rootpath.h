/* SPDX-License-Identifier: MIT */
/*
 * Opening a path inside another process's root (lib/rootpath.c): the
 * /proc/PID/root of a container or of a user's own mount namespace, whose
 * symlinks its owner chose. Internal to the library.
 */
#ifndef SA_ROOTPATH_H
#define SA_ROOTPATH_H

#include <stdbool.h>

/*
 * Opens path (absolute or not, taken relative to root_fd either way) as if
 * root_fd were "/": with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS),
 * so ".." and absolute symlinks stay inside it and no /proc magic link
 * leads out. flags are open(2)'s (O_CLOEXEC is added; O_NOFOLLOW refuses a
 * symlink as the last component). Where the kernel has no openat2 (before
 * 5.6: ENOSYS), or a seccomp filter refuses it (EPERM), it falls back to a walk that opens each component with
 * O_NOFOLLOW: any symlink on the way is then refused (-ELOOP), never
 * followed. Returns the fd (caller closes) or -errno.
 */
int sa_root_open(int root_fd, const char *path, int flags);

/* Test hook: true makes sa_root_open() take the fallback, as without openat2. */
void sa_root_open_force_fallback(bool force);

#endif
