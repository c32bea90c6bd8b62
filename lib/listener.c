/* SPDX-License-Identifier: MIT */
/*
 * The listener vocabulary: the one place that says how a listener and its
 * owners are put in words. Names of the record enums (proto, family, owner
 * status, holder role, exposure scope) and their inverses, the text form of
 * an address and of a record's time, what kind of address a listener has,
 * whether a filter selects it, and the labels of its namespace and
 * interface. Used by the JSON form (json.c), the exposure sentences
 * (exposure.c), the scans, the daemon and the CLI. Pure functions over a
 * listener's own fields: no system call, no allocation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"
#include "util.h"

/* One enum value and its name in records (docs/RECORDS.md). */
typedef struct name_entry {
        int value;
        const char *name;
} name_entry;

static const name_entry protos[] = {
        { IPPROTO_TCP, "tcp" },
        { IPPROTO_UDP, "udp" },
};

static const name_entry families[] = {
        { AF_INET, "ipv4" },
        { AF_INET6, "ipv6" },
};

static const name_entry owner_statuses[] = {
        { SA_OWNER_OK, "ok" },
        { SA_OWNER_UNKNOWN, "unknown" },
        { SA_OWNER_PARTIAL, "partial" },
};

/* SA_ROLE_NONE has no name: a record shows null. */
static const name_entry roles[] = {
        { SA_ROLE_ACTIVATOR, "activator" },
        { SA_ROLE_SERVICE, "service" },
};

static const name_entry scopes[] = {
        { SA_SCOPE_WILDCARD, "wildcard" },
        { SA_SCOPE_LOOPBACK, "loopback" },
        { SA_SCOPE_ADDRESS, "address" },
        { SA_SCOPE_DEVICE, "device" },
};

/* The name of value in table t, else unknown. */
static const char *name_of(const name_entry *t, size_t n, int value, const char *unknown)
{
        for (size_t i = 0; i < n; i++)
                if (t[i].value == value)
                        return t[i].name;
        return unknown;
}

/* The value named exactly name in table t into *ret; -EINVAL for NULL or no such name. */
static int value_of(const name_entry *t, size_t n, const char *name, int *ret)
{
        for (size_t i = 0; name && i < n; i++)
                if (strcmp(t[i].name, name) == 0) {
                        *ret = t[i].value;
                        return 0;
                }
        return -EINVAL;
}

#define NAME_OF(t, value, unknown) name_of(t, ELEMENTSOF(t), (int) (value), unknown)

const char *sa_proto_name(uint8_t proto)
{
        return NAME_OF(protos, proto, "?");
}

const char *sa_family_name(uint8_t family)
{
        return NAME_OF(families, family, "?");
}

const char *sa_owner_status_name(sa_owner_status st)
{
        return NAME_OF(owner_statuses, st, "?");
}

const char *sa_holder_role_name(sa_holder_role role)
{
        return NAME_OF(roles, role, NULL);
}

const char *sa_exposure_scope_name(sa_exposure_scope scope)
{
        return NAME_OF(scopes, scope, "?");
}

/* Defines sa_THING_from_name() over table (as systemd's DEFINE_STRING_TABLE_LOOKUP). */
#define DEFINE_FROM_NAME(thing, table, type)                                    \
        int sa_##thing##_from_name(const char *name, type *ret)                 \
        {                                                                       \
                int v;                                                          \
                                                                                \
                if (value_of(table, ELEMENTSOF(table), name, &v) < 0)           \
                        return -EINVAL;                                         \
                *ret = (type) v;                                                \
                return 0;                                                       \
        }

DEFINE_FROM_NAME(proto, protos, uint8_t)
DEFINE_FROM_NAME(family, families, uint8_t)
DEFINE_FROM_NAME(owner_status, owner_statuses, sa_owner_status)
DEFINE_FROM_NAME(holder_role, roles, sa_holder_role)

bool sa_listener_match(const sa_listener *l, const sa_filter *f)
{
        if (!f)
                return true;
        unsigned want = f->protos ? f->protos : SA_PROTO_ANY;
        unsigned mine = l->proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP;
        return (want & mine) && (f->port == 0 || f->port == l->port);
}

const char *sa_listener_address(const sa_listener *l, char *buf, size_t size)
{
        if (!inet_ntop(l->family, l->addr, buf, (socklen_t) size))
                snprintf(buf, size, "?");
        return buf;
}

const char *sa_format_time(const struct timespec *ts, char *buf, size_t size)
{
        struct tm tm;
        char sec[24];

        if (!gmtime_r(&ts->tv_sec, &tm) || strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                snprintf(buf, size, "?");
                return buf;
        }
        snprintf(buf, size, "%s.%06ldZ", sec, ts->tv_nsec / 1000);
        return buf;
}

/* ---- what kind of address ---- */

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool sa_addr_is_v4mapped(const sa_listener *l)
{
        return l->family == AF_INET6 && memcmp(l->addr, v4mapped_prefix, sizeof v4mapped_prefix) == 0;
}

bool sa_addr_is_any(const sa_listener *l)
{
        static const uint8_t zero[16];

        if (l->family == AF_INET)
                return memcmp(l->addr, zero, 4) == 0;
        return l->family == AF_INET6 && memcmp(l->addr, zero, 16) == 0;
}

bool sa_addr_is_loopback(const sa_listener *l)
{
        static const uint8_t v6_loopback[16] = { [15] = 1 };

        if (l->family == AF_INET)
                return l->addr[0] == 127;
        if (l->family != AF_INET6)
                return false;
        if (sa_addr_is_v4mapped(l))
                return l->addr[12] == 127;
        return memcmp(l->addr, v6_loopback, sizeof v6_loopback) == 0;
}

bool sa_addr_is_linklocal(const sa_listener *l)
{
        return l->family == AF_INET6 && l->addr[0] == 0xfe && (l->addr[1] & 0xc0) == 0x80;
}

/* ---- namespace and interface labels ---- */

const char *sa_listener_netns_label(const sa_listener *l, char *buf, size_t size)
{
        size_t n = strnlen(l->netns_name, sizeof l->netns_name);

        if (n > 0 && n < sizeof l->netns_name)
                snprintf(buf, size, "%s", l->netns_name);
        else
                snprintf(buf, size, "net:[%" PRIu64 "]", l->netns);
        return buf;
}

const char *sa_listener_ifname_label(const sa_listener *l, char *buf, size_t size)
{
        size_t n = strnlen(l->ifname, sizeof l->ifname);

        if (n > 0 && n < sizeof l->ifname)
                snprintf(buf, size, "%s", l->ifname);
        else if (l->ifindex != 0)
                snprintf(buf, size, "if%" PRIu32, l->ifindex);
        else
                snprintf(buf, size, "%s", "");
        return buf;
}
