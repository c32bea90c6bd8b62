/* SPDX-License-Identifier: MIT */
/*
 * sa-nfteval: the verdict of a network namespace's nftables ruleset on a
 * new inbound connection, as JSON on stdout (lib/nfteval.h on what
 * lib/nftread.h read). For tests/integration/test_nft_verdicts.sh.
 *
 *   sa-nfteval --netns NAME|PATH --iface IF [--from ADDR] --to ADDR
 *              --proto tcp|udp --port N
 *   sa-nfteval --netns NAME|PATH --batch  < lines "ID IFACE FROM|- TO PROTO PORT"
 *              (the ruleset read once; prints "ID JSON" per line)
 *   sa-nfteval --netns NAME|PATH --dump FILE     (the raw dumps, a fuzz seed)
 *   --follow: a DNAT's new address is followed (the namespace's addresses
 *   and its ip_forward/forwarding sysctl given to the evaluator)
 *
 * Exit 0 with the JSON, 2 on bad arguments, 1 when the ruleset can't be read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "netifs.h"
#include "nfteval.h"
#include "nftread.h"

static int usage(void)
{
        fprintf(stderr, "usage: sa-nfteval --netns NAME --iface IF [--from ADDR] --to ADDR "
                        "--proto tcp|udp --port N | --netns NAME --dump FILE\n");
        return 2;
}

static int open_netns(const char *name)
{
        char path[512];

        if (strchr(name, '/'))
                snprintf(path, sizeof(path), "%s", name);
        else
                snprintf(path, sizeof(path), "/run/netns/%s", name);
        return open(path, O_RDONLY | O_CLOEXEC);
}

static int dump_to(int nsfd, const char *file)
{
        char err[256] = "";
        void *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r = sa_nft_read_bytes(nsfd, &buf, &len, NULL, 0, err, sizeof(err));

        if (r < 0) {
                fprintf(stderr, "sa-nfteval: %s\n", err);
                return 1;
        }
        f = fopen(file, "we");
        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
                fprintf(stderr, "sa-nfteval: %s: %s\n", file, strerror(errno));
                free(buf);
                return 1;
        }
        free(buf);
        return 0;
}

static json_t *path_json(const sa_nft_path *p, int family)
{
        json_t *o = json_object();

        json_object_set_new(o, "verdict", json_string(sa_nft_verdict_name(p->verdict)));
        json_object_set_new(o, "table", p->has_rule ? json_string(p->table) : json_null());
        json_object_set_new(o, "chain", p->has_rule ? json_string(p->chain) : json_null());
        json_object_set_new(o, "handle", p->has_rule && !p->by_policy ? json_integer((json_int_t) p->handle)
                                                                     : json_null());
        json_object_set_new(o, "rule", p->has_rule ? json_string(p->rule) : json_null());
        json_object_set_new(o, "conditions", json_string(p->conditions));
        json_object_set_new(o, "reason", p->reason[0] ? json_string(p->reason) : json_null());
        json_object_set_new(o, "via", p->via[0] ? json_string(p->via) : json_null());
        json_object_set_new(o, "port", json_integer(p->dport));
        if (p->forwarded) {
                char a[INET6_ADDRSTRLEN];

                inet_ntop(family, p->daddr, a, sizeof(a));
                json_object_set_new(o, "forwarded_to", json_string(a));
                json_object_set_new(o, "oif", p->oifname[0] ? json_string(p->oifname) : json_null());
        }
        return o;
}

static sa_nft_ifaddr follow_addrs[256];
static unsigned follow_count;
static bool follow, forward_off4, forward_off6;

/* --follow: the namespace's addresses and forwarding switches (after setns). */
static int read_follow(int nsfd)
{
        sa_netifs *ifs = NULL;
        char err[256] = "";
        FILE *f;
        int v;

        if (sa_netifs_read(nsfd, &ifs, err, sizeof(err)) < 0) {
                fprintf(stderr, "sa-nfteval: %s\n", err);
                return -1;
        }
        for (size_t i = 0; i < ifs->n; i++)
                for (size_t k = 0; k < ifs->items[i].n_addrs && follow_count < 256; k++) {
                        sa_nft_ifaddr *a = &follow_addrs[follow_count++];

                        a->family = ifs->items[i].addrs[k].family;
                        a->prefix = ifs->items[i].addrs[k].prefix;
                        memcpy(a->addr, ifs->items[i].addrs[k].addr, 16);
                        a->ifindex = ifs->items[i].index;
                        snprintf(a->ifname, sizeof(a->ifname), "%s", ifs->items[i].name);
                }
        sa_netifs_free(ifs);
        f = fopen("/proc/sys/net/ipv4/ip_forward", "re");
        forward_off4 = f && fscanf(f, "%d", &v) == 1 && v == 0;
        if (f)
                fclose(f);
        f = fopen("/proc/sys/net/ipv6/conf/all/forwarding", "re");
        forward_off6 = f && fscanf(f, "%d", &v) == 1 && v == 0;
        if (f)
                fclose(f);
        return 0;
}

