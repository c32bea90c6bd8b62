/* SPDX-License-Identifier: MIT */
/*
 * uid -> user name, cached (hits and misses) in a small open-addressing
 * hash. A statically linked program cannot load glibc's NSS modules (sssd,
 * LDAP, systemd): it asks getent(1), once for the whole table and once per
 * uid missing from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usercache.h"

/*
 * A weak reference: a static link (the CLI) does not pull getpwuid_r and
 * glibc's NSS code in for it (ld would warn that they need the shared
 * libraries at run time), and it is NULL there; a dynamic link binds it to
 * libc as usual.
 */
#pragma weak getpwuid_r

typedef struct usercache_entry {
        uid_t uid;
        bool used;
        char *name;             /* NULL: uid has no name (cached miss) */
} usercache_entry;

struct sa_usercache {
        usercache_entry *entries;
        size_t cap;             /* power of two */
        size_t n;
        bool listed;            /* static: `getent passwd` was read */
};

#define GETENT "/usr/bin/getent"
/* Output of getent read at most (a big directory's whole table). */
#define GETENT_MAX ((size_t) 16 * 1024 * 1024)

#define USERCACHE_MIN_CAP 32u
/* getpwuid_r buffer bounds: start at the libc hint, give up past this. */
#define PW_BUF_MAX ((size_t) 1024 * 1024)

static size_t uid_hash(uid_t uid)
{
        return (uint32_t) ((uint32_t) uid * UINT32_C(2654435769));
}

static usercache_entry *find_slot(usercache_entry *entries, size_t cap, uid_t uid)
{
        size_t mask = cap - 1, pos = uid_hash(uid) & mask;

        while (entries[pos].used && entries[pos].uid != uid)
                pos = (pos + 1) & mask;
        return &entries[pos];
}

static int grow(sa_usercache *c)
{
        size_t cap = c->cap * 2;
        usercache_entry *entries;

        if (cap < c->cap)
                return -ENOMEM;
        entries = calloc(cap, sizeof(*entries));
        if (!entries)
                return -ENOMEM;
        for (size_t i = 0; i < c->cap; i++)
                if (c->entries[i].used)
                        *find_slot(entries, cap, c->entries[i].uid) = c->entries[i];
        free(c->entries);
        c->entries = entries;
        c->cap = cap;
        return 0;
}

/*
 * Looks uid up with getpwuid_r, growing the buffer on ERANGE. 0 and a copy
 * of the name (NULL when uid has none) in *ret_name; -ENOMEM, or -errno of
 * a lookup that failed for another reason (not worth caching).
 */
static int lookup(uid_t uid, char **ret_name)
{
        struct passwd pw, *res = NULL;
        long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
        size_t size = hint > 0 && hint <= (long) PW_BUF_MAX ? (size_t) hint : 1024;
        char *buf = NULL, *name = NULL;
        int r;

        for (;;) {
                char *nbuf = realloc(buf, size);

                if (!nbuf) {
                        free(buf);
                        return -ENOMEM;
                }
                buf = nbuf;
                r = getpwuid_r(uid, &pw, buf, size, &res);
                if (r != ERANGE)
                        break;
                if (size >= PW_BUF_MAX) {
                        free(buf);
                        return -ERANGE;
                }
                size *= 2;
        }

        /* "Not found" comes back as 0, ENOENT, ESRCH, EBADF or EPERM (getpwnam(3)). */
        if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM) {
                if (res && res->pw_name) {
                        name = strdup(res->pw_name);
                        if (!name) {
                                free(buf);
                                return -ENOMEM;
                        }
                }
                free(buf);
                *ret_name = name;
                return 0;
        }
        free(buf);
        return -r;
}

/*
 * No dynamic loader (AT_BASE 0): NSS modules cannot be loaded here, even
 * when something else linked getpwuid_r in.
 */
static bool is_static(void)
{
        return getauxval(AT_BASE) == 0 || !getpwuid_r;
}

/*
 * Runs getent passwd [KEY]: its output (NUL-terminated, caller frees) in
 * *ret; 0 also when nothing matched; -errno when it could not be run.
 */
