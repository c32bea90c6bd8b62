/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/sockdiag.c, in three layers:
 *  - parse: hand-built messages, including every kind of truncation;
 *  - recorded: real kernel replies in tests/fixtures/netlink (recorded by
 *    tests/tools/record-sockdiag.c), checked against the ground truth the
 *    recorder took from the sockets themselves (listeners.txt), both by
 *    walking the buffer and by replaying it through sa_sockdiag_dump() on a
 *    libnl socket whose send/recv are overridden (a fake kernel that can
 *    also flag NLM_F_DUMP_INTR, answer NLMSG_ERROR, or send garbage);
 *  - live: real sockets in a fresh network namespace (root only, else SKIP).
 * Check forks every test, so the one fake kernel pointer below is per test.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "sockdiag.h"

/* ---- hand-built messages --------------------------------------------- */

typedef union msgbuf {
        struct nlmsghdr h;
        uint64_t align;
        unsigned char b[1024];
} msgbuf;

typedef struct spec {
        uint8_t family, state;
        uint16_t port;
        const char *addr;
        uint32_t ifindex, cookie0, cookie1, uid, inode;
        bool has_v6only;
        uint8_t v6only;
} spec;

static void add_attr(msgbuf *mb, uint16_t type, const void *data, uint16_t len)
{
        struct nlattr *nla = (struct nlattr *)(mb->b + NLMSG_ALIGN(mb->h.nlmsg_len));

        nla->nla_type = type;
        nla->nla_len = NLA_HDRLEN + len;
        if (len)
                memcpy((unsigned char *)nla + NLA_HDRLEN, data, len);
        mb->h.nlmsg_len = NLMSG_ALIGN(mb->h.nlmsg_len) + NLA_ALIGN(nla->nla_len);
}

/* A reply as the kernel builds it, with a few attributes we do not read. */
static struct nlmsghdr *mk(msgbuf *mb, const spec *s)
{
        struct inet_diag_msg *m;
        uint8_t shutdown = 0;
        uint64_t cgroup = 0x1234;

        memset(mb, 0, sizeof(*mb));
        mb->h.nlmsg_len = NLMSG_LENGTH(sizeof(*m));
        mb->h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        mb->h.nlmsg_flags = NLM_F_MULTI;
        m = NLMSG_DATA(&mb->h);
        m->idiag_family = s->family;
        m->idiag_state = s->state;
        m->id.idiag_sport = htons(s->port);
        if (s->addr)
                ck_assert_int_eq(inet_pton(s->family, s->addr, m->id.idiag_src), 1);
        if (s->family == AF_INET) {
                /* Garbage where an IPv6 address would go: must not leak. */
                m->id.idiag_src[1] = m->id.idiag_src[2] = m->id.idiag_src[3] = 0xffffffff;
        }
        m->id.idiag_if = s->ifindex;
        m->id.idiag_cookie[0] = s->cookie0;
        m->id.idiag_cookie[1] = s->cookie1;
        m->idiag_uid = s->uid;
        m->idiag_inode = s->inode;

        add_attr(mb, INET_DIAG_SHUTDOWN, &shutdown, 1);
        if (s->has_v6only)
                add_attr(mb, INET_DIAG_SKV6ONLY, &s->v6only, 1);
        add_attr(mb, INET_DIAG_CGROUP_ID, &cgroup, 8);
        add_attr(mb, 200, &cgroup, 8);   /* newer than our headers: ignored */
        return &mb->h;
}

static void poison(sa_listener *l)
{
        memset(l, 0xa5, sizeof(*l));
}

static void assert_untouched(const sa_listener *l)
{
        sa_listener p;

        poison(&p);
        ck_assert_mem_eq(l, &p, sizeof(p));
}

START_TEST(parse_tcp4_listener)
{
        msgbuf mb;
        sa_listener l;
        static const uint8_t zero[16];
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 443,
                   .addr = "0.0.0.0", .cookie0 = 5, .uid = 0, .inode = 1234 };

        poison(&l);
        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.proto, IPPROTO_TCP);
        ck_assert_uint_eq(l.family, AF_INET);
        ck_assert_uint_eq(l.state, TCP_LISTEN);
        ck_assert_uint_eq(l.port, 443);
        ck_assert_mem_eq(l.addr, zero, 16);
        ck_assert(!l.v6only);
        ck_assert_uint_eq(l.ifindex, 0);
        ck_assert_str_eq(l.ifname, "");
        ck_assert_uint_eq(l.inode, 1234);
        ck_assert_uint_eq(l.cookie, 5);
        ck_assert_uint_eq(l.uid, 0);
        ck_assert_uint_eq(l.netns, 0);
        ck_assert_ptr_null(l.holders);
        ck_assert_uint_eq(l.n_holders, 0);
        ck_assert_int_eq(l.owner_status, SA_OWNER_OK);
        ck_assert_ptr_null(l.owner_reason);
}
END_TEST

START_TEST(parse_ipv4_address_uses_4_bytes)
{
        msgbuf mb;
        sa_listener l;
        static const uint8_t want[16] = { 127, 0, 0, 1 };
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 80,
                   .addr = "127.0.0.1", .uid = 1000, .inode = 0xfffffff0u };

        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        ck_assert_mem_eq(l.addr, want, 16);
        ck_assert_uint_eq(l.uid, 1000);
        ck_assert_uint_eq(l.inode, 0xfffffff0u);
}
END_TEST

/* _i = 0: dual-stack, 1: IPV6_V6ONLY. */
START_TEST(parse_ipv6_v6only)
{
        msgbuf mb;
        sa_listener l;
        struct in6_addr want;
        spec s = { .family = AF_INET6, .state = TCP_LISTEN, .port = 443,
                   .addr = "2001:db8::1", .inode = 9, .has_v6only = true,
                   .v6only = (uint8_t)_i };

        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        inet_pton(AF_INET6, "2001:db8::1", &want);
        ck_assert_uint_eq(l.family, AF_INET6);
        ck_assert_mem_eq(l.addr, &want, 16);
        ck_assert_int_eq(l.v6only, _i == 1);
}
END_TEST

