// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * iter/task_file: one record per socket fd of every process, in pid order
 * (threads sharing the fd table are skipped by the kernel), with the
 * network namespace of TCP and UDP sockets, and one per nsfs fd (a
 * namespace kept open), then a trailer with the number of fds seen. Read
 * by lib/bpfscan.c, which looks for namespaces no dump covered.
 *
 * Kernel types are declared here, only the fields used, and relocated by
 * libbpf against the running kernel's BTF (CO-RE): no vmlinux.h needed.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "fdscan.h"

#define S_IFMT  00170000
#define S_IFSOCK 0140000
#define NSFS_MAGIC 0x6e736673
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct super_block {
        unsigned long s_magic;
} __attribute__((preserve_access_index));

struct inode {
        unsigned short i_mode;
        unsigned long i_ino;
        struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct file {
        struct inode *f_inode;
} __attribute__((preserve_access_index));

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
        possible_net_t skc_net;
} __attribute__((preserve_access_index));

struct sock {
        struct sock_common __sk_common;
        unsigned short sk_protocol;
} __attribute__((preserve_access_index));

struct socket {
        struct sock *sk;
} __attribute__((preserve_access_index));

struct task_struct {
        int tgid;
} __attribute__((preserve_access_index));

struct seq_file;

struct bpf_iter_meta {
        struct seq_file *seq;
        __u64 session_id;
        __u64 seq_num;
} __attribute__((preserve_access_index));

struct bpf_iter__task_file {
        struct bpf_iter_meta *meta;
        struct task_struct *task;
        __u32 fd;
        struct file *file;
} __attribute__((preserve_access_index));

static __u64 n_fds;

/* The network namespace of a TCP or UDP socket file, else 0. */
static __u32 inet_netns(struct file *file)
{
        struct socket *sock = bpf_sock_from_file(file);
        struct sock *sk;
        struct net *net;
        unsigned short family;

        if (!sock)
                return 0;
        sk = sock->sk;
        if (!sk)
                return 0;
        family = sk->__sk_common.skc_family;
        if ((family != AF_INET && family != AF_INET6) ||
            (sk->sk_protocol != IPPROTO_TCP && sk->sk_protocol != IPPROTO_UDP))
                return 0;
        net = sk->__sk_common.skc_net.net;
        return net ? net->ns.inum : 0;
}

SEC("iter/task_file")
int sa_fdscan(struct bpf_iter__task_file *ctx)
{
        struct seq_file *seq = ctx->meta->seq;
        struct task_struct *task = ctx->task;
        struct file *file = ctx->file;
        struct sa_fdscan_rec rec;
        struct inode *inode;
        struct super_block *sb;

        if (ctx->meta->seq_num == 0)
                n_fds = 0;
        if (!task || !file) {
                /* The end: the trailer. */
                rec = (struct sa_fdscan_rec) { .tgid = 0, .fd = SA_FDSCAN_TRAILER, .ino = (__u32) n_fds };
                bpf_seq_write(seq, &rec, sizeof(rec));
                return 0;
        }
        n_fds++;
        inode = file->f_inode;
        if (!inode)
                return 0;
        rec = (struct sa_fdscan_rec) { .tgid = (__u32) task->tgid, .fd = ctx->fd };
        if ((inode->i_mode & S_IFMT) == S_IFSOCK) {
                rec.ino = (__u32) inode->i_ino;
                rec.netns = inet_netns(file);
        } else {
                sb = inode->i_sb;
                if (!sb || sb->s_magic != NSFS_MAGIC)
                        return 0;
                rec.netns = (__u32) inode->i_ino;
        }
        bpf_seq_write(seq, &rec, sizeof(rec));
        return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
