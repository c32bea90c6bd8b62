/* SPDX-License-Identifier: MIT */
/*
 * The running image of a process (lib/exeimage.c): the file behind
 * PROC_ROOT/PID/exe, opened through that link (the running file, even when
 * its path now holds another file or the process sees another mount
 * namespace), hashed once (MD5 and SHA-256 with OpenSSL's EVP) and cached
 * by the opened file's identity; and where the image lives (memfd, deleted,
 * a temporary directory, a world-writable directory). Internal to the
 * library.
 */
#ifndef SA_EXEIMAGE_H
#define SA_EXEIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "sockaudit.h"

#define SA_EXEIMAGE_SIZE_MAX (UINT64_C(1) << 30)   /* larger images are not hashed: -EFBIG */
#define SA_EXECACHE_DEFAULT  1024                  /* cached images */


typedef struct sa_exeimage {
        char path[4096];                /* readlink of exe, " (deleted)" stripped when deleted_mark ("" if unreadable) */
        bool deleted_mark;              /* the link ended in " (deleted)" and the file has no link left
                                         * (with links left, the suffix stays in path: it may be the name) */
        struct stat st;                 /* of the opened image */
        unsigned char md5[16];
        unsigned char sha256[32];
        char sha256_hex[65];            /* lowercase */
        sa_exe_location location;
        bool cached;                    /* the hashes came from the cache */
} sa_exeimage;

typedef struct sa_execache sa_execache;

/*
 * A cache of image hashes keyed by (st_dev, st_ino, size, mtime, ctime)
 * of the opened image, at most cap entries (0: SA_EXECACHE_DEFAULT), the
 * least recently used one replaced. Thread-safe: one mutex, not held while
 * hashing. 0 or -ENOMEM; free with sa_execache_free.
 */
int sa_execache_new(size_t cap, sa_execache **ret);
sa_execache *sa_execache_free(sa_execache *c);
void sa_execache_counts(sa_execache *c, uint64_t *ret_hits, uint64_t *ret_misses);

/*
 * Reads PROC_ROOT/PID/exe (proc_root NULL: "/proc"): its link text, the
 * opened image's stat, its hashes (from cache, which may be NULL, when the
 * identity is unchanged; else one read pass: up to SA_EXEIMAGE_SIZE_MAX
 * bytes, the cost of reading the file once), and its location class (the
 * directory checked through PROC_ROOT/PID/root with lib/rootpath.c).
 * 0 with *ret filled; -ESRCH/-ENOENT (gone, or a kernel thread), -EACCES,
 * -EAGAIN (the link changed while it was opened: an exec; ask again),
 * -EFBIG, -EIO (libcrypto failed), -ENOMEM. ret is large (~4.5 KiB).
 */
int sa_exeimage_read(sa_execache *cache, const char *proc_root, pid_t pid, sa_exeimage *ret);

/* The same, -EAGAIN where it would hash (no cache, or a miss): for an event loop. */
int sa_exeimage_read_quick(sa_execache *cache, const char *proc_root, pid_t pid, sa_exeimage *ret);

/*
 * The location class from the link text alone (path without " (deleted)",
 * deleted_mark, st_nlink) and dir_mode, the mode of the path's directory
 * (0 when unknown). Pure.
 */
sa_exe_location sa_exe_location_of(const char *path, bool deleted_mark, nlink_t nlink, mode_t dir_mode);

#endif
