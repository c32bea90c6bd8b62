// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * New listeners as events: a TCP socket entering LISTEN
 * (tp_btf/inet_sock_set_state, in the listen() caller's context) and a UDP
 * socket bound to a port (cgroup/post_bind4/6 on the cgroup2 root), each
 * one record in a ring buffer read by lib/bpflisten.c. The tracepoint fires
 * before the port is hashed: readers confirm with sock_diag.
 *
 * Kernel types are declared here, only the fields used, and relocated by
 * libbpf against the running kernel's BTF (CO-RE).
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "listen.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define TCP_LISTEN 10

struct ns_common {
        unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
        struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
        struct net *net;
} possible_net_t;

struct sock_common {
        unsigned short skc_family;
        unsigned short skc_num;
        possible_net_t skc_net;
} __attribute__((preserve_access_index));

struct sock {
        struct sock_common __sk_common;
        unsigned short sk_protocol;
} __attribute__((preserve_access_index));

struct {
        __uint(type, BPF_MAP_TYPE_RINGBUF);
        __uint(max_entries, 64 * 1024);
} sa_listen_events SEC(".maps");

static void emit(__u16 port, __u8 proto, __u8 family, __u32 netns)
{
        struct sa_listen_event *e = bpf_ringbuf_reserve(&sa_listen_events, sizeof(*e), 0);

        if (!e)
                return; /* full: the periodic probe still finds it */
        e->port = port;
        e->proto = proto;
        e->family = family;
        e->netns = netns;
        e->pid = (__u32) (bpf_get_current_pid_tgid() >> 32);
        bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/inet_sock_set_state")
int sa_tcp_listen(unsigned long long *ctx)
{
        struct sock *sk = (struct sock *) ctx[0];
        int newstate = (int) ctx[2];
        struct net *net;

        if (newstate != TCP_LISTEN || sk->sk_protocol != IPPROTO_TCP)
                return 0;
        net = sk->__sk_common.skc_net.net;
        emit(sk->__sk_common.skc_num, IPPROTO_TCP, (__u8) sk->__sk_common.skc_family,
             net ? net->ns.inum : 0);
        return 0;
}

/* Every bind goes through here: always allow it (1), note UDP ones. */
static int on_bind(struct bpf_sock *sk)
{
        if (sk->protocol == IPPROTO_UDP && sk->src_port != 0)
                emit((__u16) sk->src_port, IPPROTO_UDP, (__u8) sk->family, 0);
        return 1;
}

SEC("cgroup/post_bind4")
int sa_udp_bind4(struct bpf_sock *sk)
{
        return on_bind(sk);
}

SEC("cgroup/post_bind6")
int sa_udp_bind6(struct bpf_sock *sk)
{
        return on_bind(sk);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
