/* SPDX-License-Identifier: MIT */
/* The records lib/bpf/fdscan.bpf.c writes, as lib/bpfscan.c reads them. */
#ifndef SA_FDSCAN_H
#define SA_FDSCAN_H

#include <linux/types.h>

/* fd of the last record: ino holds the number of fds the walk saw (mod 2^32). */
#define SA_FDSCAN_TRAILER 0xffffffffu

/*
 * A socket fd: ino its inode, netns the inode of its network namespace when
 * it is a TCP or UDP socket (IPv4 or IPv6), else 0. An nsfs fd (any
 * namespace type): ino 0, netns that namespace's inode.
 */
struct sa_fdscan_rec {
        __u32 tgid;             /* in the initial pid namespace */
        __u32 fd;
        __u32 ino;              /* socket inode, as in "socket:[INO]"; 0: an nsfs fd */
        __u32 netns;
};

#endif
