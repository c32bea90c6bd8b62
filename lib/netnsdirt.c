/* SPDX-License-Identifier: MIT */
/* Which namespaces a refresh must dump (netnsdirt.h). */
#include <stdlib.h>
#include <sys/socket.h>

#include <netlink/socket.h>

#include "netnsdirt.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

bool sa_netns_dirty(const sa_netns_set *set, const sa_netns *ns, uint64_t now)
{
        return !set->events || ns->clean_seq == 0 || ns->cookie == 0 || ns->marked_seq > ns->clean_seq ||
               set->all_dirty_seq > ns->clean_seq || now < ns->hot_until;
}

static int cmp_ino(const void *key, const void *element)
{
        uint64_t a = *(const uint64_t *) key, b = ((const sa_netns *) element)->ino;

        return (a > b) - (a < b);
}

sa_netns *sa_netns_find(const sa_netns_set *set, uint64_t ino)
{
        return set->n ? bsearch(&ino, set->items, set->n, sizeof *set->items, cmp_ino) : NULL;
}

uint64_t sa_netns_dump_seq(sa_netns_set *set)
{
        return ++set->dirt_seq;
}

bool sa_netns_mark(sa_netns_set *set, uint64_t ino, uint64_t cookie, uint64_t hot_until)
{
        sa_netns *ns = ino ? sa_netns_find(set, ino) : NULL;

        for (size_t i = 0; !ns && cookie && i < set->n; i++)
                if (set->items[i].cookie == cookie)
                        ns = &set->items[i];
        if (!ns)
                return false;
        ns->marked_seq = ++set->dirt_seq;
        if (hot_until > ns->hot_until)
                ns->hot_until = hot_until;
        return true;
}

void sa_netns_mark_all(sa_netns_set *set)
{
        set->all_dirty_seq = ++set->dirt_seq;
}

size_t sa_netns_pick(sa_netns_set *set, uint64_t now)
{
        size_t n = 0;

        for (size_t i = 0; i < set->n; i++) {
                set->items[i].pick = sa_netns_dirty(set, &set->items[i], now);
                n += set->items[i].pick;
        }
        return n;
}

void sa_netns_cleaned(sa_netns *ns, uint64_t seq)
{
        ns->clean_seq = seq;
}

void sa_netns_dirt_counts(const sa_netns_set *set, uint64_t now, size_t *ret_dirty, size_t *ret_clean)
{
        size_t d = 0;

        for (size_t i = 0; i < set->n; i++)
                d += sa_netns_dirty(set, &set->items[i], now);
        *ret_dirty = d;
        *ret_clean = set->n - d;
}

void sa_netns_cookie_learn(sa_netns *ns, struct nl_sock *nl)
{
        uint64_t c = 0;
        socklen_t len = sizeof c;

        if (ns->cookie == 0 && getsockopt(nl_socket_get_fd(nl), SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) == 0 &&
            len == sizeof c)
                ns->cookie = c;
}
