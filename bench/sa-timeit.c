/* SPDX-License-Identifier: MIT */
/*
 * sa-timeit: runs commands in turn, ROUNDS times, and prints the wall time
 * of each run (fork to exit, stdout to /dev/null) as one line per command:
 *
 *   sa-timeit ROUNDS NAME CMD ARGS... [--- NAME CMD ARGS...]...
 *   -> "NAME median_ms min_ms max_ms runs" per command
 *
 * Round r starts with command r mod N, so no command always runs first.
 * A command exiting with a status other than 0 or 1 fails the whole run
 * (exit 1).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchtime.h"

#define MAX_CMDS 16

int main(int argc, char **argv)
{
        char **cmds[MAX_CMDS];
        const char *names[MAX_CMDS];
        double *t[MAX_CMDS];
        int n = 0, rounds;

        if (argc < 4 || (rounds = atoi(argv[1])) <= 0) {
                fprintf(stderr, "usage: sa-timeit ROUNDS NAME CMD... [--- NAME CMD...]...\n");
                return 2;
        }
        for (int i = 2; i < argc && n < MAX_CMDS;) {
                names[n] = argv[i++];
                cmds[n] = &argv[i];
                while (i < argc && strcmp(argv[i], "---") != 0)
                        i++;
                if (i < argc)
                        argv[i++] = NULL;
                t[n] = calloc((size_t) rounds, sizeof(double));
                n++;
        }
        for (int r = 0; r < rounds; r++)
                for (int k = 0; k < n; k++) {
                        int c = (r + k) % n, st;
                        double t0 = now_ms();
                        pid_t pid = fork();

                        if (pid < 0)
                                return 1;
                        if (pid == 0) {
                                int fd = open("/dev/null", O_WRONLY);
                                dup2(fd, 1);
                                execvp(cmds[c][0], cmds[c]);
                                _exit(127);
                        }
                        waitpid(pid, &st, 0);
                        t[c][r] = now_ms() - t0;
                        if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
                                fprintf(stderr, "sa-timeit: %s failed (status %d)\n", names[c], st);
                                return 1;
                        }
                }
        for (int k = 0; k < n; k++) {
                qsort(t[k], (size_t) rounds, sizeof(double), cmp_d);
                printf("%s %.3f %.3f %.3f %d\n", names[k], t[k][rounds / 2], t[k][0], t[k][rounds - 1],
                       rounds);
        }
        return 0;
}
