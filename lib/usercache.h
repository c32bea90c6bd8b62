/* SPDX-License-Identifier: MIT */
/* uid -> user name, cached for the life of a scanner. */
#ifndef SA_USERCACHE_H
#define SA_USERCACHE_H

#include <sys/types.h>

typedef struct sa_usercache sa_usercache;

/*
 * How a uid missing from a cache is looked up: 0 and the name (caller
 * frees; NULL when uid has none, cached as a miss) in *ret_name, or -errno
 * (not cached, asked again next time).
 */
typedef int (*sa_user_lookup_fn)(uid_t uid, char **ret_name);

/*
 * Picks the lookup for the whole process; call once at start, before any
 * cache is used. NULL (the default) asks getent(1), which works in a
 * statically linked program; a dynamically linked one that can load NSS
 * modules installs sa_user_lookup_nss. Keeping the NSS call out of the
 * default keeps getpwuid_r out of the static CLI.
 */
void sa_usercache_set_lookup(sa_user_lookup_fn lookup);

/* getpwuid_r(3) (lib/usernss.c): needs NSS, i.e. a dynamically linked program. */
int sa_user_lookup_nss(uid_t uid, char **ret_name);

int sa_usercache_new(sa_usercache **ret);
sa_usercache *sa_usercache_free(sa_usercache *c);
/* Name of uid, or NULL when it has none. Borrowed until free. */
const char *sa_usercache_name(sa_usercache *c, uid_t uid);

#endif
