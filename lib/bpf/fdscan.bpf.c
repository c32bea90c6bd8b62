// SPDX-License-Identifier: (MIT OR GPL-2.0)
/*
 * iter/task_file: one record per socket fd of every process, in pid order
 * (threads sharing the fd table are skipped by the kernel), then a trailer
 * with the number of fds seen. Read by lib/bpfscan.c.
 *
 * Kernel types are declared here, only the fields used, and relocated by
 * libbpf against the running kernel's BTF (CO-RE): no vmlinux.h needed.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "fdscan.h"

#define S_IFMT  00170000
#define S_IFSOCK 0140000

struct inode {
        unsigned short i_mode;
        unsigned long i_ino;
} __attribute__((preserve_access_index));

struct file {
        struct inode *f_inode;
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

SEC("iter/task_file")
int sa_fdscan(struct bpf_iter__task_file *ctx)
{
        struct seq_file *seq = ctx->meta->seq;
        struct task_struct *task = ctx->task;
        struct file *file = ctx->file;
        struct sa_fdscan_rec rec;
        struct inode *inode;

        if (ctx->meta->seq_num == 0)
                n_fds = 0;
        if (!task || !file) {
                /* The end: the trailer. */
                rec = (struct sa_fdscan_rec) { .tgid = 0, .fd = SA_FDSCAN_TRAILER, .ino = n_fds };
                bpf_seq_write(seq, &rec, sizeof(rec));
                return 0;
        }
        n_fds++;
        inode = file->f_inode;
        if (!inode || (inode->i_mode & S_IFMT) != S_IFSOCK)
                return 0;
        rec = (struct sa_fdscan_rec) { .tgid = (__u32) task->tgid, .fd = ctx->fd, .ino = inode->i_ino };
        bpf_seq_write(seq, &rec, sizeof(rec));
        return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
