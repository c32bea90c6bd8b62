/* SPDX-License-Identifier: MIT */
/*
 * A listener's forwarded entry points: a host's DNAT (a container's
 * published port) that sends traffic to it, found in the namespace at the
 * other end of the listener's veths and evaluated there and then in the
 * listener's namespace (docs/REACHABILITY.md#forwarded-entry-points).
 * Internal to the library: explain --direct reads each host itself
 * (lib/netifsreach.c), the daemon takes it from its views (lib/reachview.c).
 */
#ifndef SA_NETIFSFWD_H
#define SA_NETIFSFWD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "netifs.h"
#include "nfteval.h"

#define SA_FWD_ADDRS_MAX 256            /* a host's addresses a DNAT's address is followed to */

typedef struct sa_nft_fwd_source {
        int family;                     /* 0: unknown */
        uint8_t addr[16];
} sa_nft_fwd_source;

/* What a host's evaluation needs, read already: borrowed interfaces and ruleset. */
typedef struct sa_fwd_host {
        const sa_netifs *ifs;
        const sa_nft_ruleset *rs;
        bool off4, off6;                /* net.ipv4.ip_forward, net.ipv6.conf.all.forwarding are 0 */
        sa_nft_ifaddr addrs[SA_FWD_ADDRS_MAX];
        unsigned addr_count;
} sa_fwd_host;

typedef struct sa_fwd_entry {
        const char *netns_name;         /* the host's: "host" or its /run/netns name; NULL: the listener's own */
        const sa_netif *host_if;
        const sa_netif_addr *host_addr;
        uint16_t port;                  /* the published (original) port */
        const char *ports;              /* "": that port; else the rule's ports it stands for (sa_fwd_port) */
        uint8_t to[16];                 /* where the DNAT sends it: the listener's address */
        char via[SA_NFT_TEXT_MAX];      /* the DNAT rule */
        sa_nft_result host;             /* the host's verdict: prerouting (the DNAT), forward */
        bool listener_ran;              /* the host accepted: */
        sa_nft_result here;             /* the listener's namespace's verdict */
} sa_fwd_entry;

typedef void (*sa_fwd_fn)(const sa_fwd_entry *e, void *ctx);

/*
 * The host at the other end of veth (a veth of the listener's namespace
 * with an address the listener accepts on), or NULL when it is not known
 * or cannot be read. Borrowed until the next call or the end of
 * sa_reach_forwarded().
 */
typedef const sa_fwd_host *(*sa_fwd_host_fn)(const sa_netif *veth, void *ctx);

#define SA_FWD_PORTS_MAX 64             /* a host's DNAT ports evaluated */
#define SA_FWD_RULE_PORTS_MAX 16        /* a DNAT rule's ports listed one by one; beyond, one stands for all */

/* A port a DNAT publishes, to evaluate. */
typedef struct sa_fwd_port {
        uint16_t port;
        char ports[96];                 /* "": itself; else the rule's ports it stands for: "8000-8100", "any", "not listed: ..." */
} sa_fwd_port;

/*
 * The original destination ports of rs's DNAT rules (with redirect, its
 * redirects too) to evaluate for a listener of protocol lproto
 * (IPPROTO_TCP, IPPROTO_UDP) on lport, into ret (at most max, each once;
 * rules for the other protocol left out): lib/netifsfwdports.c. Returns
 * how many.
 */
unsigned sa_fwd_dnat_ports(const sa_nft_ruleset *rs, uint8_t lproto, uint16_t lport, bool redirect,
                           sa_fwd_port *ret, unsigned max);

/* h for ifs and rs (borrowed), forwarding on: the addresses a DNAT is followed to (the first 256). */
void sa_fwd_host_init(sa_fwd_host *h, const sa_netifs *ifs, const sa_nft_ruleset *rs);

/* Whether rs holds a DNAT rule (so a host's forwarding switches matter). */
bool sa_fwd_has_dnat(const sa_nft_ruleset *rs);

/* The forwarding switches of the namespace fd refers to (-1: the caller's), into h; a thread when fd >= 0. */
void sa_fwd_switches_read(int fd, sa_fwd_host *h);

/*
 * The namespace at the other end of veth nif (its peer_netns_name: "host"
 * is PID 1's, else /run/netns/NAME), opened and checked by inode; -1 if it
 * cannot be.
 */
int sa_fwd_peer_open(const char *name, uint64_t ino);

/*
 * Whether l's forwarded entries may come through nif: a veth with a known
 * peer namespace and an address l accepts on.
 */
bool sa_fwd_veth(const sa_listener *l, const sa_netif *nif, const sa_netifs *ifs);

/*
 * Calls fn for each forwarded entry point of l (in a namespace with
 * interfaces ifs and ruleset here, NULL if unreadable): a host interface
 * address and an original port of one of the host's DNAT rules
 * (sa_fwd_dnat_ports()) whose evaluation forwards to l. Each host (one per
 * peer namespace) from hosts. Then the redirected entries of l's own
 * namespace: an address of an interface l accepts on (loopback left out:
 * local connections are NATed at output) and an original port of one of
 * here's DNAT or redirect rules whose evaluation stays local and ends at
 * l's port and an address l accepts on (netns_name NULL, listener_ran
 * false: host holds the verdict). Bounded: 64 ports, 256 host addresses,
 * 4096 evaluations. 0, or -ENOMEM.
 */
int sa_reach_forwarded(const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *here,
                       const sa_nft_fwd_source *src, sa_fwd_host_fn hosts, void *hosts_ctx, sa_fwd_fn fn,
                       void *ctx);

/*
 * Adds l's forwarded entries to its `reachability` object obj (made by
 * sa_reachability_of() on ifs and here), from (NULL: unknown) and iface
 * (NULL: all) as there; `outside` then true. 0, or -ENOMEM.
 */
int sa_reachability_forwarded(json_t *obj, const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *here,
                              const char *from, const char *iface, sa_fwd_host_fn hosts, void *hosts_ctx);

#endif