START_TEST(parse_v6only_attribute_absent_or_on_ipv4)
{
        msgbuf mb;
        sa_listener l;
        spec s6 = { .family = AF_INET6, .state = TCP_LISTEN, .port = 443, .addr = "::" };
        spec s4 = { .family = AF_INET, .state = TCP_LISTEN, .port = 443,
                    .addr = "0.0.0.0", .has_v6only = true, .v6only = 1 };

        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s6), IPPROTO_TCP, &l), 0);
        ck_assert(!l.v6only);
        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s4), IPPROTO_TCP, &l), 0);
        ck_assert(!l.v6only);
}
END_TEST

START_TEST(parse_udp)
{
        msgbuf mb;
        sa_listener l;
        spec s = { .family = AF_INET6, .state = TCP_CLOSE, .port = 53, .addr = "::1",
                   .has_v6only = true, .v6only = 1, .inode = 42 };

        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_UDP, &l), 0);
        ck_assert_uint_eq(l.proto, IPPROTO_UDP);
        ck_assert_uint_eq(l.state, 7);
        ck_assert_uint_eq(l.port, 53);
        ck_assert(l.v6only);
        ck_assert_uint_eq(l.inode, 42);
}
END_TEST

START_TEST(parse_bound_device)
{
        msgbuf mb;
        sa_listener l;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 22,
                   .addr = "10.0.0.1", .ifindex = 7 };

        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.ifindex, 7);
        /* Names are resolved by the dump, in the dumped namespace. */
        ck_assert_str_eq(l.ifname, "");
}
END_TEST

START_TEST(parse_cookie_assembly)
{
        msgbuf mb;
        sa_listener l;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 1,
                   .cookie0 = 0xdeadbeefu, .cookie1 = 0x12345678u };

        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.cookie, UINT64_C(0x12345678deadbeef));
        s.cookie0 = 0;
        s.cookie1 = 0xffffffffu;
        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.cookie, UINT64_C(0xffffffff00000000));
}
END_TEST

START_TEST(parse_port_byte_order)
{
        msgbuf mb;
        sa_listener l;
        struct inet_diag_msg *m;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 0x1234 };

        mk(&mb, &s);
        m = NLMSG_DATA(&mb.h);
        ck_assert_uint_eq(((uint8_t *)&m->id.idiag_sport)[0], 0x12);
        ck_assert_uint_eq(((uint8_t *)&m->id.idiag_sport)[1], 0x34);
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.port, 0x1234);

        s.port = 443;   /* 0x01bb: wire bytes 01 bb */
        ck_assert_int_eq(sa_sockdiag_parse(mk(&mb, &s), IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.port, 443);
}
END_TEST

START_TEST(parse_short_header)
{
        msgbuf mb;
        sa_listener l;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 443 };

        poison(&l);
        mk(&mb, &s);
        mb.h.nlmsg_len = NLMSG_HDRLEN;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        mb.h.nlmsg_len = 4;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        mb.h.nlmsg_len = 0;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        assert_untouched(&l);
}
END_TEST

START_TEST(parse_short_inet_diag_msg)
{
        msgbuf mb;
        sa_listener l;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 443 };

        poison(&l);
        mk(&mb, &s);
        mb.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg)) - 1;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        mb.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg) / 2);
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        assert_untouched(&l);

        /* Exactly the header, no attributes: fine. */
        mb.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), 0);
        ck_assert_uint_eq(l.port, 443);
}
END_TEST

static struct nlmsghdr *mk_one_attr(msgbuf *mb, uint16_t type, const void *data,
                                    uint16_t len)
{
        spec s = { .family = AF_INET6, .state = TCP_LISTEN, .port = 443 };

        mk(mb, &s);
        mb->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_msg));
        add_attr(mb, type, data, len);
        return &mb->h;
}

START_TEST(parse_truncated_attribute)
{
        msgbuf mb;
        sa_listener l;
        struct nlattr *nla;
        uint8_t one = 1;
        const uint32_t base = NLMSG_LENGTH(sizeof(struct inet_diag_msg));

        poison(&l);
        /* Attribute cut after its header plus 2 bytes... */
        mk_one_attr(&mb, INET_DIAG_SKV6ONLY, &one, 1);
        mb.h.nlmsg_len = base + 2;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        /* ...inside its payload (nla_len 5 > 4 left)... */
        mb.h.nlmsg_len = base + 4;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        /* ...a length field running past the message... */
        mb.h.nlmsg_len = base + 8;
        nla = (struct nlattr *)(mb.b + base);
        nla->nla_len = 200;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        /* ...or shorter than an attribute header. */
        nla->nla_len = 2;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        assert_untouched(&l);

        /* The intact message parses. */
        mk_one_attr(&mb, INET_DIAG_SKV6ONLY, &one, 1);
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), 0);
        ck_assert(l.v6only);
}
END_TEST

START_TEST(parse_attribute_payload_too_short)
{
        msgbuf mb;
        sa_listener l;

        poison(&l);
        mk_one_attr(&mb, INET_DIAG_SKV6ONLY, NULL, 0);
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);
        assert_untouched(&l);
}
END_TEST

START_TEST(parse_wrong_family_type_or_proto)
{
        msgbuf mb;
        sa_listener l;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 443 };
        struct inet_diag_msg *m;

        poison(&l);
        mk(&mb, &s);
        m = NLMSG_DATA(&mb.h);
        m->idiag_family = AF_UNIX;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EINVAL);
        m->idiag_family = AF_UNSPEC;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EINVAL);

        mk(&mb, &s);
        mb.h.nlmsg_type = TCPDIAG_GETSOCK;
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_TCP, &l), -EBADMSG);

        mk(&mb, &s);
        ck_assert_int_eq(sa_sockdiag_parse(&mb.h, IPPROTO_ICMP, &l), -EINVAL);
        ck_assert_int_eq(sa_sockdiag_parse(NULL, IPPROTO_TCP, &l), -EINVAL);
        assert_untouched(&l);
}
END_TEST

