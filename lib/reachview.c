/* SPDX-License-Identifier: MIT */
/*
 * A namespace's view for the daemon's reachability (include/reachbroker.h):
 * its interfaces and its ruleset, dumped by the broker and decoded here,
 * its forwarding switches when it publishes ports (a DNAT), and a
 * listener's `reachability` object evaluated on it, with the forwarded
 * entries of the hosts' views (lib/netifsfwd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netifs.h"
#include "netifsfwd.h"
#include "nftread.h"
#include "reachbroker.h"

struct sa_reach_view {
        sa_netifs *ifs;
        sa_nft_ruleset *rs;             /* NULL: unreadable, why in unreadable */
        char unreadable[200];
        sa_fwd_host host;               /* as a container's host: its addresses, forwarding switches */
};

int sa_reach_view_read(sa_reach_broker *b, int netns_fd, sa_reach_view **ret, char *err, size_t errlen)
{
        sa_reach_view *v = calloc(1, sizeof *v);
        char legacy[128] = "", why[160] = "";
        void *buf = NULL;
        size_t len = 0;
        int r;

        if (!v) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        r = sa_netifs_read(netns_fd, &v->ifs, err, errlen);
        if (r < 0) {
                free(v);
                return r;
        }
        if (!b)
                snprintf(v->unreadable, sizeof v->unreadable, "no broker to read it (sockaudit-reach not found)");
        else if (sa_reach_broker_dump(b, netns_fd, &buf, &len, legacy, sizeof legacy, why, sizeof why) < 0)
                snprintf(v->unreadable, sizeof v->unreadable, "%s", why);
        else if (sa_nft_ruleset_from_bytes(buf, len, legacy, &v->rs, why, sizeof why) < 0)
                snprintf(v->unreadable, sizeof v->unreadable, "undecodable: %s", why);
        free(buf);
        sa_fwd_host_init(&v->host, v->ifs, v->rs);
        if (sa_fwd_has_dnat(v->rs))
                sa_fwd_switches_read(netns_fd, &v->host);
        *ret = v;
        return 0;
}

void sa_reach_view_free(sa_reach_view *v)
{
        if (!v)
                return;
        sa_netifs_free(v->ifs);
        sa_nft_ruleset_free(v->rs);
        free(v);
}

struct hosts {
        sa_reach_view_fn fn;
        void *ctx;
};

static const sa_fwd_host *view_host(const sa_netif *veth, void *ctx)
{
        const struct hosts *h = ctx;
        const sa_reach_view *v = h->fn ? h->fn(veth->peer_netns, h->ctx) : NULL;

        return v ? &v->host : NULL;
}

json_t *sa_reach_view_listener(const sa_reach_view *v, const sa_listener *l, sa_reach_view_fn hosts, void *ctx)
{
        struct hosts h = { .fn = hosts, .ctx = ctx };
        char err[160];
        json_t *o = NULL;

        if (sa_reachability_of(l, v->ifs, v->rs, v->unreadable, NULL, NULL, &o, err, sizeof err) < 0)
                return NULL;
        if (sa_reachability_forwarded(o, l, v->ifs, v->rs, NULL, NULL, view_host, &h) < 0)
                o = (json_decref(o), NULL);
        return o;
}

size_t sa_reach_view_hosts(const sa_reach_view *v, const sa_listener *l, sa_reach_peer *ret, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < v->ifs->n && n < max; i++) {
                const sa_netif *nif = &v->ifs->items[i];
                size_t k = 0;

                if (!sa_fwd_veth(l, nif, v->ifs))
                        continue;
                while (k < n && ret[k].netns != nif->peer_netns)
                        k++;
                if (k < n)
                        continue;
                ret[n].netns = nif->peer_netns;
                snprintf(ret[n].name, sizeof ret[n].name, "%s", nif->peer_netns_name);
                n++;
        }
        return n;
}

bool sa_reach_view_leads_to(const sa_reach_view *v, uint64_t netns)
{
        for (size_t i = 0; v && i < v->ifs->n; i++)
                if (v->ifs->items[i].peer_netns == netns && !strcmp(v->ifs->items[i].kind, "veth"))
                        return true;
        return false;
}

int sa_reach_peer_open(const sa_reach_peer *peer)
{
        return sa_fwd_peer_open(peer->name, peer->netns);
}