/* pkt from the case's words; false on a bad address. */
static bool make_packet(sa_nft_packet *pkt, const char *iface, const char *from, const char *to,
                        const char *proto, const char *port)
{
        memset(pkt, 0, sizeof(*pkt));
        snprintf(pkt->iifname, sizeof(pkt->iifname), "%s", iface);
        pkt->l4proto = strcmp(proto, "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
        pkt->dport = (uint16_t) strtoul(port, NULL, 10);
        pkt->family = strchr(to, ':') ? AF_INET6 : AF_INET;
        pkt->saddr_known = from && strcmp(from, "-") != 0;
        pkt->iif = if_nametoindex(iface);       /* in the namespace: main() moved there */
        if (follow) {
                pkt->addrs = follow_addrs;
                pkt->addr_count = follow_count;
                pkt->forwarding_off = pkt->family == AF_INET ? forward_off4 : forward_off6;
        }
        return inet_pton(pkt->family, to, pkt->daddr) == 1
               && (!pkt->saddr_known || inet_pton(pkt->family, from, pkt->saddr) == 1) && pkt->dport;
}

/* The verdict JSON of pkt, one line on stdout after prefix. */
static void print_verdict(const sa_nft_ruleset *rs, const sa_nft_packet *pkt, const char *prefix,
                          sa_nft_result *res)
{
        json_t *o, *paths;

        sa_nft_evaluate(rs, pkt, res);
        o = path_json(&res->paths[0], pkt->family);
        json_object_set_new(o, "verdict", json_string(sa_nft_verdict_name(res->verdict)));
        paths = json_array();
        for (unsigned i = 0; i < res->path_count; i++)
                json_array_append_new(paths, path_json(&res->paths[i], pkt->family));
        json_object_set_new(o, "paths", paths);
        fputs(prefix, stdout);
        json_dumpf(o, stdout, JSON_COMPACT);
        putchar('\n');
        json_decref(o);
}

/* --batch: a case per line of stdin. */
static int batch(const sa_nft_ruleset *rs, sa_nft_result *res)
{
        char line[512], id[64], iface[32], from[64], to[64], proto[8], port[8], prefix[80];
        sa_nft_packet pkt;

        while (fgets(line, sizeof(line), stdin)) {
                if (sscanf(line, "%63s %31s %63s %63s %7s %7s", id, iface, from, to, proto, port) != 6)
                        continue;
                if (!make_packet(&pkt, iface, from, to, proto, port)) {
                        printf("%s {\"error\":\"bad case\"}\n", id);
                        continue;
                }
                snprintf(prefix, sizeof(prefix), "%s ", id);
                print_verdict(rs, &pkt, prefix, res);
        }
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "netns", required_argument, NULL, 'n' }, { "iface", required_argument, NULL, 'i' },
                { "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
                { "proto", required_argument, NULL, 'p' }, { "port", required_argument, NULL, 'P' },
                { "dump", required_argument, NULL, 'd' }, { "batch", no_argument, NULL, 'b' },
                { "follow", no_argument, NULL, 'F' }, { 0 },
        };
        const char *ns = NULL, *from = NULL, *to = NULL, *dump = NULL, *iface = NULL, *proto = "tcp",
                   *port = NULL;
        sa_nft_packet pkt;
        sa_nft_ruleset *rs = NULL;
        sa_nft_result *res;
        char err[256] = "";
        bool many = false;
        int c, nsfd, r;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'n': ns = optarg; break;
                case 'i': iface = optarg; break;
                case 'f': from = optarg; break;
                case 't': to = optarg; break;
                case 'p': proto = optarg; break;
                case 'P': port = optarg; break;
                case 'd': dump = optarg; break;
                case 'b': many = true; break;
                case 'F': follow = true; break;
                default: return usage();
                }
        }
        if (!ns)
                return usage();
        nsfd = open_netns(ns);
        if (nsfd < 0) {
                fprintf(stderr, "sa-nfteval: %s: %s\n", ns, strerror(errno));
                return 1;
        }
        if (dump)
                return dump_to(nsfd, dump);
        if (!many && (!to || !port || !iface))
                return usage();
        r = sa_nft_read(nsfd, &rs, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "sa-nfteval: %s\n", err);
                return 1;
        }
        /* interface indexes as the namespace numbers them (this tool may move) */
        if (setns(nsfd, CLONE_NEWNET) < 0) {
                fprintf(stderr, "sa-nfteval: setns: %s\n", strerror(errno));
                return 1;
        }
        if (follow && read_follow(nsfd) < 0)
                return 1;
        res = calloc(1, sizeof(*res));
        if (!res)
                return 1;
        if (many) {
                batch(rs, res);
        } else if (!make_packet(&pkt, iface, from, to, proto, port)) {
                fprintf(stderr, "sa-nfteval: bad address or port\n");
                return 2;
        } else {
                print_verdict(rs, &pkt, "", res);
        }
        free(res);
        sa_nft_ruleset_free(rs);
        close(nsfd);
        return 0;
}
