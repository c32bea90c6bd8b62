/* SPDX-License-Identifier: MIT */
/*
 * Where a namespace's veths lead (see netifs.h): each peer's namespace id
 * resolved to the namespace (its inode, "host" or its /run/netns name) by
 * asking rtnetlink the id of every namespace found (RTM_GETNSID with
 * NETNSA_FD), and the peer's name read inside that namespace. Runs on the
 * reader's thread, which may be left in a peer's namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "netifs.h"
#include "netns.h"

#define PEER_CANDIDATES_MAX 4096        /* namespaces asked at most */
#define PEER_NAMES_MAX      64          /* peers whose name is read at most */

static int on_nsid(struct nl_msg *msg, void *arg)
{
        struct nlattr *tb[NETNSA_MAX + 1];

        if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct rtgenmsg), tb, NETNSA_MAX, NULL) == 0 && tb[NETNSA_NSID])
                *(int32_t *) arg = (int32_t) nla_get_u32(tb[NETNSA_NSID]);
        return NL_OK;
}

/* The id sk's namespace gives the namespace fd refers to; -1: none assigned (or an error). */
static int32_t nsid_of(struct nl_sock *sk, int fd)
{
        struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };
        struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST);
        int32_t id = -1;
        int r;

        if (!msg)
                return -1;
        r = nlmsg_append(msg, &g, sizeof(g), NLMSG_ALIGNTO);
        if (r == 0)
                r = nla_put_u32(msg, NETNSA_FD, (uint32_t) fd);
        if (r == 0)
                r = nl_send_auto(sk, msg);
        nlmsg_free(msg);
        if (r < 0 || nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_nsid, &id) < 0)
                return -1;
        return nl_recvmsgs_default(sk) < 0 ? -1 : id;
}

struct search {
        sa_netifs *ifs;
        struct nl_sock *sk;
        uint64_t *seen;                 /* inodes asked */
        size_t n_seen;
        size_t unresolved;
        int fds[PEER_NAMES_MAX];        /* a peer namespace's fd by the first veth leading there, -1 */
};

/* path's namespace: when new and some veth's peer id is its id, those veths get it (fd kept for the names). */
static void ask(struct search *s, const char *path, const char *name)
{
        struct stat st;
        int fd;
        int32_t id;
        bool kept = false;

        if (s->unresolved == 0 || s->n_seen >= PEER_CANDIDATES_MAX || stat(path, &st) < 0)
                return;
        for (size_t i = 0; i < s->n_seen; i++)
                if (s->seen[i] == (uint64_t) st.st_ino)
                        return;
        s->seen[s->n_seen++] = (uint64_t) st.st_ino;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        id = nsid_of(s->sk, fd);
        for (size_t i = 0; id >= 0 && i < s->ifs->n; i++) {
                sa_netif *nif = &s->ifs->items[i];

                if (nif->peer_netnsid != id || nif->peer_netns)
                        continue;
                nif->peer_netns = (uint64_t) st.st_ino;
                snprintf(nif->peer_netns_name, sizeof(nif->peer_netns_name), "%s", name);
                s->unresolved--;
                if (!kept && i < PEER_NAMES_MAX && nif->peer_index) {
                        s->fds[i] = fd;
                        kept = true;
                }
        }
        if (!kept)
                close(fd);
}

/* The peer names of the veths whose namespace fd was kept: read inside each (setns). */
static void read_names(struct search *s)
{
        for (size_t i = 0; i < PEER_NAMES_MAX && i < s->ifs->n; i++) {
                struct nl_sock *sk;
                struct nl_cache *links = NULL;

                if (s->fds[i] < 0 || setns(s->fds[i], CLONE_NEWNET) < 0)
                        continue;
                sk = nl_socket_alloc();
                if (sk && nl_connect(sk, NETLINK_ROUTE) == 0 && rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) == 0)
                        for (size_t k = i; k < s->ifs->n; k++) {
                                sa_netif *nif = &s->ifs->items[k];
                                struct rtnl_link *peer;

                                if (nif->peer_netns != s->ifs->items[i].peer_netns || !nif->peer_index)
                                        continue;
                                peer = rtnl_link_get(links, (int) nif->peer_index);
                                if (peer)
                                        snprintf(nif->peer, sizeof(nif->peer), "%s", rtnl_link_get_name(peer));
                                rtnl_link_put(peer);
                        }
                nl_cache_free(links);
                nl_socket_free(sk);
        }
}

void sa_netifs_peers(sa_netifs *ifs, struct nl_sock *sk)
{
        struct search s = { .ifs = ifs, .sk = sk };
        uint64_t host = 0;
        char path[300];
        DIR *d;
        struct dirent *de;

        for (size_t i = 0; i < PEER_NAMES_MAX; i++)
                s.fds[i] = -1;
        for (size_t i = 0; i < ifs->n; i++)
                s.unresolved += ifs->items[i].peer_netnsid >= 0;
        if (s.unresolved == 0 || !(s.seen = calloc(PEER_CANDIDATES_MAX, sizeof(*s.seen))))
                return;
        nl_socket_disable_auto_ack(sk);        /* one answer per request, no ACK left behind */
        host = sa_netns_host_ino(NULL);
        if (host) {
                snprintf(path, sizeof(path), "/proc/%s/ns/net", "1");
                ask(&s, path, "host");  /* PID 1's: the host's unless a container runs us */
        }
        d = opendir(SA_NETNS_RUN_DIR);
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && strcmp(de->d_name, "host") != 0) {
                        snprintf(path, sizeof(path), "%s/%s", SA_NETNS_RUN_DIR, de->d_name);
                        ask(&s, path, de->d_name);
                }
        if (d)
                closedir(d);
        d = opendir("/proc");
        while (d && s.unresolved && (de = readdir(d)))
                if (de->d_name[0] >= '1' && de->d_name[0] <= '9') {
                        snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
                        ask(&s, path, "");
                }
        if (d)
                closedir(d);
        /* PID 1 may not be the host's: only the host's inode is called so. */
        for (size_t i = 0; i < ifs->n; i++)
                if (!strcmp(ifs->items[i].peer_netns_name, "host") && ifs->items[i].peer_netns != host)
                        ifs->items[i].peer_netns_name[0] = '\0';
        read_names(&s);
        for (size_t i = 0; i < PEER_NAMES_MAX; i++)
                if (s.fds[i] >= 0)
                        close(s.fds[i]);
        free(s.seen);
}
