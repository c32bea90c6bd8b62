/* SPDX-License-Identifier: MIT */
/*
 * Network namespaces: finding them (/run/netns names, PROC_ROOT/PID/ns/net)
 * and the sock_diag socket created inside each: kept for the first
 * keep_max, made for each dump beyond (netns.h says why).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/nsfs.h>

#include <netlink/socket.h>

#include "netns.h"
#include "netnsdirt.h"
#include "process.h"
#include "sockdiag.h"
#include "util.h"

static const char *const self_ns_paths[] = {
        "/proc/thread-self/ns/net", /* setns is per thread: this thread's */
        "/proc/self/ns/net",        /* kernels before 3.17 */
};

/* Index of ino in set, or where it would go (*found false). O(log n). */
static int cmp_ino(const void *key, const void *element)
{
        uint64_t a = *(const uint64_t *) key, b = ((const sa_netns *) element)->ino;

        return (a > b) - (a < b);
}

static size_t netns_find(const sa_netns_set *set, uint64_t ino, bool *found)
{
        return sa_lower_bound(&ino, set->items, set->n, sizeof *set->items, cmp_ino, found);
}

bool sa_netns_set_has(const sa_netns_set *set, uint64_t ino)
{
        bool found;

        netns_find(set, ino, &found);
        return found;
}

/* Inserts a new namespace at index at (from netns_find). -ENOMEM. */
static int netns_insert(sa_netns_set *set, size_t at, uint64_t ino, sa_netns **ret)
{
        if (set->n == set->cap) {
                size_t cap = set->cap ? set->cap * 2 : 8;
                sa_netns *items = realloc(set->items, cap * sizeof *items);
                if (!items)
                        return -ENOMEM;
                set->items = items;
                set->cap = cap;
        }
        memmove(&set->items[at + 1], &set->items[at], (set->n - at) * sizeof *set->items);
        set->items[at] = (sa_netns) { .ino = ino };
        set->n++;
        *ret = &set->items[at];
        return 0;
}

void sa_netns_drop_socket(sa_netns_set *set, sa_netns *ns)
{
        if (!ns->nl)
                return;
        nl_socket_free(ns->nl);
        ns->nl = NULL;
        if (!ns->self)
                set->kept--;
}

void sa_netns_socket_put(const sa_netns *ns, struct nl_sock *nl)
{
        if (nl && nl != ns->nl)
                nl_socket_free(nl);
}

static bool is_fd_exhaustion(int r)
{
        return r == -EMFILE || r == -ENFILE;
}

/* r (an fd or -errno) as the set's fd trouble when it is EMFILE/ENFILE. */
static int netns_note_fd(sa_netns_set *set, int r)
{
        if (is_fd_exhaustion(r)) {
                set->fd_failures++;
                set->last_fd_error = r;
        }
        return r;
}

/* A quarter of the soft fd limit, at most SA_NETNS_KEEP_MAX, at least 4. */
static size_t keep_max_for_limit(void)
{
        struct rlimit rl;
        size_t n = SA_NETNS_KEEP_MAX;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < n)
                n = rl.rlim_cur / 4;
        return n < 4 ? 4 : n;
}

/* dfd/name's first bytes into buf (NUL-terminated); false if unreadable. */
static bool read_prefix(int dfd, const char *name, char *buf, size_t size)
{
        int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        ssize_t n;

        if (fd < 0)
                return false;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n < 0)
                return false;
        buf[n] = '\0';
        return true;
}

uint64_t sa_netns_host_ino(const char *proc_root)
{
        char path[4096], status[512];
        struct stat st;
        uint64_t ino = 0;
        int dfd;

        if (!proc_root)
                proc_root = "/proc";
        /* kthreadd is pid 2 with no parent only in the initial PID namespace. */
        snprintf(path, sizeof path, "%s/2", proc_root);
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                if (read_prefix(dfd, "status", status, sizeof status) &&
                    strncmp(status, "Name:\tkthreadd\n", strlen("Name:\tkthreadd\n")) == 0 &&
                    strstr(status, "\nPPid:\t0\n") && fstatat(dfd, "ns/net", &st, 0) == 0)
                        ino = st.st_ino;
                close(dfd);
        }
        if (ino == 0) {
                snprintf(path, sizeof path, "%s/1/ns/net", proc_root);
                if (stat(path, &st) == 0)
                        ino = st.st_ino; /* EACCES on some hosts (FACTS.md) */
        }
        return ino;
}

