/* SPDX-License-Identifier: MIT */
/*
 * The verdict of a namespace's nftables ruleset (lib/nftir.h) on a new
 * inbound connection: a TCP SYN or a UDP datagram, conntrack state new,
 * through the base chains of the prerouting and input hooks in priority
 * order (forward instead of input after a DNAT to another host), as the
 * kernel would run them. The source address (and always
 * the source port) may be unknown: rules that depend on them make the
 * verdict `conditional`, each branch with its conditions. Anything the
 * evaluator cannot decide makes it `unknown`, naming the construct.
 * Pure: no I/O, no allocation. Internal to the library; the contract is
 * docs/REACHABILITY.md.
 */
#ifndef SA_NFTEVAL_H
#define SA_NFTEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "nftir.h"

typedef enum sa_nft_verdict {
        SA_NFT_ACCEPT,
        SA_NFT_DROP,
        SA_NFT_REJECT,
        SA_NFT_CONDITIONAL,
        SA_NFT_UNKNOWN,
} sa_nft_verdict;

/* An address of the namespace with its prefix: where a DNAT's new destination goes. */
typedef struct sa_nft_ifaddr {
        int family;
        uint8_t addr[16];
        uint8_t prefix;
        uint32_t ifindex;
        char ifname[16];
} sa_nft_ifaddr;

/*
 * The packet: a new connection to (daddr, dport) arriving on iif. With
 * addrs, a DNAT to an address none of them holds is followed: the forward
 * hook with the interface whose prefix holds it as oif (the longest).
 */
typedef struct sa_nft_packet {
        int family;                     /* AF_INET or AF_INET6 */
        char iifname[16];
        uint32_t iif;                   /* ifindex; 0: unknown (meta iif rules then unknown) */
        bool saddr_known;
        uint8_t saddr[16], daddr[16];   /* network order; 4 bytes used for AF_INET */
        uint8_t l4proto;                /* IPPROTO_TCP or IPPROTO_UDP */
        uint16_t dport;                 /* host order */
        const sa_nft_ifaddr *addrs;     /* NULL: a DNAT's address is not followed */
        unsigned addr_count;
        bool forwarding_off;            /* net.ipv4.ip_forward (ipv6: all.forwarding) is 0 */
        bool daddr_remote;              /* the evaluator's: after a DNAT away from this namespace */
} sa_nft_packet;

#define SA_NFT_TEXT_MAX  320
#define SA_NFT_PATHS_MAX 16             /* source-dependent branches followed */

/* One way through the ruleset: its verdict, the rule that decided it, and what it assumed. */
typedef struct sa_nft_path {
        sa_nft_verdict verdict;         /* accept, drop, reject or unknown */
        bool has_rule;                  /* false: no base chain decided (nothing hooks in) */
        bool by_policy;                 /* a base chain's policy decided */
        char table[64], chain[64];
        uint32_t family;                /* the deciding table's NFPROTO_* */
        uint64_t handle;
        char rule[SA_NFT_TEXT_MAX];     /* the deciding rule in nft syntax, or "policy drop" */
        char conditions[SA_NFT_TEXT_MAX];       /* "ip saddr 10.0.0.0/8", " and " between; "" when none */
        char reason[SA_NFT_TEXT_MAX];   /* unknown: the construct; else "" */
        char via[SA_NFT_TEXT_MAX];      /* a DNAT/redirect that changed the destination, else "" */
        uint16_t dport;                 /* the destination port after it */
        bool forwarded;                 /* the DNAT sent it on: oifname; verdict at forward */
        uint8_t daddr[16];              /* the destination after prerouting (a DNAT's, else the packet's) */
        char oifname[16];
} sa_nft_path;

typedef struct sa_nft_result {
        sa_nft_verdict verdict;         /* the paths' verdict when they agree, else conditional */
        unsigned path_count;
        sa_nft_path paths[SA_NFT_PATHS_MAX];
} sa_nft_result;

/*
 * Evaluates rs on pkt into *ret (always filled; 0). A legacy iptables
 * table in the namespace, more than SA_NFT_PATHS_MAX branches, or a jump
 * deeper than the kernel allows make it unknown with the reason.
 * Cost: the rules on the paths, each set lookup linear in its elements.
 */
int sa_nft_evaluate(const sa_nft_ruleset *rs, const sa_nft_packet *pkt, sa_nft_result *ret);

/* "accept", "drop", "reject", "conditional", "unknown". */
const char *sa_nft_verdict_name(sa_nft_verdict v);

#endif
