/* SPDX-License-Identifier: MIT */
/*
 * Forwarded entry points of a listener (lib/netifsfwd.h): DNAT rules in
 * the namespace at the other end of the listener's veths (a container's
 * host) that send a port of the host to the listener. Each rule's
 * original port, on each of the host's addresses, is evaluated there
 * (prerouting, then forward: lib/nfteval.h); when it reaches the
 * listener, the listener's namespace decides after the host accepts.
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
#include "nftxt.h"

#define PORTS_MAX 64
#define ADDRS_MAX 256
#define EVALS_MAX 4096

/* A rule's one destination port: an xtables tcp/udp --dport, or th dport == N; -1 if none. */
static int rule_dport(const sa_nft_ruleset *rs, const sa_nft_rule *r)
{
        for (uint32_t i = r->first; i < r->first + r->count; i++) {
                const sa_nft_expr *x = &rs->exprs[i], *n = i + 1 < r->first + r->count ? x + 1 : NULL;
                int p = sa_nft_xt_dport(x);

                if (p >= 0)
                        return p;
                if (x->kind == SA_NFT_X_PAYLOAD && x->dreg && x->a == NFT_PAYLOAD_TRANSPORT_HEADER && x->b == 2
                    && x->len == 2 && n && n->kind == SA_NFT_X_CMP && n->sreg == x->dreg && n->op == NFT_CMP_EQ
                    && n->len == 2)
                        return n->data[0] << 8 | n->data[1];
        }
        return -1;
}

static bool has_dnat(const sa_nft_ruleset *rs, const sa_nft_rule *r)
{
        for (uint32_t i = r->first; i < r->first + r->count; i++) {
                const sa_nft_expr *x = &rs->exprs[i];

                if ((x->kind == SA_NFT_X_NAT && x->a == NFT_NAT_DNAT)
                    || (x->kind == SA_NFT_X_TARGET && strcmp(x->name, "DNAT") == 0))
                        return true;
        }
        return false;
}

/* The original ports of the ruleset's DNAT rules (nat chains' tables), at most PORTS_MAX. */
static unsigned dnat_ports(const sa_nft_ruleset *rs, uint16_t *ports)
{
        unsigned n = 0;

        for (uint32_t i = 0; i < rs->rule_count && n < PORTS_MAX; i++) {
                const sa_nft_rule *r = &rs->rules[i];
                int p = has_dnat(rs, r) ? rule_dport(rs, r) : -1;
                unsigned k = 0;

                while (k < n && ports[k] != p)
                        k++;
                if (p > 0 && k == n)
                        ports[n++] = (uint16_t) p;
        }
        return n;
}

struct fwd_sysctl {
        int fd;
        bool off4, off6;
};

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

/* On a thread of its own (setns is per thread): the namespace's forwarding switches. */
static void *read_sysctl(void *arg)
{
        struct fwd_sysctl *s = arg;

        if (setns(s->fd, CLONE_NEWNET) == 0) {
                s->off4 = sysctl_zero("/proc/sys/net/ipv4/ip_forward");
                s->off6 = sysctl_zero("/proc/sys/net/ipv6/conf/all/forwarding");
        }
        return NULL;
}

/* The namespace of a veth's peer, opened and checked by inode; -1 if it cannot be. */
static int open_peer(const sa_netif *nif)
{
        char path[128];
        struct stat st;
        int fd;

        if (!nif->peer_netns || !nif->peer_netns_name[0])
                return -1;
        if (strcmp(nif->peer_netns_name, "host") == 0)
                snprintf(path, sizeof(path), "/proc/1/ns/net");
        else
                snprintf(path, sizeof(path), "/run/netns/%s", nif->peer_netns_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || (uint64_t) st.st_ino != nif->peer_netns)) {
                close(fd);
                fd = -1;
        }
        return fd;
}

/* The first path of res forwarding to one of the listener's addresses on nif, to its port, or NULL. */
static const sa_nft_path *reaches(const sa_nft_result *res, const sa_listener *l, const sa_netif *nif, int family)
{
        for (unsigned i = 0; i < res->path_count; i++) {
                const sa_nft_path *p = &res->paths[i];

                if (!p->forwarded || p->dport != l->port)
                        continue;
                for (size_t k = 0; k < nif->n_addrs; k++)
                        if (nif->addrs[k].family == family && sa_netif_accepts_addr(l, &nif->addrs[k])
                            && memcmp(nif->addrs[k].addr, p->daddr, family == AF_INET ? 4 : 16) == 0)
                                return p;
        }
        return NULL;
}

struct host {
        const sa_netif *nif;            /* the listener's veth to it */
        sa_netifs *ifs;
        sa_nft_ruleset *rs;
        struct fwd_sysctl sys;
        sa_nft_ifaddr addrs[ADDRS_MAX];
        unsigned addr_count;
};

/* Every (host interface, address, DNAT port) that reaches the listener, to fn. */
static void host_entries(const sa_listener *l, const sa_nft_ruleset *here, const sa_nft_fwd_source *src,
                         struct host *h, sa_fwd_entry *e, unsigned *evals, sa_fwd_fn fn, void *ctx)
{
        uint16_t ports[PORTS_MAX];
        unsigned np = dnat_ports(h->rs, ports);

