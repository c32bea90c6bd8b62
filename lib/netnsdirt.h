/* SPDX-License-Identifier: MIT */
/*
 * Which namespaces a refresh must dump (issue 12): with events on (eBPF
 * listen and close events for every namespace, the daemon says), only those
 * an event marked since the snapshot's last unfiltered dump of them, those
 * never dumped so, and those in their hot window (a listen event fires
 * inside listen(), before the socket can be dumped); the others' records
 * are taken from the snapshot. Events off: every namespace, every time.
 * Sequence numbers, not flags, so that an event that comes while a dump
 * runs keeps its namespace dirty. Everything O(1) but marking by cookie
 * and the counts (O(namespaces)).
 */
#ifndef SA_NETNSDIRT_H
#define SA_NETNSDIRT_H

#include <stdbool.h>
#include <stdint.h>

#include <netlink/netlink.h>

#include "netns.h"

/* The namespace of inode ino in set, or NULL. O(log n). */
sa_netns *sa_netns_find(const sa_netns_set *set, uint64_t ino);

/* A dump of every namespace begins: the sequence number its namespaces are clean as of. */
uint64_t sa_netns_dump_seq(sa_netns_set *set);

/* The periodic resync dumps every namespace at least this often, events or not. */
#define SA_NETNS_FULL_DUMP_USEC (600ULL * 1000000ULL)

/* Whether a refresh now must dump ns. */
bool sa_netns_dirty(const sa_netns_set *set, const sa_netns *ns, uint64_t now);

/*
 * An event changed the namespace of inode ino (0: unknown) or cookie
 * (0: unknown); hot_until (CLOCK_MONOTONIC, 0: none) keeps it dumped until
 * then. True when found; an event for no namespace of the set marks
 * nothing (one not found yet is dumped anyway: never dumped).
 */
bool sa_netns_mark(sa_netns_set *set, uint64_t ino, uint64_t cookie, uint64_t hot_until);

/* Events were lost: every namespace is dirty. */
void sa_netns_mark_all(sa_netns_set *set);

/* Chooses the namespaces a refresh dumps (ns->pick); how many. */
size_t sa_netns_pick(sa_netns_set *set, uint64_t now);

/* The snapshot installed now holds ns's records as of the dump that began at seq. */
void sa_netns_cleaned(sa_netns *ns, uint64_t seq);

/* Dirty and clean namespaces now. */
void sa_netns_dirt_counts(const sa_netns_set *set, uint64_t now, size_t *ret_dirty, size_t *ret_clean);

/* ns->cookie from nl, a socket made inside it, when not known yet (one getsockopt). */
void sa_netns_cookie_learn(sa_netns *ns, struct nl_sock *nl);

#endif
