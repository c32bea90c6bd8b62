/* SPDX-License-Identifier: MIT */
/*
 * The compact who/list reply (docs/PROTOCOL.md, "Compact form") read for
 * the table: its "processes" and "listeners" read with jsonscan.h into
 * table views (table.h), each owner its process's view with the
 * reference's fds-side members (role, units); only what the table shows
 * is decoded.
 */
#ifndef SA_CLI_COMPACTREPLY_H
#define SA_CLI_COMPACTREPLY_H

#include <stddef.h>

#include "jsonscan.h"
#include "table.h"

typedef struct compact_table {
        table_listener *listeners;      /* n_listeners; their owners point into owners */
        size_t n_listeners;
        table_owner *owners;
        size_t n_owners;
        arena strings;            /* every string the views point at */
} compact_table;

/*
 * Reads the values of "listeners" (ls, ls_len bytes: an array) and
 * "processes" (ps, ps_len) of a compact reply into *ret (caller frees with
 * compact_table_free()). 0; -EBADMSG with why (static text) for text that
 * is not such arrays of objects, or an owner whose "process" indexes no
 * process; -ENOMEM.
 */
int compact_table_read(const char *ls, size_t ls_len, const char *ps, size_t ps_len, compact_table *ret,
                       const char **why);

void compact_table_free(compact_table *t);

#endif
