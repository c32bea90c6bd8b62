/* SPDX-License-Identifier: MIT */
/*
 * iptables-nft's compat expressions (xtables matches and targets carried
 * in nf_tables rules, as ufw and Docker write them) on the evaluator's
 * packet: tcp, udp, multiport, conntrack, state, addrtype, iprange,
 * comment; REJECT, LOG, NFLOG, DNAT, REDIRECT. Anything else is unknown
 * by its name.
 * Internal to the library (lib/nfteval.c).
 */
#ifndef SA_NFTXT_H
#define SA_NFTXT_H

#include <stdbool.h>
#include <stdint.h>

#include "nfteval.h"
#include "nftir.h"

enum {
        SA_NFT_XT_NOMATCH,
        SA_NFT_XT_MATCH,
        SA_NFT_XT_SOURCE,       /* depends on the source: o->text is the condition */
        SA_NFT_XT_VERDICT,      /* a target's verdict in o->verdict (o->reject) */
        SA_NFT_XT_CONTINUE,     /* a target that changes nothing (LOG) */
        SA_NFT_XT_UNKNOWN,      /* o->text says why */
};

typedef struct sa_nft_xt_out {
        char text[160];
        int32_t verdict;
        bool reject;
        bool nat;               /* DNAT/REDIRECT: the connection is bound here */
        uint16_t nat_port;      /* its new destination port (host order), 0: unchanged */
        bool nat_addr_set;      /* DNAT --to-destination with an address: */
        uint8_t nat_addr[16];   /* the new destination address (network order) */
} sa_nft_xt_out;

/* Match or target x on pkt, whose destination port is now dport. */
int sa_nft_xt_eval(const sa_nft_expr *x, const sa_nft_packet *pkt, uint16_t dport, sa_nft_xt_out *o);

/*
 * The destination ports a tcp/udp (--dport) or multiport (--dports) match
 * lets through, as ranges into lo/hi (at most max): how many (0: any
 * port), -1 when x is no such match, -2 when they cannot be listed
 * (inverted, either port, more than max).
 */
int sa_nft_xt_dports(const sa_nft_expr *x, uint16_t *lo, uint16_t *hi, unsigned max);

#endif
