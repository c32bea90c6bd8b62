/* SPDX-License-Identifier: MIT */
/*
 * The network namespaces a scanner reports on, each dumped through a
 * NETLINK_SOCK_DIAG socket created inside it (a netlink socket answers for
 * the namespace it was created in). Sockets are kept between scans for at
 * most keep_max namespaces; the others get one for each dump, closed after
 * it: any local user can make namespaces (`unshare -Urn`), and one fd kept
 * per namespace would let them exhaust the daemon's fds (and keep their
 * namespaces alive with our sockets).
 */
#ifndef SA_NETNS_H
#define SA_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netlink/netlink.h>

#include "nsholder.h"
#include "sockaudit.h"

/* Where `ip netns` keeps its names: one nsfs bind mount per name. */
#define SA_NETNS_RUN_DIR "/run/netns"

/* Most namespaces whose socket is kept between scans: a quarter of the soft
 * RLIMIT_NOFILE at sa_netns_set_new(), at most this. */
#define SA_NETNS_KEEP_MAX 1024

/* One network namespace. */
typedef struct sa_netns {
        uint64_t ino;          /* nsfs inode: what records call "netns" */
        char name[sizeof(((sa_listener *)0)->netns_name)]; /* what records call
                                * "netns_name": SA_NETNS_HOST_NAME, else under
                                * /run/netns, else label; "" if none */
        struct nl_sock *nl;    /* kept socket, created inside it; NULL: none kept (made for
                                * each dump beyond keep_max, or it cannot be entered) */
        bool named;            /* has a name under SA_NETNS_RUN_DIR (by the last refresh) */
        bool self;             /* the scanner's own namespace */
        bool added;            /* by sa_netns_set_add() since the last refresh: no kept socket */
        bool seen;             /* found by the discovery in progress */
        bool host;             /* the host's namespace (see sa_netns_set.host_ino) */
        bool labelled;         /* label is known (kept across refreshes) */
        pid_t pid;             /* first process found in it by this refresh, 0 if none */
        sa_nsholder held;      /* found by sa_netns_set_add_held() since the last refresh:
                                * what holds it (no process lives in it); kind NONE if not */
        pid_t label_pid;       /* the process label was taken from (0 = the scanner) */
        unsigned label_age;    /* refreshes since an empty answer (asked again at 2^k) */
        char label[sizeof(((sa_listener *)0)->netns_name)]; /* its container ("docker:ID12",
                                * a machine name...), "" if none: cached */
        /* Event-driven dumps (lib/netnsdirt.h). */
        uint64_t cookie;       /* SO_NETNS_COOKIE, read on its first dump; 0 = unknown */
        uint64_t marked_seq;   /* set->dirt_seq when an event last said it changed */
        uint64_t clean_seq;    /* set->dirt_seq when the dump the snapshot holds began; 0 = none */
        uint64_t pending_seq;  /* the same for the refresh in progress; 0 = not dumped by it */
        uint64_t hot_until;    /* CLOCK_MONOTONIC: dumped at every refresh until then */
        bool pick;             /* dumped by the refresh in progress */
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
        int proc_fd;           /* proc_root, kept open: the pid walk needs no new fd */
        size_t kept, keep_max; /* kept sockets of other namespaces, and their cap */
        uint64_t fd_failures;  /* sockets or ns files not opened: EMFILE/ENFILE */
        int last_fd_error;     /* the latest of those (-errno), 0 if none */
        bool all;              /* SA_NETNS_ALL */
        bool events;           /* every listen and close comes as an event: dump dirty ones only */
        uint64_t dirt_seq;     /* events so far (lib/netnsdirt.h) */
        uint64_t all_dirty_seq; /* dirt_seq when events were lost (all changed) */
        size_t dumped_last;    /* namespaces the last refresh dumped */
        uint64_t full_dump_usec; /* CLOCK_MONOTONIC of the last full scan that dumped them all */
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
 * namespaces; proc_root must be the same at every refresh: its directory
 * is kept open and read again, so that finding namespaces, and dropping
 * those no longer found, needs no new fd even when none is left);
 * namespaces no longer found are dropped and their sockets closed (a kept
 * socket would keep its namespace alive); new ones get a socket created
 * inside it (sa_netns_socket_get()) while fewer than keep_max are
 * kept. The calling thread always ends in the namespace it started in;
 * should returning fail (it never should), -errno and the thread is left
 * where it was. Namespaces that cannot be entered (EPERM) or whose socket
 * cannot be made (EMFILE: counted in fd_failures) keep nl NULL; PIDs whose
 * ns/net is unreadable are counted in stats->netns_denied (stats may be
 * NULL). Other failures: -ENOMEM, or -errno when proc_root cannot be read.
 * An unreadable SA_NETNS_RUN_DIR drops no namespace that had a name there.
 * Threads moved alone into another namespace (setns by one thread) and
 * namespaces held only by a socket, an open fd or a bind mount elsewhere
 * are not found here: the full scan finds those after its fd walk
 * (lib/hiddenns.c, sa_netns_set_add_held()); a refresh drops them.
 */
