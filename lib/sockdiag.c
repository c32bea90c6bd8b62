/* SPDX-License-Identifier: MIT */
/*
 * Socket tables over NETLINK_SOCK_DIAG: one SOCK_DIAG_BY_FAMILY dump per
 * (family, protocol), the inet_diag_req_v2 request built by hand on libnl
 * core (libnl-idiag only speaks the old TCP-only request).
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "sockdiag.h"

/* Receive buffer: a dump chunk is at most 32 KiB, so one recvmsg suffices. */
#define SA_NL_BUFSIZE ((size_t)64 * 1024)
/* NLM_F_DUMP_INTR restarts allowed per dump before giving up. */
#define SA_DUMP_MAX_RESTARTS 5
/* dump_once() result: the table changed under the dump, run it again. */
#define SA_DUMP_RESTART 1

_Static_assert(sizeof(((sa_listener *)0)->ifname) == IFNAMSIZ,
               "sa_listener.ifname must hold IFNAMSIZ bytes");

/* Only the attributes we read; minimum payload sizes are enforced. */
static const struct nla_policy diag_policy[INET_DIAG_MAX + 1] = {
        [INET_DIAG_SKV6ONLY] = { .type = NLA_U8 },
};

int sa_nl_errno(int nlerr)
{
        unsigned e = nlerr < 0 ? -(unsigned)nlerr : (unsigned)nlerr;

        switch (e) {
        case NLE_SUCCESS:           return 0;
        case NLE_INTR:              return -EINTR;
        case NLE_BAD_SOCK:          return -EBADF;
        case NLE_AGAIN:             return -EAGAIN;
        case NLE_NOMEM:             return -ENOMEM;
        case NLE_EXIST:             return -EEXIST;
        case NLE_INVAL:             return -EINVAL;
        case NLE_RANGE:             return -ERANGE;
        case NLE_MSGSIZE:           return -EMSGSIZE;
        case NLE_OPNOTSUPP:         return -EOPNOTSUPP;
        case NLE_AF_NOSUPPORT:      return -EAFNOSUPPORT;
        case NLE_OBJ_NOTFOUND:      return -ENOENT;
        case NLE_NOATTR:
        case NLE_MISSING_ATTR:      return -EBADMSG;
        case NLE_AF_MISMATCH:       return -EAFNOSUPPORT;
        case NLE_SEQ_MISMATCH:      return -EPROTO;
        case NLE_MSG_OVERFLOW:      return -ENOBUFS;
        case NLE_MSG_TRUNC:         return -EMSGSIZE;
        case NLE_NOADDR:            return -EADDRNOTAVAIL;
        case NLE_SRCRT_NOSUPPORT:   return -EOPNOTSUPP;
        case NLE_MSG_TOOSHORT:      return -EBADMSG;
        case NLE_MSGTYPE_NOSUPPORT: return -EOPNOTSUPP;
        case NLE_OBJ_MISMATCH:      return -EINVAL;
        case NLE_NOCACHE:           return -ENOENT;
        case NLE_BUSY:              return -EBUSY;
        case NLE_PROTO_MISMATCH:    return -EPROTONOSUPPORT;
        case NLE_NOACCESS:          return -EACCES;
        case NLE_PERM:              return -EPERM;
        case NLE_PKTLOC_FILE:       return -ENOENT;
        case NLE_PARSE_ERR:         return -EINVAL;
        case NLE_NODEV:             return -ENODEV;
        case NLE_IMMUTABLE:         return -EPERM;
        case NLE_DUMP_INTR:         return -EINTR;
        case NLE_ATTRSIZE:          return -EBADMSG;
        default:                    return -EIO; /* NLE_FAILURE, unknown */
        }
}

int sa_sockdiag_open(struct nl_sock **ret)
{
        struct nl_sock *sk;
        int r;

        if (!ret)
                return -EINVAL;

        sk = nl_socket_alloc();
        if (!sk)
                return -ENOMEM;

        /* Auto-ack stays on: libnl only checks sequence numbers with it. */
        r = nl_connect(sk, NETLINK_SOCK_DIAG);
        if (r < 0)
                goto fail;
        nl_socket_disable_msg_peek(sk);
        r = nl_socket_set_msg_buf_size(sk, SA_NL_BUFSIZE);
        if (r < 0)
                goto fail;

        *ret = sk;
        return 0;
fail:
        nl_socket_free(sk);
        return sa_nl_errno(r);
}

/*
 * Indexes the attributes following the inet_diag_msg of nlh into tb
 * (INET_DIAG_MAX + 1 entries). nla_parse() stops quietly at a truncated
 * attribute, so the stream is walked first and any leftover rejected.
 * -EBADMSG on a truncated stream or an attribute shorter than its policy.
 */
