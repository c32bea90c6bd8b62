/* SPDX-License-Identifier: MIT */
/*
 * The I/O half of lib/nftread.h: a thread enters the namespace, dumps the
 * generation, tables, chains, sets, rules and every set's elements into
 * one buffer, and reads the legacy iptables table lists; the caller's
 * thread then decodes the buffer (lib/nftdecode.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nftread.h"

struct dumpbuf {
        char *data;
        size_t len, cap;
};

struct reader {
        int netns_fd;
        struct dumpbuf buf;
        char legacy[128];
        int r;
        char err[256];
};

static int buf_add(struct dumpbuf *b, const void *p, size_t n)
{
        if (b->len + n > SA_NFT_DUMP_MAX)
                return -E2BIG;
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 65536;
                char *q;

                while (cap < b->len + n)
                        cap *= 2;
                q = realloc(b->data, cap);
                if (!q)
                        return -ENOMEM;
                b->data = q;
                b->cap = cap;
        }
        memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

/*
 * One dump request (type, and for set elements the set) on nl; every
 * reply message appended to b. -EINTR when the kernel says the dump was
 * interrupted (the ruleset changed), -errno of an NLMSG_ERROR.
 */
static int dump(struct mnl_socket *nl, uint16_t type, struct nftnl_set *set, struct dumpbuf *b)
{
        char rx[65536];
        char tx[4096];
        static __thread uint32_t seq;
        uint32_t portid = mnl_socket_get_portid(nl), myseq = ++seq + (uint32_t) time(NULL);
        struct nlmsghdr *nlh;
        ssize_t n;
        int r;

        nlh = nftnl_nlmsg_build_hdr(tx, type, set ? (uint16_t) nftnl_set_get_u32(set, NFTNL_SET_FAMILY) : NFPROTO_UNSPEC,
                                    type == NFT_MSG_GETGEN ? NLM_F_ACK : NLM_F_DUMP, myseq);
        if (set)
                nftnl_set_elems_nlmsg_build_payload(nlh, set);
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                const struct nlmsghdr *h;
                int rem;

                n = mnl_socket_recvfrom(nl, rx, sizeof(rx));
                if (n < 0)
                        return errno == ENOBUFS ? -EINTR : -errno;
                rem = (int) n;
                for (h = (const struct nlmsghdr *) rx; mnl_nlmsg_ok(h, rem); h = mnl_nlmsg_next(h, &rem)) {
                        if (h->nlmsg_seq != myseq || h->nlmsg_pid != portid)
                                continue;
                        if (h->nlmsg_flags & NLM_F_DUMP_INTR)
                                return -EINTR;
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

                                if (h->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
                                        return -EBADMSG;
                                return e->error;        /* 0: the ack of GETGEN */
                        }
                        r = buf_add(b, h, h->nlmsg_len);
                        if (r < 0)
                                return r;
                }
        }
}

/* Every set's elements: the set messages of b (from `from` on) say which. */
static int dump_elems(struct mnl_socket *nl, struct dumpbuf *b, size_t from, size_t to)
{
        size_t off = from;
        int r = 0;

        while (r >= 0 && off < to) {
                const struct nlmsghdr *h = (const struct nlmsghdr *) (b->data + off);
                struct nftnl_set *s;

                off += NLMSG_ALIGN(h->nlmsg_len);
                if (NFNL_MSG_TYPE(h->nlmsg_type) != NFT_MSG_NEWSET)
                        continue;
                s = nftnl_set_alloc();
                if (!s)
                        return -ENOMEM;
                if (nftnl_set_nlmsg_parse(h, s) >= 0)
                        r = dump(nl, NFT_MSG_GETSETELEM, s, b);
                nftnl_set_free(s);
                /* b->data may have moved: off is an offset, still right */
        }
        return r;
}

/* The names in /proc/thread-self/net/FILE, space-separated, appended to out. */
static void legacy_names(const char *file, char *out, size_t outlen)
{
        char path[64], line[64];
        FILE *f;

        snprintf(path, sizeof(path), "/proc/thread-self/net/%s", file);
        f = fopen(path, "re");
        if (!f)
                return;         /* the module is not loaded: no legacy tables */
        while (fgets(line, sizeof(line), f)) {
                size_t n = strlen(out);

                line[strcspn(line, "\n")] = 0;
                snprintf(out + n, outlen - n, "%s%s%s", n ? " " : "", file[2] == '6' ? "ip6:" : "ip:", line);
        }
        fclose(f);
}

/* The ruleset's generation id (NFT_MSG_GETGEN); its message is appended to b when b. */
static int gen_id(struct mnl_socket *nl, struct dumpbuf *b, uint32_t *ret_id)
{
        struct dumpbuf g = { 0 };
        struct nftnl_gen *gen;
        int r = dump(nl, NFT_MSG_GETGEN, NULL, &g);

        if (r >= 0 && g.len < NLMSG_HDRLEN)
                r = -EBADMSG;
        if (r >= 0 && !(gen = nftnl_gen_alloc()))
                r = -ENOMEM;
        if (r >= 0) {
                r = nftnl_gen_nlmsg_parse((const struct nlmsghdr *) g.data, gen) < 0 ? -EBADMSG : 0;
                *ret_id = nftnl_gen_get_u32(gen, NFTNL_GEN_ID);
                nftnl_gen_free(gen);
        }
        if (r >= 0 && b)
                r = buf_add(b, g.data, g.len);
        free(g.data);
        return r;
}