static int run_getent(const char *key, char **ret)
{
        char *argv[] = { (char *) "getent", (char *) "passwd", (char *) key, NULL };
        posix_spawn_file_actions_t fa;
        char *out = NULL;
        size_t len = 0, cap = 0;
        int pipefd[2], r, status;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawn(&pid, GETENT, &fa, NULL, argv, NULL);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return -r;
        }
        for (;;) {
                ssize_t n;

                if (cap - len < 4096) {
                        char *o = cap >= GETENT_MAX ? NULL : realloc(out, cap ? cap * 2 : 8192);
                        if (!o)
                                break;  /* too much, or no memory: what we have */
                        out = o;
                        cap = cap ? cap * 2 : 8192;
                }
                n = read(pipefd[0], out + len, cap - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!out)
                out = strdup("");
        if (!out)
                return -ENOMEM;
        out[len] = '\0';
        *ret = out;
        return 0;
}

static int cache_put(sa_usercache *c, uid_t uid, char *name);

/* Caches every "name:pw:uid:..." line of text (the first of a uid wins). */
static int cache_passwd_lines(sa_usercache *c, char *text)
{
        for (char *line = text, *next; line && *line; line = next) {
                char *f1, *f2, *end;
                unsigned long uid;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                f1 = strchr(line, ':');
                f2 = f1 ? strchr(f1 + 1, ':') : NULL;
                if (!f2 || f1 == line)
                        continue;
                errno = 0;
                uid = strtoul(f2 + 1, &end, 10);
                if (errno || *end != ':' || end == f2 + 1 || uid > (uid_t) -1)
                        continue;
                if (find_slot(c->entries, c->cap, (uid_t) uid)->used)
                        continue;
                *f1 = '\0';
                char *name = strdup(line);
                if (!name || cache_put(c, (uid_t) uid, name) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/*
 * lookup() for a static program: the whole table once (1 when that cached
 * uid), then uid by uid.
 */
static int lookup_getent(sa_usercache *c, uid_t uid, char **ret_name)
{
        char key[24], *out = NULL;
        int r;

        if (!c->listed) {
                c->listed = true;
                if (run_getent(NULL, &out) == 0) {
                        r = cache_passwd_lines(c, out);
                        free(out);
                        if (r < 0)
                                return r;
                        out = NULL;
                }
                if (find_slot(c->entries, c->cap, uid)->used)
                        return 1;
        }
        snprintf(key, sizeof key, "%lu", (unsigned long) uid);
        *ret_name = NULL;
        if (run_getent(key, &out) < 0)
                return 0;       /* no getent: no name */
        {
                char *f1 = strchr(out, ':');
                if (f1 && f1 != out) {
                        *f1 = '\0';
                        *ret_name = strdup(out);
                }
        }
        free(out);
        return 0;
}

int sa_usercache_new(sa_usercache **ret)
{
        sa_usercache *c;

        if (!ret)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->entries = calloc(USERCACHE_MIN_CAP, sizeof(*c->entries));
        if (!c->entries) {
                free(c);
                return -ENOMEM;
        }
        c->cap = USERCACHE_MIN_CAP;
        *ret = c;
        return 0;
}

sa_usercache *sa_usercache_free(sa_usercache *c)
{
        if (c) {
                for (size_t i = 0; i < c->cap; i++)
                        free(c->entries[i].name);
                free(c->entries);
                free(c);
        }
        return NULL;
}

/* Adds uid -> name (taken; NULL: no name). 0 or -ENOMEM (name freed). */
static int cache_put(sa_usercache *c, uid_t uid, char *name)
{
        usercache_entry *e;

        if ((c->n + 1) > c->cap / 2 && grow(c) < 0) {
                free(name);
                return -ENOMEM;
        }
        e = find_slot(c->entries, c->cap, uid);
        e->used = true;
        e->uid = uid;
        e->name = name;
        c->n++;
        return 0;
}

/*
 * One getpwuid_r per distinct uid for the life of c, NSS errors aside
 * (those are retried on the next call); static: getent, see above. NULL on
 * no name or on failure.
 */
const char *sa_usercache_name(sa_usercache *c, uid_t uid)
{
        usercache_entry *e;
        char *name = NULL;
        int r;

        if (!c)
                return NULL;
        e = find_slot(c->entries, c->cap, uid);
        if (e->used)
                return e->name;

        r = is_static() ? lookup_getent(c, uid, &name) : lookup(uid, &name);
        if (r < 0 || (r == 0 && cache_put(c, uid, name) < 0))
                return NULL;
        return find_slot(c->entries, c->cap, uid)->name;
}
