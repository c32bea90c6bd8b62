/* SPDX-License-Identifier: MIT */
/* Service names to ports from a services(5) file, parsed here: no NSS. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "services.h"
#include "sockaudit.h"
#include "util.h"

#define BLANKS " \t\r\n"

/* "443/tcp" to its port and SA_PROTO_* bit; false for anything else. */
static bool parse_port_proto(const char *w, uint16_t *ret_port, unsigned *ret_proto)
{
        const char *end;
        uint64_t v;

        if (sa_parse_uint(w, 65535, &end, &v) < 0 || v == 0 || *end != '/')
                return false;
        if (!strcmp(end + 1, "tcp"))
                *ret_proto = SA_PROTO_TCP;
        else if (!strcmp(end + 1, "udp"))
                *ret_proto = SA_PROTO_UDP;
        else
                return false;
        *ret_port = (uint16_t) v;
        return true;
}

/* One line (comment already cut): true with *ret_port when it names name for protos. */
static bool line_matches(char *line, const char *name, unsigned protos, uint16_t *ret_port)
{
        char *save = NULL, *svc = strtok_r(line, BLANKS, &save);
        char *pp = svc ? strtok_r(NULL, BLANKS, &save) : NULL;
        unsigned proto;
        uint16_t port;

        if (!pp || !parse_port_proto(pp, &port, &proto) || !(proto & protos))
                return false;
        for (char *w = svc; w; w = strtok_r(NULL, BLANKS, &save))
                if (!strcmp(w, name)) {
                        *ret_port = port;
                        return true;
                }
        return false;
}

int services_lookup(const char *path, const char *name, unsigned protos, uint16_t *ret_port)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[1024];
        bool skipping = false;

        if (!f)
                return -errno;
        if (!protos)
                protos = SA_PROTO_ANY;
        for (unsigned n = 0; n < SERVICES_MAX_LINES && fgets(line, sizeof line, f); n++) {
                size_t len = strlen(line);
                bool whole = len > 0 && line[len - 1] == '\n';

                /* The rest of an overlong line, or its first part: skipped. */
                if (skipping || (!whole && !feof(f))) {
                        skipping = !whole;
                        continue;
                }
                line[strcspn(line, "#")] = '\0';
                if (line_matches(line, name, protos, ret_port))
                        return 0;
        }
        return ferror(f) ? -EIO : -ENOENT;
}