static int diag_attrs_parse(const struct nlmsghdr *nlh, struct nlattr *tb[])
{
        const int hdrlen = sizeof(struct inet_diag_msg);
        const struct nlattr *nla;
        int rem;

        nla_for_each_attr(nla, nlmsg_attrdata(nlh, hdrlen),
                          nlmsg_attrlen(nlh, hdrlen), rem)
                ;
        if (rem > 0)
                return -EBADMSG;

        if (nlmsg_parse((struct nlmsghdr *)nlh, hdrlen, tb, INET_DIAG_MAX,
                        diag_policy) < 0)
                return -EBADMSG;
        return 0;
}

/*
 * Decodes one reply. nlh must be readable for nlh->nlmsg_len bytes (as
 * nlmsg_ok() guarantees while walking a buffer). Pure: ifname is left ""
 * because an index only has a name inside the namespace that was dumped,
 * which the caller's thread may not be in; sa_sockdiag_dump() fills it in.
 * netns is 0, holders NULL, owner_status SA_OWNER_OK.
 * -EBADMSG: not a SOCK_DIAG_BY_FAMILY reply, shorter than its inet_diag_msg,
 * truncated attributes, or an attribute payload too short.
 * -EINVAL: family not AF_INET/AF_INET6, proto not TCP/UDP.
 */
int sa_sockdiag_parse(const struct nlmsghdr *nlh, uint8_t proto, sa_listener *ret)
{
        struct nlattr *tb[INET_DIAG_MAX + 1];
        const struct inet_diag_msg *m;
        sa_listener l;
        int r;

        if (!nlh || !ret)
                return -EINVAL;
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
                return -EINVAL;
        if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
                return -EBADMSG;
        if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
                return -EBADMSG;

        m = nlmsg_data(nlh);
        if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
                return -EINVAL;

        r = diag_attrs_parse(nlh, tb);
        if (r < 0)
                return r;

        memset(&l, 0, sizeof(l));
        l.proto = proto;
        l.family = m->idiag_family;
        l.state = m->idiag_state;
        l.port = ntohs(m->id.idiag_sport);
        memcpy(l.addr, m->id.idiag_src, l.family == AF_INET ? 4 : 16);
        l.ifindex = m->id.idiag_if;
        l.inode = m->idiag_inode;
        l.cookie = (uint64_t)m->id.idiag_cookie[0] |
                   (uint64_t)m->id.idiag_cookie[1] << 32;
        l.uid = m->idiag_uid;
        /* Kernels before 4.2 lack the attribute: read as dual-stack. */
        l.v6only = l.family == AF_INET6 && tb[INET_DIAG_SKV6ONLY] &&
                   nla_get_u8(tb[INET_DIAG_SKV6ONLY]) != 0;
        l.holders = NULL;
        l.n_holders = 0;
        l.owner_status = SA_OWNER_OK;
        l.owner_reason = NULL;

        *ret = l;
        return 0;
}

/* State of one dump, shared by the libnl callbacks. */
typedef struct dump_ctx {
        uint8_t family;
        uint8_t proto;
        uint8_t state;           /* the one state asked for */
        uint16_t port;           /* 0 = any */
        uint64_t netns;
        int fd;                  /* the netlink socket: names ifindex in its netns */
        sa_listener_vec *out;
        int err;                 /* first error of this attempt, 0 if none */
        uint32_t seq;            /* of the request this attempt answers */
        uint32_t ifcache_index;  /* last name looked up (0 = none) */
        char ifcache_name[IFNAMSIZ];
} dump_ctx;

/*
 * Names ifindex in the dumped namespace: SIOCGIFNAME on the netlink socket
 * itself, which the kernel answers in the socket's namespace (if_indextoname
 * would ask the caller's). "" if unknown. One ioctl per new index.
 */
static void dump_ifname(dump_ctx *c, uint32_t ifindex, char name[IFNAMSIZ])
{
        struct ifreq ifr;

        if (ifindex != c->ifcache_index) {
                memset(&ifr, 0, sizeof(ifr));
                c->ifcache_name[0] = '\0';
                if (ifindex <= INT_MAX && c->fd >= 0) {
                        ifr.ifr_ifindex = (int)ifindex;
                        if (ioctl(c->fd, SIOCGIFNAME, &ifr) == 0)
                                memcpy(c->ifcache_name, ifr.ifr_name, IFNAMSIZ);
                }
                c->ifcache_name[IFNAMSIZ - 1] = '\0';
                c->ifcache_index = ifindex;
        }
        memcpy(name, c->ifcache_name, IFNAMSIZ);
}

