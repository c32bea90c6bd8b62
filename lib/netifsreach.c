/* SPDX-License-Identifier: MIT */
/*
 * The `reachability` object of a listener (docs/RECORDS.md): its
 * namespace's interfaces, and per (interface, local address) it accepts
 * on, the verdict of the namespace's nftables ruleset on a new connection
 * arriving there (lib/nfteval.h); with explain --direct, the entries a
 * host's DNAT adds (lib/netifsfwd.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netifs.h"
#include "netifsfwd.h"
#include "nfteval.h"
#include "nftread.h"

static json_t *addr_json(const sa_netif_addr *a, bool prefix)
{
        char s[INET6_ADDRSTRLEN + 8];

        if (!inet_ntop(a->family, a->addr, s, sizeof(s)))
                return json_null();
        if (prefix)
                snprintf(s + strlen(s), sizeof(s) - strlen(s), "/%u", a->prefix);
        return json_string(s);
}

static const sa_netif *find_index(const sa_netifs *all, uint32_t index)
{
        for (size_t i = 0; index && i < all->n; i++)
                if (all->items[i].index == index)
                        return &all->items[i];
        return NULL;
}

/* One interface, with where it leads: a veth's peer (its namespace, its name), a bridge it is a port of. */
static json_t *iface_json(const sa_netif *nif, const sa_netifs *all)
{
        json_t *addrs = json_array();
        const sa_netif *master = find_index(all, nif->master);
        const sa_netif *local_peer = nif->peer_netnsid < 0 ? find_index(all, nif->peer_index) : NULL;
        const char *peer = local_peer ? local_peer->name : nif->peer;

        for (size_t i = 0; i < nif->n_addrs; i++)
                json_array_append_new(addrs, addr_json(&nif->addrs[i], true));
        return json_pack("{s:s, s:i, s:s, s:s?, s:o, s:o, s:s?, s:s?, s:s?, s:o}", "name", nif->name,
                         "index", (int) nif->index, "state", sa_netif_state(nif), "kind",
                         nif->kind[0] ? nif->kind : NULL,
                         "peer_netnsid", nif->peer_netnsid >= 0 ? json_integer(nif->peer_netnsid) : json_null(),
                         "peer_netns", nif->peer_netns ? json_integer((json_int_t) nif->peer_netns) : json_null(),
                         "peer_netns_name", nif->peer_netns_name[0] ? nif->peer_netns_name : NULL,
                         "peer", peer[0] ? peer : NULL, "master", master ? master->name : NULL,
                         "addresses", addrs);
}

/* Whether ifs has an interface other than loopback. */
static bool joined(const sa_netifs *ifs)
{
        for (size_t i = 0; i < ifs->n; i++)
                if (!ifs->items[i].loopback)
                        return true;
        return false;
}

static json_t *str_or_null(const char *s)
{
        return s && *s ? json_string(s) : json_null();
}

/* The branches of a conditional verdict: [{"verdict","conditions","rule"}]. */
static json_t *branches_json(const sa_nft_result *res)
{
        json_t *a = json_array();

        for (unsigned i = 0; res->verdict == SA_NFT_CONDITIONAL && i < res->path_count; i++) {
                const sa_nft_path *p = &res->paths[i];
                json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "verdict", sa_nft_verdict_name(p->verdict),
                                                   "conditions", p->conditions,
                                                   "rule", p->has_rule ? json_string(p->rule) : json_null()));
        }
        return a;
}

/* What decides packets: the ruleset, or why there is none. */
struct judge {
        const sa_nft_ruleset *rs;
        const char *unreadable;         /* the ruleset could not be read: why */
        int from_family;                /* 0: the source is unknown */
        uint8_t from[16];
};

