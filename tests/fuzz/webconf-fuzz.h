/* SPDX-License-Identifier: MIT */
/* What every web server config result must hold, whatever the input (fuzz_*conf.c). */
#ifndef SA_WEBCONF_FUZZ_H
#define SA_WEBCONF_FUZZ_H

#include <assert.h>
#include <string.h>

#include "webconf.h"

/* Names are host names; counts within the caps (servers on other ports
 * count towards n_names too); errors on lines of the input. */
static inline void fuzz_webconf_check(const sa_webconf *r, const uint8_t *data, size_t size)
{
        size_t names = 0, lines = 1;

        for (size_t i = 0; i < size; i++)
                lines += data[i] == '\n';
        assert(r->n_errors <= SA_WEBCONF_ERRORS_MAX);
        for (size_t i = 0; i < r->n_errors; i++)
                assert(r->errors[i].line <= lines && r->errors[i].error < 0 && r->errors[i].why[0]);
        for (size_t i = 0; i < r->n_vhosts; i++) {
                const sa_webconf_vhost *v = &r->vhosts[i];

                names += v->n_names;
                for (size_t k = 0; k < v->n_names; k++) {
                        const char *n = v->names[k].name;

                        assert(n[0] && strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789.-_*?") == strlen(n));
                }
                for (size_t k = 0; k < v->n_certs; k++)
                        assert(v->certs[k].path[0]);
        }
        assert(names <= r->n_names && r->n_names <= SA_WEBCONF_NAMES_MAX);
}

#endif