START_TEST(nl_errno_mapping)
{
        static const struct { int nle, err; } map[] = {
                { NLE_SUCCESS, 0 },
                { NLE_NOMEM, -ENOMEM },
                { NLE_PERM, -EPERM },
                { NLE_NOACCESS, -EACCES },
                { NLE_AGAIN, -EAGAIN },
                { NLE_BAD_SOCK, -EBADF },
                { NLE_MSG_TRUNC, -EMSGSIZE },
                { NLE_SEQ_MISMATCH, -EPROTO },
                { NLE_NOADDR, -EADDRNOTAVAIL },
                { NLE_DUMP_INTR, -EINTR },
                { NLE_INVAL, -EINVAL },
                { NLE_OBJ_NOTFOUND, -ENOENT },
                { NLE_AF_NOSUPPORT, -EAFNOSUPPORT },
                { NLE_PROTO_MISMATCH, -EPROTONOSUPPORT },
                { NLE_MSG_TOOSHORT, -EBADMSG },
                { NLE_MSG_OVERFLOW, -ENOBUFS },
                { NLE_FAILURE, -EIO },
                { 9999, -EIO },
        };

        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
                ck_assert_int_eq(sa_nl_errno(map[i].nle), map[i].err);
                ck_assert_int_eq(sa_nl_errno(-map[i].nle), map[i].err);
        }
        ck_assert_int_eq(sa_nl_errno(INT_MIN), -EIO);
        /* Every libnl code maps to some errno < 0. */
        for (int e = 1; e <= NLE_MAX; e++)
                ck_assert_int_lt(sa_nl_errno(-e), 0);
}
END_TEST

/* ---- recorded replies -------------------------------------------------- */

typedef struct blob {
        unsigned char *p;
        size_t len;
} blob;

static const char *fixtures_dir(void)
{
        const char *d = getenv("SA_FIXTURES");

        return d && *d ? d : "tests/fixtures";
}

static blob load(const char *name)
{
        char path[PATH_MAX];
        blob b = { 0 };
        struct stat st;
        FILE *f;

        snprintf(path, sizeof(path), "%s/netlink/%s", fixtures_dir(), name);
        f = fopen(path, "rb");
        ck_assert_msg(f, "cannot open fixture %s (run from the repo root or set SA_FIXTURES)",
                      path);
        ck_assert_int_eq(fstat(fileno(f), &st), 0);
        b.len = (size_t)st.st_size;
        b.p = malloc(b.len + 1);
        ck_assert_ptr_nonnull(b.p);
        ck_assert_uint_eq(fread(b.p, 1, b.len, f), b.len);
        fclose(f);
        b.p[b.len] = '\0';
        return b;
}

/* Ground truth of one socket the recorder (or the live test) opened. */
typedef struct truth {
        uint8_t proto, family;
        char addr[64];
        uint16_t port;
        bool v6only;
        uint32_t ifindex;
        char ifname[IFNAMSIZ];
        uint32_t uid;
        uint64_t inode;
        bool listed;     /* a listener dump must return it */
} truth;

typedef struct truths {
        truth t[256];
        size_t n;
} truths;

