/* SPDX-License-Identifier: MIT */
/*
 * libsockaudit: who holds which listening socket.
 *
 * The library gathers facts and nothing else: socket tables from the kernel
 * (netlink sock_diag), the holders of each socket (a walk of /proc/PID/fd),
 * and the details of each holding process. No global state, no printing, no
 * exit(). Functions return >= 0 on success and -errno on failure; ret_*
 * output parameters come last and are left untouched on failure.
 */
#ifndef SOCKAUDIT_H
#define SOCKAUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#define SA_VERSION "0.1.0"

/* Protocol mask used by filters. */
enum {
        SA_PROTO_TCP = 1u << 0,
        SA_PROTO_UDP = 1u << 1,
        SA_PROTO_ANY = SA_PROTO_TCP | SA_PROTO_UDP,
};

typedef enum sa_owner_status {
        SA_OWNER_OK,      /* every holder found and described */
        SA_OWNER_UNKNOWN, /* no holder found */
        SA_OWNER_PARTIAL, /* holders found, but some could not be described */
} sa_owner_status;

/* Bounds on what is read from a process (untrusted, possibly huge). */
#define SA_CMDLINE_MAX (128u * 1024u)

/*
 * Is it the real program (docs/PROVENANCE.md): the image behind
 * /proc/PID/exe, hashed, against what the dpkg database recorded for its
 * path. Immutable once attached to a process, shared by the processes that
 * run the same image, owned by the library.
 */
typedef enum sa_prov_status {
        SA_PROV_VERIFIED,               /* a package ships the path and the image's MD5 is the one dpkg recorded */
        SA_PROV_MODIFIED,               /* a package ships the path, the image differs */
        SA_PROV_NOT_PACKAGED,           /* no installed package ships the path (or a memfd image) */
        SA_PROV_DELETED,                /* the image was deleted or replaced on disk */
        SA_PROV_UNVERIFIABLE,           /* no md5sums, unreadable image, no dpkg database: see reason */
} sa_prov_status;

/* "verified", "modified", "not_packaged", "deleted", "unverifiable". */
const char *sa_prov_status_name(sa_prov_status s);

typedef enum sa_exe_location {
        SA_EXE_NORMAL,
        SA_EXE_MEMFD,                   /* readlink says "/memfd:NAME (deleted)" */
        SA_EXE_DELETED,                 /* " (deleted)", or st_nlink == 0 */
        SA_EXE_TMP,                     /* under /tmp, /var/tmp, /dev/shm or /run/user/ */
        SA_EXE_WORLD_WRITABLE_DIR,      /* its directory is o+w (sticky or not), seen from the process's root */
} sa_exe_location;

/* "normal", "memfd", "deleted", "tmp", "world_writable_dir". */
const char *sa_exe_location_name(sa_exe_location l);

typedef struct sa_exe_provenance {
        sa_prov_status status;
        sa_exe_location location;
        char exe_sha256[65];    /* lowercase hex; "" when the image was not read */
        const char *package;    /* NULL when no package ships the path */
        const char *version;
        const char *architecture;
        const char *reason;     /* words for people; never NULL */
} sa_exe_provenance;

/* One more reference to e (not NULL), for keeping it past its snapshot; returns e. */
const sa_exe_provenance *sa_exe_provenance_ref(const sa_exe_provenance *e);
/* Drops one reference; the last frees it. Accepts NULL; returns NULL. Any thread. */
const sa_exe_provenance *sa_exe_provenance_unref(const sa_exe_provenance *e);
/* Whether a and b say the same (status, location, hash, package, reason); NULL equals only NULL. */
bool sa_exe_provenance_same(const sa_exe_provenance *a, const sa_exe_provenance *b);

/*
 * One process that holds at least one wanted socket. Strings are NUL-free
 * copies of what the kernel reported (comm, exe and argv are chosen by the
 * process and are untrusted); NULL where unknown.
 */
