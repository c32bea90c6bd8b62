/* SPDX-License-Identifier: MIT */
/* Details of one process from PROC_ROOT/PID: comm, exe, argv, status, cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "process.h"
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
                 * a read per file (~2 µs on a VM).
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

/* ---- sa_cgroup_units: systemd's cg_path_get_unit / cg_path_get_user_unit ---- */

static bool unit_char_ok(char c, bool instance)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' ||
               (instance && c == '@');
}

/*
 * systemd's unit_name_is_valid(): "prefix.type", or with allow_instance also
 * "prefix@instance.type" (non-empty instance; templates are refused), with
 * a known type.
 */
static bool unit_name_valid(const char *s, size_t n, bool allow_instance)
{
        static const char *const types[] = {
                "service", "socket", "target", "device", "mount", "automount",
                "swap", "timer", "path", "slice", "scope",
        };
        const char *dot = NULL, *at;
        bool type_ok = false;

        if (n == 0 || n >= 256)
                return false;
        for (size_t i = n; i > 0; i--)
                if (s[i - 1] == '.') {
                        dot = s + i - 1;
                        break;
                }
        if (!dot || dot == s)
                return false;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if ((size_t) (s + n - dot - 1) == strlen(types[i]) &&
                    memcmp(dot + 1, types[i], strlen(types[i])) == 0)
                        type_ok = true;
        if (!type_ok)
                return false;

        at = memchr(s, '@', (size_t) (dot - s));
        if (at && !allow_instance)
                return false;
        if (at && (at == s || at + 1 == dot))
                return false; /* no prefix, or a template */
        for (const char *p = s; p < dot; p++)
                if (p != at && !unit_char_ok(*p, at && p > at))
                        return false;
        return true;
}

/* systemd escapes cgroup names that could clash with kernel files with '_'. */
static void cg_unescape(const char **p, size_t *n)
{
        if (*n > 0 && (*p)[0] == '_') {
                (*p)++;
                (*n)--;
        }
}

/* Length of the path component at p (after skipping '/'), start in *ret_start. */
static size_t component(const char *p, const char **ret_start)
{
        p += strspn(p, "/");
        *ret_start = p;
        return strcspn(p, "/");
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
        size_t sl = strlen(suffix);

        return n >= sl && memcmp(s + n - sl, suffix, sl) == 0;
}

/* Skips leading "*.slice" components that are valid slice names. */
static const char *skip_slices(const char *p)
{
        for (;;) {
                const char *c, *u;
                size_t n = component(p, &c), un = n;

                u = c;
                cg_unescape(&u, &un);
                if (!ends_with(u, un, ".slice") || !unit_name_valid(u, un, false))
                        return c;
                p = c + n;
        }
}

/* First component of p if it is a unit name (not a slice): a copy, or NULL. */
static int first_unit(const char *p, char **ret)
{
        const char *c;
        size_t n = component(p, &c);

        cg_unescape(&c, &n);
        if (!unit_name_valid(c, n, true) || ends_with(c, n, ".slice")) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(c, n);
        return *ret ? 0 : -ENOMEM;
}

/* Past a "user@UID.service" component at p (UID numeric), or NULL. */
static const char *skip_user_manager(const char *p)
{
        const char *c;
        size_t n = component(p, &c);

        if (n < strlen("user@x.service") || memcmp(c, "user@", 5) != 0 ||
            !ends_with(c, n, ".service"))
                return NULL;
        for (const char *d = c + 5; d < c + n - strlen(".service"); d++)
                if (*d < '0' || *d > '9')
                        return NULL;
        return c + n;
}

/* Past a "session-ID.scope" component at p (ID alphanumeric), or NULL. */
static const char *skip_session(const char *p)
{
        const char *c;
        size_t n = component(p, &c);

        if (n < strlen("session-x.scope") || memcmp(c, "session-", 8) != 0 ||
            !ends_with(c, n, ".scope"))
                return NULL;
        for (const char *d = c + 8; d < c + n - strlen(".scope"); d++)
                if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'z') ||
                      (*d >= 'A' && *d <= 'Z')))
                        return NULL;
        return c + n;
}

int sa_cgroup_units(const char *cgroup, char **ret_unit, char **ret_user_unit)
{
        const char *sys, *user;
        char *unit = NULL, *user_unit = NULL;
        int r;

        if (!cgroup || !ret_unit || !ret_user_unit)
                return -EINVAL;

        sys = skip_slices(cgroup);
        r = first_unit(sys, &unit);
        if (r < 0)
                return r;

        user = skip_user_manager(sys);
        if (!user)
                user = skip_session(sys);
        if (user) {
                r = first_unit(skip_slices(user), &user_unit);
                if (r < 0) {
                        free(unit);
                        return r;
                }
        }
        *ret_unit = unit;
        *ret_user_unit = user_unit;
        return 0;
}

/* ---- sa_cgroup_container: the container a cgroup path belongs to ---- */

#define CONTAINER_ID_LEN 64     /* docker, podman, containerd, CRI-O: sha256 hex */
#define CONTAINER_ID_SHORT 12   /* what `docker ps` shows */
#define CONTAINER_NAME_MAX 63   /* longest name returned (fits netns_name) */

