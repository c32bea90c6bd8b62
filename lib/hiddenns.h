/* SPDX-License-Identifier: MIT */
/*
 * Network namespaces no process lives in and no /run/netns name holds,
 * found by what still holds them (issue 12 §2): a socket fd, an nsfs fd, or
 * an nsfs bind mount elsewhere. Only in Namespaces=all, only in full scans:
 * after the fd walk, its leads (unseen.h) are followed, and the mount
 * tables of every mount namespace read; each namespace found joins the set
 * (sa_netns_set_add_held()) to be dumped like any other.
 *
 * Without eBPF a socket's namespace costs a getxattr (is it TCP/UDP?), then
 * for those a pidfd_getfd and SIOCGSKNS; the answer is cached by socket
 * inode (a socket never changes namespace), so each socket is asked once.
 */
#ifndef SA_HIDDENNS_H
#define SA_HIDDENNS_H

#include <stddef.h>
#include <stdint.h>

#include "bpfscan.h"
#include "netns.h"
#include "procfd.h"
#include "unseen.h"

/* Sockets whose namespace is remembered; beyond, the cache starts anew. */
#define SA_HIDDENNS_CACHE_MAX ((size_t) 1 << 18)
/* TCP/UDP sockets asked (pidfd_getfd) per full scan; the rest wait for the next.
 * (The getxattr before costs less than the walk's readlinkat: not bounded apart.) */
#define SA_HIDDENNS_CHECKS_MAX 65536u
/* Of those, asked through the sa_scan_set_skns() asker (the daemon's broker:
 * a round trip, ~8 us, on the daemon's event loop) per full scan. */
#define SA_HIDDENNS_LENT_MAX 4096u
/* Mount namespaces whose mountinfo one full scan reads. */
#define SA_HIDDENNS_MNTNS_MAX 1024u

/* What a scanner remembers between full scans. */
typedef struct sa_hiddenns sa_hiddenns;

/* An empty cache. Caller frees. -ENOMEM. */
int sa_hiddenns_new(sa_hiddenns **ret);
/* Accepts NULL; returns NULL. */
sa_hiddenns *sa_hiddenns_free(sa_hiddenns *h);

/* The socket inode -> namespace map for the walk's filter (sa_unseen.checked). */
const sa_inomap *sa_hiddenns_checked(const sa_hiddenns *h);

/*
 * Follows the walk's leads (hits with idx SA_UNSEEN_*; grouped by pid):
 * each namespace they lead to that set lacks joins it, named by its first
 * holder ("held by pid N fd M"). Sockets whose namespace is unknown
 * (procfs) are asked at most SA_HIDDENNS_CHECKS_MAX a call, of them at
 * most SA_HIDDENNS_LENT_MAX through the asker (the others counted in
 * st->netns_unchecked, asked next time) and cached. Trouble with one lead
 * (gone, EPERM) is skipped; a namespace that could not be opened is tried
 * once a call, whatever number of sockets lead there. Returns how many
 * joined, or -ENOMEM, or -errno when the thread could not return to its
 * namespace.
 */
int sa_hiddenns_follow(sa_hiddenns *h, sa_netns_set *set, const sa_bpfscan_hit *leads, size_t n,
                       sa_scan_stats *st);

/*
 * Namespaces held by an nsfs bind mount: one stat of PROC_ROOT/PID/ns/mnt per
 * listed pid, and one read of PID/mountinfo per mount namespace (at most
 * SA_HIDDENNS_MNTNS_MAX); each one set lacks joins it, "held by mount PATH".
 * Returns how many joined, or as sa_hiddenns_follow().
 */
int sa_hiddenns_mounts(sa_netns_set *set, const sa_procfd_pid *pids, size_t n, sa_scan_stats *st);

#endif
