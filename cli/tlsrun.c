/* SPDX-License-Identifier: MIT */
/* The CLI's TLS probes, with the names and files from the owners' configs (tlsrun.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "commands.h"
#include "helperpath.h"
#include "provhelper.h"
#include "tlsplan.h"
#include "tlsprobe.h"
#include "tlsrun.h"

#define TLS_PARALLEL 4
/* Listeners probed by one command (the CLI's own namespace's first): 32 silent ones cost 40 s. */
#define TLS_DIRECT_MAX 32

/* The certificate files' fingerprints, from the provenance helper (no libcrypto here). */
static int cert_sha256(void *helper, int root_fd, uid_t uid, gid_t gid, const char *path, char hex[65])
{
        return helper ? sa_cert_sha256_helper(helper, root_fd, uid, gid, path, hex) : -ENOEXEC;
}

/* One probe target of listener record l; 0, or -EINVAL with why (the probe is not made). */
static int target_of(const json_t *l, uint64_t home, const char *helper, char *nspath, size_t nslen,
                     sa_tls_target *t, const char **why)
{
        const char *family = json_string_value(json_object_get(l, "family"));
        const char *addr = json_string_value(json_object_get(l, "address"));
        json_int_t port = json_integer_value(json_object_get(l, "port"));
        json_int_t ns = json_integer_value(json_object_get(l, "netns"));
        json_t *owner = json_array_get(json_object_get(l, "owners"), 0);
        json_int_t pid = json_integer_value(json_object_get(owner, "pid"));

        *t = (sa_tls_target) { .netns_fd = -1, .port = (uint16_t) port, .helper = helper };
        if (!helper) {
                *why = "the probe's helper " TLSPROBE_NAME " was not found (SOCKAUDIT_TLSPROBE)";
                return -EINVAL;
        }
        t->family = family && !strcmp(family, "ipv6") ? AF_INET6 : AF_INET;
        if (!addr || inet_pton(t->family, addr, t->addr) != 1 || port < 1 || port > 65535) {
                *why = "the listener record has no usable address";
                return -EINVAL;
        }
        if ((uint64_t) ns == home && home)
                return 0;
        if (pid <= 0) {
                *why = "no process holds it: its network namespace cannot be entered";
                return -EINVAL;
        }
        snprintf(nspath, nslen, "/proc/%lld/ns/net", (long long) pid);
        t->netns_path = nspath;
        return 0;
}

/*
 * The plan of listener record l (its owners' configs on its port) into
 * *ret, and its names into t. -ENOMEM only.
 */
static int plan_of(const json_t *l, sa_tls_target *t, sa_tls_plan **ret)
{
        const json_t *owners = json_object_get(l, "owners"), *o;
        pid_t pids[SA_TLS_PLAN_OWNERS_MAX];
        size_t n = 0, i;
        int r;

        json_array_foreach(owners, i, o)
                if (n < SA_TLS_PLAN_OWNERS_MAX && json_integer_value(json_object_get(o, "pid")) > 0)
                        pids[n++] = (pid_t) json_integer_value(json_object_get(o, "pid"));
        r = sa_tls_plan_new(NULL, pids, n, t->port, ret);
        if (r == 0)
                t->sni = sa_tls_plan_sni(*ret, &t->n_sni);
        return r;
}

/* What one probe needs beside its target. */
typedef struct probe_slot {
        size_t listener;        /* index in the array */
        char nspath[48];
        sa_tls_plan *plan;
} probe_slot;

int tls_probe_listeners(json_t *listeners, bool (*want)(const json_t *l))
{
        size_t n = json_array_size(listeners), m = 0;
        sa_tls_target *t = calloc(n ? n : 1, sizeof(*t));
        probe_slot *slot = calloc(n ? n : 1, sizeof(*slot));
        json_t **res = calloc(n ? n : 1, sizeof(*res));
        uint64_t home = own_netns();
        char hbuf[4200], pbuf[4200];
        const char *helper = cli_find_helper(TLSPROBE_NAME, "SOCKAUDIT_TLSPROBE", hbuf, sizeof(hbuf));
        const char *prov = cli_find_helper(PROVENANCE_NAME, "SOCKAUDIT_PROVENANCE", pbuf, sizeof(pbuf));
        int r = -ENOMEM;

        if (!t || !slot || !res)
                goto out;
        /* Those in the CLI's namespace (pass 0), then the others (pass 1). */
        for (size_t i = 0; i < 2 * n; i++) {
                json_t *l = json_array_get(listeners, i % n);
                bool home_ns = home && (uint64_t) json_integer_value(json_object_get(l, "netns")) == home;
                const char *why = NULL;

                if ((want && !want(l)) || home_ns != (i < n))
                        continue;
                if (m == TLS_DIRECT_MAX) {
                        if (json_object_set_new(l, "tls", sa_tls_error_object("error", "not probed: more than 32 "
                                                "listeners to probe; narrow with --netns")) < 0)
                                goto out;
                        continue;
                }
                if (target_of(l, home, helper, slot[m].nspath, sizeof(slot[m].nspath), &t[m], &why) < 0) {
                        if (json_object_set_new(l, "tls", sa_tls_error_object("error", why)) < 0)
                                goto out;
                        continue;
                }
                slot[m].listener = i % n;
                if (plan_of(l, &t[m], &slot[m].plan) < 0)
                        goto out;
                m++;
        }
        r = sa_tls_probe_run_many(t, m, TLS_PARALLEL, res);
        for (size_t k = 0; k < m; k++) {
                if (r == 0 && (!res[k] || sa_tls_plan_compare_with(slot[k].plan, res[k], cert_sha256, (void *) prov) < 0 ||
                               json_object_set(json_array_get(listeners, slot[k].listener), "tls", res[k]) < 0))
                        r = -ENOMEM;
                json_decref(res[k]);
        }
out:
        for (size_t k = 0; slot && k < m; k++)
                sa_tls_plan_free(slot[k].plan);
        free(t);
        free(slot);
        free(res);
        return r;
}