static bool is_hex_id(const char *s, size_t n)
{
        if (n != CONTAINER_ID_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* c (n bytes) is PREFIX<64 hex>SUFFIX: the id's start, else NULL. */
static const char *id_between(const char *c, size_t n, const char *prefix, const char *suffix)
{
        size_t pl = strlen(prefix), sl = strlen(suffix);

        if (n != pl + CONTAINER_ID_LEN + sl || memcmp(c, prefix, pl) != 0 ||
            !ends_with(c, n, suffix) || !is_hex_id(c + pl, CONTAINER_ID_LEN))
                return NULL;
        return c + pl;
}

static int hex_value(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
               c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Tool "KIND:" plus the short form of a 64-hex id. -ENOMEM. */
static int short_id(const char *kind, const char *id, char **ret)
{
        char *s = NULL;

        if (asprintf(&s, "%s:%.*s", kind, (int) CONTAINER_ID_SHORT, id) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/*
 * A machine name from "machine-NAME.scope" (NAME unit-escaped: "\x2d" is
 * '-'), checked to be printable ASCII without '/' and short enough; NULL in
 * *ret when it is not. -ENOMEM.
 */
static int machine_name(const char *c, size_t n, char **ret)
{
        const char *p = c + strlen("machine-"), *end = c + n - strlen(".scope");
        char buf[CONTAINER_NAME_MAX + 1];
        size_t len = 0;

        *ret = NULL;
        while (p < end) {
                char ch = *p;

                if (ch == '\\') {
                        int hi = end - p >= 4 && p[1] == 'x' ? hex_value(p[2]) : -1;
                        int lo = hi >= 0 ? hex_value(p[3]) : -1;

                        if (lo < 0)
                                return 0;
                        ch = (char) (hi * 16 + lo);
                        p += 4;
                } else {
                        p++;
                }
                if (ch <= ' ' || ch > '~' || ch == '/' || len == CONTAINER_NAME_MAX)
                        return 0;
                buf[len++] = ch;
        }
        if (len == 0)
                return 0;
        buf[len] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int sa_cgroup_container(const char *cgroup, char **ret)
{
        const char *p = cgroup, *prev = NULL, *c;
        size_t prev_n = 0, n;
        char *best = NULL;
        bool payload = false;

        if (!cgroup || !ret)
                return -EINVAL;
        /* Every component is looked at; the innermost container wins. */
        for (; (n = component(p, &c)) > 0; prev = c, prev_n = n, p = c + n) {
                const char *id;
                char *found = NULL;
                int r = 0;

                if ((id = id_between(c, n, "docker-", ".scope")))
                        r = short_id("docker", id, &found);
                else if (prev && prev_n == strlen("docker") && !memcmp(prev, "docker", prev_n) &&
                         is_hex_id(c, n))
                        r = short_id("docker", c, &found);
                else if ((id = id_between(c, n, "libpod-", ".scope")) ||
                         (id = id_between(c, n, "libpod-", "")))
                        r = short_id("podman", id, &found);
                else if ((id = id_between(c, n, "cri-containerd-", ".scope")))
                        r = short_id("containerd", id, &found);
                else if ((id = id_between(c, n, "crio-", ".scope")))
                        r = short_id("crio", id, &found);
                else if (prev && prev_n == strlen("machine.slice") &&
                         !memcmp(prev, "machine.slice", prev_n) &&
                         n > strlen("machine-.scope") && !memcmp(c, "machine-", 8) &&
                         ends_with(c, n, ".scope"))
                        r = machine_name(c, n, &found);
                else if (n == strlen("payload") && !memcmp(c, "payload", n))
                        payload = true;
                if (r < 0) {
                        free(best);
                        return r;
                }
                if (found) {
                        free(best);
                        best = found;
                }
        }
        if (!best && payload) {
                best = strdup("container");
                if (!best)
                        return -ENOMEM;
        }
        *ret = best;
        return 0;
}


/* True when name is fit for a namespace name: printable, no '/', short. */
static bool container_name_ok(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > CONTAINER_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
                        return false;
        return true;
}

/*
 * The machine name systemd-machined registered for the unit of a cgroup, as
 * sd_pid_get_machine_name() finds it (a readlink of
 * /run/systemd/machines/unit:UNIT), without linking libsystemd into every
 * user of the library. NULL when there is none. Caller frees.
 */
static char *machined_name(const char *cgroup)
{
        char *unit = NULL, *user_unit = NULL, path[PATH_MAX], target[256], *name = NULL;
        ssize_t n;

        if (sa_cgroup_units(cgroup, &unit, &user_unit) < 0 || !unit)
                goto out;
        if (snprintf(path, sizeof path, "/run/systemd/machines/unit:%s", unit) >= (int) sizeof path)
                goto out;
        n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
                goto out;
        target[n] = '\0';
        if (container_name_ok(target))
                name = strdup(target);
out:
        free(unit);
        free(user_unit);
        return name;
}

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
                        name = machined_name(cgroup);
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

sa_process *sa_process_free(sa_process *p)
{
        if (!p)
                return NULL;
        free(p->comm);
        free(p->exe);
        if (p->argv)
                for (size_t i = 0; p->argv[i]; i++)
                        free(p->argv[i]);
        free(p->argv);
        free(p->user);
        free(p->unit);
        free(p->user_unit);
        free(p->cgroup);
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
 * no longer the image it runs (replaced on disk since it started). Costs
 * two stats; unknown (no root link, path gone) counts as not replaced.
 */
static void check_exe_replaced(int dfd, sa_process *p)
{
        struct stat running, on_disk;
        char path[PATH_MAX];

        if (!p->exe || p->exe_deleted || p->exe[0] != '/')
                return;
        if (snprintf(path, sizeof(path), "root%s", p->exe) >= (int) sizeof(path))
                return;
        if (fstatat(dfd, "exe", &running, 0) < 0 || fstatat(dfd, path, &on_disk, 0) < 0)
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

int sa_process_read(const char *proc_root, pid_t pid, sa_usercache *users,
                    sa_process **ret)
{
        read_state st = { 0 };
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

                /* No exe link is normal for kernel threads: not incomplete. */
                r = e == 1 ? 0 : note(&st, p, e);
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
