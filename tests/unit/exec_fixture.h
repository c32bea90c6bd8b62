/* SPDX-License-Identifier: MIT */
/*
 * Real child processes running a chosen image, for the exeimage and
 * provenance suites (built in tests/unit/check_zexecfixture.c). Every
 * helper fails the running Check test on error.
 */
#ifndef SA_EXEC_FIXTURE_H
#define SA_EXEC_FIXTURE_H

#include <sys/types.h>

/* The program the children run ("sleep 600"): a packaged binary. */
#define XFX_PROGRAM "/usr/bin/sleep"

/*
 * Forks a child that runs path (or, with path NULL, the file open at fd,
 * through /proc/self/fd/FD as fexecve() does) as
 * "sleep 600"; returns its pid once the exec happened (a CLOEXEC pipe
 * tells). End it with xfx_end().
 */
pid_t xfx_run(const char *path, int fd);
/* Kills (SIGKILL) and reaps the child pid. */
void xfx_end(pid_t pid);
/* Copies src to dst with mode 0755. */
void xfx_copy(const char *src, const char *dst);
/* A fresh directory named prefix-XXXXXX (absolute, resolved); caller frees. */
char *xfx_dir(const char *prefix);
/* Removes the tree and frees dir. NULL is ok. */
void xfx_rmdir(char *dir);
/* The first word of a command's output into out (n bytes): false when it fails. */
int xfx_word(const char *cmd, char *out, size_t n);

#endif
