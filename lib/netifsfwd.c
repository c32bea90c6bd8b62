/* SPDX-License-Identifier: MIT */
/*
 * Forwarded entry points of a listener (lib/netifsfwd.h): DNAT rules in
 * the namespace at the other end of the listener's veths (a container's
 * host) that send a port of the host to the listener. Each rule's
 * original port, on each of the host's addresses, is evaluated there
 * (prerouting, then forward: lib/nfteval.h); when it reaches the
 * listener, the listener's namespace decides after the host accepts.
 * The listener's own namespace is a host too: its DNAT/redirect rules
 * that send a port to the listener's, on its own addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/netfilter/nf_tables.h>

#include "netifsfwd.h"
#include "nftread.h"

#define EVALS_MAX 4096

static bool sysctl_zero(const char *path)
{
        FILE *f = fopen(path, "re");
        int v = 1;

        if (f) {
                if (fscanf(f, "%d", &v) != 1)
                        v = 1;
                fclose(f);
        }
        return v == 0;
}

struct switches {
        int fd;
        sa_fwd_host *h;
};

/* On a thread of its own when it enters a namespace (setns is per thread): the forwarding switches. */
static void *read_switches(void *arg)
{
        struct switches *s = arg;

        if (s->fd < 0 || setns(s->fd, CLONE_NEWNET) == 0) {
                s->h->off4 = sysctl_zero("/proc/sys/net/ipv4/ip_forward");
                s->h->off6 = sysctl_zero("/proc/sys/net/ipv6/conf/all/forwarding");
        }
        return NULL;
}

void sa_fwd_switches_read(int fd, sa_fwd_host *h)
{
        struct switches s = { .fd = fd, .h = h };
        pthread_t t;

        if (fd < 0)
                (void) read_switches(&s);
        else if (pthread_create(&t, NULL, read_switches, &s) == 0)
                pthread_join(t, NULL);
}

int sa_fwd_peer_open(const char *name, uint64_t ino)
{
        char path[128];
        struct stat st;
        int fd;

        if (!ino || !name[0])
                return -1;
        if (strcmp(name, "host") == 0)
                snprintf(path, sizeof(path), "/proc/1/ns/net");
        else
                snprintf(path, sizeof(path), "/run/netns/%s", name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || (uint64_t) st.st_ino != ino)) {
                close(fd);
                fd = -1;
        }
        return fd;
}

/*
 * The first path of res forwarding to one of the listener's addresses on
 * nif, to its port, or NULL. With nif NULL (the listener's own namespace),
 * a path that stays local after a DNAT/redirect, to the listener's port
 * and an address of ifs it accepts on.
 */
static const sa_nft_path *reaches(const sa_nft_result *res, const sa_listener *l, const sa_netif *nif,
                                  const sa_netifs *ifs, int family)
{
        for (unsigned i = 0; i < res->path_count; i++) {
                const sa_nft_path *p = &res->paths[i];

                if (p->forwarded != !!nif || !p->via[0] || p->dport != l->port)
                        continue;
                for (size_t j = 0; j < (nif ? 1 : ifs->n); j++) {
                        const sa_netif *n = nif ? nif : &ifs->items[j];

                        for (size_t k = 0; k < n->n_addrs; k++)
                                if (n->addrs[k].family == family && sa_netif_accepts_addr(l, &n->addrs[k])
                                    && memcmp(n->addrs[k].addr, p->daddr, family == AF_INET ? 4 : 16) == 0)
                                        return p;
                }
        }
        return NULL;
}

void sa_fwd_host_init(sa_fwd_host *h, const sa_netifs *ifs, const sa_nft_ruleset *rs)
{
        memset(h, 0, sizeof(*h));
        h->ifs = ifs;
        h->rs = rs;
        for (size_t i = 0; i < ifs->n; i++)
                for (size_t k = 0; k < ifs->items[i].n_addrs && h->addr_count < SA_FWD_ADDRS_MAX; k++) {
                        sa_nft_ifaddr *a = &h->addrs[h->addr_count++];
                        const sa_netif_addr *s = &ifs->items[i].addrs[k];

                        a->family = s->family;
                        a->prefix = s->prefix;
                        memcpy(a->addr, s->addr, 16);
                        a->ifindex = ifs->items[i].index;
                        snprintf(a->ifname, sizeof(a->ifname), "%s", ifs->items[i].name);
                }
}

bool sa_fwd_veth(const sa_listener *l, const sa_netif *nif, const sa_netifs *ifs)
{
        if (nif->loopback || strcmp(nif->kind, "veth") != 0 || !nif->peer_netns || !nif->peer_netns_name[0]
            || !sa_netif_accepts(l, nif, ifs))
                return false;
        for (size_t k = 0; k < nif->n_addrs; k++)
                if (sa_netif_accepts_addr(l, &nif->addrs[k]))
                        return true;
        return false;
}

/* What one forwarded evaluation needs besides the host. */
struct fwd_walk {
        const sa_listener *l;
        const sa_netifs *ifs;           /* the listener's namespace's */
        const sa_netif *nif;            /* the listener's veth to the host; NULL: the host is its own namespace */
        const sa_nft_ruleset *here;
        const sa_nft_fwd_source *src;
        sa_fwd_entry *e;
        unsigned evals;
        sa_fwd_fn fn;
        void *ctx;
};

