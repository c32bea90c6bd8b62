/* SPDX-License-Identifier: MIT */
/* The records lib/bpf/fdscan.bpf.c writes, as lib/bpfscan.c reads them. */
#ifndef SA_FDSCAN_H
#define SA_FDSCAN_H

#include <linux/types.h>

/* fd of the last record: ino holds the number of fds the walk saw. */
#define SA_FDSCAN_TRAILER 0xffffffffu

struct sa_fdscan_rec {
        __u32 tgid;             /* in the initial pid namespace */
        __u32 fd;
        __u64 ino;              /* socket inode, as in "socket:[INO]" */
};

#endif
