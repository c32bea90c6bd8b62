/* SPDX-License-Identifier: MIT */
/* uid -> user name, cached (hits and misses) in a small open-addressing hash. */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usercache.h"

typedef struct usercache_entry {
        uid_t uid;
        bool used;
        char *name;             /* NULL: uid has no name (cached miss) */
} usercache_entry;

struct sa_usercache {
        usercache_entry *entries;
        size_t cap;             /* power of two */
        size_t n;
};

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

/*
 * One getpwuid_r per distinct uid for the life of c, NSS errors aside
 * (those are retried on the next call). NULL on no name or on failure.
 */
const char *sa_usercache_name(sa_usercache *c, uid_t uid)
{
        usercache_entry *e;
        char *name = NULL;

        if (!c)
                return NULL;
        e = find_slot(c->entries, c->cap, uid);
        if (e->used)
                return e->name;

        if (lookup(uid, &name) < 0)
                return NULL;
        if ((c->n + 1) > c->cap / 2) {
                if (grow(c) < 0) {
                        free(name);
                        return NULL;
                }
                e = find_slot(c->entries, c->cap, uid);
        }
        e->used = true;
        e->uid = uid;
        e->name = name;
        c->n++;
        return name;
}