/*
 * One reply message. After the first error the rest of the dump is still
 * read (and ignored) so the socket stays in step for the next request.
 * A message from a sender other than the kernel (port id 0; only possible
 * with CAP_NET_ADMIN) makes the whole dump untrustworthy: -EPROTO.
 */
static int dump_valid(struct nl_msg *msg, void *arg)
{
        const struct sockaddr_nl *src = nlmsg_get_src(msg);
        dump_ctx *c = arg;
        sa_listener l;
        int r;

        if (c->err < 0)
                return NL_SKIP;
        if (src && src->nl_pid != 0) {
                c->err = -EPROTO;
                return NL_SKIP;
        }

        r = sa_sockdiag_parse(nlmsg_hdr(msg), c->proto, &l);
        if (r < 0) {
                c->err = r;
                return NL_SKIP;
        }

        /* The kernel filtered already; this guards against one that didn't. */
        if (l.family != c->family || l.state != c->state || l.port == 0 ||
            (c->port != 0 && l.port != c->port))
                return NL_SKIP;

        l.netns = c->netns;
        if (l.ifindex != 0)
                dump_ifname(c, l.ifindex, l.ifname);

        r = sa_listener_vec_push(c->out, &l);
        if (r < 0)
                c->err = r;
        return NL_OK;
}

/*
 * NL_CB_SEQ_CHECK, in place of libnl's own check: only the answer to this
 * request counts. An older message is what was left of a dump that failed
 * part-way (ENOBUFS...): skipped. libnl's check would fail every later dump
 * instead, as its expected number only moves on at an NLMSG_DONE. A newer
 * one cannot be ours: -EPROTO.
 */
static int dump_seq_check(struct nl_msg *msg, void *arg)
{
        dump_ctx *c = arg;
        int32_t d = (int32_t) (nlmsg_hdr(msg)->nlmsg_seq - c->seq);

        if (d == 0)
                return NL_OK;
        if (d < 0)
                return NL_SKIP;
        if (c->err == 0)
                c->err = -EPROTO;
        return NL_STOP;
}

/* NLMSG_DONE: a dump that failed in the kernel carries -errno here. */
static int dump_finish(struct nl_msg *msg, void *arg)
{
        dump_ctx *c = arg;
        const struct nlmsghdr *nlh = nlmsg_hdr(msg);
        int e;

        if (nlmsg_datalen(nlh) >= (int)sizeof(e)) {
                memcpy(&e, nlmsg_data(nlh), sizeof(e));
                if (e < 0 && c->err == 0)
                        c->err = e;
        }
        return NL_STOP;
}

/* NLMSG_ERROR with an errno: keep the kernel's own code, not libnl's. */
static int dump_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
        dump_ctx *c = arg;

        if (c->err == 0)
                c->err = e->error < 0 ? e->error : -EIO;
        return NL_STOP;
}

/* Datagrams dump_drain() discards at most (a 15k-listener dump is ~60). */
#define SA_DRAIN_MAX 4096

/*
 * Resynchronizes sk after a failed read: the rest of the failed dump's
 * reply may still be queued (recvmsg reports ENOBUFS, or libnl stops at a
 * message it rejects, before the queue is read), and the kernel produces
 * further parts only as they are read. Left there, the next dump on sk
 * would read them as its own answer: a sequence mismatch, or worse, the
 * old NLMSG_DONE taken as an empty table. Reads and drops every queued
 * datagram without blocking (MSG_TRUNC: a tiny buffer drops a datagram
 * whole). Costs one recv when nothing is left. No-op for sockets without
 * a descriptor (the unit tests' fake kernel).
 */
static void dump_drain(struct nl_sock *sk)
{
        int fd = nl_socket_get_fd(sk);
        char scratch[64];

        if (fd < 0)
                return;
        for (unsigned i = 0; i < SA_DRAIN_MAX; i++) {
                ssize_t n = recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT | MSG_TRUNC);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno != ENOBUFS)
                        return;         /* EAGAIN: empty, or the socket is broken */
        }
}

/*
 * Sends one dump request and reads the whole reply. Returns 0,
 * SA_DUMP_RESTART when the kernel flagged NLM_F_DUMP_INTR (the reply has
 * been read to its end), or -errno. Appends to c->out either way: the
 * caller truncates on anything but 0.
 */
