/* SPDX-License-Identifier: MIT */
/*
 * A network namespace's interfaces over rtnetlink (libnl-route-3), read
 * on a thread that enters the namespace (setns is per thread), and which
 * of them a bound socket accepts traffic on. Internal to the library; the
 * contract is docs/REACHABILITY.md.
 */
#ifndef SA_NETIFS_H
#define SA_NETIFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sockaudit.h"

#define SA_NETIFS_MAX      1024 /* interfaces of one namespace (more: -E2BIG) */
#define SA_NETIF_ADDRS_MAX 32   /* addresses kept per interface (more are counted) */

typedef struct sa_netif_addr {
        uint8_t family;         /* AF_INET or AF_INET6 */
        uint8_t prefix;
        uint8_t addr[16];       /* network order */
} sa_netif_addr;

typedef struct sa_netif {
        char name[16];
        uint32_t index;
        bool up;                /* IFF_UP */
        bool lower_up;          /* IFF_LOWER_UP: carrier */
        bool loopback;          /* IFF_LOOPBACK */
        char kind[16];          /* "veth", "bridge", ...; "" when none (a physical one, lo) */
        int32_t peer_netnsid;   /* veth: the peer's namespace id as seen from here, -1 if none */
        uint32_t peer_index;    /* veth: the peer's ifindex (in its namespace), 0 if unknown */
        uint64_t peer_netns;    /* veth: the peer's namespace inode (sa_netifs_peers()), 0 if unknown */
        char peer_netns_name[64]; /* "host", its /run/netns name, else "" */
        char peer[16];          /* veth: the peer's name, "" if unknown */
        uint32_t master;        /* the bridge it is a port of, 0 if none */
        size_t n_addrs, dropped;
        sa_netif_addr addrs[SA_NETIF_ADDRS_MAX];
} sa_netif;

typedef struct sa_netifs {
        size_t n;
        sa_netif *items;        /* by index */
} sa_netifs;

/*
 * Reads the interfaces of the namespace netns_fd refers to (-1: the
 * caller's). Costs a thread and two rtnetlink dumps. 0 with *ret (free
 * with sa_netifs_free), or -errno with a reason in err.
 */
int sa_netifs_read(int netns_fd, sa_netifs **ret, char *err, size_t errlen);
void sa_netifs_free(sa_netifs *ifs);

/*
 * The veths' peers (lib/netifspeer.c): each peer namespace id resolved to
 * the namespace by asking sk (a rtnetlink socket of ifs's namespace) the id
 * of the host's, each /run/netns one and each process's (at most 4096
 * asked), and the peer's name read inside its namespace (the first 64
 * interfaces). Leaves the calling thread in a peer's namespace: call it
 * on a thread of its own. Best effort: what is not found stays unknown.
 */
struct nl_sock;
void sa_netifs_peers(sa_netifs *ifs, struct nl_sock *sk);

/* "up", "down" or "no-carrier" (up without lower-up). */
const char *sa_netif_state(const sa_netif *nif);

/*
 * Whether listener l accepts traffic arriving on nif: its bound device
 * (ifindex, else ifname),
 * else any up interface for a wildcard, else the interface holding its
 * address and loopback. The local addresses it accepts there are those of
 * sa_netif_accepts_addr().
 */
bool sa_netif_accepts(const sa_listener *l, const sa_netif *nif, const sa_netifs *all);

/* Whether l accepts connections to a (an address of an interface): family, v6only, its own address. */
bool sa_netif_accepts_addr(const sa_listener *l, const sa_netif_addr *a);

/*
 * The `reachability` object of listener l (docs/RECORDS.md) in the
 * namespace netns_fd refers to (-1: the caller's): its interfaces, and an
 * entry per (interface, local address) l accepts on with the nftables
 * verdict on a new connection arriving there. from: the source address
 * (NULL: unknown; then only entries of its family); iface: only that
 * interface's entries (NULL: all). 0 with *ret, or -errno with err
 * (-EINVAL: a bad from). An unreadable ruleset makes the verdicts unknown.
 */
int sa_reachability(const sa_listener *l, int netns_fd, const char *from, const char *iface, json_t **ret,
                    char *err, size_t errlen);

/*
 * sa_reachability() from what was read already: ifs, and rs (NULL: could
 * not be read, unreadable says why). The daemon's cache (lib/reachbroker.c).
 */
struct sa_nft_ruleset;
int sa_reachability_of(const sa_listener *l, const sa_netifs *ifs, const struct sa_nft_ruleset *rs,
                       const char *unreadable, const char *from, const char *iface, json_t **ret, char *err,
                       size_t errlen);

#endif