/* An entry's object: where it arrives, and the verdict res (via: the NAT rule, "" if none). */
static json_t *result_json(const char *ifname, const sa_netif_addr *a, uint16_t port, const sa_nft_result *res,
                           const char *via)
{
        const sa_nft_path *p = &res->paths[0];

        return json_pack("{s:s, s:o, s:i, s:o, s:s, s:o, s:o, s:o}", "interface", ifname,
                         "address", addr_json(a, false), "port", (int) port, "via", str_or_null(via),
                         "verdict", sa_nft_verdict_name(res->verdict), "rule",
                         res->verdict != SA_NFT_CONDITIONAL && p->has_rule ? json_string(p->rule) : json_null(),
                         "conditions", branches_json(res), "reason", str_or_null(p->reason));
}

struct forwarded {
        json_t *entries;
        const char *iface;
};

static json_t *entry_json(const sa_listener *l, const sa_netif *nif, const sa_netif_addr *a,
                          const struct judge *j)
{
        sa_nft_packet pkt = { .family = a->family, .iif = nif->index, .l4proto = l->proto, .dport = l->port };
        sa_nft_result res;
        const sa_nft_path *p = &res.paths[0];
        char reason[SA_NFT_TEXT_MAX + 48];

        snprintf(pkt.iifname, sizeof(pkt.iifname), "%s", nif->name);
        memcpy(pkt.daddr, a->addr, sizeof(pkt.daddr));
        pkt.saddr_known = j->from_family != 0;
        memcpy(pkt.saddr, j->from, sizeof(pkt.saddr));
        if (!j->rs) {
                snprintf(reason, sizeof(reason), "the ruleset could not be read: %s", j->unreadable);
                return json_pack("{s:s, s:o, s:i, s:n, s:s, s:n, s:[], s:s}", "interface", nif->name,
                                 "address", addr_json(a, false), "port", (int) l->port, "via", "verdict",
                                 "unknown", "rule", "conditions", "reason", reason);
        }
        sa_nft_evaluate(j->rs, &pkt, &res);
        return result_json(nif->name, a, l->port, &res, p->via);
}

/* A forwarded entry: the listener's namespace decides when the host accepts. */
static void forwarded_json(const sa_fwd_entry *e, void *ctx)
{
        struct forwarded *f = ctx;
        sa_netif_addr to;
        json_t *o;

        if (f->iface && strcmp(f->iface, e->host_if->name) != 0)
                return;
        o = result_json(e->host_if->name, e->host_addr, e->port, e->listener_ran ? &e->here : &e->host,
                        e->via);
        to.family = e->host_addr->family;
        memcpy(to.addr, e->to, sizeof(to.addr));
        json_object_set_new(o, "netns", e->netns_name ? json_string(e->netns_name) : json_null());
        json_object_set_new(o, "forwarded_to", addr_json(&to, false));
        if (e->ports[0])
                json_object_set_new(o, "ports", json_string(e->ports));
        json_array_append_new(f->entries, o);
}

static int parse_from(const char *from, struct judge *j, char *err, size_t errlen)
{
        if (!from)
                return 0;
        j->from_family = strchr(from, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(j->from_family, from, j->from) == 1)
                return 0;
        snprintf(err, errlen, "--from %s: not an IPv4 or IPv6 address", from);
        return -EINVAL;
}

