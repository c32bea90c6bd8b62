/* SPDX-License-Identifier: MIT */
/*
 * The evaluator's state and its expressions (lib/nftevalexpr.c), shared
 * with the hook and chain walk (lib/nfteval.c). Internal to the library.
 */
#ifndef SA_NFTEVALINT_H
#define SA_NFTEVALINT_H

#include <stdbool.h>
#include <stdint.h>

#include "nfteval.h"
#include "nftrender.h"

#define T_SADDR 1
#define T_SPORT 2
#define T_OTHER 4
#define DECISIONS_MAX 32
#define JUMP_DEPTH 16                   /* NFT_JUMP_STACK_SIZE */
#define STEPS_MAX (1u << 20)
#define VERDICT_UNKNOWN (-100)
#define VERDICT_REJECT  (-101)
#define MAP_CANDIDATES_MAX 8

typedef struct ev {
        const sa_nft_ruleset *rs;
        const sa_nft_packet *pkt;
        sa_nft_packet cur;              /* as it is now: the destination after a DNAT */
        uint32_t oif;                   /* on the forward hook: the outgoing interface */
        char oifname[16];
        uint8_t nh[40], nh_t[40], th[20], th_t[20];
        unsigned nh_len, th_len;
        uint8_t d[SA_NFT_WORDS * 4], taint[SA_NFT_WORDS * 4];   /* taint per byte */
        sa_nft_regsrc src;
        int32_t verdict;
        const char *vchain;
        bool rejected, dnat_done, prerouting;
        uint32_t mark, ctmark, ctstatus, steps;
        uint16_t dport;
        uint32_t table;                 /* of the rule being run */
        /* the decisions of this run and the ones before it */
        uint8_t choice[DECISIONS_MAX], nopt[DECISIONS_MAX];
        unsigned ndec, pos;
        sa_nft_path *path;
        bool unknown;
        bool probing;                   /* source matches taken as true, nothing recorded */
} ev;

void sa_nft_ev_unknown(ev *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
unsigned sa_nft_ev_decide(ev *e, unsigned nopt);
void sa_nft_ev_condition(ev *e, const char *text);
bool sa_nft_ev_reg_write(ev *e, uint8_t dreg, const uint8_t *v, unsigned len, uint8_t t);
const uint8_t *sa_nft_ev_reg_read(ev *e, uint8_t sreg, unsigned len, uint8_t *ret_taint);
/* Expressions: false when the rule stops (no match, or unknown: e->unknown says). */
bool sa_nft_ev_payload(ev *e, const sa_nft_expr *x);
bool sa_nft_ev_meta(ev *e, const sa_nft_expr *x);
bool sa_nft_ev_ct(ev *e, const sa_nft_expr *x);
bool sa_nft_ev_compare(ev *e, const sa_nft_expr *x);
bool sa_nft_ev_bitwise(ev *e, const sa_nft_expr *x);
bool sa_nft_ev_byteorder(ev *e, const sa_nft_expr *x);
bool sa_nft_ev_lookup(ev *e, const sa_nft_expr *x);

#endif