static void load_manifest(truths *ts)
{
        blob b = load("listeners.txt");
        char *save = NULL;

        ts->n = 0;
        for (char *line = strtok_r((char *)b.p, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char proto[8], family[8];
                unsigned port, ifindex, uid;
                unsigned long inode;
                int v6only, listed;
                truth *t = &ts->t[ts->n];

                if (line[0] == '#')
                        continue;
                ck_assert_uint_lt(ts->n, sizeof(ts->t) / sizeof(ts->t[0]));
                ck_assert_int_eq(sscanf(line, "%7s %7s %63s %u %d %u %u %lu %d", proto,
                                        family, t->addr, &port, &v6only, &ifindex,
                                        &uid, &inode, &listed), 9);
                t->proto = strcmp(proto, "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
                t->family = strcmp(family, "ipv4") == 0 ? AF_INET : AF_INET6;
                t->port = (uint16_t)port;
                t->v6only = v6only;
                t->ifindex = ifindex;
                t->ifname[0] = '\0';
                t->uid = uid;
                t->inode = inode;
                t->listed = listed;
                ts->n++;
        }
        free(b.p);
}

/*
 * got[0..n) must be exactly the listed sockets of ts for (proto, family,
 * port): same count, each found once by inode with every field equal,
 * cookies non-zero and distinct, netns as given.
 */
static void check_truths(const truths *ts, const sa_listener *got, size_t n,
                         uint8_t proto, uint8_t family, uint16_t port,
                         uint64_t netns)
{
        size_t want = 0;

        for (size_t i = 0; i < ts->n; i++) {
                const truth *t = &ts->t[i];
                uint8_t addr[16] = { 0 };
                size_t found = 0, at = 0;

                if (!t->listed || t->proto != proto || t->family != family ||
                    (port && t->port != port))
                        continue;
                want++;
                for (size_t j = 0; j < n; j++)
                        if (got[j].inode == t->inode) {
                                found++;
                                at = j;
                        }
                ck_assert_msg(found == 1, "inode %lu (%s port %u) found %zu times",
                              (unsigned long)t->inode, t->addr, t->port, found);
                const sa_listener *l = &got[at];
                ck_assert_int_eq(inet_pton(family, t->addr, addr), 1);
                ck_assert_uint_eq(l->proto, proto);
                ck_assert_uint_eq(l->family, family);
                ck_assert_uint_eq(l->state, proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE);
                ck_assert_uint_eq(l->port, t->port);
                ck_assert_mem_eq(l->addr, addr, 16);
                ck_assert_int_eq(l->v6only, t->v6only);
                ck_assert_uint_eq(l->ifindex, t->ifindex);
                ck_assert_str_eq(l->ifname, t->ifname);
                ck_assert_uint_eq(l->uid, t->uid);
                ck_assert_uint_eq(l->netns, netns);
                ck_assert_uint_ne(l->cookie, 0);
                ck_assert_ptr_null(l->holders);
                ck_assert_int_eq(l->owner_status, SA_OWNER_OK);
        }
        ck_assert_uint_eq(n, want);
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        ck_assert_uint_ne(got[i].cookie, got[j].cookie);
}

static const struct fixture {
        const char *file;
        uint8_t proto, family;
        uint16_t port;
        size_t count;    /* listeners expected: pins the manifest too */
} fixtures[] = {
        { "tcp4-all.bin", IPPROTO_TCP, AF_INET, 0, 3 + 64 },
        { "tcp6-all.bin", IPPROTO_TCP, AF_INET6, 0, 2 },
        { "udp4-all.bin", IPPROTO_UDP, AF_INET, 0, 2 + 64 },
        { "udp6-all.bin", IPPROTO_UDP, AF_INET6, 0, 3 },
        { "tcp4-443.bin", IPPROTO_TCP, AF_INET, 443, 1 },
        { "tcp6-443.bin", IPPROTO_TCP, AF_INET6, 443, 1 },
        { "udp4-443.bin", IPPROTO_UDP, AF_INET, 443, 2 },
        { "udp6-443.bin", IPPROTO_UDP, AF_INET6, 443, 1 },
};
#define N_FIXTURES (int)(sizeof(fixtures) / sizeof(fixtures[0]))

/* Walks a recorded reply as a dump reader would. */
START_TEST(recorded_reply_walk)
{
        const struct fixture *fx = &fixtures[_i];
        blob b = load(fx->file);
        sa_listener got[256];
        size_t n = 0, multi = 0, msgs = 0;
        bool done = false;
        struct nlmsghdr *h = (struct nlmsghdr *)b.p;
        int rem = (int)b.len;
        truths ts;

        load_manifest(&ts);
        for (; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
                ck_assert_msg(!done, "%s: message after NLMSG_DONE", fx->file);
                msgs++;
                if (h->nlmsg_flags & NLM_F_MULTI)
                        multi++;
                if (h->nlmsg_type == NLMSG_DONE) {
                        done = true;
                        continue;
                }
                ck_assert_uint_eq(h->nlmsg_type, SOCK_DIAG_BY_FAMILY);
                ck_assert_uint_lt(n, 256);
                ck_assert_int_eq(sa_sockdiag_parse(h, fx->proto, &got[n]), 0);
                n++;
        }
        ck_assert_int_eq(rem, 0);
        ck_assert(done);
        ck_assert_uint_eq(multi, msgs);
        ck_assert_uint_eq(n, fx->count);
        check_truths(&ts, got, n, fx->proto, fx->family, fx->port, 0);
        free(b.p);
}
END_TEST

/* ---- a fake kernel behind libnl's send/recv ---------------------------- */

typedef struct fake {
        /* script */
        blob reply[2];           /* answer to request 1, and to all later ones */
        unsigned per_recv;       /* messages per datagram (0 = all) */
        unsigned intr_replies;   /* first N answers carry NLM_F_DUMP_INTR */
        uint32_t seq_skew;       /* added to the request's seq in answers */
        uint32_t foreign_pid;    /* != 0: a datagram from this port id first */
        /* observed */
        unsigned requests;
        struct nlmsghdr req_hdr;
        struct inet_diag_req_v2 req;
        /* state of the current answer */
        unsigned char *cur;
        size_t cur_len, pos;
        bool foreign_pending;
} fake;

static fake *the_fake;

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
        fake *f = the_fake;
        struct nlmsghdr *h = nlmsg_hdr(msg);
        const blob *r;
        bool first = true;
        int rem;

        ck_assert_uint_ge(h->nlmsg_len, NLMSG_LENGTH(sizeof(f->req)));
        f->req_hdr = *h;
        memcpy(&f->req, nlmsg_data(h), sizeof(f->req));
        f->requests++;

        r = f->requests == 1 || !f->reply[1].p ? &f->reply[0] : &f->reply[1];
        free(f->cur);
        f->cur = malloc(r->len);
        ck_assert_ptr_nonnull(f->cur);
        memcpy(f->cur, r->p, r->len);
        f->cur_len = r->len;
        f->pos = 0;
        f->foreign_pending = f->foreign_pid != 0;

        rem = (int)f->cur_len;
        for (h = (struct nlmsghdr *)f->cur; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
                h->nlmsg_seq = f->req_hdr.nlmsg_seq + f->seq_skew;
                if (first && f->requests <= f->intr_replies)
                        h->nlmsg_flags |= NLM_F_DUMP_INTR;
                first = false;
        }
        return (int)nlmsg_hdr(msg)->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
                     unsigned char **buf, struct ucred **creds)
{
        fake *f = the_fake;
        struct nlmsghdr *h;
        size_t start = f->pos, end;
        unsigned k = 0;
        int rem;

        memset(nla, 0, sizeof(*nla));
        nla->nl_family = AF_NETLINK;

        if (f->foreign_pending) {
                msgbuf mb;
                spec s = { .family = f->req.sdiag_family, .port = 4444,
                           .state = f->req.sdiag_protocol == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE,
                           .inode = 666, .cookie0 = 666 };

                f->foreign_pending = false;
                mk(&mb, &s);
                mb.h.nlmsg_seq = f->req_hdr.nlmsg_seq;
                nla->nl_pid = f->foreign_pid;
                *buf = malloc(mb.h.nlmsg_len);
                ck_assert_ptr_nonnull(*buf);
                memcpy(*buf, &mb, mb.h.nlmsg_len);
                return (int)mb.h.nlmsg_len;
        }

        ck_assert_msg(start < f->cur_len, "libnl read past the end of the answer");
        rem = (int)(f->cur_len - start);
        for (h = (struct nlmsghdr *)(f->cur + start); nlmsg_ok(h, rem);
             h = nlmsg_next(h, &rem)) {
                k++;
                if (f->per_recv && k == f->per_recv) {
                        h = nlmsg_next(h, &rem);
                        break;
                }
        }
        end = f->cur_len - (size_t)rem;
        f->pos = end;
        *buf = malloc(end - start);
        ck_assert_ptr_nonnull(*buf);
        memcpy(*buf, f->cur + start, end - start);
        return (int)(end - start);
}

static struct nl_sock *fake_sock(fake *f)
{
        struct nl_sock *sk = nl_socket_alloc();
        struct nl_cb *cb;

        ck_assert_ptr_nonnull(sk);
        cb = nl_socket_get_cb(sk);
        nl_cb_overwrite_send(cb, fake_send);
        nl_cb_overwrite_recv(cb, fake_recv);
        nl_cb_put(cb);
        the_fake = f;
        return sk;
}

static void fake_done(fake *f, struct nl_sock *sk)
{
        nl_socket_free(sk);
        free(f->cur);
        free(f->reply[0].p);
        free(f->reply[1].p);
        the_fake = NULL;
}

static void blob_add(blob *b, const struct nlmsghdr *h)
{
        size_t len = NLMSG_ALIGN(h->nlmsg_len);

        b->p = realloc(b->p, b->len + len);
        ck_assert_ptr_nonnull(b->p);
        memset(b->p + b->len, 0, len);
        memcpy(b->p + b->len, h, h->nlmsg_len);
        b->len += len;
}

static void blob_add_done(blob *b, int err)
{
        msgbuf mb;

        memset(&mb, 0, sizeof(mb));
        mb.h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
        mb.h.nlmsg_type = NLMSG_DONE;
        mb.h.nlmsg_flags = NLM_F_MULTI;
        memcpy(NLMSG_DATA(&mb.h), &err, sizeof(err));
        blob_add(b, &mb.h);
}

static void blob_add_error(blob *b, int err)
{
        msgbuf mb;
        struct nlmsgerr *e;

        memset(&mb, 0, sizeof(mb));
        mb.h.nlmsg_len = NLMSG_LENGTH(sizeof(*e));
        mb.h.nlmsg_type = NLMSG_ERROR;
        e = NLMSG_DATA(&mb.h);
        e->error = err;
        e->msg.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        blob_add(b, &mb.h);
}

/* A vec holding one sentinel entry, which a dump must never disturb. */
static void vec_with_sentinel(sa_listener_vec *v)
{
        sa_listener s = { .inode = 0xabcdef, .cookie = 77, .port = 1 };

        *v = (sa_listener_vec){ 0 };
        ck_assert_int_eq(sa_listener_vec_push(v, &s), 0);
}

static void assert_only_sentinel(const sa_listener_vec *v)
{
        ck_assert_uint_eq(v->n, 1);
        ck_assert_uint_eq(v->items[0].inode, 0xabcdef);
        ck_assert_uint_eq(v->items[0].cookie, 77);
}

/* The recorded reply, replayed in datagrams of _i + 1 messages. */
START_TEST(replay_recorded_dump)
{
        fake f = { .per_recv = (unsigned)_i + 1 };
        struct nl_sock *sk;
        sa_listener_vec v;
        sa_scan_stats st = { 0 };
        truths ts;

        load_manifest(&ts);
        f.reply[0] = load("tcp4-all.bin");
        sk = fake_sock(&f);
        vec_with_sentinel(&v);

        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 0, 4026531840u,
                                          &v, &st), 0);
        ck_assert_uint_eq(f.requests, 1);
        ck_assert_uint_eq(f.req_hdr.nlmsg_type, SOCK_DIAG_BY_FAMILY);
        ck_assert(f.req_hdr.nlmsg_flags & NLM_F_REQUEST);
        ck_assert_uint_eq(f.req_hdr.nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
        ck_assert_uint_eq(f.req_hdr.nlmsg_len, NLMSG_LENGTH(sizeof(f.req)));
        ck_assert_uint_eq(f.req.sdiag_family, AF_INET);
        ck_assert_uint_eq(f.req.sdiag_protocol, IPPROTO_TCP);
        ck_assert_uint_eq(f.req.idiag_states, 1u << TCP_LISTEN);
        ck_assert_uint_eq(f.req.id.idiag_sport, 0);
        ck_assert_uint_eq(f.req.id.idiag_dport, 0);
        ck_assert_uint_eq(f.req.id.idiag_if, 0);

        ck_assert_uint_eq(v.items[0].inode, 0xabcdef);
        check_truths(&ts, v.items + 1, v.n - 1, IPPROTO_TCP, AF_INET, 0, 4026531840u);
        ck_assert_uint_eq(st.dumps, 1);
        ck_assert_uint_eq(st.dump_retries, 0);

        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

START_TEST(replay_port_filter_request)
{
        fake f = { .per_recv = 2 };
        struct nl_sock *sk;
        sa_listener_vec v = { 0 };
        truths ts;

        load_manifest(&ts);
        f.reply[0] = load("udp4-443.bin");
        sk = fake_sock(&f);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_UDP, 443, 1, &v, NULL), 0);
        ck_assert_uint_eq(f.req.sdiag_protocol, IPPROTO_UDP);
        ck_assert_uint_eq(f.req.idiag_states, 1u << TCP_CLOSE);
        ck_assert_uint_eq(((uint8_t *)&f.req.id.idiag_sport)[0], 0x01);
        ck_assert_uint_eq(((uint8_t *)&f.req.id.idiag_sport)[1], 0xbb);
        check_truths(&ts, v.items, v.n, IPPROTO_UDP, AF_INET, 443, 1);
        ck_assert_uint_eq(v.n, 2);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/* A kernel that ignored idiag_sport: the dump still returns only the port. */