typedef struct sa_process {
        pid_t pid;
        pid_t ppid;
        pid_t nspid;           /* pid in its own (innermost) PID namespace, from
                                * NSpid in status; 0 when the same as pid or unknown */
        uid_t uid;             /* effective uid */
        char *comm;            /* /proc/PID/comm, newline stripped */
        char *exe;             /* /proc/PID/exe without " (deleted)" */
        bool exe_deleted;
        bool exe_replaced;     /* the file at exe is not the running image */
        char **argv;           /* argc entries, then NULL */
        size_t argc;
        bool argv_truncated;   /* cmdline longer than SA_CMDLINE_MAX */
        char *user;            /* name for uid, NULL if none */
        char *unit;            /* system unit (sd_pid_get_unit style) */
        char *user_unit;       /* unit inside user@UID.service, if any */
        char *cgroup;          /* cgroup v2 path (or name=systemd v1) */
        bool incomplete;       /* vanished or unreadable while describing */
        struct sa_argv *argv_block; /* when set, argv and its strings live in this
                                     * shared block (lib/argv.h), not separate copies */
        const sa_exe_provenance *provenance; /* NULL: not checked (yet) */
} sa_process;

typedef enum sa_holder_role {
        SA_ROLE_NONE,           /* the only kind of holder there is */
        SA_ROLE_ACTIVATOR,      /* holds it for another: PID 1 with a .socket unit, inetd... */
        SA_ROLE_SERVICE,        /* was handed it by an activator that still holds it */
} sa_holder_role;

/* One process's hold on one socket: which of its fds point at it. */
typedef struct sa_holder {
        const sa_process *proc; /* borrowed from the snapshot */
        int *fds;               /* &fd_one when it is the only one and a scan found it (a holder
                                 * moved must then be pointed at its own again: sa_join_hit()) */
        size_t n_fds;
        sa_holder_role role;
        int fd_one;             /* the only fd of a holder built by a scan (no allocation) */
        char *socket_unit;      /* activators: the .socket unit, if found */
        char *service_unit;     /* activators: the unit it activates, if known */
} sa_holder;

/* A listening socket: TCP in LISTEN, or UDP bound and unconnected. */
typedef struct sa_listener {
        uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
        uint8_t family;         /* AF_INET or AF_INET6 */
        uint8_t state;          /* kernel TCP_* state */
        bool v6only;            /* IPV6_V6ONLY; false for AF_INET */
        uint16_t port;          /* host order */
        uint8_t addr[16];       /* network order; 4 bytes used for AF_INET */
        uint32_t ifindex;       /* bound device, 0 if none */
        char ifname[16];        /* name of ifindex, "" if none/unknown */
        uint32_t inode;
        uint64_t cookie;
        uid_t uid;              /* socket owner uid */
        uint64_t netns;         /* inode of its network namespace */
        char netns_name[64];    /* SA_NETNS_HOST_NAME for the host's namespace, else
                                 * its name under /run/netns (`ip netns`), else its
                                 * container ("docker:0123456789ab", a machine name,
                                 * ...), "" if none (docs/EXPOSURE.md) */

        sa_holder *holders;
        size_t n_holders;
        sa_owner_status owner_status;
        const char *owner_reason; /* static text, NULL when status is OK */
} sa_listener;

/* Failure counters of one scan: trouble is counted, not logged. */
typedef struct sa_scan_stats {
        unsigned dumps;           /* sock_diag dumps run */
        unsigned dump_retries;    /* restarted after NLM_F_DUMP_INTR */
        unsigned procs;           /* /proc/PID dirs visited */
        unsigned long fds;        /* fd entries examined */
        unsigned procs_vanished;  /* exited during the walk (ENOENT/ESRCH) */
        unsigned procs_denied;    /* fd dir or details unreadable (EACCES) */
        uint64_t netlink_usec;    /* time in sock_diag */
        uint64_t proc_usec;       /* time walking and describing processes */
        unsigned netns;           /* network namespaces dumped */
        unsigned netns_skipped;   /* found but not entered (setns refused): not dumped */
        unsigned netns_denied;    /* PROC_ROOT/PID/ns/net unreadable (EACCES) */
        uint64_t netns_usec;      /* time finding namespaces and opening sockets in them */
        unsigned netns_held;      /* found by what holds them, no process inside (lib/hiddenns.c) */
        unsigned netns_unchecked; /* leads to namespaces left for the next full scan (bounds) */
} sa_scan_stats;

/* What to gather. Zeroed means: every port, TCP and UDP, IPv4 and IPv6. */
typedef struct sa_filter {
        uint16_t port;            /* 0 = any; filtered in the kernel */
        unsigned protos;          /* SA_PROTO_* mask; 0 = SA_PROTO_ANY */
} sa_filter;

/* A consistent picture: listeners × holders at one moment. */
typedef struct sa_snapshot {
        sa_listener *listeners;   /* sorted: proto, port, family, addr, inode */
        size_t n_listeners;
        sa_process **procs;       /* every process that holds a listener */
        size_t n_procs;
        sa_scan_stats stats;
        struct timespec taken;    /* CLOCK_REALTIME when the scan started */
        uint64_t duration_usec;
} sa_snapshot;

