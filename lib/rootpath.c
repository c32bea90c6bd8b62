/* SPDX-License-Identifier: MIT */
/*
 * Paths inside another process's root, resolved the way that process would
 * see them and never outside: openat2's RESOLVE_IN_ROOT, or a symlink-
 * refusing walk where the kernel lacks it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rootpath.h"
#include "util.h"

static atomic_bool force_fallback;

void sa_root_open_force_fallback(bool force)
{
        atomic_store(&force_fallback, force);
}

/*
 * The fallback: each directory on the way opened with O_NOFOLLOW |
 * O_DIRECTORY relative to the last one, ".." refused (it could climb out of
 * root_fd), the last component opened with flags | O_NOFOLLOW (and, as
 * O_PATH | O_NOFOLLOW would open a symlink itself, a symlink refused).
 */
static int root_open_walk(int root_fd, const char *path, int flags)
{
        _cleanup_close_ int dir = -1;
        const char *p = path + strspn(path, "/");

        if (*p == '\0') {
                int fd = openat(root_fd, ".", flags | O_CLOEXEC);

                return fd < 0 ? -errno : fd;
        }
        for (;;) {
                size_t n = strcspn(p, "/");
                const char *next = p + n + strspn(p + n, "/");
                bool last = *next == '\0';
                struct stat st;
                char name[256];
                int fd;

                if (n >= sizeof name)
                        return -ENAMETOOLONG;
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return -EXDEV;
                memcpy(name, p, n);
                name[n] = '\0';
                fd = openat(dir >= 0 ? dir : root_fd, name,
                            last ? flags | O_NOFOLLOW | O_CLOEXEC :
                                   O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                if (last && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
                        safe_close(fd);
                        return -ELOOP;
                }
                if (last)
                        return fd;
                safe_close(dir);
                dir = fd;
                p = next;
        }
}

int sa_root_open(int root_fd, const char *path, int flags)
{
        struct open_how how = {
                .flags = (unsigned) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        long fd;

        if (root_fd < 0 || !path)
                return -EINVAL;
        if (!atomic_load(&force_fallback)) {
                /* openat2 refuses a mode without O_CREAT/O_TMPFILE: we never create. */
                fd = syscall(SYS_openat2, root_fd, path[0] ? path : ".", &how, sizeof how);
                if (fd >= 0)
                        return (int) fd;
                /* ENOSYS: before 5.6; EPERM: a seccomp filter that does not know it. */
                if (errno != ENOSYS && errno != EPERM)
                        return -errno;
        }
        return root_open_walk(root_fd, path, flags);
}
