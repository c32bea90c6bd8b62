/* SPDX-License-Identifier: MIT */
/*
 * The scanner's insides, shared by the files that make it up (private: not
 * installed, not for daemon/ or cli/):
 *
 *   lib/scanner.c      its life: open (eBPF or procfs, and why), namespaces, free
 *   lib/scan.c         sock_diag collection, probes, full scans, sa_scan()
 *   lib/snapshot.c     the snapshot: its order, the inode->process join, free
 *   lib/scanjob.c      a full scan as a job whose fd walk may run on a thread
 *   lib/inomarks.c     where each CPU's inode counter stood (inomarks.h)
 *   lib/incremental.c  noted processes and sa_scanner_refresh() (sockaudit-internal.h)
 *   lib/indexrebuild.c the owner index made anew after a full scan
 *   lib/rewalk.c       holders of new listeners walked again at the end of a hot window
 *
 * Everything here runs on the scanner's thread (the job's walk excepted,
 * which touches only the job), returns >= 0 or -errno, and leaves ret_*
 * untouched on failure.
 */
#ifndef SA_SCANNER_H
#define SA_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "argv.h"
#include "bpfscan.h"
#include "hiddenns.h"
#include "sockaudit-internal.h"
#include "netns.h"
#include "ownerindex.h"
#include "provtable.h"
#include "procfd.h"
#include "sockaudit.h"
#include "usercache.h"
#include "vec.h"

/* A process noted new since the last full scan. */
typedef struct fresh_proc {
        pid_t pid;
        pid_t parent;         /* at fork time; 0 = unknown (read ppid when needed) */
        bool walked;          /* its fds were read since it was noted */
        bool may_inherit;     /* its parent may have held an indexed socket when it forked */
        uint64_t ns_seq;      /* seq when its network namespace was looked up (0: not yet;
                               * an exec after unshare(CLONE_NEWNET) notes it again) */
        uint64_t seq;         /* when it was noted (sa_scanner.note_seq) */
} fresh_proc;

struct sa_join;

/* Holders whose fds the end of a hot window walks again, at most. */
#define SA_REWALK_MAX 64u

struct sa_scanner {
        char *proc_root;
        sa_netns_set *ns;    /* namespaces and their sock_diag sockets */
        sa_usercache *users;
        sa_bpfscan *bpf;     /* the eBPF fd walk; NULL: procfs */
        sa_scan_fallback fallback; /* why bpf is NULL; NONE when it is not */
        char no_bpf_why[160];      /* the same in words, with particulars */
        unsigned bpf_failures; /* eBPF walks that could not be read (procfs did them) */
        sa_hiddenns *hidden; /* sockets' namespaces asked so far (NULL: none, or a job has it) */

        /* Incremental state, valid once an unfiltered scan ran (owners set). */
        sa_ownerindex *owners;
        sa_procfd_pid *pids; /* the last listing, sorted by pid */
        size_t n_pids;
        fresh_proc *fresh;   /* sorted by pid */
        size_t n_fresh, cap_fresh;
        uint32_t *marks;     /* inode positions per CPU when the last full scan started */
        size_t n_marks;
        uint64_t note_seq;   /* processes noted so far */
        uint64_t full_gen;   /* full scans that rebuilt the index */
        bool lost;           /* events lost: the next refresh is a full scan */
        bool details_dirty;  /* holders to describe again: redescribe[] (or all) */
        pid_t redescribe[SA_REWALK_MAX]; /* a holder that exec'd or listened anew, or a hot window's */
        unsigned n_redescribe;
        bool redescribe_all; /* more than fit: every holder */
        pid_t rewalk[SA_REWALK_MAX]; /* holders of listeners new since the last re-read */
        unsigned n_rewalk;
        unsigned rewalk_over; /* holders past the cap since then (left to the full scan) */
        uint64_t fd_rewalks;  /* holders walked again so, since start */
        uint64_t rewalks_skipped; /* windows whose holders passed the cap */
        bool oneshot;        /* sa_scan(): no index, nobody refreshes */