/* Which network namespaces a scanner reports on. */
typedef enum sa_netns_mode {
        SA_NETNS_SELF = 0,        /* the caller's own (the default) */
        SA_NETNS_ALL,             /* every one with a process or a /run/netns name */
} sa_netns_mode;

/* How a full scan finds the holders of listening sockets. */
typedef enum sa_scan_method {
        SA_SCAN_AUTO,             /* eBPF when it loads (and proc_root is /proc), else procfs */
        SA_SCAN_PROCFS,           /* a readlinkat of every PROC_ROOT/PID/fd/N */
        SA_SCAN_EBPF,             /* the eBPF iterator (iter/task_file), or fail */
} sa_scan_method;

/* Why a scanner walks fds through procfs instead of with the eBPF iterator. */
typedef enum sa_scan_fallback {
        SA_SCAN_FALLBACK_NONE,          /* it does not: the iterator is used */
        SA_SCAN_FALLBACK_ASKED,         /* SA_SCAN_PROCFS was asked for */
        SA_SCAN_FALLBACK_PROC_ROOT,     /* proc_root is not /proc (a fixture tree) */
        SA_SCAN_FALLBACK_NOT_BUILT,     /* the library was built without eBPF */
        SA_SCAN_FALLBACK_NOT_PERMITTED, /* loading was refused: CAP_BPF, CAP_PERFMON missing */
        SA_SCAN_FALLBACK_LOAD_FAILED,   /* the object did not open, load or attach */
        SA_SCAN_FALLBACK_SELF_TEST,     /* loaded, but did not report our own socket right */
} sa_scan_fallback;

typedef struct sa_scan_config {
        const char *proc_root;    /* NULL = "/proc"; tests point at fixtures */
        sa_netns_mode namespaces; /* ALL needs CAP_SYS_ADMIN (setns) to enter others */
        sa_scan_method method;    /* EBPF/AUTO load at sa_scanner_new: CAP_BPF, CAP_PERFMON */
} sa_scan_config;

/* A scanner keeps what is worth reusing between scans: a netlink socket per
 * network namespace, created inside it. */
typedef struct sa_scanner sa_scanner;

/*
 * Opens a scanner for the calling thread's network namespace (and, with
 * SA_NETNS_ALL, every other one: found at each scan). cfg is copied; NULL is
 * the zeroed config. Costs one netlink socket (ALL: plus an fd of the own
 * namespace, to come back to after setns). Use it from threads in the
 * namespace it was opened in. Caller frees with sa_scanner_free().
 */
int sa_scanner_new(const sa_scan_config *cfg, sa_scanner **ret);
sa_scanner *sa_scanner_free(sa_scanner *s);

/*
 * How full scans walk fds, as sa_scanner_new() settled it once and for all:
 * SA_SCAN_EBPF or SA_SCAN_PROCFS, never SA_SCAN_AUTO. *ret_reason (if
 * ret_reason) says why not eBPF: SA_SCAN_FALLBACK_NONE with SA_SCAN_EBPF.
 * No syscall, cannot fail.
 */
sa_scan_method sa_scanner_method(const sa_scanner *s, sa_scan_fallback *ret_reason);

/*
 * The method's detail for status and logs: "iter/task_file" with eBPF,
 * else the words of the step that ruled it out, with its particulars
 * ("loading eBPF (sa_fdscan) needs CAP_BPF and CAP_PERFMON"; may be "" when
 * that step ran out of memory). Borrowed until sa_scanner_free().
 */
const char *sa_scanner_method_detail(const sa_scanner *s);

/* Switches to mode's namespaces (the next refresh is a full scan). 0, -errno. */
int sa_scanner_set_namespaces(sa_scanner *s, sa_netns_mode mode);

/* "auto", "procfs", "ebpf" <-> the enum: -EINVAL for any other string,
 * NULL for a value outside the enum. */
int sa_scan_method_from_string(const char *s, sa_scan_method *ret);
const char *sa_scan_method_name(sa_scan_method method);

/* A fixed sentence for each reason ("procfs was asked for"); NULL for NONE
 * and unknown values. sa_scanner_method_detail() has the particulars. */
const char *sa_scan_fallback_text(sa_scan_fallback reason);

