/* SPDX-License-Identifier: MIT */
/*
 * The owner index: socket inode -> the (pid, fd) pairs that held it when
 * last looked at, kept between scans so that a known holder is re-verified
 * with one readlinkat instead of a walk of every fd on the host. Processes
 * are told apart by their start time (field 22 of PROC_ROOT/PID/stat), so
 * a reused pid is never taken for the process that had it before.
 */
#ifndef SA_OWNERINDEX_H
#define SA_OWNERINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sa_owner {
        pid_t pid;
        int fd;
} sa_owner;

typedef struct sa_ownerindex sa_ownerindex;

/* What one sa_ownerindex_verify() found. */
typedef struct sa_verify_result {
        unsigned checked;       /* (pid, fd) pairs read */
        unsigned dropped;       /* pairs removed: fd closed or pointing elsewhere */
        pid_t *reused;          /* pids now held by another process (caller frees) */
        size_t n_reused;
} sa_verify_result;

/*
 * An empty index reading processes under proc_root (NULL = "/proc"), which
 * is opened here and kept open. Caller frees. -ENOMEM, -errno of open.
 */
int sa_ownerindex_new(const char *proc_root, sa_ownerindex **ret);
sa_ownerindex *sa_ownerindex_free(sa_ownerindex *ix);

/* The open PROC_ROOT (borrowed). */
int sa_ownerindex_rootfd(const sa_ownerindex *ix);

/*
 * Start time of pid (clock ticks since boot, field 22 of PROC_ROOT/PID/stat,
 * read after the last ')' since comm may hold anything) and, if ret_ppid is
 * non-NULL, its parent (field 4). One open, read and close.
 * -ENOENT when the process is gone, -EBADMSG when the file does not parse.
 */
int sa_proc_stat_read(int rootfd, pid_t pid, uint64_t *ret_start, pid_t *ret_ppid);

/*
 * Makes inode a known socket with this cookie and no owners yet; an entry
 * under the same inode with another cookie (the 32-bit inode wrapped) is
 * replaced. Known sockets without owners stay known: "held by nobody".
 */
int sa_ownerindex_add_socket(sa_ownerindex *ix, uint32_t inode, uint64_t cookie);

/*
 * Records that pid holds inode at fd (the socket is added if unknown, with
 * cookie 0). The first time pid is seen its start time is read; if
 * pid was known with another start time, the old process's entries are
 * dropped first. Adding a pair twice is a no-op. -ENOENT when pid is gone
 * (nothing recorded), -ENOMEM.
 */
int sa_ownerindex_add(sa_ownerindex *ix, uint32_t inode, pid_t pid, int fd);

/* As sa_ownerindex_add() with the start time given (0: read it). */
int sa_ownerindex_add_start(sa_ownerindex *ix, uint32_t inode, pid_t pid, int fd,
                            uint64_t start);

/* True when inode is a known socket; *ret_cookie (may be NULL) gets its cookie. */
bool sa_ownerindex_has_socket(const sa_ownerindex *ix, uint32_t inode, uint64_t *ret_cookie);

/*
 * The owners of inode, sorted by pid then fd; borrowed until the next
 * change to the index. *ret_n is 0 (and *ret NULL) for unknown sockets.
 */
void sa_ownerindex_owners(const sa_ownerindex *ix, uint32_t inode, const sa_owner **ret,
                          size_t *ret_n);

/* Forgets a socket (it closed) and every pair pointing at it. */
void sa_ownerindex_remove_socket(sa_ownerindex *ix, uint32_t inode);

/* Forgets every pair of pid (it exited, or exec'd and must be read again). */
void sa_ownerindex_forget_pid(sa_ownerindex *ix, pid_t pid);

/* True when pid owns at least one indexed socket; *ret_start (may be
 * NULL) gets the start time recorded for it. */
bool sa_ownerindex_has_pid(const sa_ownerindex *ix, pid_t pid, uint64_t *ret_start);

/*
 * Re-verifies every owner of the n sockets in inodes: each owning process
 * once (its start time read again: gone or different means every pair of
 * it is dropped, and a different one is reported in ret->reused so the
 * caller can walk the newcomer), then each of its pairs with one readlinkat
 * of PROC_ROOT/PID/fd/FD (still this socket, or dropped). Costs one stat
 * read per process and one readlinkat per pair, never a walk. ret may be
 * NULL. -ENOMEM (the index is then still consistent, partly verified).
 */
int sa_ownerindex_verify(sa_ownerindex *ix, const uint32_t *inodes, size_t n,
                         sa_verify_result *ret);

/*
 * The same without reading start times, for callers told of every exit (a
 * known pid is then still the same process): one readlinkat per pair, but
 * a socket with a single pair found or read valid less than the sole
 * interval ago (SA_OWNERINDEX_SOLE_USEC) is skipped: closing its only fd
 * closes it, which the dumps show; only its fd passed on (SCM_RIGHTS,
 * pidfd_getfd) or dup()ed and then closed is seen that much later.
 */
int sa_ownerindex_verify_fds(sa_ownerindex *ix, const uint32_t *inodes, size_t n,
                             sa_verify_result *ret);

/* The sole interval of sa_ownerindex_verify_fds() (0: every pair read). */
#define SA_OWNERINDEX_SOLE_USEC (5 * UINT64_C(1000000))
void sa_ownerindex_set_sole_interval(sa_ownerindex *ix, uint64_t usec);

/*
 * The same in three steps, so that the reads (its only syscalls) may run on
 * another thread while the index keeps changing: take copies the pairs of
 * the n sockets in inodes (inodes NULL: of every socket), sorted by pid;
 * sa_verify_read() reads them (PROC_ROOT only, never the index; identity:
 * start times too, once per pid); apply then drops what the reads found
 * stale, skipping a pair whose process the index forgot or learnt anew
 * since the take. take: -ENOMEM; apply: -ENOMEM (ret->reused incomplete).
 */
typedef struct sa_verify_pair {
        uint32_t inode;
        pid_t pid;
        int fd;
        uint64_t start;         /* the index's start time of pid, when taken */
        uint32_t now;           /* read: the socket fd points at now, 0 if none */
        bool gone;              /* read: pid gone or another process (identity only) */
        bool reused;            /* read: another process */
} sa_verify_pair;

int sa_ownerindex_verify_take(const sa_ownerindex *ix, const uint32_t *inodes, size_t n,
                              sa_verify_pair **ret, size_t *ret_n);
void sa_verify_read(int rootfd, sa_verify_pair *pairs, size_t n, bool identity);
int sa_ownerindex_verify_apply(sa_ownerindex *ix, const sa_verify_pair *pairs, size_t n,
                               sa_verify_result *ret);

/* Empties the index (sockets and processes); keeps PROC_ROOT open. */
void sa_ownerindex_clear(sa_ownerindex *ix);

/* Counts: known sockets, (pid, fd) pairs, processes. */
size_t sa_ownerindex_n_sockets(const sa_ownerindex *ix);
size_t sa_ownerindex_n_pairs(const sa_ownerindex *ix);
size_t sa_ownerindex_n_procs(const sa_ownerindex *ix);

/*
 * Bumped by every change (add, drop, forget): a caller that saw the same
 * value before knows nothing changed.
 */
uint64_t sa_ownerindex_generation(const sa_ownerindex *ix);

/* Every known socket inode, into a new array (caller frees). -ENOMEM. */
int sa_ownerindex_sockets(const sa_ownerindex *ix, uint32_t **ret, size_t *ret_n);

#endif
