/* SPDX-License-Identifier: MIT */
/*
 * The netlink reply parser, two ways. Byte 0 picks the protocol (bit 0:
 * TCP/UDP), family (bit 1) and mode (bit 2); the rest is a buffer of
 * nlmsghdrs, as the kernel would send it.
 *  - walk: sa_sockdiag_parse() on every message nlmsg_ok() accepts;
 *  - dump: sa_sockdiag_dump() on a libnl socket whose send/recv are
 *    replaced by a fake kernel that answers the request with the buffer
 *    (sequence numbers fixed up, so libnl accepts it and the callbacks
 *    run), in datagrams of (byte 0 >> 3) + 1 messages. The seeds are the
 *    recorded replies in tests/fixtures/netlink/ with a mode byte in front.
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "fuzz.h"
#include "sockdiag.h"

static struct {
        const unsigned char *data;
        size_t len, pos;
        unsigned per_recv;
        uint32_t seq;
        unsigned sends;
} fk;

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
        fk.seq = nlmsg_hdr(msg)->nlmsg_seq;
        fk.pos = 0;
        fk.sends++;
        return (int) nlmsg_hdr(msg)->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla, unsigned char **buf,
                     struct ucred **creds)
{
        size_t start = fk.pos, end;
        struct nlmsghdr *h;
        unsigned k = 0;
        int rem;

        memset(nla, 0, sizeof(*nla));
        nla->nl_family = AF_NETLINK;
        if (start >= fk.len)
                return 0;
        rem = (int) (fk.len - start);
        for (h = (struct nlmsghdr *) (fk.data + start); nlmsg_ok(h, rem); h = nlmsg_next(h, &rem))
                if (++k == fk.per_recv) {
                        h = nlmsg_next(h, &rem);
                        break;
                }
        end = fk.len - (size_t) (rem > 0 ? rem : 0);
        if (end == start)
                end = fk.len;   /* garbage that is no message: hand it over whole */
        fk.pos = end;
        *buf = malloc(end - start);
        if (!*buf)
                return -NLE_NOMEM;
        memcpy(*buf, fk.data + start, end - start);
        rem = (int) (end - start);
        for (h = (struct nlmsghdr *) *buf; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem))
                h->nlmsg_seq = fk.seq;
        return (int) (end - start);
}

static void run_dump(const unsigned char *buf, size_t len, uint8_t family, uint8_t proto,
                     unsigned per_recv)
{
        struct nl_sock *sk = nl_socket_alloc();
        sa_listener_vec v = { 0 };
        sa_scan_stats st = { 0 };
        struct nl_cb *cb;
        int r;

        assert(sk);
        cb = nl_socket_get_cb(sk);
        nl_cb_overwrite_send(cb, fake_send);
        nl_cb_overwrite_recv(cb, fake_recv);
        nl_cb_put(cb);
        fk.data = buf;
        fk.len = len;
        fk.pos = 0;
        fk.per_recv = per_recv;
        fk.sends = 0;

        r = sa_sockdiag_dump(sk, family, proto, 0, 1, &v, &st);
        if (r < 0)
                assert(v.n == 0);
        for (size_t i = 0; i < v.n; i++) {
                assert(v.items[i].family == family && v.items[i].proto == proto);
                assert(v.items[i].port != 0);
        }
        assert(fk.sends <= 6);     /* NLM_F_DUMP_INTR: at most 5 restarts */
        sa_listener_vec_clear(&v);
        nl_socket_free(sk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t mode, proto, family;
        unsigned char *buf;
        struct nlmsghdr *h;
        sa_listener l;
        int rem;

        if (size < 1)
                return 0;
        mode = data[0];
        proto = mode & 1 ? IPPROTO_UDP : IPPROTO_TCP;
        family = mode & 2 ? AF_INET6 : AF_INET;
        data++;
        size--;
        if (size > 1 << 20)
                return 0;
        /* Aligned, and exactly as long as the input: ASan sees any overread. */
        buf = malloc(size ? size : 1);
        assert(buf);
        if (size)
                memcpy(buf, data, size);

        if (!(mode & 4)) {
                rem = (int) size;
                for (h = (struct nlmsghdr *) buf; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
                        int r = sa_sockdiag_parse(h, proto, &l);

                        assert(r == 0 || r == -EBADMSG || r == -EINVAL);
                        if (r == 0)
                                assert(l.family == AF_INET || l.family == AF_INET6);
                }
        } else {
                run_dump(buf, size, family, proto, (mode >> 3) + 1u);
        }
        free(buf);
        return 0;
}