static int dump_once(struct nl_sock *sk, struct nl_cb *cb,
                     const struct inet_diag_req_v2 *req, dump_ctx *c)
{
        struct nl_msg *msg;
        int r;

        /* A fresh message each time: nl_send_auto() only numbers unnumbered ones. */
        msg = nlmsg_alloc_simple(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP);
        if (!msg)
                return -ENOMEM;
        r = nlmsg_append(msg, (void *)req, sizeof(*req), NLMSG_ALIGNTO);
        if (r >= 0)
                r = nl_send_auto(sk, msg);
        c->seq = nlmsg_hdr(msg)->nlmsg_seq;     /* numbered by nl_send_auto() */
        nlmsg_free(msg);
        if (r < 0)
                return sa_nl_errno(r);

        c->err = 0;
        c->ifcache_index = 0;
        errno = 0;
        r = nl_recvmsgs(sk, cb);
        /* libnl reports recvmsg's ENOBUFS (the kernel dropped data) as NLE_NOMEM. */
        if (r == -NLE_NOMEM && errno == ENOBUFS)
                return -ENOBUFS;
        if (r == -NLE_DUMP_INTR)
                return SA_DUMP_RESTART;
        if (c->err < 0)
                return c->err;
        if (r < 0)
                return sa_nl_errno(r);
        return 0;
}

static uint64_t elapsed_usec(const struct timespec *a, const struct timespec *b)
{
        int64_t ns = (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 +
                     (b->tv_nsec - a->tv_nsec);

        return ns > 0 ? (uint64_t)ns / 1000 : 0;
}

/*
 * One dump of (family, proto) listeners, see sockdiag.h. Every message is
 * checked: a malformed one fails the whole dump with -EBADMSG (the kernel
 * never sends one, so it means a bug, and a silently
 * shorter table would look like a closed socket); the reply is still read
 * to its end so sk stays usable. Messages that do not match the request
 * (family, state, port, port 0) are skipped; one from another sender than
 * the kernel fails the dump with -EPROTO. NLM_F_DUMP_INTR restarts the
 * dump up to SA_DUMP_MAX_RESTARTS times, then -EINTR. NLMSG_ERROR gives
 * the kernel's errno. On failure out->n is restored (its capacity may have
 * grown). After any failure what is left of the reply is read and dropped
 * (dump_drain()), so the next dump on sk is in step; recvmsg's ENOBUFS is
 * -ENOBUFS. A socket that keeps failing is still best closed and reopened.
 * stats (may be NULL) counts every request sent in ->dumps, restarts in
 * ->dump_retries and the wall time in ->netlink_usec, success or not.
 */
int sa_sockdiag_dump(struct nl_sock *sk, uint8_t family, uint8_t proto,
                     uint16_t port, uint64_t netns, sa_listener_vec *out,
                     sa_scan_stats *stats)
{
        struct inet_diag_req_v2 req;
        struct timespec t0, t1;
        struct nl_cb *base, *cb;
        dump_ctx c;
        size_t n0;
        int r, restarts = 0;

        if (!sk || !out)
                return -EINVAL;
        if (family != AF_INET && family != AF_INET6)
                return -EINVAL;
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
                return -EINVAL;

        clock_gettime(CLOCK_MONOTONIC, &t0);

        memset(&req, 0, sizeof(req));
        req.sdiag_family = family;
        req.sdiag_protocol = proto;
        /* UDP: bound and unconnected is CLOSE, as `ss -l` shows it. */
        req.idiag_states = 1u << (proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE);
        /* Honoured by the TCP listener and UDP dumps; cheaper than bytecode. */
        req.id.idiag_sport = htons(port);
        req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
        req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

        memset(&c, 0, sizeof(c));
        c.family = family;
        c.proto = proto;
        c.state = proto == IPPROTO_TCP ? TCP_LISTEN : TCP_CLOSE;
        c.port = port;
        c.netns = netns;
        c.fd = nl_socket_get_fd(sk);
        c.out = out;

        /* A private copy of sk's callbacks, so no pointer to c outlives us. */
        base = nl_socket_get_cb(sk);
        if (!base) {
                r = -ENOMEM;
                goto done;
        }
        cb = nl_cb_clone(base);
        nl_cb_put(base);
        if (!cb) {
                r = -ENOMEM;
                goto done;
        }
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dump_valid, &c);
        nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, dump_finish, &c);
        nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, dump_seq_check, &c);
        nl_cb_err(cb, NL_CB_CUSTOM, dump_error, &c);

        n0 = out->n;
        for (;;) {
                if (stats)
                        stats->dumps++;
                r = dump_once(sk, cb, &req, &c);
                if (r != SA_DUMP_RESTART)
                        break;
                sa_listener_vec_truncate(out, n0);
                if (restarts == SA_DUMP_MAX_RESTARTS) {
                        r = sa_nl_errno(NLE_DUMP_INTR);
                        break;
                }
                restarts++;
                if (stats)
                        stats->dump_retries++;
        }
        if (r < 0) {
                sa_listener_vec_truncate(out, n0);
                dump_drain(sk);
        }
        nl_cb_put(cb);

done:
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (stats)
                stats->netlink_usec += elapsed_usec(&t0, &t1);
        return r < 0 ? r : 0;
}
