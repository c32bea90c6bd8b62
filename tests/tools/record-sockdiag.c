/* SPDX-License-Identifier: MIT */
/*
 * record-sockdiag OUTDIR: records real NETLINK_SOCK_DIAG reply bytes for the
 * unit tests (tests/fixtures/netlink). Runs as root, in a network namespace
 * of its own: brings lo up, opens a known set of sockets, writes their
 * ground truth (from fstat/getsockname, not netlink) to OUTDIR/listeners.txt,
 * then for each (proto, family) and port in {any, 443} sends the same
 * inet_diag_req_v2 dump that lib/sockdiag.c sends over a raw netlink socket
 * and writes every reply datagram, concatenated, to OUTDIR/PROTO{4,6}-{all,443}.bin.
 * The receive buffer is small (16 KiB) on purpose, so large replies are
 * multi-part.
 *
 * Not built by the Makefile:
 *   cc -std=gnu11 -Wall -Wextra -O2 -o /tmp/record-sockdiag \
 *      tests/tools/record-sockdiag.c && sudo /tmp/record-sockdiag tests/fixtures/netlink
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#define NOISE 64

static FILE *manifest;

static void die(const char *what)
{
        perror(what);
        exit(1);
}

static void lo_up(void)
{
        struct ifreq ifr;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                die("socket");
        memset(&ifr, 0, sizeof(ifr));
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                die("SIOCGIFFLAGS");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                die("SIOCSIFFLAGS");
        close(fd);
}

/*
 * Opens one socket, bound (and listening for TCP, connected to peer if
 * given), and records it in the manifest:
 *   proto family addr port v6only ifindex uid inode listed
 * listed = 1 when a listener dump must return it.
 */
static int open_sock(int proto, int family, const char *addr, unsigned port,
                     int v6only, const char *dev, uid_t fsuid, int reuse,
                     const char *peer, unsigned peer_port)
{
        struct sockaddr_storage ss;
        socklen_t len;
        struct stat st;
        int fd, one = 1, type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
        unsigned ifindex = 0;

        if (fsuid)
                setfsuid(fsuid);
        fd = socket(family, type | SOCK_CLOEXEC, proto);
        if (fsuid)
                setfsuid(0);
        if (fd < 0)
                die("socket");
        if (family == AF_INET6 &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
                die("IPV6_V6ONLY");
        if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                die("SO_REUSEADDR");
        if (dev) {
                if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev)) < 0)
                        die("SO_BINDTODEVICE");
                ifindex = if_nametoindex(dev);
        }

        memset(&ss, 0, sizeof(ss));
        if (family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                inet_pton(AF_INET, addr, &sin->sin_addr);
                len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(port);
                inet_pton(AF_INET6, addr, &sin6->sin6_addr);
                len = sizeof(*sin6);
        }
        if (bind(fd, (struct sockaddr *)&ss, len) < 0)
                die("bind");
        if (proto == IPPROTO_TCP && !peer && listen(fd, 16) < 0)
                die("listen");
        if (peer) {
                struct sockaddr_in sin = { .sin_family = AF_INET,
                                           .sin_port = htons(peer_port) };
                inet_pton(AF_INET, peer, &sin.sin_addr);
                if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
                        die("connect");
        }
        if (fstat(fd, &st) < 0)
                die("fstat");
        fprintf(manifest, "%s %s %s %u %d %u %u %lu %d\n",
                proto == IPPROTO_TCP ? "tcp" : "udp",
                family == AF_INET ? "ipv4" : "ipv6", addr, port,
                family == AF_INET6 ? v6only : 0, ifindex, (unsigned)fsuid,
                (unsigned long)st.st_ino, peer ? 0 : 1);
        return fd;
}

