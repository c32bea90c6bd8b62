/* SPDX-License-Identifier: MIT */
/*
 * What the daemon uses of libsockaudit beyond the public sockaudit.h:
 * incremental scanning, listen events, and the UTF-8 gate for untrusted
 * text. In-tree only: not installed, no stability promised. The daemon and
 * the CLI see only this, sockaudit.h and util.h (the Makefile gives them
 * lib/include/ and nothing else of lib/).
 */
#ifndef SA_SOCKAUDIT_INTERNAL_H
#define SA_SOCKAUDIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockaudit.h"

/* ---- incremental scanning ---- */

/*
 * Incremental scanning, for a long-lived scanner (the daemon).
 *
 * An unfiltered sa_scanner_scan() leaves behind an owner index (socket
 * inode -> (pid, fd) pairs, lib/ownerindex.h), the list of processes it
 * walked and a watermark of the inode numbers handed out when it started.
 * sa_scanner_refresh() then brings a snapshot up to date for some ports
 * without walking every fd on the host:
 *
 *  - listeners come from sock_diag dumps, as in a probe (port filtered in
 *    the kernel);
 *  - known owners are re-verified: one stat read per process (start time:
 *    a reused pid is a different process) and one readlinkat per (pid, fd);
 *  - processes new since (told by sa_scanner_note_new(), e.g. from the
 *    proc connector, or found by listing PROC_ROOT) are walked one by one;
 *  - a listener the index does not know was created after the last full
 *    scan started (its inode number says so, from where each CPU's inode
 *    counter stood then: else a full scan) by
 *    a process new since (or noted with sa_scanner_note_listen()), or by
 *    the nearest old ancestor of one that holds it: those are walked; if
 *    nobody holds it, it is dumped again: gone, it closed meanwhile and
 *    leaves the refresh (info->closed); still there, a full scan is done.
 *
 * Not seen until the next full scan (the daemon's periodic resync): a
 * socket passed with SCM_RIGHTS or taken with pidfd_getfd() by a process
 * that already held the listener or was walked before, a listener fd
 * dup()ed to a second fd number in a known holder, and, without
 * sa_scanner_note_new() for exec, an old holder that exec'd (details).
 */

enum {
        /* Re-verify the known owners of the listeners refreshed. */
        SA_REFRESH_VERIFY = 1u << 0,
        /* Find new and gone processes by listing PROC_ROOT (one getdents64
         * pass, no per-process syscall): for callers without an event
         * source. */
        SA_REFRESH_LIST_PIDS = 1u << 1,
        /* Every exit is told with sa_scanner_note_exit() (the proc
         * connector, drained first): a known pid is still the same process,
         * its start time is not read again. */
        SA_REFRESH_EXITS_KNOWN = 1u << 2,
        /* When only a full scan will do, do none: -EAGAIN, with info->full
         * and info->reason set, and the index marked lost (the steps that
         * ran may have left it half updated), so that every refresh needs
         * one until a full scan rebuilds the index (sa_scanner_scan(), or
         * a job's sa_scanner_scan_finish()). For a caller that has the full
         * scan done elsewhere (the daemon: on the resync's thread). */
        SA_REFRESH_NO_FULL = 1u << 3,
};

/* What one refresh did. */
typedef struct sa_refresh_info {
        bool full;                /* fell back to (or needed) a full scan */
        const char *reason;       /* why, static text; NULL when not full */
        unsigned new_sockets;     /* listeners the index did not know */
        unsigned gone_sockets;    /* listeners in scope no longer dumped */
        unsigned closed;          /* new ones held by nobody, gone when dumped again: no full scan */
        unsigned walked;          /* processes walked one by one */
        unsigned verified;        /* (pid, fd) pairs re-read */
        unsigned dropped;         /* pairs found stale */
        unsigned netns_dumped;    /* namespaces dumped (the others' records reused: events) */
        size_t details_copied;    /* holders described as in the old snapshot (no event about them) */
        uint64_t usec;            /* wall time */
} sa_refresh_info;

/*
 * A process was created (fork, parent = the parent's pid, 0 if unknown):
 * its fds are walked at the next refresh when it may have inherited an
 * indexed socket (its parent is an indexed holder, a new process that may
 * hold one, or unknown), and by any refresh that finds a new listener. No
 * syscall; O(log n) in the processes noted since the last full scan.
 * Threads must not be passed (only thread-group leaders).
 */