int sa_reachability_of(const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *rs, const char *unreadable,
                       const char *from, const char *iface, json_t **ret, char *err, size_t errlen)
{
        struct judge j = { .rs = rs, .unreadable = unreadable ? unreadable : "?" };
        json_t *o, *ifaces, *entries;
        bool outside = false;
        int r = parse_from(from, &j, err, errlen);

        if (r < 0)
                return r;
        ifaces = json_array();
        entries = json_array();
        for (size_t i = 0; i < ifs->n; i++) {
                const sa_netif *nif = &ifs->items[i];

                json_array_append_new(ifaces, iface_json(nif, ifs));
                if (!sa_netif_accepts(l, nif, ifs) || (iface && strcmp(iface, nif->name) != 0))
                        continue;
                for (size_t k = 0; k < nif->n_addrs; k++) {
                        const sa_netif_addr *a = &nif->addrs[k];
                        if (!sa_netif_accepts_addr(l, a) || (j.from_family && a->family != j.from_family))
                                continue;
                        outside |= !nif->loopback;
                        json_array_append_new(entries, entry_json(l, nif, a, &j));
                }
        }
        o = json_pack("{s:o, s:o, s:b, s:s?}", "interfaces", ifaces, "entries", entries, "outside", outside,
                      "note", outside ? NULL : !joined(ifs) ?
                      "nothing outside this namespace can reach it: it has no interface but loopback" :
                      "nothing outside can reach it: no interface but loopback accepts it");
        if (!o) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

int sa_reachability_forwarded(json_t *obj, const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *here,
                              const char *from, const char *iface, sa_fwd_host_fn hosts, void *hosts_ctx)
{
        struct forwarded f = { .entries = json_object_get(obj, "entries"), .iface = iface };
        sa_nft_fwd_source src = { 0 };
        struct judge j = { 0 };
        size_t before = json_array_size(f.entries);
        char err[80];
        int r;

        if (parse_from(from, &j, err, sizeof(err)) < 0)
                return -EINVAL;
        src.family = j.from_family;
        memcpy(src.addr, j.from, sizeof(src.addr));
        r = sa_reach_forwarded(l, ifs, here, &src, hosts, hosts_ctx, forwarded_json, &f);
        if (json_array_size(f.entries) > before) {
                json_object_set_new(obj, "outside", json_true());
                json_object_del(obj, "note");
        }
        return r;
}

/* explain --direct's hosts: each read when asked (interfaces, ruleset, switches), the last one kept. */
struct read_host {
        sa_fwd_host h;
        sa_netifs *ifs;
        sa_nft_ruleset *rs;
};

static void read_host_clear(struct read_host *rh)
{
        sa_nft_ruleset_free(rh->rs);
        sa_netifs_free(rh->ifs);
        rh->rs = NULL;
        rh->ifs = NULL;
}

static const sa_fwd_host *read_host(const sa_netif *veth, void *ctx)
{
        struct read_host *rh = ctx;
        int fd = sa_fwd_peer_open(veth->peer_netns_name, veth->peer_netns);
        char err[160];

        read_host_clear(rh);
        if (fd < 0)
                return NULL;
        if (sa_netifs_read(fd, &rh->ifs, err, sizeof(err)) < 0 || sa_nft_read(fd, &rh->rs, err, sizeof(err)) < 0) {
                close(fd);
                return NULL;
        }
        sa_fwd_host_init(&rh->h, rh->ifs, rh->rs);
        sa_fwd_switches_read(fd, &rh->h);
        close(fd);
        return &rh->h;
}

int sa_reachability(const sa_listener *l, int netns_fd, const char *from, const char *iface, json_t **ret,
                    char *err, size_t errlen)
{
        sa_netifs *ifs = NULL;
        sa_nft_ruleset *rs = NULL;
        struct read_host *rh = NULL;
        char nfterr[160] = "";
        struct judge j = { 0 };
        int r = parse_from(from, &j, err, errlen);

        if (r == 0)
                r = sa_netifs_read(netns_fd, &ifs, err, errlen);
        if (r < 0)
                return r;
        (void) sa_nft_read(netns_fd, &rs, nfterr, sizeof(nfterr));
        r = sa_reachability_of(l, ifs, rs, nfterr, from, iface, ret, err, errlen);
        if (r == 0) {
                rh = calloc(1, sizeof(*rh));
                r = rh ? sa_reachability_forwarded(*ret, l, ifs, rs, from, iface, read_host, rh) : -ENOMEM;
                if (r < 0) {
                        snprintf(err, errlen, "out of memory");
                        json_decref(*ret);
                        *ret = NULL;
                }
        }
        if (rh)
                read_host_clear(rh);
        free(rh);
        sa_nft_ruleset_free(rs);
        sa_netifs_free(ifs);
        return r;
}
