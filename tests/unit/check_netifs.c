/* SPDX-License-Identifier: MIT */
/* Which interfaces and addresses a listener accepts on (lib/netifs.c), and the interface states. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netifs.h"

static sa_listener lis(const char *addr, bool v6only)
{
        sa_listener l = { .proto = IPPROTO_TCP, .port = 22, .v6only = v6only };

        l.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
        ck_assert_int_eq(inet_pton(l.family, addr, l.addr), 1);
        return l;
}

static sa_netif_addr addr(const char *s)
{
        sa_netif_addr a = { .family = strchr(s, ':') ? AF_INET6 : AF_INET, .prefix = 24 };

        ck_assert_int_eq(inet_pton(a.family, s, a.addr), 1);
        return a;
}

/* lo (127.0.0.1, ::1), eth0 up (10.0.0.1, fd00::1), eth1 down (10.1.0.1). */
static sa_netif ifs_items[3];
static sa_netifs ifs = { .n = 3, .items = ifs_items };

static void setup(void)
{
        memset(ifs_items, 0, sizeof(ifs_items));
        ifs_items[0] = (sa_netif) { .name = "lo", .index = 1, .up = true, .loopback = true, .n_addrs = 2 };
        ifs_items[0].addrs[0] = addr("127.0.0.1");
        ifs_items[0].addrs[1] = addr("::1");
        ifs_items[1] = (sa_netif) { .name = "eth0", .index = 2, .up = true, .lower_up = true, .n_addrs = 2 };
        ifs_items[1].addrs[0] = addr("10.0.0.1");
        ifs_items[1].addrs[1] = addr("fd00::1");
        ifs_items[2] = (sa_netif) { .name = "eth1", .index = 3, .n_addrs = 1 };
        ifs_items[2].addrs[0] = addr("10.1.0.1");
}

START_TEST(wildcard_and_specific)
{
        sa_listener any4 = lis("0.0.0.0", false), one = lis("10.0.0.1", false), lo = lis("127.0.0.1", false);

        setup();
        ck_assert(sa_netif_accepts(&any4, &ifs_items[0], &ifs));
        ck_assert(sa_netif_accepts(&any4, &ifs_items[1], &ifs));
        ck_assert(!sa_netif_accepts(&any4, &ifs_items[2], &ifs));      /* down */
        ck_assert(sa_netif_accepts(&one, &ifs_items[1], &ifs));
        ck_assert(sa_netif_accepts(&one, &ifs_items[0], &ifs));        /* loopback reaches any local address */
        ck_assert(!sa_netif_accepts(&lo, &ifs_items[1], &ifs));
        ck_assert(sa_netif_accepts_addr(&one, &ifs_items[1].addrs[0]));
        ck_assert(!sa_netif_accepts_addr(&one, &ifs_items[0].addrs[0]));
        ck_assert(!sa_netif_accepts_addr(&any4, &ifs_items[1].addrs[1])); /* IPv6 on an IPv4 socket */
}
END_TEST

START_TEST(v6only_and_mapped)
{
        sa_listener dual = lis("::", false), only6 = lis("::", true), mapped = lis("::ffff:10.0.0.1", false);

        setup();
        ck_assert(sa_netif_accepts_addr(&dual, &ifs_items[1].addrs[0]));
        ck_assert(sa_netif_accepts_addr(&dual, &ifs_items[1].addrs[1]));
        ck_assert(!sa_netif_accepts_addr(&only6, &ifs_items[1].addrs[0]));
        ck_assert(sa_netif_accepts_addr(&only6, &ifs_items[1].addrs[1]));
        ck_assert(sa_netif_accepts_addr(&mapped, &ifs_items[1].addrs[0]));
        ck_assert(!sa_netif_accepts_addr(&mapped, &ifs_items[0].addrs[0]));
}
END_TEST

START_TEST(bound_device_and_states)
{
        sa_listener dev = lis("0.0.0.0", false);

        setup();
        snprintf(dev.ifname, sizeof(dev.ifname), "eth0");
        ck_assert(!sa_netif_accepts(&dev, &ifs_items[0], &ifs));
        ck_assert(sa_netif_accepts(&dev, &ifs_items[1], &ifs));
        dev.ifindex = 1;        /* the index wins over the name */
        ck_assert(sa_netif_accepts(&dev, &ifs_items[0], &ifs));
        ck_assert_str_eq(sa_netif_state(&ifs_items[0]), "up");
        ck_assert_str_eq(sa_netif_state(&ifs_items[2]), "down");
        ifs_items[1].lower_up = false;
        ck_assert_str_eq(sa_netif_state(&ifs_items[1]), "no-carrier");
}
END_TEST

Suite *netifs_suite(void)
{
        Suite *s = suite_create("netifs");
        TCase *tc = tcase_create("accepts");

        tcase_add_test(tc, wildcard_and_specific);
        tcase_add_test(tc, v6only_and_mapped);
        tcase_add_test(tc, bound_device_and_states);
        suite_add_tcase(s, tc);
        return s;
}