int sa_scanner_note_new(sa_scanner *s, pid_t pid, pid_t parent);

/*
 * A process exec'd another program: noted new (walked when a listener is
 * new); an indexed holder is walked and described again at the next refresh.
 */
int sa_scanner_note_exec(sa_scanner *s, pid_t pid);

/*
 * A process made a listener (a listen event): noted new as by an exec, so
 * that the refresh that finds the listener walks it, even when it is older
 * than the last full scan (else only a full scan finds its holder).
 */
int sa_scanner_note_listen(sa_scanner *s, pid_t pid);
/* A process exited: its pairs leave the index. No syscall. */
void sa_scanner_note_exit(sa_scanner *s, pid_t pid);

/*
 * Network namespace ino (nsfs inode) for this scanner: 1 known (dumped by
 * refreshes), 0 in scope but not found yet (only a full scan dumps it), -1
 * out of scope (Namespaces=self and not ours).
 */
int sa_scanner_netns_status(const sa_scanner *s, uint64_t ino);

/*
 * A listen event's namespace ino (its caller pid) that the scanner has not
 * found yet (status 0): dumped by the refreshes from now on, without a
 * full scan (one stat; the namespace joins for good at the next full
 * scan). 1 added, 0 known already; -ESRCH when pid is gone or in another
 * namespace by now, -ENOSPC with 64 added since the last full scan,
 * -EOPNOTSUPP out of scope or before the first scan: then only a full scan
 * finds it.
 */
int sa_scanner_netns_add(sa_scanner *s, pid_t pid, uint64_t ino);
/* Namespaces found, sockets kept in them and the cap, EMFILE/ENFILE met (the latest as -errno). */
typedef struct sa_netns_fd_stats { size_t namespaces, kept, keep_max; uint64_t fd_failures; int last_fd_error; } sa_netns_fd_stats;
void sa_scanner_netns_fd_stats(const sa_scanner *s, sa_netns_fd_stats *ret);

/*
 * The re-verification of every known owner (what SA_REFRESH_VERIFY does in
 * an unfiltered refresh) with its reads on a thread of its own, so that a
 * daemon keeps answering while a big host's holders are read: start copies
 * the pairs (here), wait for sa_verify_job_fd() to be readable, finish
 * drops what the reads found stale (here) and notes reused pids new; then
 * a refresh without SA_REFRESH_VERIFY completes it. Meanwhile the scanner
 * may be used as ever, from this thread: a pair whose process it forgot or
 * learnt anew since the start is left as it now knows it. flags: 0 or
 * SA_REFRESH_EXITS_KNOWN. finish fills info's verified, dropped and usec,
 * and frees the job; cancel waits for the reads and frees it. -ENODATA
 * before the first full scan.
 */
typedef struct sa_verify_job sa_verify_job;
int sa_scanner_verify_start(sa_scanner *s, unsigned flags, sa_verify_job **ret);
int sa_verify_job_fd(const sa_verify_job *j);
int sa_scanner_verify_finish(sa_scanner *s, sa_verify_job *j, sa_refresh_info *info);
void sa_verify_job_cancel(sa_verify_job *j);

/*
 * Provenance off the loop (lib/provjob.c): start takes the pids of snap's
 * processes without a verdict (recheck: of every process, for the periodic
 * re-check; at most SA_PROVJOB_MAX) and computes their verdicts on a
 * thread (sa_provenance_read: /proc and the dpkg database only, never the
 * index); -ENODATA when there is nothing to do. Its eventfd is readable
 * when the thread is done; finish (on the scanner's thread) keeps the
 * verdicts and returns how many are new or changed. Snapshots made from
 * then on carry them; sa_scanner_provenance_attach() gives them to the
 * processes of one made before (those without a verdict whose image has
 * one now: two stats each), on the scanner's thread, and returns how many
 * it gave.
 */
#define SA_PROVJOB_MAX 4096
typedef struct sa_prov_job sa_prov_job;
int sa_scanner_provenance_start(sa_scanner *s, const sa_snapshot *snap, bool recheck, sa_prov_job **ret);
int sa_prov_job_fd(const sa_prov_job *j);
int sa_scanner_provenance_finish(sa_scanner *s, sa_prov_job *j);
int sa_scanner_provenance_attach(sa_scanner *s, sa_snapshot *snap);
void sa_prov_job_cancel(sa_prov_job *j);
/* Whether some process of snap has no verdict yet. */
bool sa_snapshot_provenance_missing(const sa_snapshot *snap);
/* Whether an owner of l has no verdict yet (one not incomplete: a job can make it). */
bool sa_listener_provenance_missing(const sa_listener *l);