START_TEST(replay_port_checked_on_parse)
{
        fake f = { .per_recv = 0 };
        struct nl_sock *sk;
        sa_listener_vec v = { 0 };
        truths ts;

        load_manifest(&ts);
        f.reply[0] = load("udp4-all.bin");
        sk = fake_sock(&f);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_UDP, 443, 1, &v, NULL), 0);
        check_truths(&ts, v.items, v.n, IPPROTO_UDP, AF_INET, 443, 1);
        ck_assert_uint_eq(v.n, 2);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/* Entries the request did not ask for are dropped, not reported. */
START_TEST(replay_skips_unasked_entries)
{
        fake f = { 0 };
        struct nl_sock *sk;
        sa_listener_vec v = { 0 };
        msgbuf mb;
        spec ok = { .family = AF_INET, .state = TCP_CLOSE, .port = 53, .inode = 1, .cookie0 = 1 };
        spec est = { .family = AF_INET, .state = TCP_ESTABLISHED, .port = 53, .inode = 2 };
        spec v6 = { .family = AF_INET6, .state = TCP_CLOSE, .port = 53, .inode = 3 };
        spec nul = { .family = AF_INET, .state = TCP_CLOSE, .port = 0, .inode = 4 };

        blob_add(&f.reply[0], mk(&mb, &ok));
        blob_add(&f.reply[0], mk(&mb, &est));
        blob_add(&f.reply[0], mk(&mb, &v6));
        blob_add(&f.reply[0], mk(&mb, &nul));
        blob_add_done(&f.reply[0], 0);
        sk = fake_sock(&f);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_UDP, 0, 1, &v, NULL), 0);
        ck_assert_uint_eq(v.n, 1);
        ck_assert_uint_eq(v.items[0].inode, 1);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

