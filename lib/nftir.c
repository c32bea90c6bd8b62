/* SPDX-License-Identifier: MIT */
/* The ruleset IR's destructor and look-ups (lib/nftir.h). */
#include <stdlib.h>
#include <string.h>

#include "nftir.h"

sa_nft_ruleset *sa_nft_ruleset_free(sa_nft_ruleset *rs)
{
        uint32_t i, j;

        if (!rs)
                return NULL;
        for (i = 0; i < rs->table_count; i++)
                free(rs->tables[i].name);
        for (i = 0; i < rs->chain_count; i++)
                free(rs->chains[i].name);
        for (i = 0; i < rs->expr_count; i++) {
                free(rs->exprs[i].chain);
                free(rs->exprs[i].info);
        }
        for (i = 0; i < rs->set_count; i++) {
                for (j = 0; j < rs->sets[i].elem_count; j++)
                        free(rs->sets[i].elems[j].chain);
                free(rs->sets[i].elems);
                free(rs->sets[i].name);
        }
        free(rs->tables);
        free(rs->chains);
        free(rs->rules);
        free(rs->exprs);
        free(rs->sets);
        free(rs);
        return NULL;
}

int sa_nft_find_chain(const sa_nft_ruleset *rs, uint32_t table, const char *name)
{
        for (uint32_t i = 0; i < rs->chain_count; i++)
                if (rs->chains[i].table == table && strcmp(rs->chains[i].name, name) == 0)
                        return (int) i;
        return -1;
}

int sa_nft_find_set(const sa_nft_ruleset *rs, uint32_t table, const char *name)
{
        for (uint32_t i = 0; i < rs->set_count; i++)
                if (rs->sets[i].table == table && strcmp(rs->sets[i].name, name) == 0)
                        return (int) i;
        return -1;
}
