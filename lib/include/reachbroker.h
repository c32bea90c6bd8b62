/* SPDX-License-Identifier: MIT */
/*
 * The daemon's reachability (docs/REACHABILITY.md#in-the-daemon), in two
 * parts:
 *  - the broker: `sockaudit-reach --broker`, exec'd before the daemon drops
 *    its capabilities, keeps CAP_NET_ADMIN and CAP_SYS_ADMIN only and does
 *    three things for it over a socket pair: a namespace's nf_tables dumps
 *    (the kernel wants CAP_NET_ADMIN from whoever sends the request), and
 *    sockets subscribed to a namespace's nftables and rtnetlink change
 *    groups (CAP_NET_ADMIN to join the nftables group; rtnetlink's: links,
 *    addresses, netconf), handed back; and a
 *    socket's namespace (SIOCGSKNS: CAP_NET_ADMIN), for the hidden
 *    namespaces' search (lib/hiddenns.c);
 *  - a namespace's view: its interfaces and decoded ruleset (and its
 *    forwarding switches when it publishes ports), read once and kept until
 *    a change is multicast, and the `reachability` object of a listener
 *    evaluated on it, with the forwarded entries of its hosts' views.
 * Both block (netlink dumps): the daemon calls them on a thread.
 */
#ifndef SA_REACHBROKER_H
#define SA_REACHBROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sockaudit.h"

typedef struct sa_reach_broker sa_reach_broker;
typedef struct sa_reach_view sa_reach_view;

/* Starts helper --broker on a socket pair. 0, or -errno with err. Caller frees. */
int sa_reach_broker_start(const char *helper, sa_reach_broker **ret, char *err, size_t errlen);

/* Shuts its socket down: a request blocked on it (another thread's) fails at once. */
void sa_reach_broker_stop(sa_reach_broker *b);

/* Closes its socket (the broker exits on EOF) and reaps it, waiting at most a second. */
sa_reach_broker *sa_reach_broker_free(sa_reach_broker *b);

/*
 * Sockets (non-blocking, close-on-exec) in the namespace netns_fd refers
 * to (-1: the broker's own), subscribed to NFNLGRP_NFTABLES (*ret_nft) and
 * to rtnetlink's link, address and netconf groups (*ret_rtnl): readable when a
 * ruleset, an interface or an address changes. 0, or -errno with err.
 */
int sa_reach_broker_subscribe(sa_reach_broker *b, int netns_fd, int *ret_nft, int *ret_rtnl, char *err,
                              size_t errlen);

/*
 * The dumps of the ruleset of netns_fd's namespace, through the broker
 * (sa_nft_read_bytes() there): bytes (caller frees) and the legacy
 * iptables tables' names. 0, or -errno with err.
 */
int sa_reach_broker_dump(sa_reach_broker *b, int netns_fd, void **ret_buf, size_t *ret_len, char *legacy,
                         size_t legacylen, char *err, size_t errlen);

/*
 * The network namespace of socket sock_fd (SIOCGSKNS, which takes
 * CAP_NET_ADMIN), asked of the broker: an fd of it (close-on-exec, caller
 * closes), or -errno with err.
 */
int sa_reach_broker_skns(sa_reach_broker *b, int sock_fd, char *err, size_t errlen);

/* The broker's side, on fd (its socket): answers until EOF. Returns the exit status. */
int sa_reach_broker_serve(int fd);

/*
 * A namespace's view: interfaces read here (rtnetlink: needs CAP_SYS_ADMIN
 * to enter another namespace), ruleset dumped by b (NULL: none, every
 * verdict unknown) and decoded here. 0, or -errno with err (interfaces
 * unreadable; an unreadable ruleset only makes verdicts unknown).
 */
int sa_reach_view_read(sa_reach_broker *b, int netns_fd, sa_reach_view **ret, char *err, size_t errlen);
void sa_reach_view_free(sa_reach_view *v);

/* A namespace a view's veth leads to: its inode, and "host" or its /run/netns name. */
typedef struct sa_reach_peer {
        uint64_t netns;
        char name[64];
} sa_reach_peer;

/* The view of the namespace netns (inode), or NULL when there is none: a host's, for forwarded entries. */
typedef const sa_reach_view *(*sa_reach_view_fn)(uint64_t netns, void *ctx);

/*
 * l's `reachability` object on v (docs/RECORDS.md), the source unknown,
 * with the forwarded entries of the hosts at the other end of its veths
 * (their views from hosts; NULL: none). NULL on ENOMEM.
 */
json_t *sa_reach_view_listener(const sa_reach_view *v, const sa_listener *l, sa_reach_view_fn hosts, void *ctx);

/*
 * The namespaces whose views l's forwarded entries need (v: l's
 * namespace's): the peers of its veths, distinct, at most max into ret.
 * Returns how many.
 */
size_t sa_reach_view_hosts(const sa_reach_view *v, const sa_listener *l, sa_reach_peer *ret, size_t max);

/* Whether one of v's veths leads to the namespace netns. */
bool sa_reach_view_leads_to(const sa_reach_view *v, uint64_t netns);

/* The namespace peer names ("host": PID 1's, else /run/netns/NAME), checked by inode: an fd, or -1. */
int sa_reach_peer_open(const sa_reach_peer *peer);

#endif
