/* SPDX-License-Identifier: MIT */
/*
 * sa-hidden: listeners in a network namespace no process lives in (issue
 * 12 §2), for the hidden-namespace tests.
 *
 *   sa-hidden MODE TCPPORT UDPPORT [PATH]
 *
 * Keeps an fd of its own network namespace, enters a new one (unshare),
 * binds TCP TCPPORT (listening) and UDP UDPPORT on 0.0.0.0 there, and
 * returns to the first namespace. Then by MODE:
 *   socket  keeps the two sockets: the namespace is held by its socket fds
 *   nsfd    sends the sockets over a unix socket pair to itself, unread, and
 *           keeps an fd of the namespace: held by that nsfs fd only
 *   mount   first enters a private mount namespace of its own, bind-mounts
 *           the namespace on PATH (created), sends the sockets away unread
 *           and keeps no fd of it: held by the mount only
 *   user    (any user) a child enters a new user and network namespace,
 *           binds there, passes the sockets to us and exits: held by our
 *           socket fds, as `unshare -Urn` would leave it
 * Prints "ready" and sleeps until killed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
        perror(what);
        exit(1);
}

static int bound(int type, int port)
{
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
        int one = 1, fd = socket(AF_INET, type, 0);

        if (fd < 0)
                die("socket");
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &sin, sizeof sin) < 0)
                die("bind");
        if (type == SOCK_STREAM && listen(fd, 16) < 0)
                die("listen");
        return fd;
}

/* fd sent over sp[0] and closed here: in flight, in no process's table. */
static void send_away(int sp[2], int fd)
{
        char c = 'x', cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { &c, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        if (sendmsg(sp[0], &m, 0) < 0)
                die("sendmsg");
        close(fd);
}

/* One fd received from sp. */
static int receive(int sp)
{
        char c, cbuf[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { &c, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf };
        struct cmsghdr *cm;
        int fd;

        if (recvmsg(sp, &m, MSG_CMSG_CLOEXEC) <= 0 || !(cm = CMSG_FIRSTHDR(&m)) ||
            cm->cmsg_type != SCM_RIGHTS)
                die("recvmsg");
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
        return fd;
}

/* MODE user: the sockets made by a child in namespaces of its own, kept here. */
static void by_child(int tcpport, int udpport)
{
        int sp[2], st;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                die("socketpair");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                        die("unshare user+net");
                send_away(sp, bound(SOCK_STREAM, tcpport));
                send_away(sp, bound(SOCK_DGRAM, udpport));
                _exit(0);
        }
        receive(sp[1]);
        receive(sp[1]);
        close(sp[0]);
        close(sp[1]);
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                exit(1);
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}

int main(int argc, char **argv)
{
        const char *mode = argc > 1 ? argv[1] : "";
        int orig, nsfd, tcp, udp, sp[2];

        if (argc < 4 || (strcmp(mode, "mount") == 0 && argc < 5)) {
                fprintf(stderr, "usage: sa-hidden socket|nsfd|mount|user TCPPORT UDPPORT [PATH]\n");
                return 2;
        }
        if (strcmp(mode, "user") == 0)
                by_child(atoi(argv[2]), atoi(argv[3]));
        if (strncmp(mode, "mount", 5) == 0) {
                if (unshare(CLONE_NEWNS) < 0)
                        die("unshare mount");
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        die("mount private");
        }
        orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (orig < 0)
                die("open ns");
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare net");
        nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                die("open new ns");
        tcp = bound(SOCK_STREAM, atoi(argv[2]));
        udp = bound(SOCK_DGRAM, atoi(argv[3]));
        if (strncmp(mode, "mount", 5) == 0) {
                int t = open(argv[4], O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

                if (t < 0)
                        die("create mount point");
                close(t);
                if (mount("/proc/self/ns/net", argv[4], NULL, MS_BIND, NULL) < 0)
                        die("bind mount");
        }
        if (setns(orig, CLONE_NEWNET) < 0)
                die("setns back");
        close(orig);
        if (strncmp(mode, "socket", 6) != 0) {
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
                        die("socketpair");
                send_away(sp, tcp);
                send_away(sp, udp);
        }
        if (strncmp(mode, "nsfd", 4) != 0)
                close(nsfd);
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}
