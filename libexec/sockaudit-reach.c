/* SPDX-License-Identifier: MIT */
/*
 * sockaudit-reach: the `reachability` object of one listener as JSON on
 * stdout (lib/netifsreach.c), exec'd by `sockaudit explain --direct`
 * (cli/reach.c): the static CLI cannot link libmnl, which has no static
 * library. Not for people: arguments are
 *   NETNS_PATH|- PROTO(tcp|udp) ADDRESS PORT V6ONLY(0|1) BOUND_IFNAME|- FROM|- IFACE|-
 * Prints the object, or {"error": WHY}; exits 0, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netifs.h"
#include "reachbroker.h"

static const char *opt(const char *s)
{
        return strcmp(s, "-") == 0 ? NULL : s;
}

int main(int argc, char **argv)
{
        sa_listener l = { 0 };
        char err[256] = "";
        json_t *o = NULL;
        int fd = -1, r;

        if (argc == 2 && strcmp(argv[1], "--broker") == 0)
                return sa_reach_broker_serve(3);
        if (argc != 9)
                return 2;
        l.proto = strcmp(argv[2], "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
        l.family = strchr(argv[3], ':') ? AF_INET6 : AF_INET;
        l.port = (uint16_t) strtoul(argv[4], NULL, 10);
        l.v6only = strcmp(argv[5], "1") == 0;
        snprintf(l.ifname, sizeof(l.ifname), "%s", opt(argv[6]) ? argv[6] : "");
        if (inet_pton(l.family, argv[3], l.addr) != 1 || !l.port)
                return 2;
        if (opt(argv[1])) {
                fd = open(argv[1], O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        printf("{\"error\": \"its network namespace cannot be opened\"}\n");
                        return 0;
                }
        }
        r = sa_reachability(&l, fd, opt(argv[7]), opt(argv[8]), &o, err, sizeof(err));
        if (fd >= 0)
                close(fd);
        if (r < 0)
                o = json_pack("{s:s}", "error", err);
        if (o)
                json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
        return 0;
}
