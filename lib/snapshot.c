/* SPDX-License-Identifier: MIT */
/*
 * The scanner and the snapshot: sock_diag dumps give the listening sockets
 * (in each network namespace, lib/netns.c), one /proc walk finds every fd
 * that points at one of them (socket inodes are unique host-wide), and each
 * holding process is described once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "activation.h"
#include "inomap.h"
#include "netns.h"
#include "process.h"
#include "procfd.h"
#include "sockaudit.h"
#include "sockdiag.h"
#include "usercache.h"
#include "vec.h"

struct sa_scanner {
        char *proc_root;
        sa_netns_set *ns;    /* namespaces and their sock_diag sockets */
        sa_usercache *users;
};

static uint64_t now_usec(clockid_t clock)
{
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int sa_scanner_new(const sa_scan_config *cfg, sa_scanner **ret)
{
        sa_scanner *s = calloc(1, sizeof *s);
        int r;

        if (!s)
                return -ENOMEM;
        if (cfg && cfg->namespaces != SA_NETNS_SELF && cfg->namespaces != SA_NETNS_ALL) {
                r = -EINVAL;
                goto fail;
        }
        s->proc_root = strdup(cfg && cfg->proc_root ? cfg->proc_root : "/proc");
        if (!s->proc_root) {
                r = -ENOMEM;
                goto fail;
        }
        /* Our own namespace (not proc_root's), and others in ALL mode. */
        r = sa_netns_set_new(cfg && cfg->namespaces == SA_NETNS_ALL, &s->ns);
        if (r < 0)
                goto fail;
        r = sa_usercache_new(&s->users);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        sa_scanner_free(s);
        return r;
}

sa_scanner *sa_scanner_free(sa_scanner *s)
{
        if (!s)
                return NULL;
        sa_netns_set_free(s->ns);
        sa_usercache_free(s->users);
        free(s->proc_root);
        free(s);
        return NULL;
}

bool sa_listener_match(const sa_listener *l, const sa_filter *f)
{
        if (!f)
                return true;
        unsigned protos = f->protos ? f->protos : SA_PROTO_ANY;
        unsigned mine = l->proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP;
        return (protos & mine) && (f->port == 0 || f->port == l->port);
}

/*
 * Runs the (up to four) dumps f asks for in namespace ns, appending to out,
 * each record stamped with ns's inode and name. On failure out is as it was.
 */
static int collect_one(sa_netns *ns, const sa_filter *f, sa_listener_vec *out, sa_scan_stats *st)
{
        static const uint8_t families[] = { AF_INET, AF_INET6 };
        static const struct { uint8_t proto; unsigned bit; } protos[] = {
                { IPPROTO_TCP, SA_PROTO_TCP },
                { IPPROTO_UDP, SA_PROTO_UDP },
        };
        unsigned want = f && f->protos ? f->protos : SA_PROTO_ANY;
        uint16_t port = f ? f->port : 0;
        size_t n0 = out->n;

        for (size_t p = 0; p < sizeof protos / sizeof protos[0]; p++) {
                if (!(want & protos[p].bit))
                        continue;
                for (size_t i = 0; i < sizeof families; i++) {
                        int r = sa_sockdiag_dump(ns->nl, families[i], protos[p].proto, port,
                                                 ns->ino, out, st);
                        if (r < 0) {
                                sa_listener_vec_truncate(out, n0);
                                return r;
                        }
                }
        }
        for (size_t i = n0; i < out->n; i++)
                memcpy(out->items[i].netns_name, ns->name, sizeof ns->name);
        return 0;
}

/*
 * collect_one() over every namespace of the scanner that has a socket;
 * those without one are counted in st->netns_skipped. Any dump failure
 * fails the whole collection (a namespace silently missing would look like
 * closed sockets); the failing namespace's socket, which may be out of step,
 * is closed and made again at the next scan (the own one is kept).
 */
static int collect(sa_scanner *s, const sa_filter *f, sa_listener_vec *out, sa_scan_stats *st)
{
        for (size_t i = 0; i < s->ns->n; i++) {
                sa_netns *ns = &s->ns->items[i];
                int r;

                if (!ns->nl) {
                        st->netns_skipped++;
                        continue;
                }
                r = collect_one(ns, f, out, st);
                if (r < 0) {
                        if (!ns->self && r != -ENOMEM)
                                sa_netns_drop_socket(ns);
                        return r;
                }
                st->netns++;
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int sa_scanner_probe(sa_scanner *s, const sa_filter *f, uint64_t **ret_cookies, size_t *ret_n)
{
        sa_listener_vec v = { 0 };
        sa_scan_stats st = { 0 };
        uint64_t *cookies = NULL;
        int r = 0;

        /* Namespaces as the last scan found them; found once if none ran. */
        if (!s->ns->discovered)
                r = sa_netns_set_refresh(s->ns, s->proc_root, &st);
        if (r >= 0)
                r = collect(s, f, &v, &st);
        if (r < 0)
                goto out;
        if (v.n > 0) {
                cookies = malloc(v.n * sizeof *cookies);
                if (!cookies) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < v.n; i++)
                        cookies[i] = v.items[i].cookie;
                qsort(cookies, v.n, sizeof *cookies, cmp_u64);
        }
        *ret_cookies = cookies;
        *ret_n = v.n;
out:
        sa_listener_vec_clear(&v);
        return r;
}

/* Order of listeners in a snapshot: proto, port, family, address, inode. */
static int cmp_listener(const void *a, const void *b)
{
        const sa_listener *x = a, *y = b;
        int c;

        if (x->proto != y->proto)
                return x->proto < y->proto ? -1 : 1;
        if (x->port != y->port)
                return x->port < y->port ? -1 : 1;
        if (x->family != y->family)
                return x->family < y->family ? -1 : 1;
        c = memcmp(x->addr, y->addr, sizeof x->addr);
        if (c != 0)
                return c;
        return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* State of the join while /proc is walked. */
struct join {
        const char *proc_root;
        sa_usercache *users;
        sa_snapshot *snap;
        size_t procs_cap;
        pid_t cur_pid;          /* hits of one pid arrive together */
        sa_process *cur;        /* its details, read on its first hit */
};

/* Details of the process being walked, read once. A vanished one is kept
 * with its pid only and marked incomplete: it held the socket a moment ago. */
static int join_current(struct join *j, pid_t pid, sa_process **ret)
{
        sa_snapshot *snap = j->snap;
        sa_process *p = NULL;

        if (j->cur && j->cur_pid == pid) {
                *ret = j->cur;
                return 0;
        }
        if (sa_process_read(j->proc_root, pid, j->users, &p) < 0) {
                p = calloc(1, sizeof *p);
                if (!p)
                        return -ENOMEM;
                p->pid = pid;
                p->argv = calloc(1, sizeof *p->argv);
                p->incomplete = true;
                if (!p->argv) {
                        sa_process_free(p);
                        return -ENOMEM;
                }
        }
        if (snap->n_procs == j->procs_cap) {
                size_t cap = j->procs_cap ? j->procs_cap * 2 : 16;
                sa_process **procs = realloc(snap->procs, cap * sizeof *procs);
                if (!procs) {
                        sa_process_free(p);
                        return -ENOMEM;
                }
                snap->procs = procs;
                j->procs_cap = cap;
        }
        snap->procs[snap->n_procs++] = p;
        j->cur = p;
        j->cur_pid = pid;
        *ret = p;
        return 0;
}

static int join_hit(pid_t pid, int fd, uint32_t inode, size_t idx, void *userdata)
{
        struct join *j = userdata;
        sa_listener *l = &j->snap->listeners[idx];
        sa_process *p;
        sa_holder *h;
        int r = join_current(j, pid, &p);

        if (r < 0)
                return r;
        /* Hits are grouped by pid, so this process's holder is the last one. */
        h = l->n_holders > 0 ? &l->holders[l->n_holders - 1] : NULL;
        if (!h || h->proc != p) {
                sa_holder *hs = realloc(l->holders, (l->n_holders + 1) * sizeof *hs);
                if (!hs)
                        return -ENOMEM;
                l->holders = hs;
                h = &hs[l->n_holders++];
                *h = (sa_holder) { .proc = p };
        }
        int *fds = realloc(h->fds, (h->n_fds + 1) * sizeof *fds);
        if (!fds)
                return -ENOMEM;
        h->fds = fds;
        h->fds[h->n_fds++] = fd;
        return 0;
}

static void judge_owners(sa_listener *l, const sa_scan_stats *st)
{
        if (l->n_holders == 0) {
                l->owner_status = SA_OWNER_UNKNOWN;
                l->owner_reason = st->procs_denied > 0
                        ? "no holder found; some processes could not be inspected (permission denied)"
                        : "no process holds it: closed meanwhile, or held only by a process outside this PID namespace";
                return;
        }
        for (size_t i = 0; i < l->n_holders; i++)
                if (l->holders[i].proc->incomplete) {
                        l->owner_status = SA_OWNER_PARTIAL;
                        l->owner_reason = "a holder exited or could not be read while it was described";
                        return;
                }
        l->owner_status = SA_OWNER_OK;
        l->owner_reason = NULL;
}

int sa_scanner_scan(sa_scanner *s, const sa_filter *f, sa_snapshot **ret)
{
        sa_snapshot *snap = calloc(1, sizeof *snap);
        sa_listener_vec v = { 0 };
        sa_inomap *want = NULL;
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        int r;

        if (!snap)
                return -ENOMEM;
        clock_gettime(CLOCK_REALTIME, &snap->taken);

        r = sa_netns_set_refresh(s->ns, s->proc_root, &snap->stats);
        if (r < 0)
                goto fail;
        r = collect(s, f, &v, &snap->stats);
        if (r < 0)
                goto fail;
        if (v.n > 0)
                qsort(v.items, v.n, sizeof *v.items, cmp_listener);
        snap->listeners = v.items;
        snap->n_listeners = v.n;
        v = (sa_listener_vec) { 0 };

        r = sa_inomap_new(snap->n_listeners, &want);
        if (r < 0)
                goto fail;
        for (size_t i = 0; i < snap->n_listeners; i++) {
                r = sa_inomap_put(want, snap->listeners[i].inode, i);
                if (r < 0)
                        goto fail;
        }

        if (snap->n_listeners > 0) {
                struct join j = { .proc_root = s->proc_root, .users = s->users, .snap = snap };
                r = sa_procfd_walk(s->proc_root, want, join_hit, &j, &snap->stats);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < snap->n_listeners; i++) {
                judge_owners(&snap->listeners[i], &snap->stats);
                r = sa_activation_annotate(s->proc_root, &snap->listeners[i]);
                if (r < 0)
                        goto fail;
        }

        sa_inomap_free(want);
        snap->duration_usec = now_usec(CLOCK_MONOTONIC) - t0;
        *ret = snap;
        return 0;
fail:
        sa_listener_vec_clear(&v);
        sa_inomap_free(want);
        sa_snapshot_free(snap);
        return r;
}

int sa_scan(const sa_scan_config *cfg, const sa_filter *f, sa_snapshot **ret)
{
        sa_scanner *s = NULL;
        int r = sa_scanner_new(cfg, &s);

        if (r < 0)
                return r;
        r = sa_scanner_scan(s, f, ret);
        sa_scanner_free(s);
        return r;
}

sa_snapshot *sa_snapshot_free(sa_snapshot *snap)
{
        if (!snap)
                return NULL;
        for (size_t i = 0; i < snap->n_listeners; i++) {
                sa_listener *l = &snap->listeners[i];
                for (size_t k = 0; k < l->n_holders; k++) {
                        free(l->holders[k].fds);
                        free(l->holders[k].socket_unit);
                        free(l->holders[k].service_unit);
                }
                free(l->holders);
        }
        free(snap->listeners);
        for (size_t i = 0; i < snap->n_procs; i++)
                sa_process_free(snap->procs[i]);
        free(snap->procs);
        free(snap);
        return NULL;
}
