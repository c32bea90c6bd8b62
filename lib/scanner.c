/* SPDX-License-Identifier: MIT */
/*
 * The scanner's life (lib/sockaudit.h): opening it (its namespaces, the
 * user-name cache, and the fd walk it will use: the eBPF iterator, or
 * procfs and the reason why), switching namespaces, and freeing it. What it
 * does is elsewhere (lib/scanner.h lists the files).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner.h"
#include "util.h"

/* The eBPF walk when method allows and it loads; else why not. */
static int open_walker(sa_scanner *s, sa_scan_method method)
{
        int r;

        if (method == SA_SCAN_PROCFS) {
                snprintf(s->no_bpf_why, sizeof s->no_bpf_why, "procfs was asked for");
                return 0;
        }
        if (strcmp(s->proc_root, "/proc") != 0) {
                snprintf(s->no_bpf_why, sizeof s->no_bpf_why, "the proc root is %s, not /proc",
                         s->proc_root);
                return method == SA_SCAN_EBPF ? -EINVAL : 0;
        }
        r = sa_bpfscan_open(&s->bpf, s->no_bpf_why, sizeof s->no_bpf_why);
        return method == SA_SCAN_EBPF ? r : 0;
}

const char *sa_scanner_method(const sa_scanner *s, const char **ret_why)
{
        if (ret_why)
                *ret_why = s->bpf ? NULL : s->no_bpf_why;
        return s->bpf ? "ebpf" : "procfs";
}

int sa_scan_method_from_string(const char *str, sa_scan_method *ret)
{
        static const char *const names[] = {
                [SA_SCAN_AUTO] = "auto", [SA_SCAN_PROCFS] = "procfs", [SA_SCAN_EBPF] = "ebpf",
        };

        for (size_t i = 0; str && i < sizeof names / sizeof *names; i++)
                if (strcmp(str, names[i]) == 0) {
                        *ret = (sa_scan_method) i;
                        return 0;
                }
        return -EINVAL;
}

int sa_scanner_set_namespaces(sa_scanner *s, sa_netns_mode mode)
{
        sa_netns_set *ns = NULL;
        int r;

        if (mode != SA_NETNS_SELF && mode != SA_NETNS_ALL)
                return -EINVAL;
        r = sa_netns_set_new(mode == SA_NETNS_ALL, &ns);
        if (r < 0)
                return r;
        sa_netns_set_free(s->ns);
        s->ns = ns;
        s->lost = true; /* listeners of other namespaces: a full scan */
        return 0;
}

int sa_scanner_netns_status(const sa_scanner *s, uint64_t ino)
{
        if (!s->ns->all && ino != s->ns->self_ino)
                return -1;
        return sa_netns_set_has(s->ns, ino);
}

int sa_scanner_new(const sa_scan_config *cfg, sa_scanner **ret)
{
        sa_scanner *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        if (cfg && cfg->namespaces != SA_NETNS_SELF && cfg->namespaces != SA_NETNS_ALL) {
                r = -EINVAL;
                goto fail;
        }
        s->proc_root = strdup(cfg && cfg->proc_root ? cfg->proc_root : "/proc");
        if (!s->proc_root) {
                r = -ENOMEM;
                goto fail;
        }
        /* Our own namespace (not proc_root's), and others in ALL mode. */
        r = sa_netns_set_new(cfg && cfg->namespaces == SA_NETNS_ALL, &s->ns);
        if (r < 0)
                goto fail;
        r = sa_usercache_new(&s->users);
        if (r < 0)
                goto fail;
        r = open_walker(s, cfg ? cfg->method : SA_SCAN_AUTO);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        sa_scanner_free(s);
        return r;
}

sa_scanner *sa_scanner_free(sa_scanner *s)
{
        if (!s)
                return NULL;
        sa_ownerindex_free(s->owners);
        free(s->pids);
        free(s->fresh);
        free(s->marks);
        sa_bpfscan_free(s->bpf);
        sa_netns_set_free(s->ns);
        sa_usercache_free(s->users);
        free(s->proc_root);
        free(s);
        return NULL;
}