/*
 * Takes a snapshot of the listeners matching f (NULL = all) and of every
 * process that holds one. Vanished or unreadable processes are counted in
 * the snapshot's stats, not fatal. Costs 2-4 sock_diag dumps per namespace
 * plus one readlinkat per fd on the host. SA_NETNS_ALL first finds the
 * namespaces: one stat per pid and a setns + socket for each namespace new
 * since the last scan; those gone are forgotten.
 * Namespaces that cannot be entered are counted (stats.netns_skipped), not
 * fatal. Caller frees with sa_snapshot_free().
 */
int sa_scanner_scan(sa_scanner *s, const sa_filter *f, sa_snapshot **ret);

/*
 * Cookies of the listening sockets passing f (NULL = all), sorted ascending,
 * from sock_diag alone (no /proc walk: 2-4 dumps per namespace,
 * docs/PERFORMANCE.md), so a daemon can tell cheaply whether a snapshot
 * still shows the right sockets. SA_NETNS_ALL covers the namespaces known
 * from the last scan (a namespace created since is seen by the next scan,
 * not here). Caller frees *ret_cookies (NULL when *ret_n is 0).
 */
int sa_scanner_probe(sa_scanner *s, const sa_filter *f, uint64_t **ret_cookies,
                     size_t *ret_n);

/*
 * Provenance (docs/PROVENANCE.md): from now on, each scan's and refresh's
 * holders get sa_process.provenance when a verdict for their running image
 * is known to s (one extra stat of exe and of root per holder described).
 * dpkg_admindir NULL: "/var/lib/dpkg"; without a database there every
 * verdict says so. Opens one dpkg handle and one image cache for s's life.
 * 0, or -ENOMEM. Calling it again changes nothing.
 */
int sa_scanner_provenance_enable(sa_scanner *s, const char *dpkg_admindir);

/*
 * Synchronously, for the CLI: every process of snap without a verdict gets
 * one (sa_provenance_read: the image hashed once per identity, then
 * cached; a dpkg lookup), and s keeps it for the next scans. Enables
 * provenance with the default database if it was not. 0, or -ENOMEM.
 */
int sa_scanner_provenance(sa_scanner *s, sa_snapshot *snap);

/* What provenance cost so far (status). */
typedef struct sa_provenance_stats {
        uint64_t jobs;            /* background jobs finished (daemon) */
        uint64_t last_job_usec;   /* the last job, start to finish (its thread's work and the wait for the loop) */
        size_t last_job_pids;     /* the processes it checked */
        uint64_t checked;         /* verdicts computed (jobs, --direct) */
        uint64_t checked_inline;  /* made while a scan joined, from cached hashes (no job needed) */
        uint64_t images_hashed;   /* image cache misses: a file read whole */
        uint64_t cache_hits;
        uint64_t dpkg_build_usec; /* the dpkg index's last build */
        unsigned dpkg_builds;
        size_t verdicts;          /* distinct verdicts kept */
        char last_error[160];     /* "" when none: the dpkg database's, or a job's */
} sa_provenance_stats;

void sa_scanner_provenance_stats(sa_scanner *s, sa_provenance_stats *ret);

/* One-shot scan: sa_scanner_new + sa_scanner_scan + sa_scanner_free. */
int sa_scan(const sa_scan_config *cfg, const sa_filter *f, sa_snapshot **ret);

sa_snapshot *sa_snapshot_free(sa_snapshot *snap);

/* True when l passes f (NULL passes everything). */
bool sa_listener_match(const sa_listener *l, const sa_filter *f);

/*
 * The record vocabulary (lib/listener.c, with sa_exposure_scope_name() and
 * sa_format_time() below). Static strings; "?" for a value without a name.
 * "tcp" / "udp"; "ipv4" / "ipv6"; "ok" / "unknown" / "partial";
 * NULL (SA_ROLE_NONE) / "activator" / "service".
 */
const char *sa_holder_role_name(sa_holder_role role);
const char *sa_proto_name(uint8_t proto);
const char *sa_family_name(uint8_t family);
const char *sa_owner_status_name(sa_owner_status st);

/* Formats l's address ("0.0.0.0", "::1") into buf (>= 46 bytes). */
const char *sa_listener_address(const sa_listener *l, char *buf, size_t size);

/*
 * Bounds on the JSON form of records, against holders that would make it
 * huge (docs/SECURITY.md): at most owners_max owners per listener (the
 * record's "owners_total" counts them all, "owners_truncated" says some
 * were left out) and at most cmdline_max bytes of a command line (its
 * arguments with one separator each; the argument that crosses the bound
 * is cut on a character boundary, "cmdline_truncated" is true). 0: no bound.
 */
