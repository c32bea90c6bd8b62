/* SPDX-License-Identifier: MIT */
/*
 * The TLS probe's report as the parent reads it (sa_tls_report_parse()):
 * the child parsed a hostile server's certificate, so its report may be
 * anything. Accepted or refused, never a crash; what is accepted has only
 * the documented fields, bounded, and dumps as JSON again.
 */
#include <assert.h>
#include <jansson.h>
#include <time.h>

#include "fuzz.h"
#include "tlsprobe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[256];
        json_t *o = NULL, *c;
        size_t i;
        char *s;
        int r = sa_tls_report_parse((const char *) data, size, (time_t) 1767225600, &o, err, sizeof(err));

        assert(r == 0 || r == -EBADMSG || r == -ENOMEM);
        if (r < 0) {
                assert(!o);
                return 0;
        }
        assert(json_object_size(o) == 6);
        assert(json_array_size(json_object_get(o, "versions")) <= 4);
        assert(json_array_size(json_object_get(o, "certificates")) <= SA_TLS_CERTS_MAX);
        json_array_foreach(json_object_get(o, "certificates"), i, c) {
                assert(json_string_length(json_object_get(c, "subject")) <= 1024);
                assert(json_string_length(json_object_get(c, "sha256")) == 64);
        }
        s = json_dumps(o, JSON_COMPACT);
        assert(s && strlen(s) <= 2 * (size_t) SA_TLS_REPORT_MAX);
        free(s);
        json_decref(o);
        return 0;
}
