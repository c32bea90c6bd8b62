/* SPDX-License-Identifier: MIT */
/*
 * What a full scan's fd walk (lib/procfd.c, lib/bpfscan.c) reports beyond
 * the wanted sockets, so that lib/hiddenns.c can find network namespaces no
 * dump covered: socket fds whose namespace is not a dumped one (or not yet
 * known), and nsfs fds of namespaces not dumped. Types only.
 */
#ifndef SA_UNSEEN_H
#define SA_UNSEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inomap.h"

/* A hit's idx for these: not a listener, a lead to a namespace. */
#define SA_UNSEEN_SOCKET ((size_t) -1)  /* inode: a socket; netns: its namespace, 0 unknown */
#define SA_UNSEEN_NSFD   ((size_t) -2)  /* netns: the nsfs inode of any namespace type */

typedef struct sa_unseen {
        const uint32_t *known;  /* dumped namespaces' inodes, sorted */
        size_t n_known;
        const sa_inomap *checked; /* procfs: socket inode -> its namespace's inode,
                                   * 0 when not TCP/UDP (lib/hiddenns.c's cache) */
} sa_unseen;

/* Whether namespace ino is one of u's dumped ones (0 counts as dumped). O(log n). */
static inline bool sa_unseen_known(const sa_unseen *u, uint32_t ino)
{
        size_t lo = 0, hi = u->n_known;

        if (ino == 0)
                return true;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (u->known[mid] == ino)
                        return true;
                if (u->known[mid] < ino)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

#endif