typedef struct sa_json_limits {
        size_t owners_max;
        size_t cmdline_max;
} sa_json_limits;

#define SA_JSON_OWNERS_MAX  64u
#define SA_JSON_CMDLINE_MAX 4096u

/* { SA_JSON_OWNERS_MAX, SA_JSON_CMDLINE_MAX }: what the plain sa_*_to_json() apply. */
extern const sa_json_limits sa_json_limits_default;

/*
 * JSON records (docs/RECORDS.md; jansson). Untrusted strings are made valid UTF-8
 * (invalid bytes become U+FFFD) so the output always parses. The plain
 * forms apply sa_json_limits_default; the _limited ones take lim (NULL:
 * everything, unbounded).
 * Caller owns the returned reference; NULL only on allocation failure.
 */
json_t *sa_process_to_json(const sa_process *p);
json_t *sa_listener_to_json(const sa_listener *l);
json_t *sa_process_to_json_limited(const sa_process *p, const sa_json_limits *lim);
json_t *sa_listener_to_json_limited(const sa_listener *l, const sa_json_limits *lim);

/*
 * The pieces of a listener record, for writers that put its text together
 * themselves (the daemon's streamed who/list): the record with "owners"
 * and "exposure" (its last member) null, the latter to be replaced by
 * sa_listener_exposure_to_json() (the same for listeners alike in
 * sa_listener_exposure_key()), the former by an array of the first
 * sa_listener_owners_shown() owners, each the holder's process record
 * (sa_process_to_json_limited(), the same for every socket the process
 * holds) with the members of sa_holder_hold_to_json() after its own:
 * {"fds":[...],"role":...} (and an activator's "socket_unit",
 * "service_unit"). NULL only on allocation failure.
 */
json_t *sa_listener_to_json_shell(const sa_listener *l, const sa_json_limits *lim);
json_t *sa_holder_hold_to_json(const sa_holder *h);
size_t sa_listener_owners_shown(const sa_listener *l, const sa_json_limits *lim);

/*
 * The same two pieces as compact text, byte for byte what json_dumpb(j,
 * buf, size, JSON_COMPACT) writes of the objects above, at a tenth of the
 * cost (no tree): the whole text's length is returned and at most size
 * bytes of it written to buf (no NUL): call again with a bigger buf when
 * the length passes size. 0 only on allocation failure.
 */
size_t sa_listener_shell_text(const sa_listener *l, const sa_json_limits *lim, char *buf, size_t size);
size_t sa_holder_hold_text(const sa_holder *h, char *buf, size_t size);
/* Array of the listeners in snap that pass f. */
json_t *sa_snapshot_listeners_to_json(const sa_snapshot *snap, const sa_filter *f);
json_t *sa_scan_stats_to_json(const sa_scan_stats *st);

/*
 * Flags for every json_dump*() of records: reals with 15 significant digits
 * (durations print as 7.092, not jansson's default 17 digits,
 * 7.0919999999999996); 15 digits give back any value kept to the µs.
 */
#define SA_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
 * Rebuilds a snapshot from an array of listener records as produced by
 * sa_snapshot_listeners_to_json() (a saved baseline). Unknown fields are
 * ignored; a record missing a required field or with a wrong type fails the
 * whole load with -EBADMSG and a message in err (if non-NULL). Caller frees.
 */
int sa_snapshot_from_json(const json_t *listeners, sa_snapshot **ret, char *err, size_t errlen);

/* What changed for one listener between two snapshots. */
typedef enum sa_change_kind {
        SA_CHANGE_ADDED,          /* in the new snapshot only */
        SA_CHANGE_REMOVED,        /* in the old snapshot only */
        SA_CHANGE_OWNER,          /* same socket, different set of programs */
} sa_change_kind;

typedef struct sa_change {
        sa_change_kind kind;
        const sa_listener *before; /* NULL for ADDED; borrowed from old */
        const sa_listener *after;  /* NULL for REMOVED; borrowed from new */
} sa_change;

typedef enum sa_diff_key {
        SA_DIFF_BY_SOCKET,        /* same socket: netns + cookie (+ proto, address, port) */
        SA_DIFF_BY_ADDRESS,       /* same netns, proto, family, address and port:
                                   * for a baseline from an earlier boot, so a
                                   * named netns (netns_name: "host", an ip
                                   * netns or container name) by its name, an
                                   * unnamed one by its inode */
} sa_diff_key;

