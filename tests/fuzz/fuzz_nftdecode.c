/* SPDX-License-Identifier: MIT */
/*
 * The nf_tables netlink decoder (lib/nftdecode.c): the input is a buffer
 * of nlmsghdrs as the dumps return them (seeds: dumps recorded by
 * `sa-nfteval --dump` from the rulesets of tests/integration/nft/). What
 * decodes is then evaluated (lib/nfteval.c) for a packet of each family,
 * source known and unknown, and its DNAT rules' ports are read
 * (lib/netifsfwdports.c): a hostile ruleset must not crash either.
 *
 * libnftnl exit()s on an integer attribute of the wrong size; the decoder
 * checks every attribute first (lib/nftattr.c), except inside expressions
 * its tables do not cover (those it passes on as the kernel sent them).
 * Inputs holding such an expression are skipped: only there could
 * libnftnl's exit be reached.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>

#include "fuzz.h"
#include "netifsfwd.h"
#include "nfteval.h"
#include "nftread.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        return 0;
}

/* Whether every message's expressions are in lib/nftattr.c's tables (see above). */
static bool all_checked(const uint8_t *p, size_t len)
{
        bool unchecked = false;

        while (len >= NLMSG_HDRLEN && !unchecked) {
                struct nlmsghdr h;

                memcpy(&h, p, sizeof(h));
                if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
                        break;
                if ((h.nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES && ((uintptr_t) p % 4) == 0)
                        sa_nft_check_msg((const struct nlmsghdr *) p, &unchecked);
                if (NLMSG_ALIGN(h.nlmsg_len) >= len)
                        break;
                p += NLMSG_ALIGN(h.nlmsg_len), len -= NLMSG_ALIGN(h.nlmsg_len);
        }
        return !unchecked;
}

static void evaluate(const sa_nft_ruleset *rs, int family, bool known, uint8_t proto)
{
        sa_nft_packet pkt = { .family = family, .iif = 2, .saddr_known = known, .l4proto = proto, .dport = 22 };
        static sa_nft_result res;
        /* a known source also follows a DNAT's address: to br15's prefix through forward */
        static sa_nft_ifaddr addrs[2] = { { .prefix = 24, .ifindex = 2, .ifname = "va" },
                                          { .prefix = 24, .ifindex = 3, .ifname = "br15" } };

        snprintf(pkt.iifname, sizeof(pkt.iifname), "va");
        inet_pton(family, family == AF_INET ? "10.15.1.2" : "fd15:1::2", pkt.saddr);
        inet_pton(family, family == AF_INET ? "10.15.1.1" : "fd15:1::1", pkt.daddr);
        for (int i = 0; i < 2 && known; i++) {
                addrs[i].family = family;
                inet_pton(family, family == AF_INET ? (i ? "172.31.15.1" : "10.15.1.1") : (i ? "fd31::1" : "fd15:1::1"),
                          addrs[i].addr);
                pkt.addrs = addrs, pkt.addr_count = 2;
        }
        assert(sa_nft_evaluate(rs, &pkt, &res) == 0);
        assert(res.path_count >= 1 && res.path_count <= SA_NFT_PATHS_MAX);
        assert(res.verdict <= SA_NFT_UNKNOWN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sa_nft_ruleset *rs;
        char err[256] = "";
        int r;

        if (!all_checked(data, size))
                return 0;
        rs = calloc(1, sizeof(*rs));
        if (!rs)
                return 0;
        r = sa_nft_decode(rs, data, size, err, sizeof(err));
        assert(r == 0 || r == -EBADMSG || r == -E2BIG || r == -ENOMEM);
        assert(r == 0 || err[0]  || r == -ENOMEM);
        if (r == 0) {
                sa_nft_finish(rs);
                evaluate(rs, AF_INET, true, IPPROTO_TCP);
                evaluate(rs, AF_INET6, false, IPPROTO_UDP);
                sa_fwd_port ports[SA_FWD_PORTS_MAX];
                unsigned n = sa_fwd_dnat_ports(rs, IPPROTO_TCP, 443, false, ports, SA_FWD_PORTS_MAX);

                assert(n <= SA_FWD_PORTS_MAX);
                for (unsigned i = 0; i < n; i++)
                        assert(ports[i].port != 0 && memchr(ports[i].ports, '\0', sizeof(ports[i].ports)));
        }
        sa_nft_ruleset_free(rs);
        return 0;
}
