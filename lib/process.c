/* SPDX-License-Identifier: MIT */
/*
 * Reading PROC_ROOT/PID: a process's comm, exe, argv, status and cgroup
 * (sa_process_read), and which container it runs in (sa_pid_container).
 * The cgroup path is named by cgroup.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "cgroup.h"
#include "rootpath.h"
#include "process.h"
#include "provtable.h"
#include "util.h"

/* Read bounds for each file (all are untrusted or unbounded in principle). */
#define COMM_MAX ((size_t) 1024)          /* TASK_COMM_LEN is 16; kthread names run longer */
/* PPid: and Uid: sit in the first ~600 bytes, NSpid: after Groups: (long for
 * a member of many groups); status is ~1.5 KiB, read in one go either way. */
#define STATUS_PREFIX_MAX ((size_t) 16 * 1024)
#define CGROUP_MAX ((size_t) 64 * 1024)
#define EXE_MAX ((size_t) 64 * 1024)
#define READ_CHUNK ((size_t) 4096)

static const char deleted_suffix[] = " (deleted)";

static bool is_vanished(int err)
{
        return err == ENOENT || err == ESRCH;
}

/* -errno after a failed call, never 0 (callers rely on r < 0 meaning failure). */
static int neg_errno(void)
{
        int e = errno;

        return e > 0 ? -e : -EIO;
}

/*
 * Reads up to max bytes of dirfd/name into a NUL-terminated heap buffer
 * (caller frees). *ret_more is set when the file holds more than max bytes;
 * pass NULL to read a prefix without that check. -errno on failure (output
 * untouched). Costs open, a read per 4 KiB (one more at the bound), close.
 */
static int read_file_at(int dirfd, const char *name, size_t max, char **ret_buf,
                        size_t *ret_len, bool *ret_more)
{
        size_t cap = max < READ_CHUNK ? max : READ_CHUNK, len = 0;
        bool more = false;
        char *buf;
        int fd, r;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return neg_errno();
        buf = malloc(cap + 1);
        if (!buf) {
                r = -ENOMEM;
                goto fail;
        }
        for (;;) {
                ssize_t n;

                if (len == cap) {
                        char *nbuf;

                        if (cap == max)
                                break;
                        cap = cap > max / 2 ? max : cap * 2;
                        nbuf = realloc(buf, cap + 1);
                        if (!nbuf) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        buf = nbuf;
                }
                n = read(fd, buf + len, cap - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = neg_errno();
                        goto fail;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                /*
                 * A short read is the end: the kernel renders comm, status and
                 * cgroup whole (single_open) and loops over cmdline's pages
                 * itself; regular files (fixtures) only end short at EOF. Saves
                 * a read per file.
                 */
                if (len < cap)
                        break;
        }
        if (len == max && ret_more) {
                char c;
                ssize_t n;

                do
                        n = read(fd, &c, 1);
                while (n < 0 && errno == EINTR);
                more = n > 0;
        }
        close(fd);
        buf[len] = '\0';
        *ret_buf = buf;
        *ret_len = len;
        if (ret_more)
                *ret_more = more;
        return 0;
fail:
        free(buf);
        close(fd);
        return r;
}

/* readlinkat of any length up to EXE_MAX into a heap string (caller frees). */
static int readlink_at(int dirfd, const char *name, char **ret)
{
        size_t size = 256;

        for (;;) {
                char *buf = malloc(size);
                ssize_t n;

                if (!buf)
                        return -ENOMEM;
                n = readlinkat(dirfd, name, buf, size);
                if (n < 0) {
                        int r = neg_errno();

                        free(buf);
                        return r;
                }
                if ((size_t) n < size) {
                        buf[n] = '\0';
                        *ret = buf;
                        return 0;
                }
                free(buf);
                if (size >= EXE_MAX)
                        return -ENAMETOOLONG;
                size *= 2;
        }
}

/*
 * Splits a cmdline of len bytes (NUL-separated, final NUL optional) into a
 * NULL-terminated array of separate copies. Empty input gives {NULL}.
 */
static int split_cmdline(const char *buf, size_t len, char ***ret_argv, size_t *ret_argc)
{
        size_t argc = 0, i = 0;
        char **argv;

        /* A process that rewrote its title (nginx: worker process) pads it
         * with NULs: trailing empty arguments are padding, as ps shows it. */
        while (len > 1 && buf[len - 1] == '\0' && buf[len - 2] == '\0')
                len--;
        for (size_t k = 0; k < len; k++)
                if (buf[k] == '\0')
                        argc++;
        if (len > 0 && buf[len - 1] != '\0')
                argc++;

        argv = calloc(argc + 1, sizeof(*argv));
        if (!argv)
                return -ENOMEM;
        for (size_t start = 0; start < len; i++) {
                size_t n = strnlen(buf + start, len - start);

                argv[i] = strndup(buf + start, n);
                if (!argv[i]) {
                        for (size_t k = 0; k < i; k++)
                                free(argv[k]);
                        free(argv);
                        return -ENOMEM;
                }
                start += n + 1;
        }
        *ret_argv = argv;
        *ret_argc = argc;
        return 0;
}

/* Value after "key" at the start of a line of s, or NULL. */
static const char *find_field(const char *s, const char *key)
{
        size_t klen = strlen(key);

        for (const char *p = s; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, klen) == 0)
                        return p + klen;
        return NULL;
}

