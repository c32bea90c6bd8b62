/* SPDX-License-Identifier: MIT */
/*
 * The scanner's life (lib/include/sockaudit.h): opening it (its namespaces, the
 * user-name cache, and the fd walk it will use: the eBPF iterator, or
 * procfs and the reason why), switching namespaces, and freeing it. What it
 * does is elsewhere (lib/scanner.h lists the files).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netnsdirt.h"
#include "scanner.h"
#include "util.h"

static const char *const method_names[] = {
        [SA_SCAN_AUTO] = "auto", [SA_SCAN_PROCFS] = "procfs", [SA_SCAN_EBPF] = "ebpf",
};

static const char *const fallback_texts[] = {
        [SA_SCAN_FALLBACK_ASKED] = "procfs was asked for",
        [SA_SCAN_FALLBACK_PROC_ROOT] = "the proc root is not /proc",
        [SA_SCAN_FALLBACK_NOT_BUILT] = "built without eBPF support",
        [SA_SCAN_FALLBACK_NOT_PERMITTED] = "loading eBPF needs CAP_BPF and CAP_PERFMON",
        [SA_SCAN_FALLBACK_LOAD_FAILED] = "the eBPF iterator could not be loaded",
        [SA_SCAN_FALLBACK_SELF_TEST] = "the eBPF iterator failed its self-test",
};

const char *sa_scan_method_name(sa_scan_method method)
{
        return (size_t) method < ELEMENTSOF(method_names) ? method_names[method] : NULL;
}

int sa_scan_method_from_string(const char *str, sa_scan_method *ret)
{
        for (size_t i = 0; str && i < ELEMENTSOF(method_names); i++)
                if (strcmp(str, method_names[i]) == 0) {
                        *ret = (sa_scan_method) i;
                        return 0;
                }
        return -EINVAL;
}

const char *sa_scan_fallback_text(sa_scan_fallback reason)
{
        return (size_t) reason < ELEMENTSOF(fallback_texts) ? fallback_texts[reason] : NULL;
}

sa_scan_method sa_scanner_method(const sa_scanner *s, sa_scan_fallback *ret_reason)
{
        if (ret_reason)
                *ret_reason = s->fallback;
        return s->bpf ? SA_SCAN_EBPF : SA_SCAN_PROCFS;
}

const char *sa_scanner_method_detail(const sa_scanner *s)
{
        return s->bpf ? "iter/task_file" : s->no_bpf_why;
}

/* The reason for sa_bpfscan_open()'s failure r (lib/bpfscan.h). */
static sa_scan_fallback bpf_fallback(int r)
{
#ifndef SA_HAVE_BPF
        (void) r;
        return SA_SCAN_FALLBACK_NOT_BUILT;
#else
        if (r == -EPERM)
                return SA_SCAN_FALLBACK_NOT_PERMITTED;
        return r == -ENXIO ? SA_SCAN_FALLBACK_SELF_TEST : SA_SCAN_FALLBACK_LOAD_FAILED;
#endif
}

/* The eBPF walk when method allows and it loads; else why not (s->fallback,
 * s->no_bpf_why). Fails only when method is SA_SCAN_EBPF. */
static int open_walker(sa_scanner *s, sa_scan_method method)
{
        int r;

        if (method == SA_SCAN_PROCFS) {
                s->fallback = SA_SCAN_FALLBACK_ASKED;
                snprintf(s->no_bpf_why, sizeof s->no_bpf_why, "%s", fallback_texts[s->fallback]);
                return 0;
        }
        if (strcmp(s->proc_root, "/proc") != 0) {
                s->fallback = SA_SCAN_FALLBACK_PROC_ROOT;
                snprintf(s->no_bpf_why, sizeof s->no_bpf_why, "the proc root is %s, not /proc",
                         s->proc_root);
                return method == SA_SCAN_EBPF ? -EINVAL : 0;
        }
        r = sa_bpfscan_open(&s->bpf, s->no_bpf_why, sizeof s->no_bpf_why);
        s->fallback = r >= 0 ? SA_SCAN_FALLBACK_NONE : bpf_fallback(r);
        return method == SA_SCAN_EBPF ? r : 0;
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
        ns->events = s->ns->events;
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

int sa_scanner_netns_add(sa_scanner *s, pid_t pid, uint64_t ino)
{
        return sa_netns_set_add(s->ns, pid, ino);
}

int sa_scanner_fresh_netns(sa_scanner *s)
{
        for (size_t i = 0; s->ns->all && i < s->n_fresh; i++) {
                int r;

                if (s->fresh[i].ns_seq == s->fresh[i].seq)
                        continue;
                s->fresh[i].ns_seq = s->fresh[i].seq;
                r = sa_netns_set_learn_pid(s->ns, s->fresh[i].pid);
                if (r < 0 && r != -ESRCH && r != -EOPNOTSUPP && r != -EMFILE && r != -ENFILE)
                        return r;
        }
        return 0;
}

void sa_scanner_netns_fd_stats(const sa_scanner *s, sa_netns_fd_stats *ret)
{
        *ret = (sa_netns_fd_stats) {
                .namespaces = s->ns->n,
                .kept = s->ns->kept,
                .keep_max = s->ns->keep_max,
                .fd_failures = s->ns->fd_failures,
                .last_fd_error = s->ns->last_fd_error,
        };
}

void sa_scanner_netns_events(sa_scanner *s, bool on)
{
        s->ns->events = on;
}

void sa_scanner_netns_changed(sa_scanner *s, uint64_t ino, uint64_t cookie, uint64_t hot_until)
{
        if (!ino && !cookie)
                sa_netns_mark_all(s->ns);
        else
                (void) sa_netns_mark(s->ns, ino, cookie, hot_until);
}

void sa_scanner_netns_dirt_stats(const sa_scanner *s, sa_netns_dirt_stats *ret)
{
        *ret = (sa_netns_dirt_stats) { .events = s->ns->events, .dumped_last = s->ns->dumped_last };
        sa_netns_dirt_counts(s->ns, now_usec(CLOCK_MONOTONIC), &ret->dirty, &ret->clean);
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
        sa_hiddenns_free(s->hidden);
        sa_netns_set_free(s->ns);
        sa_usercache_free(s->users);
        sa_scanner_provenance_free(s);
        free(s->proc_root);
        free(s);
        return NULL;
}
