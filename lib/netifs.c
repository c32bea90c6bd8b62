/* SPDX-License-Identifier: MIT */
/* A namespace's interfaces over rtnetlink (see netifs.h). */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "netifs.h"

struct ifreader {
        int netns_fd;
        int r;
        char err[160];
        sa_netifs *ifs;
};

static sa_netif *by_index(sa_netifs *ifs, uint32_t index)
{
        for (size_t i = 0; i < ifs->n; i++)
                if (ifs->items[i].index == index)
                        return &ifs->items[i];
        return NULL;
}

static void add_link(struct nl_object *obj, void *arg)
{
        struct rtnl_link *link = (struct rtnl_link *) obj;
        sa_netifs *ifs = arg;
        sa_netif *nif;
        unsigned flags = rtnl_link_get_flags(link);
        const char *kind = rtnl_link_get_type(link), *name = rtnl_link_get_name(link);
        int32_t nsid = -1;

        if (ifs->n >= SA_NETIFS_MAX)
                return;
        nif = &ifs->items[ifs->n++];
        memset(nif, 0, sizeof(*nif));
        snprintf(nif->name, sizeof(nif->name), "%s", name ? name : "");
        nif->index = (uint32_t) rtnl_link_get_ifindex(link);
        nif->up = flags & IFF_UP;
        nif->lower_up = flags & 0x10000;  /* IFF_LOWER_UP (linux/if.h clashes with net/if.h) */
        nif->loopback = flags & IFF_LOOPBACK;
        snprintf(nif->kind, sizeof(nif->kind), "%s", kind ? kind : "");
        nif->master = (uint32_t) rtnl_link_get_master(link);
        nif->peer_netnsid = rtnl_link_get_link_netnsid(link, &nsid) == 0 ? nsid : -1;
        if (!strcmp(nif->kind, "veth") && rtnl_link_get_link(link) > 0)
                nif->peer_index = (uint32_t) rtnl_link_get_link(link);
}

static void add_addr(struct nl_object *obj, void *arg)
{
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        struct nl_addr *local = rtnl_addr_get_local(ra);
        sa_netif *nif = by_index(arg, (uint32_t) rtnl_addr_get_ifindex(ra));
        int family = rtnl_addr_get_family(ra);
        unsigned len = local ? nl_addr_get_len(local) : 0;

        if (!nif || (family != AF_INET && family != AF_INET6) || len != (family == AF_INET ? 4u : 16u))
                return;
        if (nif->n_addrs == SA_NETIF_ADDRS_MAX) {
                nif->dropped++;
                return;
        }
        sa_netif_addr *a = &nif->addrs[nif->n_addrs++];
        a->family = (uint8_t) family;
        a->prefix = (uint8_t) rtnl_addr_get_prefixlen(ra);
        memcpy(a->addr, nl_addr_get_binary_addr(local), len);
}

static int dump(struct ifreader *rd, struct nl_sock *sk)
{
        struct nl_cache *links = NULL, *addrs = NULL;
        int r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);

        if (r == 0 && nl_cache_nitems(links) > SA_NETIFS_MAX) {
                snprintf(rd->err, sizeof(rd->err), "more than %d interfaces", SA_NETIFS_MAX);
                nl_cache_free(links);
                return -E2BIG;
        }
        if (r == 0)
                r = rtnl_addr_alloc_cache(sk, &addrs);
        if (r < 0) {
                snprintf(rd->err, sizeof(rd->err), "rtnetlink dump: %s", nl_geterror(r));
                nl_cache_free(links);
                return -EIO;
        }
        rd->ifs->items = calloc((size_t) nl_cache_nitems(links) + 1, sizeof(sa_netif));
        if (rd->ifs->items) {
                nl_cache_foreach(links, add_link, rd->ifs);
                nl_cache_foreach(addrs, add_addr, rd->ifs);
        }
        nl_cache_free(addrs);
        nl_cache_free(links);
        return rd->ifs->items ? 0 : -ENOMEM;
}

