/* SPDX-License-Identifier: MIT */
/*
 * Reading a network namespace's nftables ruleset over netlink (libmnl for
 * the socket, libnftnl for the messages) into the IR of lib/nftir.h.
 * Two halves, so the decoder can be fuzzed without a kernel:
 *  - sa_nft_read(): the I/O, on a thread of its own that enters the
 *    namespace (setns is per thread: the caller's thread never moves);
 *  - sa_nft_decode() / sa_nft_finish(): bytes of netlink messages to IR.
 * Internal to the library. See docs/REACHABILITY.md.
 */
#ifndef SA_NFTREAD_H
#define SA_NFTREAD_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/netlink.h>

#include "nftir.h"

#define SA_NFT_DUMP_MAX (64u << 20)     /* bytes of one namespace's dumps */

/*
 * Decodes every nf_tables NEWTABLE, NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM
 * and NEWGEN message in len bytes at buf (a sequence of nlmsghdrs, as
 * dumps return them; other messages are skipped) into rs, which starts
 * zeroed. Chains must come after their table, rules after their chain,
 * elements after their set. 0, or -EBADMSG (malformed or out of order:
 * err says which), -E2BIG (a SA_NFT_*_MAX bound), -ENOMEM; rs is then
 * partial but freeable.
 */
int sa_nft_decode(sa_nft_ruleset *rs, const void *buf, size_t len, char *err, size_t errlen);

/*
 * The attributes of one nf_tables message against what libnftnl's parsers
 * expect (lib/nftattr.c): libnftnl exit()s on an integer attribute of the
 * wrong size. 0, or -EBADMSG; *ret_unchecked is set when the message holds
 * an expression whose attributes are not in the tables (passed on as the
 * kernel sent them). sa_nft_decode() checks every message with it.
 */
int sa_nft_check_msg(const struct nlmsghdr *nlh, bool *ret_unchecked);

/* Orders rules by chain and set elements by key: call once after the last decode. */
int sa_nft_finish(sa_nft_ruleset *rs);

/*
 * Reads the ruleset of the network namespace netns_fd refers to (-1: the
 * calling thread's own), with its generation checked before and after
 * (retried up to 3 times when it changed mid-read), and whether legacy
 * iptables tables exist there (/proc/thread-self/net/ip{,6}_tables_names).
 * Costs a thread, one netlink socket and 5 dumps plus one per set.
 * 0 with *ret_rs (caller frees with sa_nft_ruleset_free), or -errno with
 * a reason in err (-EPERM without CAP_NET_ADMIN over that namespace).
 */
int sa_nft_read(int netns_fd, sa_nft_ruleset **ret_rs, char *err, size_t errlen);

/*
 * The dumps' bytes as sa_nft_read() decodes them (seeds for the fuzz
 * target; the daemon's broker, lib/reachbroker.c); caller frees. legacy
 * (may be NULL) gets the legacy iptables tables' names, "" when none.
 */
int sa_nft_read_bytes(int netns_fd, void **ret_buf, size_t *ret_len, char *legacy, size_t legacylen, char *err,
                      size_t errlen);

/* sa_nft_read()'s second half: bytes (and legacy names, may be NULL) decoded and finished. */
int sa_nft_ruleset_from_bytes(const void *buf, size_t len, const char *legacy, sa_nft_ruleset **ret_rs, char *err,
                              size_t errlen);

#endif