START_TEST(replay_dump_intr_restarts)
{
        fake f = { .per_recv = 7, .intr_replies = 2 };
        struct nl_sock *sk;
        sa_listener_vec v;
        sa_scan_stats st = { .dumps = 10, .dump_retries = 1 };
        truths ts;

        load_manifest(&ts);
        f.reply[0] = load("tcp4-all.bin");
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 0, 1, &v, &st), 0);
        ck_assert_uint_eq(f.requests, 3);
        ck_assert_uint_eq(st.dumps, 13);
        ck_assert_uint_eq(st.dump_retries, 3);
        /* Partial results of the interrupted rounds were discarded. */
        ck_assert_uint_eq(v.items[0].inode, 0xabcdef);
        check_truths(&ts, v.items + 1, v.n - 1, IPPROTO_TCP, AF_INET, 0, 1);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

START_TEST(replay_dump_intr_gives_up)
{
        fake f = { .per_recv = 5, .intr_replies = 1000 };
        struct nl_sock *sk;
        sa_listener_vec v;
        sa_scan_stats st = { 0 };

        f.reply[0] = load("udp4-all.bin");
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_UDP, 0, 1, &v, &st), -EINTR);
        ck_assert_uint_eq(f.requests, 6);
        ck_assert_uint_eq(st.dumps, 6);
        ck_assert_uint_eq(st.dump_retries, 5);
        assert_only_sentinel(&v);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/* NLMSG_ERROR: the kernel's errno, even one libnl has no code for. */
START_TEST(replay_nlmsg_error)
{
        static const int errs[] = { -EPERM, -EMFILE, -ENOENT, -EINVAL };
        fake f = { 0 };
        struct nl_sock *sk;
        sa_listener_vec v;

        blob_add_error(&f.reply[0], errs[_i]);
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET6, IPPROTO_TCP, 0, 1, &v, NULL), errs[_i]);
        assert_only_sentinel(&v);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/* A dump that fails in the kernel ends with NLMSG_DONE carrying -errno. */
START_TEST(replay_done_with_error)
{
        fake f = { .per_recv = 1 };
        struct nl_sock *sk;
        sa_listener_vec v;
        msgbuf mb;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 80, .inode = 5 };

        blob_add(&f.reply[0], mk(&mb, &s));
        blob_add_done(&f.reply[0], -ENOMEM);
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 0, 1, &v, NULL), -ENOMEM);
        assert_only_sentinel(&v);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/*
 * A malformed message fails the dump with -EBADMSG, but the reply is read
 * to its end: the next dump on the same socket is in step (libnl's
 * sequence check would fail otherwise).
 */
START_TEST(replay_malformed_then_next_dump_ok)
{
        fake f = { .per_recv = 1 };
        struct nl_sock *sk;
        sa_listener_vec v;
        msgbuf mb;
        spec s = { .family = AF_INET, .state = TCP_LISTEN, .port = 80, .inode = 5 };
        uint8_t one = 1;
        truths ts;

        load_manifest(&ts);
        blob_add(&f.reply[0], mk(&mb, &s));
        mk_one_attr(&mb, INET_DIAG_SKV6ONLY, &one, 1);
        ((struct inet_diag_msg *)NLMSG_DATA(&mb.h))->idiag_family = AF_INET;
        mb.h.nlmsg_len -= 4;    /* attribute cut in half */
        blob_add(&f.reply[0], &mb.h);
        s.inode = 6;
        blob_add(&f.reply[0], mk(&mb, &s));
        blob_add_done(&f.reply[0], 0);
        f.reply[1] = load("tcp4-443.bin");

        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 0, 1, &v, NULL), -EBADMSG);
        assert_only_sentinel(&v);

        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 443, 1, &v, NULL), 0);
        ck_assert_uint_eq(f.requests, 2);
        check_truths(&ts, v.items + 1, v.n - 1, IPPROTO_TCP, AF_INET, 443, 1);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/* A listener entry forged by another process (it needs CAP_NET_ADMIN):
 * the dump fails rather than report it, and the socket stays in step. */
