/* SPDX-License-Identifier: MIT */
/* Exposure: classification of listeners and the words that explain it. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"
#include "sockaudit.h"

/* A TCP listener on port 443 at addr, in namespace ns ("" = unnamed). */
static sa_listener make(const char *addr, bool v6only, const char *ns)
{
        sa_listener l = {
                .proto = IPPROTO_TCP, .port = 443, .v6only = v6only, .inode = 1,
                .netns = 4026532999u, .owner_status = SA_OWNER_UNKNOWN,
        };

        l.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
        ck_assert_int_eq(inet_pton(l.family, addr, l.addr), 1);
        snprintf(l.netns_name, sizeof l.netns_name, "%s", ns);
        return l;
}

static sa_exposure classify(const sa_listener *l)
{
        sa_exposure e;

        memset(&e, 0xaa, sizeof e);
        sa_listener_exposure(l, &e);
        return e;
}

static void assert_exposure(const sa_listener *l, sa_exposure_scope scope, bool v4, bool v6, bool host)
{
        sa_exposure e = classify(l);
        char a[64];

        ck_assert_msg(e.scope == scope, "%s: scope %s, want %s", sa_listener_address(l, a, sizeof a),
                      sa_exposure_scope_name(e.scope), sa_exposure_scope_name(scope));
        ck_assert_msg(e.ipv4 == v4 && e.ipv6 == v6, "%s: ipv4 %d ipv6 %d", a, e.ipv4, e.ipv6);
        ck_assert_msg(e.host_netns == host, "%s: host %d", a, e.host_netns);
}

/* True when one of lines contains needle. */
static bool has_line(char **lines, const char *needle)
{
        for (size_t i = 0; lines[i]; i++)
                if (strstr(lines[i], needle))
                        return true;
        return false;
}

/* Explanation lines of l; each must contain one of the needles given (NULL-ended). */
static void assert_explained(const sa_listener *l, const char *const *needles)
{
        char **lines = NULL;

        ck_assert_int_eq(sa_listener_explain(l, &lines), 0);
        ck_assert_ptr_nonnull(lines);
        ck_assert_ptr_nonnull(lines[0]);
        for (size_t i = 0; needles[i]; i++) {
                if (!has_line(lines, needles[i])) {
                        for (size_t k = 0; lines[k]; k++)
                                fprintf(stderr, "line: %s\n", lines[k]);
                        ck_abort_msg("no line contains '%s'", needles[i]);
                }
        }
        ck_assert_ptr_null(sa_strv_free(lines));
}

static char *summary(const sa_listener *l)
{
        char *s = NULL;

        ck_assert_int_eq(sa_listener_exposure_summary(l, &s), 0);
        ck_assert_ptr_nonnull(s);
        return s;
}

START_TEST(scope_and_families)
{
        sa_listener l;

        l = make("0.0.0.0", false, "host");
        assert_exposure(&l, SA_SCOPE_WILDCARD, true, false, true);
        l = make("127.0.0.1", false, "host");
        assert_exposure(&l, SA_SCOPE_LOOPBACK, true, false, true);
        l = make("127.0.0.53", false, "host");
        assert_exposure(&l, SA_SCOPE_LOOPBACK, true, false, true);
        l = make("192.0.2.10", false, "host");
        assert_exposure(&l, SA_SCOPE_ADDRESS, true, false, true);
        /* "::" without v6only is dual-stack; with it, IPv6 only. */
        l = make("::", false, "host");
        assert_exposure(&l, SA_SCOPE_WILDCARD, true, true, true);
        l = make("::", true, "host");
        assert_exposure(&l, SA_SCOPE_WILDCARD, false, true, true);
        l = make("::1", false, "host");
        assert_exposure(&l, SA_SCOPE_LOOPBACK, false, true, true);
        l = make("2001:db8::1", false, "host");
        assert_exposure(&l, SA_SCOPE_ADDRESS, false, true, true);
        /* IPv4-mapped: only IPv4 peers have such addresses. */
        l = make("::ffff:127.0.0.1", false, "host");
        assert_exposure(&l, SA_SCOPE_LOOPBACK, true, false, true);
        l = make("::ffff:192.0.2.1", false, "host");
        assert_exposure(&l, SA_SCOPE_ADDRESS, true, false, true);
        ck_assert(sa_addr_is_v4mapped(&l));
        /* Not loopback: 128.0.0.1, ::2, ::ffff:128.0.0.1. */
        l = make("128.0.0.1", false, "host");
        assert_exposure(&l, SA_SCOPE_ADDRESS, true, false, true);
        l = make("::2", false, "host");
        assert_exposure(&l, SA_SCOPE_ADDRESS, false, true, true);
}
END_TEST

