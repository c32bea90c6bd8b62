/* SPDX-License-Identifier: MIT */
/* uid -> user name, cached for the life of a scanner. */
#ifndef SA_USERCACHE_H
#define SA_USERCACHE_H

#include <sys/types.h>

typedef struct sa_usercache sa_usercache;

int sa_usercache_new(sa_usercache **ret);
sa_usercache *sa_usercache_free(sa_usercache *c);
/* Name of uid (getpwuid_r), or NULL when it has none. Borrowed until free. */
const char *sa_usercache_name(sa_usercache *c, uid_t uid);

#endif
