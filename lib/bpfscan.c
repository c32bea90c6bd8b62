/* SPDX-License-Identifier: MIT */
/* The fd walk as an eBPF iterator (iter/task_file): every socket fd of every process in one pass. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpfobj.h"
#include "bpfscan.h"
#include "util.h"
#include "vec.h"

#ifndef SA_HAVE_BPF

int sa_bpfscan_open(sa_bpfscan **ret, char *why, size_t why_size)
{
        sa_bpf_say(why, why_size, "built without eBPF support");
        return -EOPNOTSUPP;
}

sa_bpfscan *sa_bpfscan_free(sa_bpfscan *b)
{
        return NULL;
}

int sa_bpfscan_walk(sa_bpfscan *b, const sa_inomap *want, const sa_unseen *unseen,
                    sa_bpfscan_hit **ret, size_t *ret_n, sa_scan_stats *stats)
{
        return -EOPNOTSUPP;
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/fdscan.h"

/* The object clang built from lib/bpf/fdscan.bpf.c, linked in (lib/bpf/embed.S). */
extern const unsigned char sa_fdscan_obj[];
extern const unsigned char sa_fdscan_obj_end[];

/* read() size: a multiple of the record size. */
#define READ_BUF ((size_t) 256 * 1024)

struct sa_bpfscan {
        struct bpf_object *obj;
        struct bpf_program *prog;
        struct bpf_link *link;
};

/*
 * Runs the iterator behind link_fd to the end, calling fn for each record.
 * 0, -EIO when the trailer is missing, -errno from read or fn.
 */
static int run(int link_fd, int (*fn)(const struct sa_fdscan_rec *rec, void *ud), void *ud)
{
        char *buf = malloc(READ_BUF);
        size_t have = 0;
        bool trailer = false;
        int fd, r = 0;

        if (!buf)
                return -ENOMEM;
        fd = bpf_iter_create(link_fd);
        if (fd < 0) {
                free(buf);
                return -errno;
        }
        for (;;) {
                ssize_t n = read(fd, buf + have, READ_BUF - have);
                size_t off = 0;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (n == 0)
                        break;
                have += (size_t) n;
                for (; have - off >= sizeof(struct sa_fdscan_rec); off += sizeof(struct sa_fdscan_rec)) {
                        struct sa_fdscan_rec rec;

                        memcpy(&rec, buf + off, sizeof rec);
                        if (rec.fd == SA_FDSCAN_TRAILER)
                                trailer = true;
                        r = fn(&rec, ud);
                        if (r < 0)
                                goto out;
                }
                /* A record split across reads: keep its start. */
                memmove(buf, buf + off, have - off);
                have -= off;
        }
        if (r == 0 && (!trailer || have != 0))
                r = -EIO;
out:
        close(fd);
        free(buf);
        return r;
}

struct self_test {
        uint32_t pid, fd;
        uint32_t ino;
        bool seen;
};

static int self_test_rec(const struct sa_fdscan_rec *rec, void *ud)
{
        struct self_test *t = ud;

        if (rec->tgid == t->pid && rec->fd == t->fd && rec->ino == t->ino)
                t->seen = true;
        return 0;
}

/* This process, iterated alone: is our own socket reported under getpid()? */
static int self_test(sa_bpfscan *b, char *why, size_t why_size)
{
        DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
        union bpf_iter_link_info info = { 0 };
        struct self_test t = { .pid = (uint32_t) getpid() };
        struct bpf_link *link;
        struct stat st;
        int sock, r;

        sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return -errno;
        if (fstat(sock, &st) < 0) {
                r = -errno;
                close(sock);
                return r;
        }
        t.fd = (uint32_t) sock;
        t.ino = (uint32_t) st.st_ino;
        info.task.pid = (uint32_t) getpid();
        opts.link_info = &info;
        opts.link_info_len = sizeof info;
        link = bpf_program__attach_iter(b->prog, &opts);
        if (!link) {
                r = -errno;
                sa_bpf_say(why, why_size, "cannot iterate one process (kernel older than 6.1?): %s",
                    strerror(-r));
                close(sock);
                return r;
        }
        r = run(bpf_link__fd(link), self_test_rec, &t);
        bpf_link__destroy(link);
        close(sock);
        if (r < 0) {
                sa_bpf_say(why, why_size, "reading the iterator failed: %s", strerror(-r));
                return r;
        }
        if (!t.seen) {
                sa_bpf_say(why, why_size, "the iterator does not report our own socket under our pid "
                    "(another pid namespace?)");
                return -ENXIO;
        }
        return 0;
}

