/* SPDX-License-Identifier: MIT */
/* Socket inode -> listener index: the set of inodes a /proc walk looks for. */
#ifndef SA_INOMAP_H
#define SA_INOMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sa_inomap sa_inomap;

/* Open-addressing hash sized for about hint entries. Caller frees. */
int sa_inomap_new(size_t hint, sa_inomap **ret);
sa_inomap *sa_inomap_free(sa_inomap *m);
/* Maps ino (non-zero) to idx, replacing an earlier mapping. -ENOMEM, -EINVAL. */
int sa_inomap_put(sa_inomap *m, uint32_t ino, size_t idx);
/* True and *ret_idx set when ino is in the map. O(1). */
bool sa_inomap_get(const sa_inomap *m, uint32_t ino, size_t *ret_idx);
size_t sa_inomap_size(const sa_inomap *m);

#endif