int sa_netns_set_new(bool all, sa_netns_set **ret)
{
        sa_netns_set *set = calloc(1, sizeof *set);
        sa_netns *self;
        struct stat st;
        int r;

        if (!set)
                return -ENOMEM;
        set->self_fd = -1;
        set->proc_fd = -1;
        set->all = all;
        set->keep_max = keep_max_for_limit();
        for (size_t i = 0; i < sizeof self_ns_paths / sizeof self_ns_paths[0]; i++) {
                if (all)
                        set->self_fd = open(self_ns_paths[i], O_RDONLY | O_CLOEXEC);
                r = all ? (set->self_fd >= 0 ? fstat(set->self_fd, &st) : -1)
                        : stat(self_ns_paths[i], &st);
                if (r == 0) {
                        set->self_ino = st.st_ino;
                        set->nsfs_dev = st.st_dev;
                        break;
                }
                r = -errno;
                if (set->self_fd >= 0)
                        close(set->self_fd);
                set->self_fd = -1;
        }
        /* SELF mode tolerates an unreadable ns link (records say netns 0);
         * ALL mode needs the way back. */
        if (all && set->self_fd < 0)
                goto fail;
        set->host_ino = sa_netns_host_ino(NULL);

        r = netns_insert(set, 0, set->self_ino, &self);
        if (r < 0)
                goto fail;
        self->self = true;
        r = sa_sockdiag_open(&self->nl);
        if (r < 0)
                goto fail;
        *ret = set;
        return 0;
fail:
        sa_netns_set_free(set);
        return r;
}

sa_netns_set *sa_netns_set_free(sa_netns_set *set)
{
        if (!set)
                return NULL;
        for (size_t i = 0; i < set->n; i++)
                sa_netns_drop_socket(set, &set->items[i]);
        free(set->items);
        if (set->self_fd >= 0)
                close(set->self_fd);
        if (set->proc_fd >= 0)
                close(set->proc_fd);
        free(set);
        return NULL;
}

/* Whether ns is the host's namespace (sa_netns_set.host_ino's rule). */
static bool netns_is_host(const sa_netns_set *set, const sa_netns *ns)
{
        return set->host_ino != 0 ? ns->ino == set->host_ino : ns->self;
}

/*
 * Keeps the smallest name that fits (several names can share a namespace).
 * SA_NETNS_HOST_NAME is reserved: no other namespace gets it.
 */
static void netns_offer_name(const sa_netns_set *set, sa_netns *ns, const char *name)
{
        size_t len = strlen(name);

        if (len >= sizeof ns->name)
                return; /* a cut name would name something else */
        if (strcmp(name, SA_NETNS_HOST_NAME) == 0 && !netns_is_host(set, ns))
                return;
        if (ns->name[0] == '\0' || strcmp(name, ns->name) < 0)
                memcpy(ns->name, name, len + 1);
}

/*
 * Marks the namespace of the ns file dirfd/path (already stat'ed as st) as
 * found; ALL mode adds it when new. check: a name, which can be any nsfs
 * file: opened (one fd, closed at once) to ask its type (kernels before
 * 4.11 cannot tell: ENOTTY); a PID/ns/net needs no check, and no fd.
 * Returns the entry, NULL when it is not wanted. -ENOMEM.
 */