        for (size_t i = 0; i < h->ifs->n; i++) {
                const sa_netif *hif = &h->ifs->items[i];

                if (hif->loopback || !hif->up || hif->master)
                        continue;
                for (size_t k = 0; k < hif->n_addrs; k++) {
                        const sa_netif_addr *a = &hif->addrs[k];

                        if (src->family && a->family != src->family)
                                continue;
                        for (unsigned pi = 0; pi < np && (*evals)++ < EVALS_MAX; pi++) {
                                sa_nft_packet pkt = { .family = a->family, .iif = hif->index, .l4proto = l->proto,
                                                      .dport = ports[pi], .saddr_known = src->family != 0,
                                                      .addrs = h->addrs, .addr_count = h->addr_count };
                                const sa_nft_path *fw;

                                pkt.forwarding_off = a->family == AF_INET ? h->sys.off4 : h->sys.off6;
                                snprintf(pkt.iifname, sizeof(pkt.iifname), "%s", hif->name);
                                memcpy(pkt.daddr, a->addr, 16);
                                memcpy(pkt.saddr, src->addr, 16);
                                sa_nft_evaluate(h->rs, &pkt, &e->host);
                                if (!(fw = reaches(&e->host, l, h->nif, a->family)))
                                        continue;
                                memcpy(e->to, fw->daddr, sizeof(e->to));
                                snprintf(e->via, sizeof(e->via), "%s", fw->via);
                                e->host_if = hif;
                                e->host_addr = a;
                                e->port = ports[pi];
                                e->netns_name = h->nif->peer_netns_name;
                                e->listener_ran = false;
                                if (e->host.verdict == SA_NFT_ACCEPT && here) {
                                        /* on the listener's side: arriving on its veth, to where the DNAT sent it */
                                        pkt = (sa_nft_packet) { .family = a->family, .iif = h->nif->index,
                                                                .l4proto = l->proto, .dport = l->port,
                                                                .saddr_known = src->family != 0 };
                                        snprintf(pkt.iifname, sizeof(pkt.iifname), "%s", h->nif->name);
                                        memcpy(pkt.daddr, e->to, 16);
                                        memcpy(pkt.saddr, src->addr, 16);
                                        sa_nft_evaluate(here, &pkt, &e->here);
                                        e->listener_ran = true;
                                }
                                fn(e, ctx);
                        }
                }
        }
}

/* Reads the host at the other end of nif: interfaces, ruleset, forwarding switches. */
static int host_read(struct host *h, int fd)
{
        pthread_t t;
        char err[160];

        h->sys.fd = fd;
        if (sa_netifs_read(fd, &h->ifs, err, sizeof(err)) < 0 || sa_nft_read(fd, &h->rs, err, sizeof(err)) < 0)
                return -1;
        if (pthread_create(&t, NULL, read_sysctl, &h->sys) != 0)
                return -1;
        pthread_join(t, NULL);
        for (size_t i = 0; i < h->ifs->n; i++)
                for (size_t k = 0; k < h->ifs->items[i].n_addrs && h->addr_count < ADDRS_MAX; k++) {
                        sa_nft_ifaddr *a = &h->addrs[h->addr_count++];
                        const sa_netif_addr *s = &h->ifs->items[i].addrs[k];

                        a->family = s->family;
                        a->prefix = s->prefix;
                        memcpy(a->addr, s->addr, 16);
                        a->ifindex = h->ifs->items[i].index;
                        snprintf(a->ifname, sizeof(a->ifname), "%s", h->ifs->items[i].name);
                }
        return 0;
}

int sa_reach_forwarded(const sa_listener *l, const sa_netifs *ifs, const sa_nft_ruleset *here,
                       const sa_nft_fwd_source *src, sa_fwd_fn fn, void *ctx)
{
        sa_fwd_entry *e = calloc(1, sizeof(*e));
        struct host *h = calloc(1, sizeof(*h));
        unsigned evals = 0;

        if (!e || !h) {
                free(e);
                free(h);
                return -ENOMEM;
        }
        for (size_t i = 0; i < ifs->n; i++) {
                const sa_netif *nif = &ifs->items[i];
                bool seen = false;
                int fd;

                if (nif->loopback || strcmp(nif->kind, "veth") != 0 || !sa_netif_accepts(l, nif, ifs))
                        continue;
                for (size_t k = 0; k < i; k++)      /* one host per namespace */
                        seen |= ifs->items[k].peer_netns == nif->peer_netns && !strcmp(ifs->items[k].kind, "veth");
                if (seen || (fd = open_peer(nif)) < 0)
                        continue;
                memset(h, 0, sizeof(*h));
                h->nif = nif;
                if (host_read(h, fd) == 0)
                        host_entries(l, here, src, h, e, &evals, fn, ctx);
                sa_nft_ruleset_free(h->rs);
                sa_netifs_free(h->ifs);
                close(fd);
        }
        free(e);
        free(h);
        return 0;
}