static void *reader_main(void *arg)
{
        struct ifreader *rd = arg;
        struct nl_sock *sk;

        if (rd->netns_fd >= 0 && setns(rd->netns_fd, CLONE_NEWNET) < 0) {
                rd->r = -errno;
                snprintf(rd->err, sizeof(rd->err), "entering the namespace: %s", strerror(errno));
                return NULL;
        }
        sk = nl_socket_alloc();
        if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0) {
                rd->r = -EIO;
                snprintf(rd->err, sizeof(rd->err), "rtnetlink socket: cannot open");
                nl_socket_free(sk);
                return NULL;
        }
        rd->r = dump(rd, sk);
        if (rd->r == 0)
                sa_netifs_peers(rd->ifs, sk);   /* last: may leave this thread elsewhere */
        nl_socket_free(sk);
        return NULL;
}

int sa_netifs_read(int netns_fd, sa_netifs **ret, char *err, size_t errlen)
{
        struct ifreader rd = { .netns_fd = netns_fd };
        pthread_t t;
        int r;

        rd.ifs = calloc(1, sizeof(*rd.ifs));
        if (!rd.ifs)
                return -ENOMEM;
        r = pthread_create(&t, NULL, reader_main, &rd);
        if (r) {
                snprintf(err, errlen, "thread: %s", strerror(r));
                sa_netifs_free(rd.ifs);
                return -r;
        }
        pthread_join(t, NULL);
        if (rd.r < 0) {
                snprintf(err, errlen, "%s", rd.err[0] ? rd.err : strerror(-rd.r));
                sa_netifs_free(rd.ifs);
                return rd.r;
        }
        *ret = rd.ifs;
        return 0;
}

void sa_netifs_free(sa_netifs *ifs)
{
        if (ifs)
                free(ifs->items);
        free(ifs);
}

const char *sa_netif_state(const sa_netif *nif)
{
        if (!nif->up)
                return "down";
        return nif->lower_up || nif->loopback ? "up" : "no-carrier";
}

static bool any_addr(const sa_listener *l)
{
        static const uint8_t zero[16];

        return memcmp(l->addr, zero, l->family == AF_INET ? 4 : 16) == 0;
}

/* The interface holding l's address, NULL if none. */
static const sa_netif *holder_of(const sa_listener *l, const sa_netifs *all)
{
        sa_netif_addr want = { .family = l->family };

        memcpy(want.addr, l->addr, sizeof(want.addr));
        for (size_t i = 0; i < all->n; i++)
                for (size_t k = 0; k < all->items[i].n_addrs; k++) {
                        const sa_netif_addr *a = &all->items[i].addrs[k];
                        if (a->family == want.family
                            && memcmp(a->addr, want.addr, want.family == AF_INET ? 4 : 16) == 0)
                                return &all->items[i];
                }
        return NULL;
}

bool sa_netif_accepts(const sa_listener *l, const sa_netif *nif, const sa_netifs *all)
{
        if (!nif->up)
                return false;
        if (l->ifindex)
                return nif->index == l->ifindex;
        if (l->ifname[0])
                return strcmp(nif->name, l->ifname) == 0;
        if (any_addr(l) || nif->loopback)
                return true;
        return holder_of(l, all) == nif;
}

bool sa_netif_accepts_addr(const sa_listener *l, const sa_netif_addr *a)
{
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

        if (l->family == AF_INET)
                return a->family == AF_INET && (any_addr(l) || memcmp(a->addr, l->addr, 4) == 0);
        if (a->family == AF_INET6)
                return any_addr(l) || memcmp(a->addr, l->addr, 16) == 0;
        /* IPv4 on an IPv6 socket: `::` without v6only, or its IPv4-mapped address */
        if (l->v6only)
                return false;
        return any_addr(l) || (memcmp(l->addr, mapped, 12) == 0 && memcmp(l->addr + 12, a->addr, 4) == 0);
}