int sa_netns_set_refresh(sa_netns_set *set, const char *proc_root, sa_scan_stats *stats);

/*
 * The host's network namespace inode: that of kthreadd (PROC_ROOT/2 with
 * PPid 0; kernel threads live in the initial namespaces), else of PID 1,
 * else 0. proc_root NULL = "/proc". Costs an open, a read and a stat or two.
 */
uint64_t sa_netns_host_ino(const char *proc_root);

/* Namespaces sa_netns_set_add() holds at most between two refreshes. */
#define SA_NETNS_ADDED_MAX 64

/*
 * ALL mode, after a first refresh: the namespace ino of process pid (a
 * listen event) joins the set without a refresh of all of them, with no
 * kept socket (one is made for each dump) until the next refresh finds it
 * the usual way. Namespaces added before whose pid no longer leads to them
 * are dropped first (a stat each). A namespace already there whose first
 * pid left it and that nothing pins (no kept socket) may be another one
 * that got its inode: its cookie (SO_NETNS_COOKIE of a socket made in it
 * through pid) is compared; when it differs or is unknown, the entry is
 * reset (name, label, cookie; dumped afresh). 1 added or reset, 0 already
 * there; -ESRCH when
 * pid is gone or no longer in ino, -ENOSPC with SA_NETNS_ADDED_MAX added,
 * -EOPNOTSUPP in SELF mode or before the first refresh, -ENOMEM.
 */
int sa_netns_set_add(sa_netns_set *set, pid_t pid, uint64_t ino);

/*
 * sa_netns_set_add() for pid's namespace (one stat of PROC_ROOT/PID/ns/net):
 * a new process's namespace, looked up once. -ESRCH when pid is gone.
 */
int sa_netns_set_learn_pid(sa_netns_set *set, pid_t pid);

/*
 * ALL mode: the namespace ino, which no process lives in and no
 * SA_NETNS_RUN_DIR name held at the last refresh, found through holder h
 * (lib/hiddenns.c), joins the set until the next refresh, named after h
 * (name: its netns_name, e.g. "held by pid 12 fd 5"), or by its
 * SA_NETNS_RUN_DIR name if it got one since (a readdir), or by its label
 * when h's process lives in it (made since the refresh: a stat). nsfd, an fd of it (borrowed),
 * makes its socket now, kept while fewer than keep_max are; beyond, one is
 * made for each dump from h again (sa_nsholder_open()). 1 added, 0 already
 * there; -ENOSPC when keep_max namespaces are held so already (a hostile
 * user's many namespaces cost no more fds than found ones),
 * -EOPNOTSUPP in SELF mode, -ENOMEM, -errno when returning to the own
 * namespace failed.
 */
int sa_netns_set_add_held(sa_netns_set *set, uint64_t ino, const sa_nsholder *h, int nsfd,
                          const char *name);

/* True when the namespace of nsfs inode ino is in set. O(log n). */
bool sa_netns_set_has(const sa_netns_set *set, uint64_t ino);

/*
 * The socket to dump ns with, into *ret: the kept one, else one made inside
 * ns now (its file reopened from the pid or name that found it and checked
 * to be the same namespace; setns in, socket, setns back), kept
 * when fewer than keep_max are, else the caller's until
 * sa_netns_socket_put(). *ret NULL and 0 when ns cannot be entered (EPERM)
 * or its process and name are gone since the refresh. -EMFILE/-ENFILE
 * (counted in fd_failures), -ENOMEM, or -errno when returning to the own
 * namespace failed (the thread is then left in ns).
 */
int sa_netns_socket_get(sa_netns_set *set, sa_netns *ns, struct nl_sock **ret);

/* Done with nl from sa_netns_socket_get(): closed unless it is ns's kept one. */
void sa_netns_socket_put(const sa_netns *ns, struct nl_sock *nl);

/* Closes ns's kept socket (after a failed dump): made again when next needed. */
void sa_netns_drop_socket(sa_netns_set *set, sa_netns *ns);

#endif