START_TEST(replay_rejects_foreign_sender)
{
        fake f = { .per_recv = 3, .foreign_pid = 4242 };
        struct nl_sock *sk;
        sa_listener_vec v;
        truths ts;

        load_manifest(&ts);
        f.reply[0] = load("udp6-all.bin");
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET6, IPPROTO_UDP, 0, 1, &v, NULL), -EPROTO);
        assert_only_sentinel(&v);

        f.foreign_pid = 0;
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET6, IPPROTO_UDP, 0, 1, &v, NULL), 0);
        check_truths(&ts, v.items + 1, v.n - 1, IPPROTO_UDP, AF_INET6, 0, 1);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

START_TEST(replay_sequence_mismatch)
{
        fake f = { .seq_skew = 17 };
        struct nl_sock *sk;
        sa_listener_vec v;

        f.reply[0] = load("tcp6-all.bin");
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET6, IPPROTO_TCP, 0, 1, &v, NULL), -EPROTO);
        assert_only_sentinel(&v);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

START_TEST(dump_rejects_bad_arguments)
{
        fake f = { 0 };
        struct nl_sock *sk;
        sa_listener_vec v;
        sa_scan_stats st = { 0 };

        blob_add_done(&f.reply[0], 0);
        sk = fake_sock(&f);
        vec_with_sentinel(&v);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_UNIX, IPPROTO_TCP, 0, 1, &v, &st), -EINVAL);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_SCTP, 0, 1, &v, &st), -EINVAL);
        ck_assert_int_eq(sa_sockdiag_dump(NULL, AF_INET, IPPROTO_TCP, 0, 1, &v, &st), -EINVAL);
        ck_assert_int_eq(sa_sockdiag_dump(sk, AF_INET, IPPROTO_TCP, 0, 1, NULL, &st), -EINVAL);
        ck_assert_uint_eq(f.requests, 0);
        ck_assert_uint_eq(st.dumps, 0);
        assert_only_sentinel(&v);
        sa_listener_vec_clear(&v);
        fake_done(&f, sk);
}
END_TEST

/* ---- live, in a network namespace of our own ------------------------ */

typedef struct live {
        truth t;
        const char *dev;
        int fd;
} live;

static int lo_up(void)
{
        struct ifreq ifr;
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

        if (fd < 0)
                return -errno;
        memset(&ifr, 0, sizeof(ifr));
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                r = -errno;
        ifr.ifr_flags |= IFF_UP;
        if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                r = -errno;
        close(fd);
        return r;
}

static void live_open(live *s)
{
        struct sockaddr_storage ss;
        socklen_t len;
        struct stat st;
        int one = 1, v6only = s->t.v6only;
        int type = s->t.proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;

        if (s->t.uid)
                setfsuid(s->t.uid);
        s->fd = socket(s->t.family, type | SOCK_CLOEXEC, s->t.proto);
        if (s->t.uid)
                setfsuid(0);
        ck_assert_msg(s->fd >= 0, "socket: %s", strerror(errno));
        ck_assert_int_eq(setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
        if (s->t.family == AF_INET6)
                ck_assert_int_eq(setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
                                            sizeof(v6only)), 0);
        if (s->dev) {
                ck_assert_int_eq(setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, s->dev,
                                            strlen(s->dev)), 0);
                s->t.ifindex = if_nametoindex(s->dev);
                ck_assert_uint_ne(s->t.ifindex, 0);
                snprintf(s->t.ifname, sizeof(s->t.ifname), "%s", s->dev);
        }
        memset(&ss, 0, sizeof(ss));
        if (s->t.family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(s->t.port);
                ck_assert_int_eq(inet_pton(AF_INET, s->t.addr, &sin->sin_addr), 1);
                len = sizeof(*sin);
        } else {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons(s->t.port);
                ck_assert_int_eq(inet_pton(AF_INET6, s->t.addr, &sin6->sin6_addr), 1);
                len = sizeof(*sin6);
        }
        ck_assert_msg(bind(s->fd, (struct sockaddr *)&ss, len) == 0, "bind %s port %u: %s",
                      s->t.addr, s->t.port, strerror(errno));
        if (s->t.proto == IPPROTO_TCP)
                ck_assert_int_eq(listen(s->fd, 8), 0);
        ck_assert_int_eq(fstat(s->fd, &st), 0);
        s->t.inode = st.st_ino;
        s->t.listed = true;
}

static void live_close(live *s)
{
        close(s->fd);
        s->fd = -1;
        s->t.listed = false;
}

/* Runs the four dumps, unfiltered and for 443, and checks each exactly. */
static void live_check_all(struct nl_sock *sk, const live *socks, size_t n,
                           sa_scan_stats *st)
{
        static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
        static const uint8_t families[] = { AF_INET, AF_INET6 };
        static const uint16_t ports[] = { 0, 443 };
        truths ts = { .n = n };

        for (size_t i = 0; i < n; i++)
                ts.t[i] = socks[i].t;
        for (size_t p = 0; p < 2; p++)
                for (size_t f = 0; f < 2; f++)
                        for (size_t k = 0; k < 2; k++) {
                                sa_listener_vec v = { 0 };

                                ck_assert_int_eq(sa_sockdiag_dump(sk, families[f], protos[p],
                                                                  ports[k], 12345, &v, st), 0);
                                check_truths(&ts, v.items, v.n, protos[p], families[f],
                                             ports[k], 12345);
                                sa_listener_vec_clear(&v);
                        }
}

