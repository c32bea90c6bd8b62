/* SPDX-License-Identifier: MIT */
/*
 * Scans (lib/include/sockaudit.h): sock_diag dumps give the listening sockets (in
 * each network namespace, lib/netns.c), a probe gives just their cookies,
 * and a full scan adds every process holding one: one walk of all fds
 * (socket inodes are unique host-wide; lib/scanjob.c), each holder
 * described once (lib/snapshot.c). An unfiltered scan of a lasting scanner
 * also leaves the owner index behind, for sa_scanner_refresh().
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netnsdirt.h"
#include "scanner.h"
#include "sockdiag.h"
#include "util.h"

/*
 * Runs the (up to four) dumps f asks for in namespace ns, appending to out,
 * each record stamped with ns's inode and name. On failure out is as it was.
 */
static int collect_one(sa_netns *ns, struct nl_sock *nl, const sa_filter *f, sa_listener_vec *out,
                       sa_scan_stats *st)
{
        static const uint8_t families[] = { AF_INET, AF_INET6 };
        static const struct { uint8_t proto; unsigned bit; } protos[] = {
                { IPPROTO_TCP, SA_PROTO_TCP },
                { IPPROTO_UDP, SA_PROTO_UDP },
        };
        unsigned want = f && f->protos ? f->protos : SA_PROTO_ANY;
        uint16_t port = f ? f->port : 0;
        size_t n0 = out->n;

        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++) {
                if (!(want & protos[p].bit))
                        continue;
                for (size_t i = 0; i < sizeof families; i++) {
                        int r = sa_sockdiag_dump(nl, families[i], protos[p].proto, port,
                                                 ns->ino, out, st);
                        if (r < 0) {
                                sa_listener_vec_truncate(out, n0);
                                return r;
                        }
                }
        }
        for (size_t i = n0; i < out->n; i++)
                memcpy(out->items[i].netns_name, ns->name, sizeof ns->name);
        return 0;
}

/* collect_one() in ns through its socket; seq != 0: ns->pending_seq = seq when it worked. */
static int collect_ns(sa_scanner *s, sa_netns *ns, const sa_filter *f, sa_listener_vec *out,
                      sa_scan_stats *st, uint64_t seq)
{
        struct nl_sock *nl;
        int r = sa_netns_socket_get(s->ns, ns, &nl);

        if (r < 0)
                return r;
        if (!nl) {
                st->netns_skipped++;
                return 0;
        }
        sa_netns_cookie_learn(ns, nl);
        r = collect_one(ns, nl, f, out, st);
        sa_netns_socket_put(ns, nl);
        if (r < 0) {
                if (!ns->self && r != -ENOMEM)
                        sa_netns_drop_socket(s->ns, ns);
                return r;
        }
        st->netns++;
        if (seq)
                ns->pending_seq = seq;
        return 0;
}

int sa_scanner_collect_ns(sa_scanner *s, sa_netns *ns, const sa_filter *f, sa_listener_vec *out,
                          sa_scan_stats *st)
{
        return collect_ns(s, ns, f, out, st, 0);
}

int sa_scanner_collect(sa_scanner *s, const sa_filter *f, sa_listener_vec *out, sa_scan_stats *st)
{
        return sa_scanner_collect_picked(s, f, false, 0, out, st);
}

int sa_scanner_collect_picked(sa_scanner *s, const sa_filter *f, bool picked, uint64_t seq,
                              sa_listener_vec *out, sa_scan_stats *st)
{
        for (size_t i = 0; i < s->ns->n; i++) {
                int r;

                if (picked && !s->ns->items[i].pick)
                        continue;
                r = collect_ns(s, &s->ns->items[i], f, out, st, seq);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool sa_scanner_in_scope(const sa_listener *l, const sa_filter *fs, size_t n_fs)
{
        if (n_fs == 0)
                return true;
        for (size_t i = 0; i < n_fs; i++)
                if (sa_listener_match(l, &fs[i]))
                        return true;
        return false;
}

/* The records of old in scope from namespaces not picked (unchanged since old's dump of them). */
static int reuse_clean(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                       sa_listener_vec *out)
{
        for (size_t i = 0; i < old->n_listeners; i++) {
                const sa_listener *l = &old->listeners[i];
                const sa_netns *ns;
                int r;

                if (!sa_scanner_in_scope(l, fs, n_fs) || !(ns = sa_netns_find(s->ns, l->netns)) || ns->pick)
                        continue;
                r = sa_listener_vec_push(out, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

int sa_scanner_collect_refresh(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                               sa_listener_vec *out, sa_scan_stats *st, unsigned *ret_dumped)
{
        sa_netns_set *set = s->ns;
        bool picked = set->events;
        uint64_t seq = n_fs == 0 ? sa_netns_dump_seq(set) : 0;
        size_t n_pick = set->n;
        int r = 0;

        for (size_t i = 0; i < set->n; i++)
                set->items[i].pending_seq = 0;
        if (picked)
                n_pick = sa_netns_pick(set, now_usec(CLOCK_MONOTONIC));
        set->dumped_last = n_pick;
        *ret_dumped = (unsigned) n_pick;
        for (size_t i = 0; i < (n_fs ? n_fs : 1) && r >= 0; i++)
                r = sa_scanner_collect_picked(s, n_fs ? &fs[i] : NULL, picked, seq, out, st);
        if (r >= 0 && picked)
                r = reuse_clean(s, old, fs, n_fs, out);
        return r;
}

void sa_scanner_refresh_cleaned(sa_scanner *s)
{
        for (size_t i = 0; i < s->ns->n; i++)
                if (s->ns->items[i].pending_seq)
                        sa_netns_cleaned(&s->ns->items[i], s->ns->items[i].pending_seq);
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int sa_scanner_probe(sa_scanner *s, const sa_filter *f, uint64_t **ret_cookies, size_t *ret_n)
{
        sa_listener_vec v = { 0 };
        sa_scan_stats st = { 0 };
        uint64_t *cookies = NULL;
        int r = 0;

        /* Namespaces as the last scan found them; found once if none ran. */
        if (!s->ns->discovered)
                r = sa_netns_set_refresh(s->ns, s->proc_root, &st);
        if (r >= 0)
                r = sa_scanner_collect(s, f, &v, &st);
        if (r < 0)
                goto out;
        if (v.n > 0) {
                cookies = malloc(v.n * sizeof *cookies);
                if (!cookies) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < v.n; i++)
                        cookies[i] = v.items[i].cookie;
                qsort(cookies, v.n, sizeof *cookies, cmp_u64);
        }
        *ret_cookies = cookies;
        *ret_n = v.n;
out:
        sa_listener_vec_clear(&v);
        return r;
}

int sa_scanner_scan(sa_scanner *s, const sa_filter *f, sa_snapshot **ret)
{
        sa_scan_job *j = NULL;
        int r = sa_scan_job_prepare(s, f, !f && !s->oneshot, NULL, &j);

        if (r < 0)
                return r;
        sa_scan_job_walk(j);
        return sa_scan_job_finish(s, j, UINT64_MAX, ret);
}

int sa_scan(const sa_scan_config *cfg, const sa_filter *f, sa_snapshot **ret)
{
        sa_scanner *s = NULL;
        int r = sa_scanner_new(cfg, &s);

        if (r < 0)
                return r;
        s->oneshot = true;
        r = sa_scanner_scan(s, f, ret);
        sa_scanner_free(s);
        return r;
}
