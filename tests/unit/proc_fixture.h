/* SPDX-License-Identifier: MIT */
/*
 * Fake /proc trees for unit tests (built in tests/unit/check_zfixture.c).
 * Every helper fails the running Check test on error; paths are relative
 * to the fixture root.
 */
#ifndef SA_PROC_FIXTURE_H
#define SA_PROC_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * A fresh, world-traversable directory under $TMPDIR, else /dev/shm, else
 * /tmp. Caller frees with pfx_free().
 */
char *pfx_new(void);
/* Removes the tree (best effort) and frees root. NULL is ok. */
void pfx_free(char *root);

/* root/NAME as a directory (e.g. "self", "sys", "123", "123/fd"). */
void pfx_mkdir(const char *root, const char *name);
/* root/PID/fd/FD -> target (a dangling symlink is fine). Creates the dirs. */
void pfx_fd(const char *root, pid_t pid, int fd, const char *target);
/* root/PID/NAME holding len bytes of data (len may include NULs). */
void pfx_file(const char *root, pid_t pid, const char *name, const void *data, size_t len);
/* Same for a C string. */
void pfx_text(const char *root, pid_t pid, const char *name, const char *text);
/* root/PID/NAME -> target, e.g. "exe". */
void pfx_link(const char *root, pid_t pid, const char *name, const char *target);
/* A process with the usual files: comm, cmdline (args NUL-separated), status, cgroup, exe. */
void pfx_process(const char *root, pid_t pid, const char *comm, const char *exe,
                 pid_t ppid, uid_t uid, const char *cgroup_v2_path);
/* Removes the file or link root/NAME. */
void pfx_unlink(const char *root, const char *name);
/* chmod of root/NAME. */
void pfx_chmod(const char *root, const char *name, mode_t mode);

#endif
