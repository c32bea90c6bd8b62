/* SPDX-License-Identifier: MIT */
/* The records lib/bpf/listen.bpf.c writes, as lib/bpflisten.c reads them. */
#ifndef SA_BPF_LISTEN_H
#define SA_BPF_LISTEN_H

#include <linux/types.h>

struct sa_listen_event {
        __u16 port;             /* host order */
        __u8 proto;             /* IPPROTO_TCP (listen) or IPPROTO_UDP (bind) */
        __u8 family;            /* AF_INET or AF_INET6 */
        __u32 netns;            /* network namespace inode; 0 when not known (UDP) */
        __u32 pid;              /* the caller, initial pid namespace */
        __u8 closed;            /* 1: a listener closed (TCP left LISTEN, a bound UDP socket released) */
        __u8 pad[3];
        __u64 netns_cookie;     /* the namespace's cookie (SO_NETNS_COOKIE); 0 if unknown */
};

#endif
