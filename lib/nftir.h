/* SPDX-License-Identifier: MIT */
/*
 * The nftables ruleset of one network namespace as the evaluator sees it
 * (lib/nftread.c builds it, lib/nfteval.c reads it): tables, base and
 * regular chains, rules as arrays of expressions, sets with their
 * elements. Immutable once built; every count is bounded (SA_NFT_*_MAX),
 * a dump beyond a bound is refused with -E2BIG, not cut. Internal to the
 * library. See docs/REACHABILITY.md.
 */
#ifndef SA_NFTIR_H
#define SA_NFTIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SA_NFT_TABLES_MAX   256
#define SA_NFT_CHAINS_MAX   4096
#define SA_NFT_RULES_MAX    65536
#define SA_NFT_EXPRS_MAX    (1u << 18)      /* expressions in all rules */
#define SA_NFT_RULE_EXPRS_MAX 128
#define SA_NFT_SETS_MAX     4096
#define SA_NFT_ELEMS_MAX    (1u << 18)      /* elements in all sets */
#define SA_NFT_DATA_MAX     64              /* NFT_DATA_VALUE_MAXLEN */
#define SA_NFT_NAME_MAX     256             /* NFT_NAME_MAXLEN */
#define SA_NFT_FIELDS_MAX   16              /* fields of a concatenation */
#define SA_NFT_XTINFO_MAX   4096            /* bytes of an xtables match/target */

/* The expressions the evaluator knows; SA_NFT_X_OTHER keeps the name. */
typedef enum sa_nft_kind {
        SA_NFT_X_OTHER,         /* limit, quota, numgen, dynset, fib, ... */
        SA_NFT_X_PAYLOAD,       /* a = base, b = offset, len, dreg (sreg: a write) */
        SA_NFT_X_META,          /* a = key, dreg (sreg: a write) */
        SA_NFT_X_CMP,           /* sreg, op, data[len] */
        SA_NFT_X_BITWISE,       /* sreg, dreg, len, op; data = mask, data2 = xor (shift: data) */
        SA_NFT_X_BYTEORDER,     /* sreg, dreg, op, len, a = size */
        SA_NFT_X_RANGE,         /* sreg, op, data = from, data2 = to */
        SA_NFT_X_LOOKUP,        /* sreg, dreg (0: none), set, invert */
        SA_NFT_X_IMMEDIATE,     /* dreg 0: verdict (+chain), else data[len] */
        SA_NFT_X_CT,            /* a = key, b = dir, dreg (sreg: a write) */
        SA_NFT_X_COUNTER,       /* changes nothing */
        SA_NFT_X_LOG,           /* changes nothing */
        SA_NFT_X_REJECT,        /* a = type, b = code */
        SA_NFT_X_NAT,           /* a = type (dnat/snat), b = family; sreg = addr min, sreg2 = proto min */
        SA_NFT_X_REDIR,         /* sreg2 = proto min (0: none) */
        SA_NFT_X_MASQ,
        SA_NFT_X_MATCH,         /* xtables compat match: name, a = rev, info */
        SA_NFT_X_TARGET,        /* xtables compat target: name, a = rev, info */
} sa_nft_kind;

typedef struct sa_nft_expr {
        sa_nft_kind kind;
        uint8_t sreg, sreg2, dreg, op, len;
        bool invert;
        uint32_t a, b;
        int32_t verdict;                /* immediate: NF_ACCEPT, NF_DROP, NFT_JUMP, ... */
        uint8_t data[SA_NFT_DATA_MAX];
        uint8_t data2[SA_NFT_DATA_MAX];
        char name[32];                  /* the kernel's expression name; xt: match/target name */
        char *chain;                    /* immediate jump/goto target; lookup: set name */
        uint8_t *info;                  /* xt info bytes (a malloc'd copy) */
        uint32_t info_len;
} sa_nft_expr;

typedef struct sa_nft_rule {
        uint64_t handle;
        uint32_t first, count;          /* expressions: ruleset->exprs[first .. first+count) */
        uint32_t chain;                 /* index into ruleset->chains */
        uint32_t seq;                   /* order of arrival (rules keep it within a chain) */
} sa_nft_rule;

typedef struct sa_nft_chain {
        char *name;
        uint32_t table;                 /* index into ruleset->tables */
        bool base;                      /* has a hook */
        uint32_t hooknum;               /* NF_INET_PRE_ROUTING, NF_INET_LOCAL_IN, ... */
        int32_t prio;
        char type[16];                  /* filter, nat, route */
        int32_t policy;                 /* NF_ACCEPT or NF_DROP */
        char dev[16];                   /* netdev/ingress chains: the device */
        uint32_t first, count;          /* rules: ruleset->rules[first .. first+count) */
} sa_nft_chain;

typedef struct sa_nft_table {
        char *name;
        uint32_t family;                /* NFPROTO_INET, NFPROTO_IPV4, ... */
        uint32_t flags;
} sa_nft_table;

typedef struct sa_nft_elem {
        uint8_t key[SA_NFT_DATA_MAX];
        uint8_t key_end[SA_NFT_DATA_MAX];       /* concatenated ranges: inclusive end */
        uint8_t data[SA_NFT_DATA_MAX];          /* maps */
        uint32_t flags;                         /* NFT_SET_ELEM_INTERVAL_END */
        bool has_key_end;
        int32_t verdict;                        /* verdict maps */
        char *chain;                            /* verdict maps: jump/goto target */
} sa_nft_elem;

typedef struct sa_nft_set {
        char *name;
        uint32_t table;
        uint32_t flags;                 /* NFT_SET_INTERVAL, NFT_SET_MAP, NFT_SET_CONCAT, NFT_SET_EVAL, ... */
        uint32_t key_len, data_len, data_type;
        uint8_t fields[SA_NFT_FIELDS_MAX];      /* concatenation: bytes of each field */
        uint32_t field_count;
        sa_nft_elem *elems;             /* sorted by key after the read */
        uint32_t elem_count, elem_cap;
} sa_nft_set;

/*
 * One namespace's ruleset. legacy: legacy iptables tables exist (their
 * names in legacy_names); then nothing here is the whole truth.
 */
typedef struct sa_nft_ruleset {
        sa_nft_table *tables;  uint32_t table_count;
        sa_nft_chain *chains;  uint32_t chain_count;
        sa_nft_rule *rules;    uint32_t rule_count;
        sa_nft_expr *exprs;    uint32_t expr_count;
        sa_nft_set *sets;      uint32_t set_count;
        uint32_t elem_total;
        uint32_t genid;
        bool legacy;
        char legacy_names[128];
        /* growth capacities while it is built */
        uint32_t table_cap, chain_cap, rule_cap, expr_cap, set_cap;
} sa_nft_ruleset;

/* Frees everything; accepts NULL, returns NULL. */
sa_nft_ruleset *sa_nft_ruleset_free(sa_nft_ruleset *rs);

/* The table of a name and family, the chain or set of a name in a table: index, or -1. */
int sa_nft_find_chain(const sa_nft_ruleset *rs, uint32_t table, const char *name);
int sa_nft_find_set(const sa_nft_ruleset *rs, uint32_t table, const char *name);

#endif