int sa_bpfscan_open(sa_bpfscan **ret, char *why, size_t why_size)
{
        sa_bpfscan *b = calloc(1, sizeof *b);
        int r;

        if (!b)
                return -ENOMEM;
        r = sa_bpfobj_load(sa_fdscan_obj, (size_t) (sa_fdscan_obj_end - sa_fdscan_obj), "sa_fdscan",
                           &b->obj, why, why_size);
        if (r < 0)
                goto fail;
        b->prog = bpf_object__find_program_by_name(b->obj, "sa_fdscan");
        if (!b->prog) {
                r = -ENOENT;
                sa_bpf_say(why, why_size, "the eBPF object has no sa_fdscan program");
                goto fail;
        }
        b->link = bpf_program__attach_iter(b->prog, NULL);
        if (!b->link) {
                r = -errno;
                sa_bpf_say(why, why_size, "cannot attach the eBPF iterator: %s", strerror(-r));
                goto fail;
        }
        r = self_test(b, why, why_size);
        if (r < 0) {
                r = -ENXIO; /* loaded, but unusable: the header's contract */
                goto fail;
        }
        *ret = b;
        return 0;
fail:
        sa_bpfscan_free(b);
        return r;
}

sa_bpfscan *sa_bpfscan_free(sa_bpfscan *b)
{
        if (!b)
                return NULL;
        bpf_link__destroy(b->link);
        bpf_object__close(b->obj);
        free(b);
        return NULL;
}

struct walk {
        const sa_inomap *want;
        const sa_unseen *unseen;
        sa_bpfscan_hit *hits;
        size_t n, cap;
        unsigned long fds;
};

static int walk_rec(const struct sa_fdscan_rec *rec, void *ud)
{
        struct walk *w = ud;
        size_t idx;

        if (rec->fd == SA_FDSCAN_TRAILER) {
                w->fds = (unsigned long) rec->ino;
                return 0;
        }
        if (rec->ino != 0 && sa_inomap_get(w->want, rec->ino, &idx)) {
                /* a wanted socket */
        } else if (w->unseen && !sa_unseen_known(w->unseen, rec->netns)) {
                idx = rec->ino == 0 ? SA_UNSEEN_NSFD : SA_UNSEEN_SOCKET;
        } else {
                return 0;
        }
        if (sa_grow((void **) &w->hits, &w->cap, w->n, sizeof *w->hits) < 0)
                return -ENOMEM;
        w->hits[w->n++] = (sa_bpfscan_hit) { (pid_t) rec->tgid, (int) rec->fd, rec->ino, rec->netns, idx };
        return 0;
}

static int cmp_hit(const void *a, const void *b)
{
        const sa_bpfscan_hit *x = a, *y = b;

        if (x->pid != y->pid)
                return x->pid < y->pid ? -1 : 1;
        return x->fd < y->fd ? -1 : x->fd > y->fd;
}

int sa_bpfscan_walk(sa_bpfscan *b, const sa_inomap *want, const sa_unseen *unseen,
                    sa_bpfscan_hit **ret, size_t *ret_n, sa_scan_stats *stats)
{
        struct walk w = { .want = want, .unseen = unseen };
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        int r;

        if (!b || !want || !ret || !ret_n || !stats)
                return -EINVAL;
        r = run(bpf_link__fd(b->link), walk_rec, &w);
        stats->proc_usec += now_usec(CLOCK_MONOTONIC) - start;
        if (r < 0) {
                free(w.hits);
                return r;
        }
        /* A thread with an fd table of its own is visited apart from its
         * leader, under the same tgid: pid order, each pair once. */
        if (w.n > 1) {
                size_t u = 1;

                qsort(w.hits, w.n, sizeof *w.hits, cmp_hit);
                for (size_t i = 1; i < w.n; i++)
                        if (cmp_hit(&w.hits[i], &w.hits[u - 1]) != 0)
                                w.hits[u++] = w.hits[i];
                w.n = u;
        }
        stats->fds += w.fds;
        *ret = w.hits;
        *ret_n = w.n;
        return 0;
}

#endif
