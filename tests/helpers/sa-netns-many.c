/* SPDX-License-Identifier: MIT */
/*
 * sa-netns-many: what `unshare -Urn sleep SECONDS`, run N times, leaves
 * behind, without an exec per namespace (tens of ms each on a loaded host).
 *
 *   sa-netns-many N [SECONDS]
 *
 * Forks N children; each enters a new user and network namespace
 * (unshare(CLONE_NEWUSER | CLONE_NEWNET): what any user may do where user
 * namespaces are allowed) and sleeps SECONDS (default 600) at most, then
 * exits. Prints one line per child that got its namespaces, its pid, and
 * exits: 0 when all N did, 1 otherwise. The children are the caller's to
 * kill (by pid).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0, ok = 0;
        unsigned secs = argc > 2 ? (unsigned) strtoul(argv[2], NULL, 10) : 600;

        if (argc < 2 || argc > 3 || n <= 0 || n > 100000 || secs == 0) {
                fprintf(stderr, "usage: sa-netns-many N [SECONDS]\n");
                return 1;
        }
        for (long i = 0; i < n; i++) {
                int p[2];
                char c = 0;
                pid_t pid;

                if (pipe(p) < 0) {
                        perror("sa-netns-many: pipe");
                        break;
                }
                pid = fork();
                if (pid < 0) {
                        perror("sa-netns-many: fork");
                        close(p[0]);
                        close(p[1]);
                        break;
                }
                if (pid == 0) {
                        close(p[0]);
                        c = unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 'y' : 'n';
                        if (write(p[1], &c, 1) != 1 || c != 'y')
                                _exit(1);
                        close(p[1]);
                        for (int fd = 0; fd < 3; fd++)
                                close(fd);
                        alarm(secs);
                        for (;;)
                                pause();
                }
                close(p[1]);
                if (read(p[0], &c, 1) == 1 && c == 'y') {
                        printf("%d\n", (int) pid);
                        ok++;
                } else {
                        waitpid(pid, NULL, 0);
                }
                close(p[0]);
        }
        fflush(stdout);
        return ok == n ? 0 : 1;
}
