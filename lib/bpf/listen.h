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
};

#endif
