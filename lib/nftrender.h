/* SPDX-License-Identifier: MIT */
/*
 * nftables rules and matches rendered back into short nft syntax from the
 * IR (lib/nftir.h), for the verdicts' "rule" and "conditions" texts:
 * `tcp dport 22 accept`, `ip saddr 10.0.0.0/8`, `iifname "veth0"`. Close
 * to what `nft list ruleset` prints for what the evaluator knows; other
 * expressions appear by their kernel name. Internal to the library.
 */
#ifndef SA_NFTRENDER_H
#define SA_NFTRENDER_H

#include <stddef.h>
#include <stdint.h>

#include "nftir.h"

#define SA_NFT_WORDS 20         /* 32-bit words of the register file, verdict's 4 included */

/* Which expression last wrote each register word: a load, and a bitwise applied to it. */
typedef struct sa_nft_regsrc {
        int32_t load[SA_NFT_WORDS];     /* index into ruleset->exprs, -1: none */
        int32_t mask[SA_NFT_WORDS];
        uint8_t family;                 /* 4 or 6: how network-header loads are named */
        uint8_t l4;                     /* 6 or 17 once matched: tcp/udp rather than th */
} sa_nft_regsrc;

/* The first 32-bit word a register number designates, or -1 (bad number). */
int sa_nft_reg_word(uint8_t reg);

/* Starts a rendering context for a rule of a table of that family (4 or 6 for inet: the packet's). */
void sa_nft_regsrc_init(sa_nft_regsrc *rs, uint8_t family);

/* Tracks what expression x (index xi) writes into the registers. */
void sa_nft_regsrc_note(sa_nft_regsrc *src, const sa_nft_ruleset *rs, uint32_t xi);

/* After match x: a protocol or family it required names later loads. */
void sa_nft_regsrc_after_match(sa_nft_regsrc *src, const sa_nft_ruleset *rs, const sa_nft_expr *x);

/* The match x (cmp, range, lookup) as text, "not " in front when negate. */
void sa_nft_render_match(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, uint32_t table,
                         const sa_nft_expr *x, int negate, char *out, size_t outlen);

/*
 * The key bytes of set element e, read as lookup x's register sources see
 * them, for a set whose keys are key_len bytes (words beyond them hold
 * what earlier expressions left: not part of the key).
 */
void sa_nft_render_key(const sa_nft_regsrc *src, const sa_nft_ruleset *rs, const sa_nft_expr *x,
                       const uint8_t *key, unsigned key_len, char *out, size_t outlen);

/* A whole rule (expressions of rule r) in nft syntax; family as for regsrc_init. */
void sa_nft_render_rule(const sa_nft_ruleset *rs, const sa_nft_rule *r, uint8_t family, char *out,
                        size_t outlen);

#endif