#define LIVE(proto_, fam_, addr_, port_, v6only_, dev_, uid_) \
        { .t = { .proto = proto_, .family = fam_, .addr = addr_, .port = port_, \
                 .v6only = v6only_, .uid = uid_ }, .dev = dev_, .fd = -1 }

START_TEST(live_netns_dump)
{
        live socks[] = {
                LIVE(IPPROTO_TCP, AF_INET, "0.0.0.0", 443, 0, NULL, 0),
                LIVE(IPPROTO_TCP, AF_INET6, "::", 443, 1, NULL, 0),
                LIVE(IPPROTO_TCP, AF_INET6, "::", 8443, 0, NULL, 0),      /* dual-stack */
                LIVE(IPPROTO_TCP, AF_INET, "127.0.0.1", 8080, 0, NULL, 1000),
                LIVE(IPPROTO_TCP, AF_INET, "127.0.0.1", 9000, 0, "lo", 0),
                LIVE(IPPROTO_UDP, AF_INET, "0.0.0.0", 443, 0, NULL, 0),
                LIVE(IPPROTO_UDP, AF_INET6, "::", 443, 1, NULL, 0),
                LIVE(IPPROTO_UDP, AF_INET6, "::", 5353, 0, NULL, 0),      /* dual-stack */
                LIVE(IPPROTO_UDP, AF_INET, "127.0.0.1", 5000, 0, NULL, 0),
                LIVE(IPPROTO_UDP, AF_INET6, "::1", 6000, 1, "lo", 0),
                LIVE(IPPROTO_TCP, AF_INET6, "::", 443, 0, NULL, 0),       /* phase 2 */
        };
        const size_t n1 = sizeof(socks) / sizeof(socks[0]) - 1;
        struct nl_sock *sk;
        sa_scan_stats st = { 0 };
        int conn, r;

        if (geteuid() != 0) {
                printf("SKIP: live_netns_dump: needs root for unshare(CLONE_NEWNET)\n");
                return;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                printf("SKIP: live_netns_dump: unshare(CLONE_NEWNET): %s\n",
                       strerror(errno));
                return;
        }
        r = lo_up();
        ck_assert_msg(r == 0, "bringing lo up: %s", strerror(-r));

        for (size_t i = 0; i < n1; i++)
                live_open(&socks[i]);

        /* Not listeners: an established TCP pair and a connected UDP socket. */
        conn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        {
                struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9000),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                ck_assert_int_eq(connect(conn, (struct sockaddr *)&to, sizeof(to)), 0);
                to.sin_port = htons(9);
                ck_assert_int_eq(connect(socks[8].fd, (struct sockaddr *)&to, sizeof(to)), 0);
                socks[8].t.listed = false;
        }

        ck_assert_int_eq(sa_sockdiag_open(&sk), 0);
        live_check_all(sk, socks, n1, &st);
        ck_assert_uint_eq(st.dumps, 8);
        ck_assert_uint_eq(st.dump_retries, 0);
        ck_assert_uint_gt(st.netlink_usec, 0);

        /* Phase 2: a dual-stack [::]:443 replaces both TCP 443 listeners and
         * shows in the IPv6 dump only. */
        live_close(&socks[0]);
        live_close(&socks[1]);
        live_open(&socks[n1]);
        live_check_all(sk, socks, n1 + 1, &st);
        ck_assert_uint_eq(st.dumps, 16);

        nl_socket_free(sk);
        close(conn);
        for (size_t i = 0; i <= n1; i++)
                if (socks[i].fd >= 0)
                        close(socks[i].fd);
}
END_TEST

Suite *sockdiag_suite(void)
{
        Suite *s = suite_create("sockdiag");
        TCase *tc;

        tc = tcase_create("parse");
        tcase_add_test(tc, parse_tcp4_listener);
        tcase_add_test(tc, parse_ipv4_address_uses_4_bytes);
        tcase_add_loop_test(tc, parse_ipv6_v6only, 0, 2);
        tcase_add_test(tc, parse_v6only_attribute_absent_or_on_ipv4);
        tcase_add_test(tc, parse_udp);
        tcase_add_test(tc, parse_bound_device);
        tcase_add_test(tc, parse_cookie_assembly);
        tcase_add_test(tc, parse_port_byte_order);
        tcase_add_test(tc, parse_short_header);
        tcase_add_test(tc, parse_short_inet_diag_msg);
        tcase_add_test(tc, parse_truncated_attribute);
        tcase_add_test(tc, parse_attribute_payload_too_short);
        tcase_add_test(tc, parse_wrong_family_type_or_proto);
        tcase_add_test(tc, nl_errno_mapping);
        suite_add_tcase(s, tc);

        tc = tcase_create("recorded");
        tcase_add_loop_test(tc, recorded_reply_walk, 0, N_FIXTURES);
        tcase_add_loop_test(tc, replay_recorded_dump, 0, 8);
        tcase_add_test(tc, replay_port_filter_request);
        tcase_add_test(tc, replay_port_checked_on_parse);
        tcase_add_test(tc, replay_skips_unasked_entries);
        tcase_add_test(tc, replay_dump_intr_restarts);
        tcase_add_test(tc, replay_dump_intr_gives_up);
        tcase_add_loop_test(tc, replay_nlmsg_error, 0, 4);
        tcase_add_test(tc, replay_done_with_error);
        tcase_add_test(tc, replay_malformed_then_next_dump_ok);
        tcase_add_test(tc, replay_rejects_foreign_sender);
        tcase_add_test(tc, replay_sequence_mismatch);
        tcase_add_test(tc, dump_rejects_bad_arguments);
        suite_add_tcase(s, tc);

        tc = tcase_create("live");
        tcase_add_test(tc, live_netns_dump);
        suite_add_tcase(s, tc);
        return s;
}
