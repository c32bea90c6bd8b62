/* SPDX-License-Identifier: MIT */
/*
 * The network namespaces a scanner reports on, each with its own
 * NETLINK_SOCK_DIAG socket (a netlink socket answers for the namespace it
 * was created in), kept between scans.
 */
#ifndef SA_NETNS_H
#define SA_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/netlink.h>

#include "sockaudit.h"

/* Where `ip netns` keeps its names: one nsfs bind mount per name. */
#define SA_NETNS_RUN_DIR "/run/netns"

/* One network namespace. */
typedef struct sa_netns {
        uint64_t ino;          /* nsfs inode: what records call "netns" */
        char name[sizeof(((sa_listener *)0)->netns_name)]; /* what records call
                                * "netns_name": SA_NETNS_HOST_NAME, else under
                                * /run/netns, else label; "" if none */
        struct nl_sock *nl;    /* created inside it; NULL while it cannot be entered */
        int fd;                /* its ns file while a socket is pending, else -1 */
        bool self;             /* the scanner's own namespace */
        bool seen;             /* found by the discovery in progress */
        bool host;             /* the host's namespace (see sa_netns_set.host_ino) */
        bool labelled;         /* label is known (kept across refreshes) */
        pid_t pid;             /* first process found in it by this refresh, 0 if none */
        pid_t label_pid;       /* the process label was taken from (0 = the scanner) */
        unsigned label_age;    /* refreshes since an empty answer (asked again at 2^k) */
        char label[sizeof(((sa_listener *)0)->netns_name)]; /* its container ("docker:ID12",
                                * a machine name...), "" if none: cached */
} sa_netns;

typedef struct sa_netns_set {
        sa_netns *items;       /* sorted by ino, unique */
        size_t n, cap;
        uint64_t self_ino;     /* 0 if /proc/thread-self/ns/net was unreadable */
        uint64_t host_ino;     /* the host's namespace: kthreadd's (pid 2), else PID 1's;
                                * 0 if neither is readable (the own one is then taken
                                * for the host's unless it has an `ip netns` name) */
        dev_t nsfs_dev;        /* device of nsfs inodes (0 if unknown) */
        int self_fd;           /* own namespace, to return to after setns; -1 in SELF mode */
        bool all;              /* SA_NETNS_ALL */
        bool discovered;       /* sa_netns_set_refresh() ran at least once */
} sa_netns_set;

/*
 * A set holding the caller's own namespace, with a sock_diag socket opened
 * in it (no setns). all = true keeps an fd of the own namespace (from
 * /proc/thread-self/ns/net) so that later refreshes can enter others and come
 * back; the set must then be used from threads in that namespace (as its own
 * socket already assumes). Costs one netlink socket and a stat.
 * Caller frees with sa_netns_set_free().
 */
int sa_netns_set_new(bool all, sa_netns_set **ret);

/* Closes every socket and fd. Accepts NULL; returns NULL. */
sa_netns_set *sa_netns_set_free(sa_netns_set *set);

/*
 * Brings the set up to date and names its namespaces (docs/EXPOSURE.md):
 * the host's is SA_NETNS_HOST_NAME, others take their name under
 * SA_NETNS_RUN_DIR (a name "host" there is ignored), else the container of a
 * process living in them (the scanner itself for the own namespace, else
 * the first pid found there): sa_pid_container(), computed once per
 * namespace and cached; an empty answer is asked again when the first pid
 * found changes, and at the 2nd, 4th, 8th... refresh after it (a container
 * runtime may move its process into the container's cgroup after making
 * the namespace); only when proc_root is a real procfs.
 * SELF mode: only the own namespace's name (a readdir and one stat per name).
 * ALL mode: also finds every namespace that has a name or holds a process
 * (one stat of PROC_ROOT/PID/ns/net per pid, only when
 * proc_root is a real procfs: a fixture tree says nothing about live
 * namespaces); namespaces no longer found are dropped and their sockets
 * closed; each new one gets a socket created inside it (open, setns into
 * it, socket, setns back). The calling thread always ends in the
 * namespace it started in; should returning fail (it never should), -errno
 * and the thread is left where it was. Namespaces that cannot be entered
 * (EPERM) keep nl NULL and are retried at the next refresh; PIDs whose
 * ns/net is unreadable are counted in stats->netns_denied (stats may be
 * NULL). Other failures: -ENOMEM, or -errno when proc_root cannot be read.
 * Threads moved alone into another namespace (setns by one thread) and
 * namespaces held only by a socket or an open fd are not found.
 */
int sa_netns_set_refresh(sa_netns_set *set, const char *proc_root, sa_scan_stats *stats);

/*
 * The host's network namespace inode: that of kthreadd (PROC_ROOT/2 with
 * PPid 0; kernel threads live in the initial namespaces), else of PID 1,
 * else 0. proc_root NULL = "/proc". Costs an open, a read and a stat or two.
 */
uint64_t sa_netns_host_ino(const char *proc_root);

/* True when the namespace of nsfs inode ino is in set. O(log n). */
bool sa_netns_set_has(const sa_netns_set *set, uint64_t ino);

/* Closes ns's socket (after a failed dump): reopened at the next refresh. */
void sa_netns_drop_socket(sa_netns *ns);

#endif