        /* Provenance (lib/provjob.c), once sa_scanner_provenance_enable() ran. */
        sa_provtable *prov;  /* verdicts by running image: joins attach them */
        sa_dpkg *dpkg;       /* NULL: no database (every verdict says so) */
        sa_execache *execache;
        sa_provenance_stats prov_stats;
        /* Set by the enable: the scanner's objects reach no hashing code (lib/provjoin.c). */
        void (*prov_join)(struct sa_join *j, sa_process *p);
        void (*prov_free)(sa_scanner *s);
};

/* pid's details are read again by the next refresh (sa_scanner_refresh()). */
void sa_scanner_redescribe(sa_scanner *s, pid_t pid);

/* Every holder's details as they are now in the snapshot just built: none to read again. */
void sa_scanner_details_read(sa_scanner *s);

/* ---- lib/scan.c */

/*
 * Appends to out the listeners passing f (NULL: all) of every namespace of
 * s (2-4 dumps each, records stamped with the namespace's inode and name),
 * through its kept socket or one made for the dump and closed after it
 * (sa_netns_socket_get()); those that cannot be entered are counted in
 * st->netns_skipped. No fd left for a socket (EMFILE) fails it. Any
 * dump failure fails the whole collection (a namespace silently missing
 * would look like closed sockets); the failing namespace's socket, which
 * may be out of step, is closed and made again at the next scan (the own
 * one is kept). On failure out holds what the namespaces before gave.
 */
int sa_scanner_collect(sa_scanner *s, const sa_filter *f, sa_listener_vec *out, sa_scan_stats *st);

/* The same for the one namespace ns (counted in st->netns, or netns_skipped). */
int sa_scanner_collect_ns(sa_scanner *s, sa_netns *ns, const sa_filter *f, sa_listener_vec *out,
                          sa_scan_stats *st);

/*
 * The same, for the namespaces with pick set only when picked (lib/netnsdirt.h);
 * seq != 0: each namespace dumped gets pending_seq = seq (f must then be NULL).
 */
int sa_scanner_collect_picked(sa_scanner *s, const sa_filter *f, bool picked, uint64_t seq,
                              sa_listener_vec *out, sa_scan_stats *st);

/* Whether l passes any of fs (n_fs 0: all). */
bool sa_scanner_in_scope(const sa_listener *l, const sa_filter *fs, size_t n_fs);

/*
 * A refresh's dumps: the listeners passing any of fs (n_fs 0: all) into
 * out. With namespace events on (lib/netnsdirt.h), only the dirty
 * namespaces are dumped and the others' records (in scope) are taken from
 * old; off, every namespace. n_fs 0: each namespace dumped gets
 * pending_seq, made clean by sa_scanner_refresh_cleaned() once the
 * snapshot the refresh makes (or old, unchanged) is the caller's. The
 * namespaces dumped into *ret_dumped. Fails as sa_scanner_collect().
 */
int sa_scanner_collect_refresh(sa_scanner *s, const sa_snapshot *old, const sa_filter *fs, size_t n_fs,
                               sa_listener_vec *out, sa_scan_stats *st, unsigned *ret_dumped);
void sa_scanner_refresh_cleaned(sa_scanner *s);

/*
 * ALL mode: the namespace of each process noted new, looked up once per
 * note (one stat; a fork is noted before it may unshare, its exec after):
 * one the set lacks (made since the last full scan: without eBPF no event
 * tells of it) is added, one whose inode went to another namespace
 * is reset (sa_netns_set_add()). -ENOSPC: too many added (a full scan
 * finds them), -ENOMEM, -errno of a failed setns back; a process gone, a
 * namespace not entered or no fd left is no error.
 */
int sa_scanner_fresh_netns(sa_scanner *s);

/* ---- lib/snapshot.c */

/* qsort order of a snapshot's listeners: proto, port, family, address, inode. */
int sa_listener_cmp(const void *a, const void *b);

/* State of the inode->process join while hits are added to snap. Zero it
 * but for proc_root, users and snap (all borrowed). */