/* Parses a decimal field value up to max (leading blanks allowed). false if none. */
static bool parse_field(const char *s, uint64_t max, uint64_t *ret)
{
        const char *end;

        s += strspn(s, " \t");
        return sa_parse_uint(s, max, &end, ret) == 0 &&
               (*end == '\0' || *end == '\n' || *end == ' ' || *end == '\t');
}

/*
 * The innermost pid from a status prefix's "NSpid:\tOUTER\t...\tINNER" line
 * (one pid per nested PID namespace, from proc's own namespace inward):
 * INNER when there are several and it differs from OUTER, else 0 (also when
 * the line is missing: kernels before 4.1, or a prefix cut before it).
 */
static pid_t parse_nspid(const char *s)
{
        const char *v = find_field(s, "NSpid:");
        unsigned long first = 0, last = 0, x;
        size_t n = 0;

        if (!v)
                return 0;
        for (;;) {
                char *end;

                v += strspn(v, " \t");
                if (*v < '0' || *v > '9')
                        break;
                errno = 0;
                x = strtoul(v, &end, 10);
                if (errno != 0 || x > INT_MAX)
                        return 0;
                if (n++ == 0)
                        first = x;
                last = x;
                v = end;
        }
        if (*v != '\n' && *v != '\0')
                return 0;
        return n > 1 && last != first ? (pid_t) last : 0;
}

/* True when a status prefix says the task is exiting: "State:\tZ (zombie)" or "X (dead)". */
static bool status_exiting(const char *s)
{
        const char *st = find_field(s, "State:");

        if (!st)
                return false;
        st += strspn(st, " \t");
        return *st == 'Z' || *st == 'X';
}

/* PPid and effective uid from a status prefix, each set when found. false if either is missing. */
static bool parse_status(const char *s, pid_t *ppid, uid_t *uid)
{
        const char *pp = find_field(s, "PPid:"), *u = find_field(s, "Uid:");
        uint64_t v;
        bool ok = true;

        if (pp && parse_field(pp, INT_MAX, &v))
                *ppid = (pid_t) v;
        else
                ok = false;
        if (u) {
                /* Uid:\treal\teffective\tsaved\tfs */
                u += strspn(u, " \t");
                u += strcspn(u, " \t\n");
        }
        if (u && parse_field(u, (uid_t) -1 - 1, &v))
                *uid = (uid_t) v;
        else
                ok = false;
        return ok;
}

/*
 * The cgroup path from /proc/PID/cgroup: the v2 line "0::PATH", or when that
 * is missing or "/" the v1 "N:name=systemd:PATH" line, or else "/" if v2
 * said so. Lines are "ID:CONTROLLERS:PATH"; PATH may itself contain ':'.
 * NULL in *ret when neither is there. -ENOMEM.
 */