/*
 * Namespace events (issue 12, docs/PERFORMANCE.md): on = every listen()
 * and every listener's close, in every namespace, reaches
 * sa_scanner_netns_changed() (eBPF: TCP listen and close, UDP bind and
 * release). Refreshes then dump only the namespaces an event marked since
 * their last unfiltered dump (and those never dumped so, or in their hot
 * window); the others' records come from the snapshot refreshed. Off (the
 * default): every namespace at every refresh.
 */
void sa_scanner_netns_events(sa_scanner *s, bool on);

/*
 * A listener opened or closed in the namespace of inode ino or cookie
 * (either 0 if unknown; both 0: every namespace); dumped by every refresh
 * until hot_until (CLOCK_MONOTONIC; 0: none) and by the next unfiltered
 * one. O(log n) by inode, O(n) by cookie; no syscall.
 */
void sa_scanner_netns_changed(sa_scanner *s, uint64_t ino, uint64_t cookie, uint64_t hot_until);

/* Whether events are on, how many namespaces a refresh now would dump or not, and the last one did. */
typedef struct sa_netns_dirt_stats { bool events; size_t dirty, clean, dumped_last; } sa_netns_dirt_stats;
void sa_scanner_netns_dirt_stats(const sa_scanner *s, sa_netns_dirt_stats *ret);

/*
 * A full scan whose fd walk runs on a thread of its own, so that a daemon
 * keeps answering while it reads every process's fds (the one cost that
 * grows with the host's fd count, docs/PERFORMANCE.md):
 * start (the dumps and the listing, here), wait for sa_scan_job_fd() to be
 * readable, finish (details and the index, here). Meanwhile only the
 * scanner's other functions may be called, on this thread; processes noted
 * meanwhile stay new after the finish. The snapshot shows the sockets as
 * dumped at the start: refresh it before comparing it with newer ones (that
 * refresh, unfiltered, marks its namespaces clean; the finish does not, so
 * refreshes of an older snapshot meanwhile still dump what changed).
 * finish frees the job; -ESTALE when another full scan completed after the
 * start (its index is kept). cancel waits for the walk and frees the job.
 */
typedef struct sa_scan_job sa_scan_job;
int sa_scanner_scan_start(sa_scanner *s, sa_scan_job **ret);
/*
 * The same, dumping only the namespaces that changed since old (its
 * records of the others reused, borrowed during the call only) when
 * namespace events are on (sa_scanner_netns_events()), but every namespace
 * at least every 10 minutes (SA_NETNS_FULL_DUMP_USEC) all the same: the
 * periodic resync. old NULL: sa_scanner_scan_start().
 */
int sa_scanner_scan_start_from(sa_scanner *s, const sa_snapshot *old, sa_scan_job **ret);
int sa_scan_job_fd(const sa_scan_job *j);
int sa_scanner_scan_finish(sa_scanner *s, sa_scan_job *j, sa_snapshot **ret);
void sa_scan_job_cancel(sa_scan_job *j);

/* Process events were lost: the next refresh is a full scan. */
void sa_scanner_note_lost(sa_scanner *s);

/* Holders' details may have changed unseen (a program that renames itself
 * or drops privileges just after listen()): the next refresh describes
 * every holder again, and walks the fds of the holders of the listeners
 * new since the last call again (a dup() or fork just after listen();
 * at most 64 of them, the rest wait for the full scan).
 * Returns how many. No syscall. */
unsigned sa_scanner_note_details(sa_scanner *s);

/* True when pid holds a listener the index knows (its exit matters). */
bool sa_scanner_knows_owner(const sa_scanner *s, pid_t pid);

/*
 * Brings old (a snapshot of this scanner) up to date for the listeners
 * passing any of the n_fs filters (n_fs 0: every listener) as described
 * above; listeners outside them keep old's records with the owners the
 * index now has (not re-verified). Returns 0 and leaves *ret untouched
 * when old is still right (nothing was found to change: the cheap case,
 * 2-4 dumps per filter and namespace plus the verification), or 1 with a
 * new snapshot in *ret (caller frees) after re-reading the details of every
 * holder (a few /proc files per process). Falls back to a full unfiltered
 * scan (info->full, 1 returned) when there is no index yet (no unfiltered
 * scan ran), events were lost, or a new listener's owner cannot be found
 * cheaply. info may be NULL. -errno as sa_scanner_scan() on failure (the
 * index may then be partly updated; it stays consistent).
 */
