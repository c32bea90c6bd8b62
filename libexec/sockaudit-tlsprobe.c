/* SPDX-License-Identifier: MIT */
/*
 * sockaudit-tlsprobe: the TLS probe's helper, exec'd by lib/tlsprobechild.c
 * inside the listener's network namespace, already without privileges.
 * Not for people: arguments are FAMILY (ipv4|ipv6) ADDRESS PORT MS [SNI...]
 * (MS: milliseconds left). Adds the seccomp filter, makes the handshakes
 * (lib/tlshandshake.c) and writes one JSON report (at most
 * SA_TLS_REPORT_MAX bytes) to stdout; exits 0 whatever it found, 2 on
 * bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tlscert.h"
#include "tlshandshake.h"
#include "util.h"

static void write_all(const char *s, size_t len)
{
        while (len > 0) {
                ssize_t n = write(1, s, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                s += n;
                len -= (size_t) n;
        }
}

int main(int argc, char **argv)
{
        sa_tls_target t = { .netns_fd = -1 };
        json_t *report = json_object();
        X509_STORE *store;
        int64_t start = sa_tls_now_ms();   /* MS counts from exec, not from after the store's load */
        uint64_t port, ms;
        char msg[SA_TLS_ERROR_MAX];
        char *s;
        int r;

        if (argc < 5 || argc > 5 + SA_TLS_SNI_MAX || !report ||
            (strcmp(argv[1], "ipv4") && strcmp(argv[1], "ipv6")) ||
            sa_parse_uint(argv[3], 65535, NULL, &port) < 0 || port == 0 ||
            sa_parse_uint(argv[4], SA_TLS_TIMEOUT_MS_MAX, NULL, &ms) < 0) {
                fputs("sockaudit-tlsprobe: run by sockaudit, not by hand\n", stderr);
                return 2;
        }
        t.family = argv[1][3] == '6' ? AF_INET6 : AF_INET;
        t.port = (uint16_t) port;
        t.sni = (const char *const *) argv + 5;
        t.n_sni = (size_t) argc - 5;
        if (inet_pton(t.family, argv[2], t.addr) != 1) {
                fputs("sockaudit-tlsprobe: bad address\n", stderr);
                return 2;
        }
        r = sa_tls_seccomp();
        if (r < 0 && r != -ENOSYS) {
                snprintf(msg, sizeof(msg), "installing the seccomp filter: %s", strerror(-r));
                sa_tls_report_status(report, "error", msg);
        } else {
                store = sa_tls_system_store();
                sa_tls_handshakes(&t, start + (int64_t) ms, store, report);
                X509_STORE_free(store);
        }
        s = json_dumps(report, JSON_COMPACT);
        if (s && strlen(s) > SA_TLS_REPORT_MAX) {
                free(s);
                s = strdup("{\"status\":\"error\",\"error\":\"the report grew past its bound\"}");
        }
        if (s)
                write_all(s, strlen(s));
        _exit(0);
}