typedef struct sa_join {
        const char *proc_root;
        sa_usercache *users;
        sa_snapshot *snap;
        size_t procs_cap;
        pid_t cur_pid;          /* hits of one pid arrive together */
        sa_process *cur;        /* its details, read on its first hit */
        sa_argv_table argvs;    /* the holders' command lines, shared by content */
        sa_scanner *prov;       /* NULL, or the scanner whose verdicts the holders get */
        const sa_process **old; /* details to copy instead of reading, sorted by pid (n_old) */
        size_t n_old;
        size_t copied;          /* processes whose details were copied from old */
} sa_join;

/*
 * fd of pid points at snap->listeners[idx]: a holder of it (or one more fd
 * of the last one). Hits must come grouped by pid. A pid's details are read
 * on its first hit (sa_process_read(); one that vanished is kept with its
 * pid only, marked incomplete), or copied from j->old when it has the pid,
 * and owned by the snapshot. -ENOMEM.
 */
int sa_join_hit(sa_join *j, pid_t pid, int fd, size_t idx);

/*
 * The join copies the details of old's processes (the snapshot it
 * replaces) instead of reading them again, but for the pids in reread and
 * the incomplete ones. -ENOMEM (then every pid is read).
 */
int sa_join_keep_details(sa_join *j, const sa_snapshot *old, const pid_t *reread, size_t n_reread);

/* p's verdict from j->prov, when one is known for its running image (lib/provjob.c). */
void sa_join_provenance(sa_join *j, sa_process *p);

/* Frees the scanner's provenance state (lib/provjob.c). */
void sa_scanner_provenance_free(sa_scanner *s);

/* After the last hit: the join's own references dropped (the snapshot keeps its processes). */
void sa_join_done(sa_join *j);

/*
 * After the join: each listener's owner verdict (ok, unknown, partial) and
 * its activation roles (lib/activation.c). -ENOMEM.
 */
int sa_snapshot_judge(sa_snapshot *snap, const char *proc_root);

/* ---- lib/scanjob.c */

/*
 * A full scan's first step, on the calling thread: the namespaces, the
 * dumps (listeners passing f, sorted), and, when there is anything to walk
 * for, the listing of PROC_ROOT. keep: rebuild the index at the end (an
 * unfiltered scan of a lasting scanner): the CPUs' inode marks are taken
 * first. old (keep, f NULL; may be NULL): dump only the namespaces that
 * changed since it (sa_scanner_scan_start_from()). Caller hands the job to
 * sa_scan_job_finish().
 */
int sa_scan_job_prepare(sa_scanner *s, const sa_filter *f, bool keep, const sa_snapshot *old,
                        sa_scan_job **ret);

/* The walk of every listed process's fds: eBPF, or procfs when it is not
 * loaded or fails. Touches only j (and the loaded iterator): any thread. */
void sa_scan_job_walk(sa_scan_job *j);

/*
 * The last step, on the scanner's thread: each holder's details, the
 * verdicts, and (keep) the index, with the processes noted after since_seq
 * kept new. The snapshot to *ret (caller frees). Frees j either way.
 */
int sa_scan_job_finish(sa_scanner *s, sa_scan_job *j, uint64_t since_seq, sa_snapshot **ret);

/* ---- lib/indexrebuild.c */

/* A listing ordered by pid. */
void sa_procfd_pids_sort(sa_procfd_pid *pids, size_t n);

/*
 * After an unfiltered scan: the owner index becomes snap's holders, the
 * listing (pids, taken) the known processes, the marks (taken) the inode
 * watermark, and nothing noted up to since_seq is fresh any more. Reads
 * each holder's start time (one stat read a process). On failure the
 * incremental state is dropped (the next refresh is a full scan).
 */
int sa_scanner_index_rebuild(sa_scanner *s, const sa_snapshot *snap, sa_procfd_pid *pids,
                             size_t n_pids, uint32_t *marks, size_t n_marks, uint64_t since_seq);

/* ---- lib/incremental.c */

/* Notes pid to be walked at the next refresh (an indexed holder loses its pairs until then). */
int sa_scanner_note_walk(sa_scanner *s, pid_t pid);

/* ---- lib/rewalk.c */

/* pid holds a listener a refresh found new: walked again at the next sa_scanner_note_details(). */
void sa_scanner_rewalk_add(sa_scanner *s, pid_t pid);

#endif
