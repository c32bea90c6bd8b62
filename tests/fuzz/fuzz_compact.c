/* SPDX-License-Identifier: MIT */
/*
 * The CLI's reader of the compact who/list reply (cli/jsonscan.c,
 * cli/compactreply.c): any bytes as "listeners" and "processes" (split at
 * the first NUL). It must refuse or give views whose owners lie inside
 * the owner array, and the table printed from them must not fail but for
 * memory.
 */
#include <assert.h>
#include <stdio.h>

#include "compactreply.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static FILE *null;
        const char *text = (const char *) data, *cut = memchr(text, '\0', size), *why = NULL;
        size_t ls_len = cut ? (size_t) (cut - text) : size;
        const char *ps = cut ? cut + 1 : "[]";
        size_t ps_len = cut ? size - ls_len - 1 : 2;
        const table_listener **views;
        compact_table t;
        int r;

        if (!null)
                null = fopen("/dev/null", "w");
        assert(null);
        r = compact_table_read(text, ls_len, ps, ps_len, &t, &why);
        if (r < 0) {
                assert(r == -EBADMSG || r == -ENOMEM);
                assert(why);
                return 0;
        }
        views = calloc(t.n_listeners + 1, sizeof *views);
        assert(views);
        for (size_t i = 0; i < t.n_listeners; i++) {
                const table_listener *l = &t.listeners[i];

                assert(l->n_owners == 0 || (l->owners >= t.owners && l->owners + l->n_owners <= t.owners + t.n_owners));
                views[i] = l;
        }
        r = listener_views_print_table(null, views, t.n_listeners, 1, 80);
        assert(r == 0 || r == -ENOMEM);
        free(views);
        compact_table_free(&t);
        return 0;
}