static int parse_cgroup(const char *s, char **ret)
{
        const char *v2 = NULL, *v1 = NULL;
        size_t v2len = 0, v1len = 0;

        for (const char *line = s; *line;) {
                size_t len = strcspn(line, "\n");
                const char *c1 = memchr(line, ':', len);
                const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t) (c1 + 1 - line)) : NULL;

                if (c2) {
                        const char *path = c2 + 1;
                        size_t pathlen = len - (size_t) (path - line);
                        size_t ctl_len = (size_t) (c2 - c1 - 1);
                        bool is_v2 = c1 == line + 1 && line[0] == '0' && ctl_len == 0;
                        bool is_sd = ctl_len == strlen("name=systemd") &&
                                     memcmp(c1 + 1, "name=systemd", ctl_len) == 0;

                        if (is_v2 && !v2) {
                                v2 = path;
                                v2len = pathlen;
                        } else if (is_sd && !v1) {
                                v1 = path;
                                v1len = pathlen;
                        }
                }
                line += len;
                if (*line == '\n')
                        line++;
        }

        /* v2, unless it is missing or "/": then name=systemd, if there. */
        if (v1 && v1len > 0 && (!v2 || (v2len == 1 && v2[0] == '/'))) {
                v2 = v1;
                v2len = v1len;
        }
        if (!v2 || v2len == 0) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(v2, v2len);
        return *ret ? 0 : -ENOMEM;
}

/* ---- sa_pid_container: its cgroup file, named by cgroup.c ---- */

int sa_pid_container(const char *proc_root, pid_t pid, char **ret)
{
        char path[PATH_MAX], *buf = NULL, *cgroup = NULL, *name = NULL;
        size_t len = 0;
        bool live;
        int dfd, r;

        if (pid < 0 || !ret)
                return -EINVAL;
        if (!proc_root)
                proc_root = "/proc";
        live = strcmp(proc_root, "/proc") == 0;
        if (pid == 0)
                r = snprintf(path, sizeof path, "%s/self", proc_root);
        else
                r = snprintf(path, sizeof path, "%s/%d", proc_root, (int) pid);
        if (r < 0 || (size_t) r >= sizeof path)
                return -ENAMETOOLONG;

        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return is_vanished(errno) ? -ESRCH : neg_errno();
        r = read_file_at(dfd, "cgroup", CGROUP_MAX, &buf, &len, NULL);
        close(dfd);
        if (r < 0)
                return is_vanished(-r) ? -ESRCH : r;
        r = parse_cgroup(buf, &cgroup);
        free(buf);
        if (r >= 0 && cgroup) {
                /* systemd-machined's registry first: it knows names, not just ids. */
                if (live)
                        name = sa_cgroup_machined_name(cgroup);
                if (!name)
                        r = sa_cgroup_container(cgroup, &name);
        }
        free(cgroup);
        if (r < 0)
                return r;
        *ret = name;
        return 0;
}

/* ---- sa_process_read ---- */

/* *dst = a copy of src (NULL stays NULL). -ENOMEM. */
static int dup_or_null(char **dst, const char *src)
{
        *dst = src ? strdup(src) : NULL;
        return src && !*dst ? -ENOMEM : 0;
}

int sa_process_copy(const sa_process *src, sa_process **ret)
{
        sa_process *p = calloc(1, sizeof *p);
        size_t argc = src->argv ? src->argc : 0;

        if (!p)
                return -ENOMEM;
        *p = (sa_process) { .pid = src->pid, .ppid = src->ppid, .nspid = src->nspid, .uid = src->uid,
                            .exe_deleted = src->exe_deleted, .exe_replaced = src->exe_replaced,
                            .argc = argc, .argv_truncated = src->argv_truncated, .incomplete = src->incomplete };
        p->argv = calloc(argc + 1, sizeof *p->argv);
        if (!p->argv || dup_or_null(&p->comm, src->comm) < 0 || dup_or_null(&p->exe, src->exe) < 0 ||
            dup_or_null(&p->user, src->user) < 0 || dup_or_null(&p->unit, src->unit) < 0 ||
            dup_or_null(&p->user_unit, src->user_unit) < 0 || dup_or_null(&p->cgroup, src->cgroup) < 0)
                goto nomem;
        for (size_t i = 0; i < argc; i++)
                if (dup_or_null(&p->argv[i], src->argv[i]) < 0 || !p->argv[i])
                        goto nomem;
        *ret = p;
        return 0;
nomem:
        sa_process_free(p);
        return -ENOMEM;
}

