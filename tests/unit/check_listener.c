/* SPDX-License-Identifier: MIT */
/* The listener vocabulary (lib/listener.c): names both ways, addresses, time. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"
#include "sockaudit.h"

/* A listener with only family and address set from text. */
static sa_listener at(const char *addr)
{
        sa_listener l = { .family = strchr(addr, ':') ? AF_INET6 : AF_INET };

        ck_assert_int_eq(inet_pton(l.family, addr, l.addr), 1);
        return l;
}

START_TEST(enum_names)
{
        ck_assert_str_eq(sa_proto_name(IPPROTO_TCP), "tcp");
        ck_assert_str_eq(sa_proto_name(IPPROTO_UDP), "udp");
        ck_assert_str_eq(sa_proto_name(IPPROTO_SCTP), "?");
        ck_assert_str_eq(sa_family_name(AF_INET), "ipv4");
        ck_assert_str_eq(sa_family_name(AF_INET6), "ipv6");
        ck_assert_str_eq(sa_family_name(AF_UNIX), "?");
        ck_assert_str_eq(sa_owner_status_name(SA_OWNER_OK), "ok");
        ck_assert_str_eq(sa_owner_status_name(SA_OWNER_UNKNOWN), "unknown");
        ck_assert_str_eq(sa_owner_status_name(SA_OWNER_PARTIAL), "partial");
        ck_assert_str_eq(sa_owner_status_name((sa_owner_status) 99), "?");
        ck_assert_ptr_null(sa_holder_role_name(SA_ROLE_NONE));
        ck_assert_str_eq(sa_holder_role_name(SA_ROLE_ACTIVATOR), "activator");
        ck_assert_str_eq(sa_holder_role_name(SA_ROLE_SERVICE), "service");
        ck_assert_ptr_null(sa_holder_role_name((sa_holder_role) 99));
        ck_assert_str_eq(sa_exposure_scope_name(SA_SCOPE_WILDCARD), "wildcard");
        ck_assert_str_eq(sa_exposure_scope_name(SA_SCOPE_DEVICE), "device");
        ck_assert_str_eq(sa_exposure_scope_name((sa_exposure_scope) 99), "?");
}
END_TEST

/* Every name reads back as its value; anything else is refused, *ret untouched. */
START_TEST(names_read_back)
{
        static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP }, families[] = { AF_INET, AF_INET6 };
        static const char *const junk[] = { NULL, "", "?", "TCP", "ipv4 ", "none", "okay" };
        sa_owner_status st;
        sa_holder_role role;
        uint8_t v;

        for (size_t i = 0; i < sizeof protos; i++) {
                ck_assert_int_eq(sa_proto_from_name(sa_proto_name(protos[i]), &v), 0);
                ck_assert_int_eq(v, protos[i]);
                ck_assert_int_eq(sa_family_from_name(sa_family_name(families[i]), &v), 0);
                ck_assert_int_eq(v, families[i]);
        }
        for (sa_owner_status s = SA_OWNER_OK; s <= SA_OWNER_PARTIAL; s++) {
                ck_assert_int_eq(sa_owner_status_from_name(sa_owner_status_name(s), &st), 0);
                ck_assert_int_eq(st, s);
        }
        for (sa_holder_role r = SA_ROLE_ACTIVATOR; r <= SA_ROLE_SERVICE; r++) {
                ck_assert_int_eq(sa_holder_role_from_name(sa_holder_role_name(r), &role), 0);
                ck_assert_int_eq(role, r);
        }
        for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
                v = 42;
                st = SA_OWNER_PARTIAL;
                role = SA_ROLE_SERVICE;
                ck_assert_int_eq(sa_proto_from_name(junk[i], &v), -EINVAL);
                ck_assert_int_eq(sa_family_from_name(junk[i], &v), -EINVAL);
                ck_assert_int_eq(v, 42);
                ck_assert_int_eq(sa_owner_status_from_name(junk[i], &st), -EINVAL);
                ck_assert_int_eq(st, SA_OWNER_PARTIAL);
                ck_assert_int_eq(sa_holder_role_from_name(junk[i], &role), -EINVAL);
                ck_assert_int_eq(role, SA_ROLE_SERVICE);
        }
}
END_TEST

START_TEST(addresses)
{
        sa_listener l;
        char buf[INET6_ADDRSTRLEN];

        l = at("0.0.0.0");
        ck_assert_str_eq(sa_listener_address(&l, buf, sizeof buf), "0.0.0.0");
        ck_assert(sa_addr_is_any(&l) && !sa_addr_is_loopback(&l));
        l = at("::");
        ck_assert_str_eq(sa_listener_address(&l, buf, sizeof buf), "::");
        ck_assert(sa_addr_is_any(&l) && !sa_addr_is_v4mapped(&l));
        l = at("127.1.2.3");
        ck_assert(sa_addr_is_loopback(&l) && !sa_addr_is_any(&l));
        l = at("::1");
        ck_assert(sa_addr_is_loopback(&l) && !sa_addr_is_linklocal(&l));
        l = at("::ffff:127.0.0.1");
        ck_assert_str_eq(sa_listener_address(&l, buf, sizeof buf), "::ffff:127.0.0.1");
        ck_assert(sa_addr_is_v4mapped(&l) && sa_addr_is_loopback(&l));
        l = at("fe80::1");
        ck_assert(sa_addr_is_linklocal(&l) && !sa_addr_is_loopback(&l));
        l = at("fec0::1");
        ck_assert(!sa_addr_is_linklocal(&l));
        /* No family: no address, and none of the kinds. */
        l.family = 0;
        ck_assert_str_eq(sa_listener_address(&l, buf, sizeof buf), "?");
        ck_assert(!sa_addr_is_any(&l) && !sa_addr_is_loopback(&l) && !sa_addr_is_v4mapped(&l));
}
END_TEST

START_TEST(time_format)
{
        struct timespec ts = { .tv_sec = 1795446245, .tv_nsec = 123456789 };
        char buf[40];
        ck_assert_str_eq(sa_format_time(&ts, buf, sizeof buf), "2026-11-23T15:04:05.123456Z");
}
END_TEST

Suite *listener_suite(void)
{
        Suite *s = suite_create("listener");
        TCase *tc = tcase_create("vocabulary");

        tcase_add_test(tc, enum_names);
        tcase_add_test(tc, names_read_back);
        tcase_add_test(tc, addresses);
        tcase_add_test(tc, time_format);
        suite_add_tcase(s, tc);
        return s;
}