static int netns_found(sa_netns_set *set, int dirfd, const char *path,
                       const struct stat *st, bool check, sa_netns **ret)
{
        uint64_t ino = st->st_ino;
        sa_netns *ns;
        bool found;
        size_t at = netns_find(set, ino, &found);
        int r;

        *ret = NULL;
        if (!found && !set->all)
                return 0;
        if (!found && check) {
                int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

                if (fd < 0) {
                        netns_note_fd(set, -errno);
                        return 0; /* gone meanwhile, or no fd left: found next time */
                }
                r = ioctl(fd, NS_GET_NSTYPE);
                close(fd);
                if (r >= 0 && r != CLONE_NEWNET)
                        return 0;
        }
        if (found) {
                ns = &set->items[at];
        } else {
                r = netns_insert(set, at, ino, &ns);
                if (r < 0)
                        return r;
        }
        ns->seen = true;
        *ret = ns;
        return 0;
}

/*
 * Names from SA_NETNS_RUN_DIR; in ALL mode each named namespace is also
 * found. A file there that is not an nsfs mount (a stale name) is ignored;
 * so is a missing or unreadable directory: names are a courtesy.
 * One stat per name.
 */
static int netns_scan_names(sa_netns_set *set)
{
        DIR *d = opendir(SA_NETNS_RUN_DIR);
        struct dirent *de;
        int r = 0;

        if (!d) {
                if (errno == ENOENT)
                        return 0;
                netns_note_fd(set, -errno);
                /* Names unknown: those named before are not taken for gone. */
                for (size_t i = 0; i < set->n; i++)
                        set->items[i].seen |= set->items[i].named;
                return 0;
        }
        for (size_t i = 0; i < set->n; i++)
                set->items[i].named = false;
        while ((de = readdir(d))) {
                struct stat st;
                sa_netns *ns;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
                        continue;
                if (set->nsfs_dev != 0 && st.st_dev != set->nsfs_dev)
                        continue;
                r = netns_found(set, dirfd(d), de->d_name, &st, true, &ns);
                if (r < 0)
                        break;
                if (ns) {
                        ns->named = true;
                        netns_offer_name(set, ns, de->d_name);
                }
        }
        closedir(d);
        return r;
}