START_TEST(device_scope)
{
        sa_listener l = make("0.0.0.0", false, "host");
        char buf[SA_IFNAME_LABEL_MAX];

        l.ifindex = 1;
        snprintf(l.ifname, sizeof l.ifname, "lo");
        assert_exposure(&l, SA_SCOPE_DEVICE, true, false, true);
        ck_assert_str_eq(sa_listener_ifname_label(&l, buf, sizeof buf), "lo");
        /* Index without a name, and (read back from JSON) a name without index. */
        l.ifname[0] = '\0';
        l.ifindex = 7;
        ck_assert_str_eq(sa_listener_ifname_label(&l, buf, sizeof buf), "if7");
        assert_exposure(&l, SA_SCOPE_DEVICE, true, false, true);
        l.ifindex = 0;
        snprintf(l.ifname, sizeof l.ifname, "eth0");
        assert_exposure(&l, SA_SCOPE_DEVICE, true, false, true);
        l.ifname[0] = '\0';
        ck_assert_str_eq(sa_listener_ifname_label(&l, buf, sizeof buf), "");
        assert_exposure(&l, SA_SCOPE_WILDCARD, true, false, true);
        /* Link-local binds carry their interface. */
        l = make("fe80::1", false, "host");
        ck_assert(sa_addr_is_linklocal(&l));
        l.ifindex = 2;
        assert_exposure(&l, SA_SCOPE_DEVICE, false, true, true);
        /* A device wins over loopback; the address is still explained. */
        l = make("127.0.0.1", false, "host");
        l.ifindex = 1;
        snprintf(l.ifname, sizeof l.ifname, "lo");
        assert_exposure(&l, SA_SCOPE_DEVICE, true, false, true);
        assert_explained(&l, (const char *const[]) {
                "bound to device lo: only via that interface",
                "bound to 127.0.0.1 only: reachable from this host only", NULL });
        char *s = summary(&l);
        ck_assert_str_eq(s, "Bound to device lo (address 127.0.0.1): reachable only via that interface.");
        free(s);
}
END_TEST

START_TEST(namespaces)
{
        sa_listener l = make("0.0.0.0", false, "host");
        char buf[SA_NETNS_LABEL_MAX];

        ck_assert(classify(&l).host_netns);
        ck_assert_str_eq(sa_listener_netns_label(&l, buf, sizeof buf), "host");
        l = make("0.0.0.0", false, "");
        ck_assert(!classify(&l).host_netns);
        ck_assert_str_eq(sa_listener_netns_label(&l, buf, sizeof buf), "net:[4026532999]");
        l = make("0.0.0.0", false, "docker:0123456789ab");
        ck_assert(!classify(&l).host_netns);
        ck_assert_str_eq(sa_listener_netns_label(&l, buf, sizeof buf), "docker:0123456789ab");
        /* Only the exact reserved name is the host. */
        l = make("0.0.0.0", false, "hostx");
        ck_assert(!classify(&l).host_netns);
        l = make("0.0.0.0", false, "Host");
        ck_assert(!classify(&l).host_netns);
        /* A name filling the whole buffer (no NUL) is not trusted as text. */
        l = make("0.0.0.0", false, "");
        memset(l.netns_name, 'a', sizeof l.netns_name);
        ck_assert_str_eq(sa_listener_netns_label(&l, buf, sizeof buf), "net:[4026532999]");
}
END_TEST