static void record(const char *dir, int proto, int family, unsigned port)
{
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 req;
        } rq;
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        static char buf[16384];
        char path[4096];
        FILE *f;
        int fd, done = 0;

        memset(&rq, 0, sizeof(rq));
        rq.nlh.nlmsg_len = sizeof(rq);
        rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        rq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        rq.nlh.nlmsg_seq = 1;
        rq.req.sdiag_family = family;
        rq.req.sdiag_protocol = proto;
        rq.req.idiag_states = 1u << (proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE);
        rq.req.id.idiag_sport = htons(port);
        rq.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
        rq.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                die("netlink socket");
        if (sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *)&kernel,
                   sizeof(kernel)) != sizeof(rq))
                die("sendto");

        snprintf(path, sizeof(path), "%s/%s%d-%s.bin", dir,
                 proto == IPPROTO_TCP ? "tcp" : "udp", family == AF_INET ? 4 : 6,
                 port ? "443" : "all");
        f = fopen(path, "wb");
        if (!f)
                die(path);
        while (!done) {
                struct nlmsghdr *h;
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                int left;

                if (n < 0)
                        die("recv");
                if (n == 0)
                        break;
                if (fwrite(buf, 1, n, f) != (size_t)n)
                        die("fwrite");
                left = (int)n;
                for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
                     h = NLMSG_NEXT(h, left))
                        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
                                done = 1;
        }
        if (fclose(f) != 0)
                die("fclose");
        close(fd);
}

int main(int argc, char **argv)
{
        static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };
        static const int families[] = { AF_INET, AF_INET6 };
        char path[4096];
        int i, j, k;

        if (argc != 2) {
                fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
                return 2;
        }
        if (unshare(CLONE_NEWNET) < 0)
                die("unshare(CLONE_NEWNET)");
        lo_up();

        snprintf(path, sizeof(path), "%s/listeners.txt", argv[1]);
        manifest = fopen(path, "w");
        if (!manifest)
                die(path);
        fprintf(manifest, "# proto family addr port v6only ifindex uid inode listed\n");

        /* TCP: v4 and v6-only on 443, a dual-stack [::], a device-bound one,
         * one created with fsuid 1000, an established pair, noise. */
        open_sock(IPPROTO_TCP, AF_INET, "0.0.0.0", 443, 0, NULL, 0, 1, NULL, 0);
        open_sock(IPPROTO_TCP, AF_INET6, "::", 443, 1, NULL, 0, 1, NULL, 0);
        open_sock(IPPROTO_TCP, AF_INET6, "::", 8443, 0, NULL, 0, 0, NULL, 0);
        open_sock(IPPROTO_TCP, AF_INET, "127.0.0.1", 9000, 0, "lo", 0, 0, NULL, 0);
        open_sock(IPPROTO_TCP, AF_INET, "127.0.0.2", 8080, 0, NULL, 1000, 0, NULL, 0);
        open_sock(IPPROTO_TCP, AF_INET, "127.0.0.1", 40000, 0, NULL, 0, 0,
                  "127.0.0.1", 9000);
        for (k = 0; k < NOISE; k++)
                open_sock(IPPROTO_TCP, AF_INET, "127.0.0.1", 20000 + k, 0, NULL,
                          0, 0, NULL, 0);

        /* UDP: two v4 sockets on 443 (SO_REUSEADDR), v6-only on 443, a
         * dual-stack [::], a device-bound [::1], a connected one, noise. */
        open_sock(IPPROTO_UDP, AF_INET, "0.0.0.0", 443, 0, NULL, 0, 1, NULL, 0);
        open_sock(IPPROTO_UDP, AF_INET, "127.0.0.1", 443, 0, NULL, 0, 1, NULL, 0);
        open_sock(IPPROTO_UDP, AF_INET6, "::", 443, 1, NULL, 0, 1, NULL, 0);
        open_sock(IPPROTO_UDP, AF_INET6, "::", 5353, 0, NULL, 0, 0, NULL, 0);
        open_sock(IPPROTO_UDP, AF_INET6, "::1", 6000, 1, "lo", 0, 0, NULL, 0);
        open_sock(IPPROTO_UDP, AF_INET, "127.0.0.1", 5000, 0, NULL, 0, 0,
                  "127.0.0.1", 9);
        for (k = 0; k < NOISE; k++)
                open_sock(IPPROTO_UDP, AF_INET, "127.0.0.1", 30000 + k, 0, NULL,
                          0, 0, NULL, 0);

        if (fclose(manifest) != 0)
                die("fclose");

        for (i = 0; i < 2; i++)
                for (j = 0; j < 2; j++) {
                        record(argv[1], protos[i], families[j], 0);
                        record(argv[1], protos[i], families[j], 443);
                }
        return 0;
}
