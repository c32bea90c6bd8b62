/* SPDX-License-Identifier: MIT */
/*
 * A listener's forwarded entry points: a host's DNAT (a container's
 * published port) that sends traffic to it, found in the namespace at the
 * other end of the listener's veths and evaluated there and then in the
 * listener's namespace (docs/REACHABILITY.md#forwarded-entry-points).
 * Internal to the library (lib/netifsreach.c).
 */
#ifndef SA_NETIFSFWD_H
#define SA_NETIFSFWD_H

#include <stdbool.h>
#include <stdint.h>

#include "netifs.h"
#include "nfteval.h"

typedef struct sa_nft_fwd_source {
        int family;                     /* 0: unknown */
        uint8_t addr[16];
} sa_nft_fwd_source;

typedef struct sa_fwd_entry {
        const char *netns_name;         /* the host's: "host" or its /run/netns name */
        const sa_netif *host_if;
        const sa_netif_addr *host_addr;
        uint16_t port;                  /* the published (original) port */
        uint8_t to[16];                 /* where the DNAT sends it: the listener's address */
        char via[SA_NFT_TEXT_MAX];      /* the DNAT rule */
        sa_nft_result host;             /* the host's verdict: prerouting (the DNAT), forward */
        bool listener_ran;              /* the host accepted: */
        sa_nft_result here;             /* the listener's namespace's verdict */
} sa_fwd_entry;

typedef void (*sa_fwd_fn)(const sa_fwd_entry *e, void *ctx);

/*
 * Calls fn for each forwarded entry point of l (in a namespace with
 * interfaces ifs and ruleset here, NULL if unreadable): a host interface
 * address and the original port of one of the host's DNAT rules (a
 * single --dport / th dport) whose evaluation forwards to l. Bounded: 64
 * ports, 256 host addresses, 4096 evaluations. Hosts that cannot be
 * opened or read are skipped. 0, or -ENOMEM.
 */
int sa_reach_forwarded(const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *here,
                       const sa_nft_fwd_source *src, sa_fwd_fn fn, void *ctx);

#endif
