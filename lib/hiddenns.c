/* SPDX-License-Identifier: MIT */
/*
 * Hidden network namespaces (hiddenns.h): the full scan's leads followed to
 * the namespaces they are in, and nsfs bind mounts read from every mount
 * namespace's table; those the set lacks join it, named by their holder.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "hiddenns.h"
#include "nsholder.h"
#include "util.h"

struct sa_hiddenns {
        sa_inomap *checked;     /* socket inode -> its namespace's inode (0: not TCP/UDP) */
        sa_inomap *notnet;      /* nsfs inodes of namespaces that are not network ones */
        bool skns_refused;      /* SIOCGSKNS said EPERM (no CAP_NET_ADMIN): procfs leads
                                 * to sockets cannot be followed; not asked again */
};

int sa_hiddenns_new(sa_hiddenns **ret)
{
        sa_hiddenns *h = calloc(1, sizeof *h);

        if (!h || sa_inomap_new(1024, &h->checked) < 0 || sa_inomap_new(16, &h->notnet) < 0) {
                sa_hiddenns_free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

sa_hiddenns *sa_hiddenns_free(sa_hiddenns *h)
{
        if (!h)
                return NULL;
        sa_inomap_free(h->checked);
        sa_inomap_free(h->notnet);
        free(h);
        return NULL;
}

const sa_inomap *sa_hiddenns_checked(const sa_hiddenns *h)
{
        return h ? h->checked : NULL;
}

/* Remembers ino -> v in *m, starting it anew when it holds max. -ENOMEM. */
static int remember(sa_inomap **m, uint32_t ino, size_t v, size_t max)
{
        if (sa_inomap_size(*m) >= max) {
                sa_inomap *fresh;

                if (sa_inomap_new(1024, &fresh) < 0)
                        return -ENOMEM;
                sa_inomap_free(*m);
                *m = fresh;
        }
        return sa_inomap_put(*m, ino, v);
}

/* One pid's pidfd, opened at its first lead (leads come grouped by pid). */
typedef struct pidfd_cache {
        pid_t pid;
        int fd;
} pidfd_cache;

static int pidfd_for(pidfd_cache *c, pid_t pid)
{
        if (c->pid != pid) {
                if (c->fd >= 0)
                        close(c->fd);
                c->pid = pid;
                c->fd = (int) pidfd_open(pid, 0);
        }
        return c->fd;
}

/* Adds namespace ino held by hd (an fd of it: nsfd, borrowed) to set. 1, 0, or -errno. */
static int join(sa_netns_set *set, uint64_t ino, const sa_nsholder *hd, int nsfd, const char *mp,
                sa_scan_stats *st)
{
        char name[sizeof(((sa_netns *) 0)->name)];
        int r;

        sa_nsholder_name(hd, mp, name, sizeof name);
        r = sa_netns_set_add_held(set, ino, hd, nsfd, name);
        if (r == -ENOSPC) {
                st->netns_unchecked++;
                return 0;
        }
        if (r > 0)
                st->netns_held++;
        return r;
}

/*
 * A socket lead without a namespace (procfs): asked once (getxattr, then
 * pidfd_getfd and SIOCGSKNS, here or through the asker, for TCP/UDP) and
 * cached; lent0: the asker's calls when the scan began. *ret_ns 0 when it is
 * not TCP/UDP or could not be asked; *ret_nsfd an fd of it or -1.
 */
static int ask_socket(sa_hiddenns *h, sa_netns_set *set, pidfd_cache *pc, const sa_bpfscan_hit *l,
                      unsigned *checks, unsigned long lent0, sa_scan_stats *st,
                      uint64_t *ret_ns, int *ret_nsfd)
{
        size_t v;
        int pidfd, r;

        *ret_ns = 0;
        *ret_nsfd = -1;
        if (sa_inomap_get(h->checked, l->inode, &v)) {
                *ret_ns = v;
                return 0;
        }
        r = sa_nsholder_socket_is_inet(set->proc_fd, l->pid, l->fd);
        if (r == 0)
                return remember(&h->checked, l->inode, 0, SA_HIDDENNS_CACHE_MAX);
        if (r < 0)
                return 0; /* closed meanwhile */
        if (h->skns_refused) {
                /* cannot be asked in this process: not asked again either */
                st->netns_unchecked++;
                return remember(&h->checked, l->inode, 0, SA_HIDDENNS_CACHE_MAX);
        }
        if (*checks >= SA_HIDDENNS_CHECKS_MAX ||
            sa_nsholder_skns_lent() - lent0 >= SA_HIDDENNS_LENT_MAX) {
                st->netns_unchecked++;
                return 0;
        }
        (*checks)++;
        pidfd = pidfd_for(pc, l->pid);
        if (pidfd < 0)
                return 0;
        r = sa_nsholder_socket_netns(pidfd, l->fd, l->inode, 0, ret_ns, ret_nsfd);
        if (r == -EPERM)
                h->skns_refused = true;
        if (r < 0)
                return 0; /* gone: asked again next time */
        return remember(&h->checked, l->inode, (size_t) *ret_ns, SA_HIDDENNS_CACHE_MAX);
}

/* An nsfs fd lead: an fd of it when it is a network namespace set lacks, else -1. */
static int open_nsfd(sa_hiddenns *h, sa_netns_set *set, const sa_bpfscan_hit *l)
{
        sa_nsholder hd = { .pid = l->pid, .fd = l->fd, .kind = SA_NSHOLDER_NSFD };
        size_t v;
        int fd, type;

        if (sa_inomap_get(h->notnet, l->netns, &v))
                return -1;
        fd = sa_nsholder_open(set->proc_fd, &hd, l->netns);
        if (fd < 0)
                return -1;
        type = ioctl(fd, NS_GET_NSTYPE);
        if (type >= 0 && type != CLONE_NEWNET) {
                close(fd);
                (void) remember(&h->notnet, l->netns, 0, SA_HIDDENNS_MNTNS_MAX);
                return -1;
        }
        return fd;
}

int sa_hiddenns_follow(sa_hiddenns *h, sa_netns_set *set, const sa_bpfscan_hit *leads, size_t n,
                       sa_scan_stats *st)
{
        pidfd_cache pc = { .pid = 0, .fd = -1 };
        sa_inomap *tried = NULL; /* namespaces that could not be opened: once a call */
        unsigned long lent0 = sa_nsholder_skns_lent();
        unsigned checks = 0;
        int joined = 0, r = 0;

        if (!set->all || set->proc_fd < 0)
                return 0;
        r = sa_inomap_new(16, &tried);
        for (size_t i = 0; i < n && r >= 0; i++) {
                const sa_bpfscan_hit *l = &leads[i];
                sa_nsholder hd = { .pid = l->pid, .fd = l->fd, .sock_ino = l->inode,
                                   .kind = SA_NSHOLDER_SOCKET };
                uint64_t ns = l->netns;
                int nsfd = -1;

                size_t v;

                if (l->idx == SA_UNSEEN_NSFD) {
                        if (sa_netns_set_has(set, ns) || sa_inomap_get(tried, (uint32_t) ns, &v))
                                continue;
                        hd.kind = SA_NSHOLDER_NSFD;
                        nsfd = open_nsfd(h, set, l);
                } else if (l->idx == SA_UNSEEN_SOCKET) {
                        if (ns == 0)
                                r = ask_socket(h, set, &pc, l, &checks, lent0, st, &ns, &nsfd);
                        if (r < 0 || ns == 0 || sa_netns_set_has(set, ns) ||
                            sa_inomap_get(tried, (uint32_t) ns, &v)) {
                                if (nsfd >= 0)
                                        close(nsfd);
                                continue;
                        }
                        if (nsfd < 0)
                                nsfd = sa_nsholder_open(set->proc_fd, &hd, ns);
                } else {
                        continue;
                }
                if (nsfd < 0) {
                        r = sa_inomap_put(tried, (uint32_t) ns, 1);
                        continue;
                }
                r = join(set, ns, &hd, nsfd, NULL, st);
                close(nsfd);
                joined += r > 0;
        }
        if (pc.fd >= 0)
                close(pc.fd);
        sa_inomap_free(tried);
        return r < 0 ? r : joined;
}

/* One mount namespace's table (pid's): the nsfs mounts of namespaces set lacks. */
static int mounts_of(sa_netns_set *set, pid_t pid, sa_scan_stats *st)
{
        char *text = sa_nsholder_read_mountinfo(set->proc_fd, pid);
        const char *cur = text;
        char mp[4096];
        uint32_t ino;
        int joined = 0, r = 0;

        if (!text)
                return errno == ENOMEM ? -ENOMEM : 0;
        while (r >= 0 && sa_nsholder_mountinfo_next(&cur, &ino, mp, sizeof mp) == 1) {
                sa_nsholder hd = { .pid = pid, .fd = -1, .kind = SA_NSHOLDER_MOUNT };
                int nsfd;

                if (sa_netns_set_has(set, ino))
                        continue;
                nsfd = sa_nsholder_open(set->proc_fd, &hd, ino);
                if (nsfd < 0)
                        continue;
                r = join(set, ino, &hd, nsfd, mp, st);
                close(nsfd);
                joined += r > 0;
        }
        free(text);
        return r < 0 ? r : joined;
}

int sa_hiddenns_mounts(sa_netns_set *set, const sa_procfd_pid *pids, size_t n, sa_scan_stats *st)
{
        sa_inomap *done = NULL; /* mount namespaces read */
        int joined = 0, r;

        if (!set->all || set->proc_fd < 0)
                return 0;
        r = sa_inomap_new(64, &done);
        for (size_t i = 0; r >= 0 && i < n && sa_inomap_size(done) < SA_HIDDENNS_MNTNS_MAX; i++) {
                char path[32];
                struct stat sb;
                size_t v;

                snprintf(path, sizeof path, "%d/ns/mnt", (int) pids[i].pid);
                if (fstatat(set->proc_fd, path, &sb, 0) < 0 ||
                    sa_inomap_get(done, (uint32_t) sb.st_ino, &v))
                        continue;
                r = sa_inomap_put(done, (uint32_t) sb.st_ino, 1);
                if (r >= 0)
                        r = mounts_of(set, pids[i].pid, st);
                joined += r > 0 ? r : 0;
        }
        sa_inomap_free(done);
        return r < 0 ? r : joined;
}