/* The host accepted the entry e: the listener's namespace decides, the packet arriving on its veth. */
static void listener_side(struct fwd_walk *w, int family)
{
        sa_nft_packet pkt = { .family = family, .l4proto = w->l->proto, .dport = w->l->port,
                              .saddr_known = w->src->family != 0 };

        w->e->listener_ran = false;
        if (!w->nif || w->e->host.verdict != SA_NFT_ACCEPT || !w->here)
                return;         /* not forwarded (its own namespace's), or the host decided */
        pkt.iif = w->nif->index;
        snprintf(pkt.iifname, sizeof(pkt.iifname), "%s", w->nif->name);
        memcpy(pkt.daddr, w->e->to, 16);
        memcpy(pkt.saddr, w->src->addr, 16);
        sa_nft_evaluate(w->here, &pkt, &w->e->here);
        w->e->listener_ran = true;
}

/* The DNAT ports on one host address: each that forwards to the listener is an entry, to fn. */
static void host_address(struct fwd_walk *w, const sa_fwd_host *h, const sa_netif *hif, const sa_netif_addr *a,
                         const sa_fwd_port *ports, unsigned np)
{
        for (unsigned pi = 0; pi < np && w->evals++ < EVALS_MAX; pi++) {
                sa_nft_packet pkt = { .family = a->family, .iif = hif->index, .l4proto = w->l->proto,
                                      .dport = ports[pi].port, .saddr_known = w->src->family != 0,
                                      .addrs = h->addrs, .addr_count = h->addr_count };
                const sa_nft_path *fw;

                pkt.forwarding_off = a->family == AF_INET ? h->off4 : h->off6;
                snprintf(pkt.iifname, sizeof(pkt.iifname), "%s", hif->name);
                memcpy(pkt.daddr, a->addr, 16);
                memcpy(pkt.saddr, w->src->addr, 16);
                sa_nft_evaluate(h->rs, &pkt, &w->e->host);
                if (!(fw = reaches(&w->e->host, w->l, w->nif, w->ifs, a->family)))
                        continue;
                memcpy(w->e->to, fw->daddr, sizeof(w->e->to));
                snprintf(w->e->via, sizeof(w->e->via), "%s", fw->via);
                w->e->host_if = hif;
                w->e->host_addr = a;
                w->e->port = ports[pi].port;
                w->e->ports = ports[pi].ports;
                w->e->netns_name = w->nif ? w->nif->peer_netns_name : NULL;
                listener_side(w, a->family);
                w->fn(w->e, w->ctx);
        }
}

/*
 * Every (host interface, address, DNAT port) that reaches the listener, to
 * fn. The listener's own namespace (w->nif NULL): its redirects too, on
 * the interfaces the listener accepts on, its own port left out (its
 * entries are there already).
 */
static void host_entries(struct fwd_walk *w, const sa_fwd_host *h)
{
        sa_fwd_port ports[SA_FWD_PORTS_MAX];
        unsigned np = sa_fwd_dnat_ports(h->rs, w->l->proto, w->l->port, !w->nif, ports, SA_FWD_PORTS_MAX), kept = 0;

        for (unsigned k = 0; k < np; k++)
                if (w->nif || ports[k].port != w->l->port)
                        ports[kept++] = ports[k];
        np = kept;
        for (size_t i = 0; np && i < h->ifs->n; i++) {
                const sa_netif *hif = &h->ifs->items[i];

                if (hif->loopback || !hif->up || hif->master || (!w->nif && !sa_netif_accepts(w->l, hif, h->ifs)))
                        continue;
                for (size_t k = 0; k < hif->n_addrs; k++)
                        if (!w->src->family || hif->addrs[k].family == w->src->family)
                                host_address(w, h, hif, &hif->addrs[k], ports, np);
        }
}

int sa_reach_forwarded(const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *here,
                       const sa_nft_fwd_source *src, sa_fwd_host_fn hosts, void *hosts_ctx, sa_fwd_fn fn,
                       void *ctx)
{
        struct fwd_walk w = { .l = l, .ifs = ifs, .here = here, .src = src, .fn = fn, .ctx = ctx };
        sa_fwd_host *own = NULL;
        int r = 0;

        if (!(w.e = calloc(1, sizeof(*w.e))))
                return -ENOMEM;
        for (size_t i = 0; i < ifs->n; i++) {
                const sa_netif *nif = &ifs->items[i];
                const sa_fwd_host *h;
                bool seen = false;

                if (!sa_fwd_veth(l, nif, ifs))
                        continue;
                for (size_t k = 0; k < i; k++)      /* one host per namespace */
                        seen |= ifs->items[k].peer_netns == nif->peer_netns && sa_fwd_veth(l, &ifs->items[k], ifs);
                if (seen || !(h = hosts(nif, hosts_ctx)) || !h->rs)
                        continue;
                w.nif = nif;
                host_entries(&w, h);
        }
        if (here && !(own = malloc(sizeof(*own)))) {
                r = -ENOMEM;
        } else if (here) {              /* the listener's own DNAT/redirects */
                sa_fwd_host_init(own, ifs, here);
                w.nif = NULL;
                host_entries(&w, own);
        }
        free(own);
        free(w.e);
        return r;
}