/* True when path is a procfs mount (not a fixture tree). One statfs. */
static bool is_procfs(const char *path)
{
        struct statfs sfs;

        return statfs(path, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* The pid d_name names, 0 if it is not a pid. */
static pid_t pid_of(const char *name)
{
        const char *c = name;

        if (*c < '1' || *c > '9')
                return 0;
        while (*c >= '0' && *c <= '9')
                c++;
        return *c == '\0' ? (pid_t) strtol(name, NULL, 10) : 0;
}

/*
 * ALL mode: the namespace of every process under proc_root. Reads the
 * directory kept open in set->proc_fd (opened at the first call) from its
 * start: no new fd, so that it works, and namespaces gone are dropped,
 * even when none is left. One fstatat of PID/ns/net per pid; pids
 * that vanish are ignored, unreadable ones (EACCES: /proc/1 here) counted
 * in *denied. -errno if proc_root cannot be opened or read, -ENOMEM.
 */
static int netns_scan_pids(sa_netns_set *set, const char *proc_root, unsigned *denied)
{
        char buf[16384] __attribute__((aligned(8)));
        uint64_t last = set->self_ino; /* most pids share a namespace */
        ssize_t n;

        if (set->proc_fd < 0) {
                set->proc_fd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (set->proc_fd < 0)
                        return netns_note_fd(set, -errno);
        }
        if (lseek(set->proc_fd, 0, SEEK_SET) < 0)
                return -errno;
        while ((n = getdents64(set->proc_fd, buf, sizeof buf)) > 0) {
                for (ssize_t off = 0; off < n;) {
                        const struct dirent64 *de = (const struct dirent64 *) (buf + off);
                        char path[sizeof de->d_name + sizeof "/ns/net"];
                        pid_t pid = pid_of(de->d_name);
                        struct stat st;
                        sa_netns *ns;
                        int r;

                        off += de->d_reclen;
                        if (pid == 0)
                                continue;
                        snprintf(path, sizeof path, "%s/ns/net", de->d_name);
                        if (fstatat(set->proc_fd, path, &st, 0) < 0) {
                                if (errno == EACCES || errno == EPERM)
                                        (*denied)++;
                                continue;
                        }
                        if (st.st_ino == last)
                                continue;
                        r = netns_found(set, set->proc_fd, path, &st, false, &ns);
                        if (r < 0)
                                return r;
                        if (ns) {
                                last = ns->ino;
                                if (ns->pid == 0)
                                        ns->pid = pid;
                        }
                }
        }
        return n < 0 ? -errno : 0;
}

/*
 * ns's file, opened again from what found it (its first pid, else its
 * name) and checked to be the same namespace. -ESRCH when neither leads to
 * it any more; -errno of the open (EMFILE...) otherwise.
 */
static int netns_open_file(sa_netns_set *set, const sa_netns *ns)
{
        char path[sizeof SA_NETNS_RUN_DIR + sizeof ns->name + 32];
        struct stat st;
        int fd;

        if (ns->pid > 0 && set->proc_fd >= 0) {
                snprintf(path, sizeof path, "%d/ns/net", (int) ns->pid);
                fd = openat(set->proc_fd, path, O_RDONLY | O_CLOEXEC);
        } else if (ns->named && ns->name[0] != '\0') {
                snprintf(path, sizeof path, "%s/%s", SA_NETNS_RUN_DIR, ns->name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
        } else if (ns->held.kind != SA_NSHOLDER_NONE && set->proc_fd >= 0) {
                fd = sa_nsholder_open(set->proc_fd, &ns->held, ns->ino);
                return fd == -ESRCH ? fd : netns_note_fd(set, fd);
        } else {
                return -ESRCH;
        }
        if (fd < 0)
                return is_fd_exhaustion(-errno) ? netns_note_fd(set, -errno) : -ESRCH;
        if (fstat(fd, &st) < 0 || st.st_ino != ns->ino ||
            (set->nsfs_dev != 0 && st.st_dev != set->nsfs_dev)) {
                close(fd); /* the pid was reused, the name remounted */
                return -ESRCH;
        }
        return fd;
}

/*
 * A socket made inside the namespace of fd (borrowed): setns into it, open,
 * setns back to the own namespace. *ret NULL (0) when it cannot be entered.
 * -errno when the way back failed (the thread is then left there),
 * -EMFILE/-ENFILE, -ENOMEM.
 */
static int netns_open_in(sa_netns_set *set, int fd, struct nl_sock **ret)
{
        struct nl_sock *nl = NULL;
        int r;

        *ret = NULL;
        if (setns(fd, CLONE_NEWNET) < 0)
                return 0; /* EPERM without CAP_SYS_ADMIN: skipped */
        r = sa_sockdiag_open(&nl);
        if (setns(set->self_fd, CLONE_NEWNET) < 0) {
                int e = -errno;
                if (nl)
                        nl_socket_free(nl);
                return e;
        }
        if (r == -ENOMEM || is_fd_exhaustion(r))
                return netns_note_fd(set, r);
        *ret = r < 0 ? NULL : nl;
        return 0;
}

/*
 * A socket made inside ns: open its file, make the socket in it
 * (netns_open_in()), close the file. *ret NULL (0) when it cannot be
 * entered or found. -errno as netns_open_in().
 */
static int netns_enter_open(sa_netns_set *set, sa_netns *ns, struct nl_sock **ret)
{
        int fd, r;

        *ret = NULL;
        if (set->self_fd < 0)
                return 0;
        fd = netns_open_file(set, ns);
        if (fd == -ESRCH)
                return 0;
        if (fd < 0)
                return fd;
        r = netns_open_in(set, fd, ret);
        close(fd);
        return r;
}

int sa_netns_socket_get(sa_netns_set *set, sa_netns *ns, struct nl_sock **ret)
{
        struct nl_sock *nl = NULL;
        int r;

        if (ns->nl) {
                *ret = ns->nl;
                return 0;
        }
        if (ns->self) {
                r = sa_sockdiag_open(&ns->nl); /* dropped after a failed dump */
                if (r < 0)
                        return netns_note_fd(set, r);
                *ret = ns->nl;
                return 0;
        }
        r = netns_enter_open(set, ns, &nl);
        if (r < 0)
                return r;
        if (nl && set->kept < set->keep_max && !ns->added) {
                ns->nl = nl;
                set->kept++;
        }
        *ret = nl;
        return 0;
}

/*
 * Learns ns's label (its container) from a process in it, once: the
 * scanner itself for the own namespace, else the first pid found in it.
 * An empty answer is asked again of another process, or of the same one
 * at the 2nd, 4th, 8th... refresh after it (a runtime may move its process
 * into the container's cgroup only after making the namespace): a few
 * reads over a namespace's life, not one per scan. A process that vanished
 * meanwhile leaves it for the next refresh. -ENOMEM only.
 */
static int netns_learn_label(sa_netns *ns, const char *proc_root)
{
        pid_t pid = ns->self ? 0 : ns->pid;
        char *name = NULL;
        int r;

        if (ns->labelled) {
                if (ns->label[0] != '\0')
                        return 0;
                ns->label_age++;
                if (pid == ns->label_pid && (ns->label_age & (ns->label_age - 1)) != 0)
                        return 0;
        }
        if (!ns->self && pid == 0)
                return 0; /* found by its name alone: no process to ask */
        r = sa_pid_container(proc_root, pid, &name);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (!ns->labelled || pid != ns->label_pid)
                ns->label_age = 0;
        ns->labelled = true;
        ns->label_pid = pid;
        ns->label[0] = '\0';
        if (name && strlen(name) < sizeof ns->label)
                memcpy(ns->label, name, strlen(name) + 1);
        free(name);
        return 0;
}

/*
 * Names every namespace of the set: the host's SA_NETNS_HOST_NAME, else
 * the /run/netns name already offered, else its label (learnt when
 * proc_root is live). -ENOMEM.
 */
static int netns_name_all(sa_netns_set *set, const char *proc_root)
{
        int live = -1; /* is_procfs(proc_root), asked only when needed */

        for (size_t i = 0; i < set->n; i++) {
                sa_netns *ns = &set->items[i];
                int r;

                /* Unknown host (0): the own namespace, unless `ip netns` names it. */
                ns->host = set->host_ino != 0 ? ns->ino == set->host_ino
                                              : ns->self && ns->name[0] == '\0';
                if (ns->host) {
                        snprintf(ns->name, sizeof ns->name, "%s", SA_NETNS_HOST_NAME);
                        continue;
                }
                if (ns->name[0] != '\0')
                        continue;
                if (live < 0)
                        live = is_procfs(proc_root);
                if (live) {
                        r = netns_learn_label(ns, proc_root);
                        if (r < 0)
                                return r;
                }
                memcpy(ns->name, ns->label, sizeof ns->name);
        }
        return 0;
}

int sa_netns_set_refresh(sa_netns_set *set, const char *proc_root, sa_scan_stats *stats)
{
        sa_scan_stats dummy = { 0 };
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        size_t k = 0;
        int r;

        if (!stats)
                stats = &dummy;
        if (!proc_root)
                proc_root = "/proc";
        for (size_t i = 0; i < set->n; i++) {
                set->items[i].seen = set->items[i].self;
                set->items[i].added = false;
                set->items[i].held.kind = SA_NSHOLDER_NONE;
                set->items[i].name[0] = '\0';
                set->items[i].pid = 0;
        }
        /* netns_scan_names() keeps those named before when it cannot read. */

        r = netns_scan_names(set);
        if (r >= 0 && set->all && is_procfs(proc_root))
                r = netns_scan_pids(set, proc_root, &stats->netns_denied);
        if (r < 0)
                goto out;

        /* Gone: no process, no name. Freeing the socket lets the kernel free it. */
        for (size_t i = 0; i < set->n; i++) {
                if (set->items[i].seen)
                        set->items[k++] = set->items[i];
                else
                        sa_netns_drop_socket(set, &set->items[i]);
        }
        set->n = k;
        r = netns_name_all(set, proc_root);

        /* Sockets kept for the first keep_max; the others are made per dump. */
        for (size_t i = 0; i < set->n && r >= 0; i++) {
                sa_netns *ns = &set->items[i];
                struct nl_sock *nl;

                if (ns->nl || (!ns->self && set->kept >= set->keep_max))
                        continue;
                r = sa_netns_socket_get(set, ns, &nl);
                if (r >= 0 || is_fd_exhaustion(r))
                        r = 0; /* counted; the dump fails if it must */
                else if (r != -ENOMEM && ns->self)
                        r = 0;
        }
        if (r >= 0)
                set->discovered = true;
out:
        stats->netns_usec += now_usec(CLOCK_MONOTONIC) - t0;
        return r < 0 ? r : 0;
}

/* Whether PROC_ROOT/pid/ns/net is the namespace ino: one stat. */
static bool pid_in_netns(const sa_netns_set *set, pid_t pid, uint64_t ino, struct stat *st)
{
        char path[32];

        snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        return pid > 0 && fstatat(set->proc_fd, path, st, 0) == 0 && st->st_ino == ino;
}

/*
 * A namespace added alone is named as a refresh would name it: its
 * /run/netns name (one readdir, a stat per name), else its label. -ENOMEM.
 */
/* ns's /run/netns names offered (one readdir, a stat per name). */
static void netns_offer_run_names(sa_netns_set *set, sa_netns *ns)
{
        DIR *d = opendir(SA_NETNS_RUN_DIR);
        struct dirent *de;
        struct stat st;

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
                    st.st_ino == ns->ino && (set->nsfs_dev == 0 || st.st_dev == set->nsfs_dev))
                        netns_offer_name(set, ns, de->d_name);
        if (d)
                closedir(d);
}

static int netns_name_added(sa_netns_set *set, sa_netns *ns)
{
        int r;

        netns_offer_run_names(set, ns);
        if (ns->name[0] != '\0')
                return 0;
        r = netns_learn_label(ns, "/proc");
        if (r >= 0)
                memcpy(ns->name, ns->label, sizeof ns->name);
        return r;
}

/*
 * Whether ns, joined now through pid, may be another namespace that got
 * its inode: nothing pins it (no kept socket, not the own one) and its
 * first process left it. One stat.
 */
static bool netns_in_doubt(const sa_netns_set *set, const sa_netns *ns, pid_t pid)
{
        struct stat st;

        if (ns->self || ns->nl || ns->pid == pid)
                return false;
        return !pid_in_netns(set, ns->pid, ns->ino, &st);
}

/*
 * The cookie of pid's namespace ino: a socket made in it. 0 when it cannot
 * be entered or pid left it. -EMFILE/-ENFILE, -ENOMEM, -errno of setns back.
 */
static int netns_cookie_of(sa_netns_set *set, pid_t pid, uint64_t ino, uint64_t *ret)
{
        char path[32];
        struct nl_sock *nl = NULL;
        struct stat st;
        int fd, r;

        *ret = 0;
        snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        fd = openat(set->proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return is_fd_exhaustion(-errno) ? netns_note_fd(set, -errno) : 0;
        r = fstat(fd, &st) == 0 && st.st_ino == ino ? netns_open_in(set, fd, &nl) : 0;
        close(fd);
        if (nl) {
                sa_netns cur = { .ino = ino };
                sa_netns_cookie_learn(&cur, nl);
                *ret = cur.cookie;
                nl_socket_free(nl);
        }
        return r;
}

/*
 * ns found again through pid while in doubt: the same namespace when its
 * cookie is known and equal (pid is its first process now), else (another
 * one got its inode, or the cookie is unknown) reset: its name, label and
 * cookie learnt again, dumped afresh (its old listeners dropped), added
 * through pid. -ESRCH when pid left it.
 */
static int netns_rejoin(sa_netns_set *set, sa_netns *ns, pid_t pid)
{
        uint64_t cookie;
        struct stat st;
        int r;

        if (!pid_in_netns(set, pid, ns->ino, &st))
                return -ESRCH;
        r = netns_cookie_of(set, pid, ns->ino, &cookie);
        if (r < 0)
                return r;
        if (cookie != 0 && cookie == ns->cookie) {
                ns->pid = pid;
                return 0;
        }
        *ns = (sa_netns) { .ino = ns->ino, .seen = true, .added = true, .pid = pid, .cookie = cookie };
        r = netns_name_added(set, ns);
        return r < 0 ? r : 1;
}

int sa_netns_set_add(sa_netns_set *set, pid_t pid, uint64_t ino)
{
        char path[32];
        struct stat st;
        size_t k = 0, added = 0, at;
        sa_netns *ns;
        bool found;
        int r;

        if (!set->all || !set->discovered || set->proc_fd < 0)
                return -EOPNOTSUPP;
        at = netns_find(set, ino, &found);
        if (found)
                return netns_in_doubt(set, &set->items[at], pid) ? netns_rejoin(set, &set->items[at], pid) : 0;
        /* Those added before whose process left: their socket would be made in vain. */
        for (size_t i = 0; i < set->n; i++) {
                sa_netns *o = &set->items[i];

                if (o->added && !pid_in_netns(set, o->pid, o->ino, &st)) {
                        sa_netns_drop_socket(set, o);
                        continue;
                }
                added += o->added;
                set->items[k++] = *o;
        }
        set->n = k;
        if (added >= SA_NETNS_ADDED_MAX)
                return -ENOSPC;
        if (!pid_in_netns(set, pid, ino, &st))
                return -ESRCH;
        snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        r = netns_found(set, set->proc_fd, path, &st, false, &ns);
        if (r < 0)
                return r;
        if (!ns)
                return -ESRCH;
        ns->added = true;
        ns->pid = pid;
        r = netns_name_added(set, ns);
        return r < 0 ? r : 1;
}

int sa_netns_set_learn_pid(sa_netns_set *set, pid_t pid)
{
        char path[32];
        struct stat st;

        if (!set->all || set->proc_fd < 0)
                return -EOPNOTSUPP;
        snprintf(path, sizeof path, "%d/ns/net", (int) pid);
        if (pid <= 0 || fstatat(set->proc_fd, path, &st, 0) < 0)
                return -ESRCH;
        return sa_netns_set_add(set, pid, st.st_ino);
}

int sa_netns_set_add_held(sa_netns_set *set, uint64_t ino, const sa_nsholder *h, int nsfd,
                          const char *name)
{
        size_t held = 0, at;
        struct nl_sock *nl = NULL;
        struct stat st;
        sa_netns *ns;
        bool found;
        int r;

        if (!set->all || set->self_fd < 0 || set->proc_fd < 0)
                return -EOPNOTSUPP;
        at = netns_find(set, ino, &found);
        if (found)
                return 0;
        for (size_t i = 0; i < set->n; i++)
                held += set->items[i].held.kind != SA_NSHOLDER_NONE;
        if (held >= set->keep_max)
                return -ENOSPC;
        if (set->kept < set->keep_max) {
                r = netns_open_in(set, nsfd, &nl);
                if (r < 0 && !is_fd_exhaustion(r))
                        return r;
        }
        r = netns_insert(set, at, ino, &ns);
        if (r < 0) {
                if (nl)
                        nl_socket_free(nl);
                return r;
        }
        ns->seen = true;
        ns->held = *h;
        /* Named under /run/netns since the refresh, or the holder lives in it (a
         * namespace made since): named as a refresh would, not by its holder. */
        netns_offer_run_names(set, ns);
        ns->named = ns->name[0] != '\0';
        if (!ns->named && pid_in_netns(set, h->pid, ino, &st)) {
                ns->pid = h->pid;
                r = netns_learn_label(ns, "/proc");
                memcpy(ns->name, ns->label, sizeof ns->name);
        } else if (!ns->named) {
                snprintf(ns->name, sizeof ns->name, "%s", name);
        }
        if (nl) {
                ns->nl = nl;
                set->kept++;
        }
        return r < 0 ? r : 1;
}