/* One consistent read: the generation before and after the dumps agree (else -EINTR). */
static int read_once(struct reader *rd, struct mnl_socket *nl)
{
        static const uint16_t types[] = { NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETSET,
                                          NFT_MSG_GETRULE };
        size_t sets_from = 0, sets_to = 0;
        uint32_t before = 0, after = 0;
        int r;

        rd->buf.len = 0;
        r = gen_id(nl, &rd->buf, &before);
        for (size_t i = 0; r >= 0 && i < sizeof(types) / sizeof(types[0]); i++) {
                if (types[i] == NFT_MSG_GETSET)
                        sets_from = rd->buf.len;
                r = dump(nl, types[i], NULL, &rd->buf);
                if (types[i] == NFT_MSG_GETSET)
                        sets_to = rd->buf.len;
        }
        if (r >= 0)
                r = dump_elems(nl, &rd->buf, sets_from, sets_to);
        if (r >= 0)
                r = gen_id(nl, NULL, &after);
        if (r >= 0 && before != after)
                r = -EINTR;
        return r;
}

static void *reader_main(void *arg)
{
        struct reader *rd = arg;
        struct mnl_socket *nl = NULL;
        int r, tries;

        if (rd->netns_fd >= 0 && setns(rd->netns_fd, CLONE_NEWNET) < 0) {
                rd->r = -errno;
                snprintf(rd->err, sizeof(rd->err), "entering the namespace: %s", strerror(errno));
                return NULL;
        }
        legacy_names("ip_tables_names", rd->legacy, sizeof(rd->legacy));
        legacy_names("ip6_tables_names", rd->legacy, sizeof(rd->legacy));
        nl = mnl_socket_open(NETLINK_NETFILTER);
        if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                rd->r = -errno;
                snprintf(rd->err, sizeof(rd->err), "netfilter netlink socket: %s", strerror(errno));
                if (nl)
                        mnl_socket_close(nl);
                return NULL;
        }
        for (tries = 0, r = -EINTR; r == -EINTR && tries < 3; tries++)
                r = read_once(rd, nl);
        mnl_socket_close(nl);
        rd->r = r;
        if (r == -EINTR)
                snprintf(rd->err, sizeof(rd->err), "the ruleset changed during 3 reads in a row");
        else if (r < 0)
                snprintf(rd->err, sizeof(rd->err), "nf_tables dump: %s", strerror(-r));
        return NULL;
}

/* Runs the reader thread; rd->r and rd->err say how it went. */
static int run_reader(struct reader *rd, char *err, size_t errlen)
{
        pthread_t t;
        int r = pthread_create(&t, NULL, reader_main, rd);

        if (r) {
                snprintf(err, errlen, "thread: %s", strerror(r));
                return -r;
        }
        pthread_join(t, NULL);
        if (rd->r < 0) {
                snprintf(err, errlen, "%s", rd->err);
                free(rd->buf.data);
                rd->buf.data = NULL;
        }
        return rd->r;
}

int sa_nft_read_bytes(int netns_fd, void **ret_buf, size_t *ret_len, char *legacy, size_t legacylen, char *err,
                      size_t errlen)
{
        struct reader rd = { .netns_fd = netns_fd };
        int r = run_reader(&rd, err, errlen);

        if (r < 0)
                return r;
        *ret_buf = rd.buf.data;
        *ret_len = rd.buf.len;
        if (legacy)
                snprintf(legacy, legacylen, "%s", rd.legacy);
        return 0;
}

int sa_nft_ruleset_from_bytes(const void *buf, size_t len, const char *legacy, sa_nft_ruleset **ret_rs, char *err,
                              size_t errlen)
{
        sa_nft_ruleset *rs = calloc(1, sizeof(*rs));
        int r;

        if (!rs) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        r = sa_nft_decode(rs, buf, len, err, errlen);
        if (r >= 0)
                r = sa_nft_finish(rs);
        if (r < 0) {
                sa_nft_ruleset_free(rs);
                return r;
        }
        rs->legacy = legacy && legacy[0];
        snprintf(rs->legacy_names, sizeof(rs->legacy_names), "%s", legacy ? legacy : "");
        *ret_rs = rs;
        return 0;
}

int sa_nft_read(int netns_fd, sa_nft_ruleset **ret_rs, char *err, size_t errlen)
{
        struct reader rd = { .netns_fd = netns_fd };
        int r = run_reader(&rd, err, errlen);

        if (r < 0)
                return r;
        r = sa_nft_ruleset_from_bytes(rd.buf.data, rd.buf.len, rd.legacy, ret_rs, err, errlen);
        free(rd.buf.data);
        return r;
}