START_TEST(words)
{
        sa_listener l;
        char *s;

        l = make("127.0.0.1", false, "host");
        assert_explained(&l, (const char *const[]) {
                "bound to 127.0.0.1 only: reachable from this host only",
                "IPv4 only: IPv6 clients cannot connect", "in the host's network namespace", NULL });
        s = summary(&l);
        ck_assert_str_eq(s, "Bound to 127.0.0.1 only: reachable from this host only.");
        free(s);

        l = make("::", false, "host");
        assert_explained(&l, (const char *const[]) {
                "all addresses, IPv4 and IPv6: reachable from any network this host is on (firewall permitting)",
                "dual-stack", NULL });
        s = summary(&l);
        ck_assert_str_eq(s, "Listens on all IPv4 and IPv6 addresses: reachable from any network "
                            "this host is on (firewall permitting).");
        free(s);

        l = make("::", true, "host");
        assert_explained(&l, (const char *const[]) {
                "IPv6 only (v6only): IPv4 clients cannot connect", "all IPv6 addresses (::)", NULL });
        s = summary(&l);
        ck_assert_ptr_nonnull(strstr(s, "all IPv6 addresses (v6only)"));
        free(s);

        l = make("0.0.0.0", false, "sa-test");
        assert_explained(&l, (const char *const[]) {
                "inside network namespace sa-test (not the host's): reachable only through that "
                "namespace's interfaces (e.g. port forwarding/NAT)", NULL });
        s = summary(&l);
        ck_assert_str_eq(s, "Listens on all IPv4 addresses inside network namespace sa-test (not the host's): "
                            "reachable only through that namespace's interfaces (e.g. port forwarding/NAT).");
        free(s);

        l = make("127.0.0.1", false, "");
        assert_explained(&l, (const char *const[]) {
                "bound to 127.0.0.1 only: reachable only from inside its network namespace",
                "inside network namespace net:[4026532999] (not the host's)", NULL });

        l = make("0.0.0.0", false, "host");
        l.ifindex = 3;
        snprintf(l.ifname, sizeof l.ifname, "eth0");
        assert_explained(&l, (const char *const[]) { "bound to device eth0: only via that interface", NULL });
        char **lines = NULL;
        ck_assert_int_eq(sa_listener_explain(&l, &lines), 0);
        ck_assert(!has_line(lines, "reachable from any network")); /* the device limits it */
        sa_strv_free(lines);

        l = make("192.0.2.10", false, "host");
        assert_explained(&l, (const char *const[]) { "bound to 192.0.2.10 only", NULL });
        l = make("::ffff:192.0.2.1", false, "host");
        assert_explained(&l, (const char *const[]) { "IPv4-mapped address: only IPv4 clients", NULL });
        l = make("2001:db8::1", false, "host");
        assert_explained(&l, (const char *const[]) { "IPv6 address: IPv4 clients cannot connect", NULL });

        ck_assert_str_eq(sa_exposure_scope_name(SA_SCOPE_WILDCARD), "wildcard");
        ck_assert_str_eq(sa_exposure_scope_name(SA_SCOPE_LOOPBACK), "loopback");
        ck_assert_str_eq(sa_exposure_scope_name(SA_SCOPE_ADDRESS), "address");
        ck_assert_str_eq(sa_exposure_scope_name(SA_SCOPE_DEVICE), "device");
        ck_assert_ptr_null(sa_strv_free(NULL));
}
END_TEST

/* The "exposure" member of a record, and its survival through a saved record. */
START_TEST(json_member)
{
        sa_listener l = make("::", true, "sa-\xff\n");
        json_t *j = sa_listener_to_json(&l), *e;
        char *dump;

        ck_assert_ptr_nonnull(j);
        e = json_object_get(j, "exposure");
        ck_assert(json_is_object(e));
        ck_assert_str_eq(json_string_value(json_object_get(e, "scope")), "wildcard");
        ck_assert(json_is_false(json_object_get(e, "ipv4")));
        ck_assert(json_is_true(json_object_get(e, "ipv6")));
        ck_assert_str_eq(json_string_value(json_object_get(e, "namespace")), "other");
        /* Hostile names stay valid UTF-8 in JSON. */
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(e, "summary")), "sa-\xef\xbf\xbd\n"));
        dump = json_dumps(j, JSON_COMPACT);
        ck_assert_ptr_nonnull(dump);
        free(dump);

        /* Read back: the same facts give the same exposure. */
        l = make("127.0.0.1", false, "host");
        l.ifindex = 1;
        snprintf(l.ifname, sizeof l.ifname, "lo");
        json_t *arr = json_array();
        json_array_append_new(arr, sa_listener_to_json(&l));
        sa_snapshot *snap = NULL;
        char err[128];
        ck_assert_int_eq(sa_snapshot_from_json(arr, &snap, err, sizeof err), 0);
        ck_assert_int_eq(snap->n_listeners, 1);
        sa_exposure a = classify(&l), b = classify(&snap->listeners[0]);
        ck_assert(a.scope == b.scope && a.ipv4 == b.ipv4 && a.ipv6 == b.ipv6 && a.host_netns == b.host_netns);
        json_t *again = sa_listener_exposure_to_json(&snap->listeners[0]);
        ck_assert(json_equal(again, json_object_get(json_array_get(arr, 0), "exposure")));
        json_decref(again);
        sa_snapshot_free(snap);
        json_decref(arr);
        json_decref(j);
}
END_TEST

Suite *exposure_suite(void)
{
        Suite *s = suite_create("exposure");
        TCase *tc = tcase_create("rules");

        tcase_add_test(tc, scope_and_families);
        tcase_add_test(tc, device_scope);
        tcase_add_test(tc, namespaces);
        tcase_add_test(tc, words);
        tcase_add_test(tc, json_member);
        suite_add_tcase(s, tc);
        return s;
}
