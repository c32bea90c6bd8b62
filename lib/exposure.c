/* SPDX-License-Identifier: MIT */
/*
 * Exposure: who can reach a listener, derived from the listener's own facts
 * (address, family, v6only, bound device, network namespace) and put in
 * plain words: the scope, a one-line summary and the reasons behind it.
 * Pure functions: no system call; the rules are in docs/EXPOSURE.md. The
 * words for addresses, namespaces and interfaces are listener.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "listener.h"

void sa_listener_exposure(const sa_listener *l, sa_exposure *ret)
{
        sa_exposure e = { .scope = SA_SCOPE_ADDRESS };
        bool any = sa_addr_is_any(l);

        /* A record read back from JSON has the name but not the index. */
        if (l->ifindex != 0 || l->ifname[0] != '\0')
                e.scope = SA_SCOPE_DEVICE;
        else if (any)
                e.scope = SA_SCOPE_WILDCARD;
        else if (sa_addr_is_loopback(l))
                e.scope = SA_SCOPE_LOOPBACK;

        if (l->family == AF_INET) {
                e.ipv4 = true;
        } else if (l->family == AF_INET6) {
                if (sa_addr_is_v4mapped(l)) {
                        e.ipv4 = true;      /* only IPv4 peers have such an address */
                } else {
                        e.ipv6 = true;
                        e.ipv4 = any && !l->v6only; /* dual-stack "::" */
                }
        }
        e.host_netns = strncmp(l->netns_name, SA_NETNS_HOST_NAME, sizeof l->netns_name) == 0;
        *ret = e;
}

char **sa_strv_free(char **v)
{
        if (!v)
                return NULL;
        for (size_t i = 0; v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

/* The names a sentence uses, formatted once. */
typedef struct words {
        char addr[48];                    /* "127.0.0.1", "::" */
        char ns[SA_NETNS_LABEL_MAX];      /* netns_name or "net:[INODE]" */
        char ifname[SA_IFNAME_LABEL_MAX]; /* "eth0", "if3" */
        const char *family;               /* for "all ... addresses": "IPv4", "IPv6", both */
} words;

static void words_init(const sa_listener *l, const sa_exposure *e, words *w)
{
        sa_listener_address(l, w->addr, sizeof w->addr);
        sa_listener_netns_label(l, w->ns, sizeof w->ns);
        sa_listener_ifname_label(l, w->ifname, sizeof w->ifname);
        w->family = e->ipv4 && e->ipv6 ? "IPv4 and IPv6" : e->ipv4 ? "IPv4" : "IPv6";
}

/* Appends a formatted line to the NULL-terminated *v of *n lines. -ENOMEM. */
__attribute__((format(printf, 3, 4)))
static int strv_addf(char ***v, size_t *n, const char *fmt, ...)
{
        char **nv = realloc(*v, (*n + 2) * sizeof *nv);
        va_list ap;
        int r;

        if (!nv)
                return -ENOMEM;
        *v = nv;
        va_start(ap, fmt);
        r = vasprintf(&nv[*n], fmt, ap);
        va_end(ap);
        if (r < 0) {
                nv[*n] = NULL;
                return -ENOMEM;
        }
        nv[++*n] = NULL;
        return 0;
}

/* The reach of a specific (non-wildcard) address, for a sentence's second half. */
static const char *address_reach(const sa_listener *l, const sa_exposure *e)
{
        if (sa_addr_is_loopback(l))
                return e->host_netns ? "reachable from this host only"
                                     : "reachable only from inside its network namespace";
        return "reachable only by clients that can route to that address";
}

int sa_listener_exposure_summary(const sa_listener *l, char **ret)
{
        sa_exposure e;
        words w;
        char ns_part[SA_NETNS_LABEL_MAX + 64] = "";
        char *s = NULL;
        int r;

        sa_listener_exposure(l, &e);
        words_init(l, &e, &w);
        if (!e.host_netns)
                snprintf(ns_part, sizeof ns_part, " inside network namespace %s (not the host's)", w.ns);

        switch (e.scope) {
        case SA_SCOPE_WILDCARD:
                r = asprintf(&s, "Listens on all %s addresses%s%s: %s.", w.family,
                             l->v6only ? " (v6only)" : "", ns_part,
                             e.host_netns ? "reachable from any network this host is on (firewall permitting)"
                                          : "reachable only through that namespace's interfaces "
                                            "(e.g. port forwarding/NAT)");
                break;
        case SA_SCOPE_DEVICE:
                r = asprintf(&s, "Bound to device %s%s%s%s%s: reachable only via that interface.",
                             w.ifname, sa_addr_is_any(l) ? "" : " (address ",
                             sa_addr_is_any(l) ? "" : w.addr, sa_addr_is_any(l) ? "" : ")", ns_part);
                break;
        case SA_SCOPE_LOOPBACK:
        case SA_SCOPE_ADDRESS:
        default:
                r = asprintf(&s, "Bound to %s only%s: %s.", w.addr, ns_part, address_reach(l, &e));
                break;
        }
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int sa_listener_explain(const sa_listener *l, char ***ret_lines)
{
        sa_exposure e;
        words w;
        char **v = calloc(1, sizeof *v);
        size_t n = 0;
        bool any = sa_addr_is_any(l);
        int r = 0;

        if (!v)
                return -ENOMEM;
        sa_listener_exposure(l, &e);
        words_init(l, &e, &w);

        /* Where it listens. */
        const char *networks = e.host_netns ? "this host is on" : "its namespace's interfaces are on";
        if (e.scope == SA_SCOPE_DEVICE)
                r = strv_addf(&v, &n, "bound to device %s: only via that interface", w.ifname);
        if (r == 0 && any && e.scope == SA_SCOPE_DEVICE)
                ; /* every address of that one interface: said above */
        else if (r == 0 && any && e.ipv4 && e.ipv6)
                r = strv_addf(&v, &n, "all addresses, IPv4 and IPv6: reachable from any network %s "
                                      "(firewall permitting)", networks);
        else if (r == 0 && any)
                r = strv_addf(&v, &n, "all %s addresses (%s): reachable from any network %s "
                                      "(firewall permitting)", e.ipv4 ? "IPv4" : "IPv6", w.addr, networks);
        else if (r == 0)
                r = strv_addf(&v, &n, "bound to %s only: %s", w.addr, address_reach(l, &e));

        /* Which address families get in. */
        if (r == 0) {
                if (l->family == AF_INET)
                        r = strv_addf(&v, &n, "IPv4 only: IPv6 clients cannot connect to this socket");
                else if (sa_addr_is_v4mapped(l))
                        r = strv_addf(&v, &n, "IPv4-mapped address: only IPv4 clients can connect");
                else if (l->v6only)
                        r = strv_addf(&v, &n, "IPv6 only (v6only): IPv4 clients cannot connect");
                else if (any)
                        r = strv_addf(&v, &n, "dual-stack (v6only off): IPv4 clients connect too, "
                                              "as IPv4-mapped addresses");
                else
                        r = strv_addf(&v, &n, "IPv6 address: IPv4 clients cannot connect");
        }

        /* Whose interfaces. */
        if (r == 0)
                r = e.host_netns
                    ? strv_addf(&v, &n, "in the host's network namespace")
                    : strv_addf(&v, &n, "inside network namespace %s (not the host's): reachable only "
                                        "through that namespace's interfaces (e.g. port forwarding/NAT)", w.ns);
        if (r < 0) {
                sa_strv_free(v);
                return r;
        }
        *ret_lines = v;
        return 0;
}
