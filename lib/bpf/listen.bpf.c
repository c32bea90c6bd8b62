// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * New listeners as events: a TCP socket entering LISTEN
 * (tp_btf/inet_sock_set_state, in the listen() caller's context) and a UDP
 * socket bound to a port (cgroup/post_bind4/6 on the cgroup2 root), each
 * one record in a ring buffer read by lib/bpflisten.c. The tracepoint fires
 * before the port is hashed: readers confirm with sock_diag. Closed ones
 * too (a TCP socket leaving LISTEN; a bound UDP socket released,
 * cgroup/sock_release), so that a namespace without events needs no dump.
 * UDP sockets bound implicitly (connect, a first sendmsg) are reported too. Records the ring cannot take are counted in sa_listen_lost.
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
        __u64 net_cookie;
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
        __uint(max_entries, 1024 * 1024); /* ~30,000 records: lost ones make every namespace dirty */
} sa_listen_events SEC(".maps");

/* Records the ring could not take (one entry): readers treat every namespace as changed. */
struct {
        __uint(type, BPF_MAP_TYPE_ARRAY);
        __uint(max_entries, 1);
        __type(key, __u32);
        __type(value, __u64);
} sa_listen_lost SEC(".maps");

static void emit(__u16 port, __u8 proto, __u8 family, __u32 netns, __u64 cookie, __u8 closed)
{
        struct sa_listen_event *e = bpf_ringbuf_reserve(&sa_listen_events, sizeof(*e), 0);

        if (!e) {
                __u32 zero = 0;
                __u64 *lost = bpf_map_lookup_elem(&sa_listen_lost, &zero);

                if (lost)
                        __sync_fetch_and_add(lost, 1);
                return;
        }
        e->port = port;
        e->proto = proto;
        e->family = family;
        e->netns = netns;
        e->pid = (__u32) (bpf_get_current_pid_tgid() >> 32);
        e->closed = closed;
        e->pad[0] = e->pad[1] = e->pad[2] = 0;
        e->netns_cookie = cookie;
        bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/inet_sock_set_state")
int sa_tcp_listen(unsigned long long *ctx)
{
        struct sock *sk = (struct sock *) ctx[0];
        int oldstate = (int) ctx[1], newstate = (int) ctx[2];
        struct net *net;

        if ((newstate != TCP_LISTEN && oldstate != TCP_LISTEN) || sk->sk_protocol != IPPROTO_TCP)
                return 0;
        net = sk->__sk_common.skc_net.net;
        emit(sk->__sk_common.skc_num, IPPROTO_TCP, (__u8) sk->__sk_common.skc_family,
             net ? net->ns.inum : 0, net ? net->net_cookie : 0, newstate != TCP_LISTEN);
        return 0;
}

/* Every bind goes through here: always allow it (1), note UDP ones. */
static int on_bind(struct bpf_sock *sk)
{
        if (sk->protocol == IPPROTO_UDP && sk->src_port != 0)
                emit((__u16) sk->src_port, IPPROTO_UDP, (__u8) sk->family, 0, bpf_get_netns_cookie(sk), 0);
        return 1;
}

/*
 * Every inet socket's release: note bound UDP ones (TCP: the tracepoint).
 * The context is the kernel's struct sock, whose port this hook may not
 * read as ctx->src_port: read from the struct (CO-RE).
 */
SEC("cgroup/sock_release")
int sa_udp_release(struct bpf_sock *ctx)
{
        struct sock *sk = (struct sock *) ctx;
        unsigned short port = 0;

        if (ctx->protocol != IPPROTO_UDP)
                return 1;
        bpf_probe_read_kernel(&port, sizeof port, __builtin_preserve_access_index(&sk->__sk_common.skc_num));
        if (port != 0)
                emit(port, IPPROTO_UDP, (__u8) ctx->family, 0, bpf_get_netns_cookie(ctx), 1);
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

/* UDP sockets already reported by a send (freed with the socket). */
struct {
        __uint(type, BPF_MAP_TYPE_SK_STORAGE);
        __uint(map_flags, BPF_F_NO_PREALLOC);
        __type(key, int);
        __type(value, __u8);
} sa_udp_sent SEC(".maps");

/*
 * A UDP socket bound implicitly, without bind(): by connect() (this hook
 * runs before the kernel picks its port: reported with port 0, its
 * namespace only) or by its first sendmsg() (the port is picked by then:
 * reported once per socket). No bind event comes for either. Always
 * allowed (1).
 */
static int on_autobind(struct bpf_sock_addr *ctx, int send)
{
        struct bpf_sock *sk = ctx->sk;
        __u8 *sent;

        if (!sk || sk->protocol != IPPROTO_UDP)
                return 1;
        if (!send) {
                if (sk->src_port == 0)
                        emit(0, IPPROTO_UDP, (__u8) sk->family, 0, bpf_get_netns_cookie(ctx), 0);
                return 1;
        }
        sent = bpf_sk_storage_get(&sa_udp_sent, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
        if (sent && !*sent) {
                *sent = 1;
                emit((__u16) sk->src_port, IPPROTO_UDP, (__u8) sk->family, 0, bpf_get_netns_cookie(ctx), 0);
        }
        return 1;
}

SEC("cgroup/sendmsg4")
int sa_udp_send4(struct bpf_sock_addr *ctx)
{
        return on_autobind(ctx, 1);
}

SEC("cgroup/sendmsg6")
int sa_udp_send6(struct bpf_sock_addr *ctx)
{
        return on_autobind(ctx, 1);
}

SEC("cgroup/connect4")
int sa_udp_connect4(struct bpf_sock_addr *ctx)
{
        return on_autobind(ctx, 0);
}

SEC("cgroup/connect6")
int sa_udp_connect6(struct bpf_sock_addr *ctx)
{
        return on_autobind(ctx, 0);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
