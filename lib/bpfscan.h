/* SPDX-License-Identifier: MIT */
/*
 * The full fd walk done by an eBPF iterator (iter/task_file,
 * lib/bpf/fdscan.bpf.c): every process's socket fds in one read, in every
 * namespace, for a fraction of what a readlinkat per fd costs
 * (docs/PERFORMANCE.md). Optional at build time (SA_HAVE_BPF) and at run
 * time: loading needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) and the
 * kernel's BTF; reading the loaded iterator needs no capability.
 */
#ifndef SA_BPFSCAN_H
#define SA_BPFSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inomap.h"
#include "sockaudit.h"
#include "unseen.h"

typedef struct sa_bpfscan sa_bpfscan;

/*
 * Loads the iterator and checks that it reports this process's own socket
 * under getpid() (it reports pids of the initial pid namespace). On failure
 * returns -errno (-ENXIO: loaded, but that check failed; -EPERM: loading was
 * refused) and writes why into why (why_size bytes, may be 0).
 */
int sa_bpfscan_open(sa_bpfscan **ret, char *why, size_t why_size);
sa_bpfscan *sa_bpfscan_free(sa_bpfscan *b);

/* An fd that points at a wanted socket; idx is want's value for inode.
 * Or a lead to an unseen namespace: idx SA_UNSEEN_SOCKET or _NSFD (unseen.h). */
typedef struct sa_bpfscan_hit {
        pid_t pid;
        int fd;
        uint32_t inode;
        uint32_t netns;         /* leads: the namespace's inode; 0 unknown */
        size_t idx;
} sa_bpfscan_hit;

/*
 * One walk of every process: the fds whose socket inode is in want, in pid
 * order, each pid's fds together (*ret, caller frees; NULL when *ret_n is
 * 0). Adds the fds seen to stats->fds and the wall time to
 * stats->proc_usec. With unseen (may be NULL), also the TCP/UDP socket fds
 * whose namespace is not in unseen->known, and the nsfs fds of namespaces
 * not in it, as leads (no system call: the iterator reads the namespace).
 * -errno when the walk could not be read to its end.
 */
int sa_bpfscan_walk(sa_bpfscan *b, const sa_inomap *want, const sa_unseen *unseen,
                    sa_bpfscan_hit **ret, size_t *ret_n, sa_scan_stats *stats);

#endif