/*
 * Compares old with new over the listeners passing f. A "program" is the
 * (exe, unit) of a complete holder (an incomplete one names none); OWNER is
 * reported when the set of programs holding a socket differs, not when only
 * pids or uids churn (a worker replaced by the same program, a root parent
 * with www-data children), nor when one side's holders are all incomplete.

 * old may be NULL (everything is ADDED). Changes borrow
 * from both snapshots: keep them alive while using the result. Caller frees
 * *ret_changes (NULL when *ret_n is 0).
 */
int sa_snapshot_diff(const sa_snapshot *old, const sa_snapshot *new, const sa_filter *f,
                     sa_diff_key key, sa_change **ret_changes, size_t *ret_n);

/* "listener_added" / "listener_removed" / "owner_changed". */
const char *sa_change_kind_name(sa_change_kind kind);

/*
 * Copy of untrusted s that is safe on a terminal and in a one-line table
 * cell: control bytes, DEL, backslash and invalid UTF-8 become C-style
 * escapes (\n, \x1b, \\); valid UTF-8 is kept. Caller frees; NULL on ENOMEM.
 */
char *sa_text_escape(const char *s);

/* ---- exposure: who can reach a listener (docs/EXPOSURE.md) ---- */

/* The netns_name of the host's network namespace (reserved: no other gets it). */
#define SA_NETNS_HOST_NAME "host"

typedef enum sa_exposure_scope {
        SA_SCOPE_WILDCARD,      /* 0.0.0.0 or ::: every address of its namespace */
        SA_SCOPE_LOOPBACK,      /* 127.0.0.0/8, ::1 (or ::ffff:127.x.y.z) */
        SA_SCOPE_ADDRESS,       /* one other address */
        SA_SCOPE_DEVICE,        /* bound to an interface (SO_BINDTODEVICE, or a
                                 * link-local scope): reachable only through it */
} sa_exposure_scope;

typedef struct sa_exposure {
        sa_exposure_scope scope;
        bool ipv4;              /* IPv4 clients can connect */
        bool ipv6;              /* IPv6 clients can connect */
        bool host_netns;        /* in the host's network namespace */
} sa_exposure;

/*
 * Classifies l from its own fields alone (address, family, v6only, ifindex
 * or ifname, netns_name): no system call, cannot fail. An AF_INET6 "::"
 * socket with v6only off also takes IPv4 (dual-stack); an IPv4-mapped
 * address takes IPv4 only; host_netns is netns_name == SA_NETNS_HOST_NAME.
 */
void sa_listener_exposure(const sa_listener *l, sa_exposure *ret);

/* "wildcard" / "loopback" / "address" / "device". */
const char *sa_exposure_scope_name(sa_exposure_scope scope);

/*
 * One plain sentence saying who can reach l ("Bound to 127.0.0.1 only:
 * reachable from this host only."). Contains netns_name and the interface
 * name as they are: escape before printing on a terminal. Caller frees;
 * -ENOMEM.
 */
int sa_listener_exposure_summary(const sa_listener *l, char **ret);

/*
 * The reasons behind the summary, one fact per line (scope, address family,
 * namespace), as a NULL-terminated array; lines are raw text like the
 * summary's. Caller frees with sa_strv_free(); -ENOMEM.
 */
int sa_listener_explain(const sa_listener *l, char ***ret_lines);

/* Frees a NULL-terminated array of strings and the strings. Accepts NULL; returns NULL. */
char **sa_strv_free(char **v);

/*
 * {"scope":..., "ipv4":bool, "ipv6":bool, "namespace":"host"|"other",
 * "summary":"..."} for l: the "exposure" member of a listener record.
 * NULL only on allocation failure.
 */
json_t *sa_listener_exposure_to_json(const sa_listener *l);
/*
 * What the exposure record of l depends on (family, address, v6only,
 * device, namespace), zero-padded: listeners with equal keys (memcmp)
 * have equal exposure records.
 */
typedef struct sa_exposure_key {
        uint8_t family;
        bool v6only;
        uint8_t addr[16];
        uint32_t ifindex;
        char ifname[16];
        uint64_t netns;
        char netns_name[64];
} sa_exposure_key;
void sa_listener_exposure_key(const sa_listener *l, sa_exposure_key *ret);

/* "2026-11-23T15:04:05.123456Z" into buf (>= 32 bytes). */
const char *sa_format_time(const struct timespec *ts, char *buf, size_t size);

#endif
