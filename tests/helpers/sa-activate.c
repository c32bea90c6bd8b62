/* SPDX-License-Identifier: MIT */
/*
 * sa-activate: starts a program the way systemd's socket activation does,
 * at once (unlike systemd-socket-activate, which waits for a connection).
 *
 *   sa-activate [--mode OCTAL] [--fdname NAME] PATH CMD [ARG...]
 *
 * Binds and listens on the UNIX stream socket PATH (replacing a stale
 * socket; mode 0660 unless --mode), puts it on fd 3, sets LISTEN_FDS=1,
 * LISTEN_PID=<own pid> (kept across exec) and LISTEN_FDNAMES, then execs
 * CMD. Exit 1 on failure before the exec.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
        fprintf(stderr, "sa-activate: %s: %s\n", what, strerror(errno));
        exit(1);
}

int main(int argc, char **argv)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        const char *fdname = "sockauditd.socket";
        unsigned long mode = 0660;
        char pidbuf[32];
        int a = 1, fd;

        for (; a < argc && argv[a][0] == '-'; a++) {
                if (!strcmp(argv[a], "--mode") && a + 1 < argc)
                        mode = strtoul(argv[++a], NULL, 8);
                else if (!strcmp(argv[a], "--fdname") && a + 1 < argc)
                        fdname = argv[++a];
                else
                        break;
        }
        if (argc - a < 2 || strlen(argv[a]) >= sizeof(sun.sun_path)) {
                fprintf(stderr, "usage: sa-activate [--mode OCTAL] [--fdname NAME] PATH CMD [ARG...]\n");
                return 1;
        }
        strcpy(sun.sun_path, argv[a]);

        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0)
                die("socket");
        (void)unlink(argv[a]);
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
                die("bind");
        if (chmod(argv[a], (mode_t)mode) < 0)
                die("chmod");
        if (listen(fd, SOMAXCONN) < 0)
                die("listen");
        if (fd != 3) {
                if (dup2(fd, 3) < 0)
                        die("dup2");
                close(fd);
        }
        if (fcntl(3, F_SETFD, 0) < 0)
                die("fcntl");

        snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
        if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", pidbuf, 1) < 0 ||
            setenv("LISTEN_FDNAMES", fdname, 1) < 0)
                die("setenv");
        execvp(argv[a + 1], argv + a + 1);
        die(argv[a + 1]);
        return 1;
}