sa_process *sa_process_free(sa_process *p)
{
        if (!p)
                return NULL;
        free(p->comm);
        free(p->exe);
        if (p->argv_block)
                sa_argv_unref(p->argv_block);
        else if (p->argv) {
                for (size_t i = 0; p->argv[i]; i++)
                        free(p->argv[i]);
                free(p->argv);
        }
        free(p->user);
        free(p->unit);
        free(p->user_unit);
        free(p->cgroup);
        sa_exe_provenance_unref(p->provenance);
        free(p);
        return NULL;
}

/* What sa_process_read() has managed so far. */
typedef struct read_state {
        bool got_any;
        int first_err;          /* a vanished error if any, else the first */
} read_state;

/*
 * Notes the outcome r of one read: fatal errors (-ENOMEM) are returned;
 * others mark p incomplete and are remembered.
 */
static int note(read_state *st, sa_process *p, int r)
{
        if (r >= 0) {
                st->got_any = true;
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        p->incomplete = true;
        if (st->first_err == 0 || (is_vanished(-r) && !is_vanished(-st->first_err)))
                st->first_err = r;
        return 0;
}

static int read_comm(int dfd, sa_process *p)
{
        size_t len = 0;
        char *buf = NULL;
        int r = read_file_at(dfd, "comm", COMM_MAX, &buf, &len, NULL);

        if (r < 0)
                return r;
        if (len > 0 && buf[len - 1] == '\n')
                buf[len - 1] = '\0';
        p->comm = buf;
        return 0;
}

/* exe, "(deleted)" suffix stripped. ENOENT (kernel thread, zombie) is not an error. */
static int read_exe(int dfd, sa_process *p)
{
        size_t len, slen = strlen(deleted_suffix);
        char *buf = NULL;
        int r = readlink_at(dfd, "exe", &buf);

        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return r;
        len = strlen(buf);
        if (len > slen && memcmp(buf + len - slen, deleted_suffix, slen) == 0) {
                buf[len - slen] = '\0';
                p->exe_deleted = true;
        }
        p->exe = buf;
        return 0;
}

/*
 * Whether the file at the exe path, seen from the process's own root, is
 * no longer the image it runs (replaced on disk since it started). The
 * path is resolved inside that root (sa_root_open: its owner's symlinks
 * cannot lead to the daemon's files). Costs two opens and two stats;
 * unknown (no root link, path gone) counts as not replaced.
 */
static void check_exe_replaced(int dfd, sa_process *p)
{
        _cleanup_close_ int root_fd = -1, fd = -1;
        struct stat running, on_disk;

        if (!p->exe || p->exe_deleted || p->exe[0] != '/')
                return;
        if (fstatat(dfd, "exe", &running, 0) < 0)
                return;
        root_fd = openat(dfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return;
        fd = sa_root_open(root_fd, p->exe, O_PATH);
        if (fd < 0 || fstat(fd, &on_disk) < 0)
                return;
        p->exe_replaced = running.st_dev != on_disk.st_dev || running.st_ino != on_disk.st_ino;
}

static int read_cmdline(int dfd, sa_process *p)
{
        size_t len = 0;
        bool more = false;
        char *buf = NULL;
        int r = read_file_at(dfd, "cmdline", SA_CMDLINE_MAX, &buf, &len, &more);

        if (r < 0)
                return r;
        r = split_cmdline(buf, len, &p->argv, &p->argc);
        free(buf);
        if (r < 0)
                return r;
        p->argv_truncated = more;
        return 0;
}

static int read_status(int dfd, sa_process *p)
{
        size_t len = 0;
        char *buf = NULL;
        int r = read_file_at(dfd, "status", STATUS_PREFIX_MAX, &buf, &len, NULL);

        if (r < 0)
                return r;
        if (!parse_status(buf, &p->ppid, &p->uid))
                r = -ENODATA;
        else if (status_exiting(buf))
                r = -ESRCH;     /* its details are going or gone: as if vanished */
        p->nspid = parse_nspid(buf);
        free(buf);
        return r;
}

static int read_cgroup(int dfd, sa_process *p)
{
        size_t len = 0;
        char *buf = NULL;
        int r = read_file_at(dfd, "cgroup", CGROUP_MAX, &buf, &len, NULL);

        if (r < 0)
                return r;
        r = parse_cgroup(buf, &p->cgroup);
        free(buf);
        if (r < 0 || !p->cgroup)
                return r;
        return sa_cgroup_units(p->cgroup, &p->unit, &p->user_unit);
}

/* Kernel threads have no exe link: kthreadd (pid 2) and its children. */
static bool is_kernel_thread(const sa_process *p)
{
        return p->pid == 2 || p->ppid == 2;
}

/* One attempt of sa_process_read(). */
static int process_read_once(const char *proc_root, pid_t pid, sa_usercache *users,
                             sa_process **ret)
{
        read_state st = { 0 };
        bool no_exe = false;
        char path[PATH_MAX];
        sa_process *p;
        int dfd, r;

        if (pid <= 0 || !ret)
                return -EINVAL;
        if (!proc_root)
                proc_root = "/proc";
        r = snprintf(path, sizeof(path), "%s/%d", proc_root, (int) pid);
        if (r < 0 || (size_t) r >= sizeof(path))
                return -ENAMETOOLONG;
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return is_vanished(errno) ? -ESRCH : neg_errno();

        p = calloc(1, sizeof(*p));
        if (!p) {
                close(dfd);
                return -ENOMEM;
        }
        p->pid = pid;
        p->uid = (uid_t) -1; /* unknown until status is read; ppid stays 0 */

        r = note(&st, p, read_comm(dfd, p));
        if (r >= 0) {
                int e = read_exe(dfd, p);

                /* No exe link is normal for kernel threads, judged once
                 * status gave the ppid; for others it means exiting. */
                no_exe = e == 1;
                r = no_exe ? 0 : note(&st, p, e);
                check_exe_replaced(dfd, p);
        }
        if (r >= 0)
                r = note(&st, p, read_cmdline(dfd, p));
        if (r >= 0)
                r = note(&st, p, read_status(dfd, p));
        if (r >= 0)
                r = note(&st, p, read_cgroup(dfd, p));
        close(dfd);
        if (r < 0)
                goto fail;
        if (no_exe && st.got_any && !is_kernel_thread(p))
                p->incomplete = true;

        if (!st.got_any) {
                r = is_vanished(-st.first_err) ? -ESRCH : st.first_err;
                goto fail;
        }
        if (!p->argv) {
                p->argv = calloc(1, sizeof(*p->argv));
                if (!p->argv) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        if (users && p->uid != (uid_t) -1) {
                const char *name = sa_usercache_name(users, p->uid);

                if (name) {
                        p->user = strdup(name);
                        if (!p->user) {
                                r = -ENOMEM;
                                goto fail;
                        }
                }
        }
        *ret = p;
        return 0;
fail:
        sa_process_free(p);
        return r;
}

int sa_process_read(const char *proc_root, pid_t pid, sa_usercache *users,
                    sa_process **ret)
{
        sa_process *p = NULL, *again = NULL;
        int r = process_read_once(proc_root, pid, users, &p);

        if (r < 0)
                return r;
        /* A read that raced with something (an exit, an exec): once more,
         * and the second answer stands when there is one. */
        if (p->incomplete) {
                r = process_read_once(proc_root, pid, users, &again);
                if (r == -ENOMEM) {
                        sa_process_free(p);
                        return r;
                }
                if (r >= 0) {
                        sa_process_free(p);
                        p = again;
                }
        }
        *ret = p;
        return 0;
}