int sa_scanner_refresh(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                       unsigned flags, sa_refresh_info *info, sa_snapshot **ret);

/* Sizes, for status and memory accounting. */
typedef struct sa_incremental_stats {
        bool have_index;          /* an unfiltered scan ran: refreshes can be cheap */
        size_t sockets, pairs, procs; /* in the owner index */
        size_t pids;              /* processes listed at the last full scan or listing */
        size_t fresh;             /* processes noted new since the last full scan */
        size_t cpu_marks;         /* 0: inode positions unknown (every new listener needs a full scan) */
        unsigned ebpf_fallbacks;  /* eBPF walks that failed and were done by procfs instead */
        uint64_t fd_rewalks;      /* holders of new listeners walked again (sa_scanner_note_details()) */
        uint64_t rewalks_skipped; /* windows with more than 64 due: the rest left to the full scan */
} sa_incremental_stats;

void sa_scanner_incremental_stats(const sa_scanner *s, sa_incremental_stats *ret);

/* ---- listen events ---- */

/*
 * New listeners as they happen (lib/bpf/listen.bpf.c): a TCP socket
 * entering LISTEN and a UDP socket bound to a port, each a record in a ring
 * buffer. Loading needs CAP_BPF and CAP_PERFMON (and CAP_SYS_ADMIN or
 * CAP_NET_ADMIN for the cgroup hooks); reading needs none. The event comes
 * before the socket can be dumped: confirm with sock_diag. Optional like
 * lib/bpfscan.h.
 */

typedef struct sa_bpflisten sa_bpflisten;

typedef struct sa_listen_note {
        uint16_t port;          /* 0: a UDP socket about to be bound implicitly (its namespace only) */
        int proto;              /* IPPROTO_TCP or IPPROTO_UDP */
        int family;             /* AF_INET or AF_INET6 */
        uint32_t netns;         /* namespace inode; 0 when not known (UDP) */
        pid_t pid;              /* the caller */
        bool closed;            /* a listener closed (TCP left LISTEN, a bound UDP socket released) */
        bool lost;              /* records were lost: nothing else set, anything may have changed */
        uint64_t netns_cookie;  /* the namespace's cookie (SO_NETNS_COOKIE); 0 if unknown */
} sa_listen_note;

typedef void (*sa_bpflisten_fn)(const sa_listen_note *note, void *userdata);

/*
 * Loads and attaches the programs. TCP listens and closes always; UDP binds
 * and releases only when the cgroup2 root takes the hooks (*ret_udp tells;
 * why says why not). Records lost (ring full) come as one note with lost set.
 * -errno with why said when nothing could be attached.
 */
int sa_bpflisten_open(sa_bpflisten_fn fn, void *userdata, sa_bpflisten **ret, bool *ret_udp,
                      char *why, size_t why_size);
sa_bpflisten *sa_bpflisten_free(sa_bpflisten *b);

/* An fd that polls readable when records wait. */
int sa_bpflisten_fd(const sa_bpflisten *b);

/* Calls fn for each waiting record: how many, or -errno. Never blocks. */
int sa_bpflisten_consume(sa_bpflisten *b);

/* ---- untrusted text ---- */

/*
 * Copies len bytes of s into a NUL-terminated, valid UTF-8 string: invalid
 * sequences and NUL bytes become U+FFFD. Caller frees. NULL on ENOMEM.
 */
char *sa_utf8_sanitize(const char *s, size_t len);

/* Whether the len bytes of s are valid UTF-8 (what jansson accepts as a string). */
bool sa_utf8_valid(const char *s, size_t len);

/* ---- namespaces no process lives in ---- */

/*
 * Who asks SIOCGSKNS (a socket's network namespace; it takes
 * CAP_NET_ADMIN) when this process may not: fn(ctx, sfd) gives an fd of
 * socket sfd's namespace, or -EPERM (then the nsfs file handle is tried),
 * -EMFILE/-ENFILE/-ENOMEM. The daemon: its reachability broker. Process-
 * wide: set before scans start, cleared (NULL) after they end.
 */
typedef int (*sa_skns_fn)(void *ctx, int sfd);
void sa_scan_set_skns(sa_skns_fn fn, void *ctx);

#endif
