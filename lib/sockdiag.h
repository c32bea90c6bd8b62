/* SPDX-License-Identifier: MIT */
/* Socket tables over NETLINK_SOCK_DIAG, with requests built on libnl core. */
#ifndef SA_SOCKDIAG_H
#define SA_SOCKDIAG_H

#include <linux/netlink.h>
#include <netlink/netlink.h>

#include "sockaudit.h"
#include "vec.h"

/*
 * Opens a NETLINK_SOCK_DIAG socket bound to the caller's current network
 * namespace, with libnl's MSG_PEEK double read off and a 64 KiB buffer.
 * Caller frees with nl_socket_free().
 */
int sa_sockdiag_open(struct nl_sock **ret);

/*
 * Appends to out every listener of one (family, proto): TCP in LISTEN, UDP in
 * CLOSE (bound, unconnected). port != 0 filters in the kernel. netns is
 * stamped on each record. Multi-part replies, NLMSG_ERROR and NLM_F_DUMP_INTR
 * (the dump is restarted, at most a few times) are handled; on failure out is
 * left as it was. Costs one dump, growing with the sockets it returns
 * (docs/PERFORMANCE.md).
 */
int sa_sockdiag_dump(struct nl_sock *sk, uint8_t family, uint8_t proto,
                     uint16_t port, uint64_t netns, sa_listener_vec *out,
                     sa_scan_stats *stats);

/*
 * Decodes one SOCK_DIAG_BY_FAMILY reply message into ret (holders unset).
 * Checks every length; returns -EBADMSG on a truncated or malformed message.
 * ifname is left "" and netns 0: sa_sockdiag_dump() fills both, naming the
 * device in the dumped namespace.
 */
int sa_sockdiag_parse(const struct nlmsghdr *nlh, uint8_t proto, sa_listener *ret);

/* Maps a libnl error code (NLE_*, positive or negative) to -errno. */
int sa_nl_errno(int nlerr);

#endif
