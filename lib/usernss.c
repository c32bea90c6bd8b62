/* SPDX-License-Identifier: MIT */
/*
 * A uid's name through NSS (getpwuid_r), for sa_usercache_set_lookup().
 * Its own object so that only the programs that install it (the daemon)
 * link getpwuid_r: the static CLI must not, glibc's NSS modules cannot be
 * loaded there.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usercache.h"

/* getpwuid_r buffer bounds: start at the libc hint, give up past this. */
#define PW_BUF_MAX ((size_t) 1024 * 1024)

/*
 * Looks uid up with getpwuid_r, growing the buffer on ERANGE. 0 and a copy
 * of the name (NULL when uid has none) in *ret_name; -ENOMEM, or -errno of
 * a lookup that failed for another reason (not worth caching).
 */
int sa_user_lookup_nss(uid_t uid, char **ret_name)
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
