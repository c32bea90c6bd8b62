/* SPDX-License-Identifier: MIT */
/* The TLS section of `sockaudit explain` (tlsexplain.h, docs/TLS.md#explain). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "human.h"
#include "tlsexplain.h"

#define TLS_WATCHED_PORT 443

bool tls_explain_wanted(const json_t *l)
{
        const char *proto = json_string_value(json_object_get(l, "proto"));

        return proto && strcmp(proto, "tcp") == 0 &&
               json_integer_value(json_object_get(l, "port")) == TLS_WATCHED_PORT;
}

/* s, or "-" when NULL. */
static const char *or_dash(const char *s)
{
        return s ? s : "-";
}

/* "expires 2027-03-07 (89 days left)", "expired 2025-02-01 (672 days ago)". */
static void put_expiry(FILE *f, const json_t *c)
{
        const char *na = json_string_value(json_object_get(c, "not_after"));
        const json_t *d = json_object_get(c, "days_left");
        long long days = json_integer_value(d);

        if (!na || !json_is_integer(d))
                fputs("expiry unknown", f);
        else if (days < 0)
                fprintf(f, "EXPIRED %.10s (%lld days ago)", na, -days);
        else
                fprintf(f, "expires %.10s (%lld days left)", na, days);
}

/* The file on disk that configures c, and whether it is what is served. */
static void put_on_disk(FILE *f, const json_t *c)
{
        const json_t *cfg = json_object_get(c, "config");
        const char *file = json_string_value(json_object_get(cfg, "file"));

        if (!cfg)
                return;
        fprintf(f, "; on disk: %s (%s:%lld) ", or_dash(file),
                or_dash(json_string_value(json_object_get(cfg, "server_file"))),
                (long long) json_integer_value(json_object_get(cfg, "line")));
        if (json_is_true(json_object_get(cfg, "matches")))
                fputs("is what is served", f);
        else
                fputs("differs: STALE, the file was renewed but the server still serves the old "
                      "certificate — reload it", f);
}

/* One certificate as one line into *ret (caller frees). -ENOMEM. */
static int cert_line(const json_t *c, char **ret)
{
        const char *sni = json_string_value(json_object_get(c, "sni"));
        const char *chain_error = json_string_value(json_object_get(c, "chain_error"));
        size_t len = 0;
        FILE *f = open_memstream(ret, &len);

        if (!f)
                return -ENOMEM;
        if (sni)
                fprintf(f, "for %s: ", sni);
        else
                fputs("default (no SNI): ", f);
        fprintf(f, "%s, issued by %s, ", or_dash(json_string_value(json_object_get(c, "subject"))),
                or_dash(json_string_value(json_object_get(c, "issuer"))));
        put_expiry(f, c);
        fprintf(f, ", %s %lld bits, %s", or_dash(json_string_value(json_object_get(c, "key_type"))),
                (long long) json_integer_value(json_object_get(c, "key_bits")),
                or_dash(json_string_value(json_object_get(c, "signature_algorithm"))));
        if (json_is_true(json_object_get(c, "chain_verified")))
                fputs(", chain verified", f);
        else
                fprintf(f, ", chain not verified (%s)", chain_error ? chain_error : "?");
        put_on_disk(f, c);
        if (fclose(f) != 0) {
                free(*ret);
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* The status line: "TLS: ok, TLSv1.2 TLSv1.3, ALPN h2 (probed ...)" or why not. */
static int status_line(const json_t *tls, char **ret)
{
        const char *status = json_string_value(json_object_get(tls, "status"));
        const char *alpn = json_string_value(json_object_get(tls, "alpn"));
        const json_t *v;
        size_t len = 0, i;
        FILE *f = open_memstream(ret, &len);

        if (!f)
                return -ENOMEM;
        fprintf(f, "TLS (TCP only; QUIC is not probed): %s", or_dash(status));
        if (status && strcmp(status, "ok") == 0) {
                fputs(", versions", f);
                json_array_foreach(json_object_get(tls, "versions"), i, v)
                        fprintf(f, " %s", or_dash(json_string_value(v)));
                if (alpn)
                        fprintf(f, ", ALPN %s", alpn);
        } else {
                fprintf(f, ": %s", or_dash(json_string_value(json_object_get(tls, "error"))));
        }
        fprintf(f, " (probed %s)", or_dash(json_string_value(json_object_get(tls, "probed_at"))));
        if (fclose(f) != 0) {
                free(*ret);
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int tls_config_errors_put(FILE *out, const json_t *tls, const char *indent)
{
        const json_t *e;
        size_t i;
        int r = 0;

        json_array_foreach(json_object_get(tls, "config_errors"), i, e) {
                char *line = NULL;

                if (asprintf(&line, "%s:%lld: %s", or_dash(json_string_value(json_object_get(e, "file"))),
                             (long long) json_integer_value(json_object_get(e, "line")),
                             or_dash(json_string_value(json_object_get(e, "reason")))) < 0)
                        return -ENOMEM;
                r = human_put_line(out, indent, line);
                free(line);
                if (r < 0)
                        break;
        }
        return r;
}

int tls_explain_put(FILE *out, const json_t *l)
{
        const json_t *tls = json_object_get(l, "tls"), *c;
        char *line = NULL;
        size_t i;
        int r;

        if (!tls)
                return 0;
        if ((r = status_line(tls, &line)) == 0)
                r = human_put_line(out, "  ", line);
        free(line);
        json_array_foreach(json_object_get(tls, "certificates"), i, c) {
                line = NULL;
                if (r == 0 && (r = cert_line(c, &line)) == 0)
                        r = human_put_line(out, "  - ", line);
                free(line);
        }
        if (r == 0)
                r = tls_config_errors_put(out, tls, "  - server config ");
        return r;
}
