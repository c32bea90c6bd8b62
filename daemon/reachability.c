/* SPDX-License-Identifier: MIT */
/*
 * The daemon's reachability (reachability.h): a sorted table of listeners
 * with their last `reachability`, the namespaces with their view and
 * change subscriptions, and rounds on a thread: read the views marked
 * changed, subscribe new namespaces, evaluate the listeners asked for.
 * The loop never touches a round's data while it runs; its end is told
 * through an eventfd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "event.h"
#include "log.h"
#include "manager.h"
#include "monitor.h"
#include "policy.h"
#include "reachability.h"
#include "reachbroker.h"
#include "reachexposure.h"
#include "sockaudit-internal.h"
#include "util.h"

typedef struct reach_key {
        uint64_t netns;
        uint32_t inode;
        uint16_t port;
        uint8_t family, proto;
        uint8_t addr[16];
} reach_key;

typedef struct reach_entry {
        reach_key key;
        json_t *obj;
} reach_entry;

typedef struct reach_ns {
        uint64_t ino;
        sa_reach_view *view;    /* NULL until read; a round reads it, the loop never while one runs */
        uint64_t gen, view_gen; /* changes told, and the one the view was read after */
        bool subscribed, seen;
        bool host;              /* a listener's host (its veth leads here): read even without listeners */
        char name[64];          /* then: "host" or its /run/netns name, to open it by */
        int fds[2];             /* nftables, rtnetlink subscriptions */
        sd_event_source *io[2];
        char error[200];        /* why it is not watched or read */
        struct reachability *owner;
} reach_ns;

typedef struct round_ns {
        size_t idx;             /* into r->ns; SIZE_MAX: a host the round found */
        uint64_t ino;
        int netns_fd;           /* -1: the daemon's own (when opened) */
        uint64_t gen;           /* reach_ns.gen when the round started */
        bool opened;            /* netns_fd is the namespace's */
        bool read, subscribe;
        bool host;              /* a listener's host in this round, name says how to open it */
        bool hosts_read;        /* a host it leads to is read: its listeners are evaluated again */
        char name[64];
        sa_reach_view *view;    /* the new one (read) or the kept one (borrowed) */
        int fds[2];
        char error[200];
} round_ns;

typedef struct round_item {
        reach_key key;
        sa_listener l;          /* shallow copy: no holders */
        size_t ns;              /* into the round's nss */
        json_t *obj;
} round_item;

typedef struct round {
        sa_reach_broker *broker;
        uint64_t self_netns;
        round_ns *nss;          /* every kept namespace (views borrowed), those read, hosts found */
        size_t n_nss;
        round_item *items;
        size_t n_items;
        int efd;
} round;

struct reachability {
        manager *m;
        sa_reach_broker *broker;
        char broker_error[200];
        reach_entry *e;
        size_t n, cap;
        reach_ns **ns;
        size_t n_ns;
        size_t max_ns;          /* REACH_NETNS_MAX, or an eighth of the soft fd limit when lower */
        round *running;
        pthread_t thread;
        int efd;
        sd_event_source *done, *settle;
        bool again;
        uint64_t rounds, reads, untracked, changes;
        uint64_t round_started, last_round_usec, last_round_items;
        reach_exposure exposure;        /* exposure_exceeded per place (daemon/reachexposure.c) */
};

static int key_cmp(const void *a, const void *b)
{
        return memcmp(a, b, sizeof(reach_key));
}

static reach_key key_of(const sa_listener *l)
{
        reach_key k;

        memset(&k, 0, sizeof k);
        k.netns = l->netns;
        k.inode = l->inode;
        k.port = l->port;
        k.family = l->family;
        k.proto = l->proto;
        memcpy(k.addr, l->addr, sizeof k.addr);
        return k;
}

static reach_entry *entry_find(const reachability *r, const reach_key *k)
{
        return r->n ? bsearch(k, r->e, r->n, sizeof *r->e, key_cmp) : NULL;
}

const json_t *reachability_get(const reachability *r, const sa_listener *l)
{
        reach_key k = key_of(l);
        const reach_entry *e = r ? entry_find(r, &k) : NULL;

        return e ? e->obj : NULL;
}

/* "iface address verdict, ..." of an object's entries: what reachability_changed compares. */
static char *verdicts_text(const json_t *obj)
{
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        const json_t *e;
        size_t i;

        if (!f)
                return NULL;
        if (json_object_get(obj, "error"))
                fprintf(f, "unknown (%s)", json_string_value(json_object_get(obj, "error")));
        json_array_foreach(json_object_get(obj, "entries"), i, e) {
                char place[200];

                policy_entry_place(e, place, sizeof place);
                fprintf(f, "%s%s %s", i ? ", " : "", place, json_string_value(json_object_get(e, "verdict")));
        }
        return fclose(f) == 0 ? s : (free(s), NULL);
}

static const sa_listener *snapshot_find(const sa_snapshot *snap, const reach_key *k)
{
        for (size_t i = 0; snap && i < snap->n_listeners; i++) {
                reach_key x = key_of(&snap->listeners[i]);

                if (key_cmp(&x, k) == 0)
                        return &snap->listeners[i];
        }
        return NULL;
}

/* reachability_changed for l: its verdicts went from old to now (both texts). */
static void emit_changed(reachability *r, const sa_listener *l, const json_t *old, const json_t *now,
                         const char *was, const char *is)
{
        char reason[512];
        struct timespec when;
        json_t *ev;
        journal_entry *e;

        clock_gettime(CLOCK_REALTIME, &when);
        snprintf(reason, sizeof reason, "reachability changed: %s (was: %s)", is[0] ? is : "no entry point",
                 was[0] ? was : "no entry point");
        ev = event_to_json(EVENT_REACHABILITY_CHANGED, &when, l, NULL, reason);
        if (ev && (json_object_set(ev, "reachability", (json_t *) now) < 0 ||
                   json_object_set(ev, "reachability_before", (json_t *) old) < 0))
                json_decref(ev), ev = NULL;
        e = event_journal_entry(EVENT_REACHABILITY_CHANGED, l, NULL, reason);
        if (e && (event_entry_add_field(e, "SOCKAUDIT_REACH_VERDICTS", is) < 0 ||
                  event_entry_add_field(e, "SOCKAUDIT_REACH_BEFORE", was) < 0))
                e = journal_entry_free(e);
        (void) monitor_emit(r->m->monitor, EVENT_REACHABILITY_CHANGED, ev, e);
        json_decref(ev);
        r->changes++;
}

int reachability_check(const reachability *r, const sa_snapshot *snap, json_t *arr)
{
        for (size_t i = 0; r && snap && i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];
                violation *v = NULL;
                size_t n = 0;
                int e = policy_check_exposure(&r->m->config->policy, l, reachability_get(r, l), &v, &n);

                for (size_t k = 0; e >= 0 && k < n; k++)
                        if (json_array_append_new(arr, event_violation_record(&v[k])) < 0)
                                e = -ENOMEM;
                violations_free(v, n);
                if (e < 0)
                        return e;
        }
        return 0;
}

/* ---- the round's thread ---- */

/* Subscribes to n's changes and reads its view, as the round asks. */
static void round_read(round *rd, round_ns *n)
{
        char err[128] = "";

        if (n->opened && n->subscribe && rd->broker &&
            sa_reach_broker_subscribe(rd->broker, n->netns_fd, &n->fds[0], &n->fds[1], err, sizeof err) < 0)
                snprintf(n->error, sizeof n->error, "not watched for changes: %s", err);
        if (n->read && sa_reach_view_read(rd->broker, n->netns_fd, &n->view, err, sizeof err) < 0) {
                snprintf(n->error, sizeof n->error, "%s", err);
                n->view = NULL;
        }
}

static round_ns *round_find(round *rd, uint64_t ino)
{
        for (size_t i = 0; i < rd->n_nss; i++)
                if (rd->nss[i].ino == ino)
                        return &rd->nss[i];
        return NULL;
}

/* The view of namespace ino in the round (a host's, for forwarded entries), or NULL. */
static const sa_reach_view *round_view(uint64_t ino, void *ctx)
{
        const round_ns *n = round_find(ctx, ino);

        return n ? n->view : NULL;
}

/*
 * The hosts its listener's forwarded entries need, marked; one the round
 * has no view of (new, or not opened by a listener) opened by its name and
 * read.
 */
static void round_hosts(round *rd, const round_item *it)
{
        sa_reach_peer peers[8];
        const sa_reach_view *own = rd->nss[it->ns].view;
        size_t n = own ? sa_reach_view_hosts(own, &it->l, peers, 8) : 0;

        for (size_t i = 0; i < n; i++) {
                round_ns *x = round_find(rd, peers[i].netns), *next = &rd->nss[rd->n_nss];
                int fd = -1;

                if (!x && rd->n_nss < REACH_NETNS_MAX)
                        *(x = next) = (round_ns) { .idx = SIZE_MAX, .ino = peers[i].netns, .netns_fd = -1,
                                                   .subscribe = rd->broker != NULL, .fds = { -1, -1 } };
                if (x && !x->opened && !x->view &&
                    (peers[i].netns == rd->self_netns || (fd = sa_reach_peer_open(&peers[i])) >= 0)) {
                        x->netns_fd = fd;
                        x->opened = x->read = true;
                        rd->n_nss += x == next;
                        round_read(rd, x);
                }
                if (x && x != next) {
                        x->host = true;
                        if (!x->name[0])
                                snprintf(x->name, sizeof x->name, "%s", peers[i].name);
                }
        }
}

static void *round_main(void *arg)
{
        round *rd = arg;
        uint64_t one = 1;

        for (size_t i = 0; i < rd->n_nss; i++)
                round_read(rd, &rd->nss[i]);
        for (size_t i = 0; i < rd->n_items; i++)
                round_hosts(rd, &rd->items[i]);
        for (size_t i = 0; i < rd->n_items; i++) {
                round_item *it = &rd->items[i];
                const round_ns *n = &rd->nss[it->ns];

                it->obj = n->view ? sa_reach_view_listener(n->view, &it->l, round_view, rd)
                                  : json_pack("{s:s}", "error", n->error[0] ? n->error : "not read");
        }
        (void) !write(rd->efd, &one, sizeof one);
        return NULL;
}

static void round_free(round *rd)
{
        if (!rd)
                return;
        for (size_t i = 0; i < rd->n_nss; i++) {
                if (rd->nss[i].netns_fd >= 0)
                        close(rd->nss[i].netns_fd);
                if (rd->nss[i].read)
                        sa_reach_view_free(rd->nss[i].view);
                for (int k = 0; k < 2; k++)
                        if (rd->nss[i].fds[k] >= 0)
                                close(rd->nss[i].fds[k]);
        }
        for (size_t i = 0; i < rd->n_items; i++)
                json_decref(rd->items[i].obj);
        free(rd->nss);
        free(rd->items);
        free(rd);
}

/* ---- the loop's side ---- */

static void start_round(reachability *r);

static int on_settled(sd_event_source *s, uint64_t usec, void *userdata)
{
        reachability *r = userdata;

        (void) s, (void) usec;
        r->settle = sd_event_source_disable_unref(r->settle);
        reachability_update(r, r->m->snapshot);
        return 0;
}

/* A change message in a namespace: drained, its view read again after the burst. */
static int on_change(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        reach_ns *n = userdata;
        reachability *r = n->owner;
        char buf[8192];

        (void) s, (void) revents;
        for (int i = 0; i < 64 && (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0 || errno == ENOBUFS); i++)
                ;
        n->gen++;
        if (!r->settle && sd_event_add_time_relative(r->m->event, &r->settle, CLOCK_MONOTONIC, REACH_SETTLE_USEC,
                                                     0, on_settled, r) < 0)
                r->settle = NULL;
        return 0;
}

static reach_ns *ns_get(reachability *r, uint64_t ino)
{
        reach_ns *n;

        for (size_t i = 0; i < r->n_ns; i++)
                if (r->ns[i]->ino == ino)
                        return r->ns[i];
        if (r->n_ns >= r->max_ns || !(n = calloc(1, sizeof *n)))
                return NULL;
        n->ino = ino;
        n->gen = 1;
        n->fds[0] = n->fds[1] = -1;
        n->owner = r;
        r->ns[r->n_ns++] = n;
        return n;
}

static void ns_free(reach_ns *n)
{
        for (int k = 0; k < 2; k++) {
                sd_event_source_disable_unref(n->io[k]);
                if (n->fds[k] >= 0)
                        close(n->fds[k]);
        }
        sa_reach_view_free(n->view);
        free(n);
}

/* An fd of l's namespace: -1 for the daemon's own, else a holder's, checked by inode; -2: none. */
static int netns_fd_of(const reachability *r, const sa_listener *l)
{
        char path[64];
        struct stat st;
        int fd;

        if (l->netns == r->m->self_netns || l->netns == 0)
                return -1;
        for (size_t i = 0; i < l->n_holders; i++) {
                snprintf(path, sizeof path, "%s/%d/ns/net", r->m->proc_root ? r->m->proc_root : "/proc",
                         (int) l->holders[i].proc->pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd >= 0 && fstat(fd, &st) == 0 && (uint64_t) st.st_ino == l->netns)
                        return fd;
                if (fd >= 0)
                        close(fd);
        }
        return -2;
}

/* The round's entry for namespace n: added (its view borrowed, not opened) when new. */
static size_t round_ns_index(reachability *r, round *rd, reach_ns *n)
{
        round_ns *x = round_find(rd, n->ino);
        size_t idx = 0;

        if (x)
                return (size_t) (x - rd->nss);
        while (r->ns[idx] != n)
                idx++;
        x = &rd->nss[rd->n_nss];
        *x = (round_ns) { .idx = idx, .ino = n->ino, .netns_fd = -1, .gen = n->gen, .view = n->view,
                          .subscribe = !n->subscribed && r->broker, .host = n->host, .fds = { -1, -1 } };
        snprintf(x->name, sizeof x->name, "%s", n->name);
        return rd->n_nss++;
}

/* x (namespace n's) opened with fd: read when its view is stale. */
static void round_ns_open(round_ns *x, const reach_ns *n, int fd)
{
        x->netns_fd = fd;
        x->opened = true;
        x->read = !n->view || n->view_gen != n->gen;
        if (x->read)
                x->view = NULL;
}

/* Every kept namespace into the round; a listener's host with a stale view opened by its name. */
static void round_add_known(reachability *r, round *rd)
{
        for (size_t i = 0; i < r->n_ns; i++) {
                reach_ns *n = r->ns[i];
                round_ns *x = &rd->nss[round_ns_index(r, rd, n)];
                sa_reach_peer peer = { .netns = n->ino };
                int fd = -1;

                snprintf(peer.name, sizeof peer.name, "%s", n->name);
                if (n->host && (!n->view || n->view_gen != n->gen) &&
                    (n->ino == r->m->self_netns || (fd = sa_reach_peer_open(&peer)) >= 0))
                        round_ns_open(x, n, fd);
        }
}

/* Whether a host v leads to is read in this round (its change may change forwarded entries). */
static bool round_hosts_read(const round *rd, const sa_reach_view *v)
{
        for (size_t i = 0; v && i < rd->n_nss; i++)
                if (rd->nss[i].read && rd->nss[i].host && sa_reach_view_leads_to(v, rd->nss[i].ino))
                        return true;
        return false;
}

/* Whether a listener of snap's is in namespace n. */
static bool ns_has_listener(const sa_snapshot *snap, const reach_ns *n)
{
        for (size_t k = 0; snap && k < snap->n_listeners; k++)
                if (snap->listeners[k].netns == n->ino)
                        return true;
        return false;
}

/* Forgets listeners gone from snap (entries stay sorted) and, between rounds, namespaces: those
 * without listeners, unless a host of a namespace with some. */
static void prune(reachability *r, const sa_snapshot *snap, bool *keep)
{
        size_t w = 0, wn = 0;
        _cleanup_free_ bool *used = NULL, *direct = NULL;

        for (size_t i = 0; i < r->n; i++) {
                if (keep[i])
                        r->e[w++] = r->e[i];
                else
                        json_decref(r->e[i].obj);
        }
        r->n = w;
        if (r->running || !(used = calloc(r->n_ns + 1, sizeof *used)) || !(direct = calloc(r->n_ns + 1, sizeof *direct)))
                return;
        for (size_t i = 0; i < r->n_ns; i++)
                used[i] = direct[i] = ns_has_listener(snap, r->ns[i]);
        for (size_t i = 0; i < r->n_ns; i++)
                for (size_t k = 0; r->ns[i]->host && !used[i] && k < r->n_ns; k++)
                        used[i] = direct[k] && sa_reach_view_leads_to(r->ns[k]->view, r->ns[i]->ino);
        for (size_t i = 0; i < r->n_ns; i++) {
                if (used[i])
                        r->ns[wn++] = r->ns[i];
                else
                        ns_free(r->ns[i]);
        }
        r->n_ns = wn;
}

/* The round's items: listeners not evaluated yet, or whose namespace or a host of theirs is read. */
static void round_items(reachability *r, round *rd, const sa_snapshot *snap)
{
        size_t n = snap ? snap->n_listeners : 0;
        bool any_host = false;          /* a host is read: the listeners behind it too */

        r->untracked = 0;
        for (size_t i = 0; i < n; i++) {       /* first every listener's namespace opened */
                const sa_listener *l = &snap->listeners[i];
                reach_ns *ns = ns_get(r, l->netns);
                round_ns *x = ns ? &rd->nss[round_ns_index(r, rd, ns)] : NULL;
                int fd;

                if (x && !x->opened && (fd = netns_fd_of(r, l)) != -2)
                        round_ns_open(x, ns, fd);
        }
        for (size_t i = 0; i < rd->n_nss; i++)
                any_host |= rd->nss[i].read && rd->nss[i].host;
        for (size_t i = 0; any_host && i < rd->n_nss; i++)
                rd->nss[i].hosts_read = round_hosts_read(rd, rd->nss[i].view);
        for (size_t i = 0; i < n; i++) {
                const sa_listener *l = &snap->listeners[i];
                reach_key k = key_of(l);
                reach_ns *ns = ns_get(r, l->netns);
                size_t x;

                if (!ns || (!entry_find(r, &k) && r->n + rd->n_items >= REACH_LISTENERS_MAX)) {
                        r->untracked++;
                        continue;
                }
                x = round_ns_index(r, rd, ns);
                if (!rd->nss[x].opened ||
                    (!rd->nss[x].read && entry_find(r, &k) && !rd->nss[x].hosts_read))
                        continue;
                rd->items[rd->n_items++] = (round_item) { .key = k, .l = *l, .ns = x };
                rd->items[rd->n_items - 1].l.holders = NULL;
                rd->items[rd->n_items - 1].l.n_holders = 0;
        }
}

void reachability_update(reachability *r, const sa_snapshot *snap)
{
        _cleanup_free_ bool *keep = NULL;
        round *rd;
        size_t n = snap ? snap->n_listeners : 0;

        if (!r)
                return;
        keep = calloc(r->n + 1, sizeof *keep);
        if (!keep)
                return;
        for (size_t i = 0; i < n; i++) {
                reach_key k = key_of(&snap->listeners[i]);
                reach_entry *e = entry_find(r, &k);

                if (e)
                        keep[e - r->e] = true;
        }
        prune(r, snap, keep);
        if (r->running) {
                r->again = true;
                return;
        }
        rd = calloc(1, sizeof *rd);
        if (!rd || !(rd->nss = calloc(REACH_NETNS_MAX, sizeof *rd->nss)) ||
            !(rd->items = calloc(n ? n : 1, sizeof *rd->items))) {
                round_free(rd);
                return;
        }
        rd->self_netns = r->m->self_netns;
        round_add_known(r, rd);
        round_items(r, rd, snap);
        if (rd->n_items == 0) {
                round_free(rd);
                return;
        }
        r->running = rd;
        start_round(r);
}

/* A new object for e: when its verdicts differ, reachability_changed. */
static bool entry_replace(reachability *r, reach_entry *e, round_item *it)
{
        _cleanup_free_ char *was = verdicts_text(e->obj), *is = verdicts_text(it->obj);
        const sa_listener *l = snapshot_find(r->m->snapshot, &it->key);

        if (was && is && strcmp(was, is) != 0 && l && policy_watches(&r->m->config->policy, l))
                emit_changed(r, l, e->obj, it->obj, was, is);
        reach_exposure_events(&r->exposure, &it->l, snapshot_find(r->m->snapshot, &it->key), e->obj, it->obj);
        json_decref(e->obj);
        e->obj = TAKE_PTR(it->obj);
        return true;
}

/* The round's results into the table: changed verdicts raise events, replies are renewed. */
static void round_apply(reachability *r, round *rd)
{
        bool changed = false;

        for (size_t i = 0; i < rd->n_nss; i++) {
                round_ns *x = &rd->nss[i];
                reach_ns *n = x->idx == SIZE_MAX ? ns_get(r, x->ino) : r->ns[x->idx];

                if (!n)
                        continue;       /* a host found beyond the namespaces' bound */
                if (x->idx == SIZE_MAX)
                        x->gen = n->gen;
                if (x->host) {
                        n->host = true;
                        if (x->name[0])
                                snprintf(n->name, sizeof n->name, "%s", x->name);
                }
                if (!x->opened)
                        continue;       /* its view was only borrowed */
                snprintf(n->error, sizeof n->error, "%s", x->error);
                n->subscribed |= x->subscribe;    /* tried once: a failure stays in n->error */
                if (x->subscribe && x->fds[0] >= 0) {
                        for (int k = 0; k < 2; k++) {
                                n->fds[k] = x->fds[k];
                                x->fds[k] = -1;
                                if (sd_event_add_io(r->m->event, &n->io[k], n->fds[k], EPOLLIN, on_change, n) < 0)
                                        n->io[k] = NULL;
                        }
                }
                if (x->read) {
                        sa_reach_view_free(n->view);
                        n->view = TAKE_PTR(x->view);
                        n->view_gen = x->gen;
                        r->reads++;
                }
        }
        for (size_t i = 0; i < rd->n_items; i++) {
                round_item *it = &rd->items[i];
                reach_entry *e = entry_find(r, &it->key);

                if (!it->obj)
                        continue;
                if (!e) {
                        reach_exposure_events(&r->exposure, &it->l, snapshot_find(r->m->snapshot, &it->key), NULL,
                                              it->obj);
                        if (sa_grow((void **) &r->e, &r->cap, r->n, sizeof *r->e) < 0)
                                continue;
                        r->e[r->n++] = (reach_entry) { .key = it->key, .obj = TAKE_PTR(it->obj) };
                        qsort(r->e, r->n, sizeof *r->e, key_cmp);
                        changed = true;
                        continue;
                }
                if (!json_equal(e->obj, it->obj))
                        changed |= entry_replace(r, e, it);
        }
        if (changed)
                r->m->snapshot_gen++;   /* cached who/list replies showed the old objects */
}

static int on_round_done(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        reachability *r = userdata;
        uint64_t v;

        (void) s, (void) revents;
        if (read(fd, &v, sizeof v) < 0 || !r->running)
                return 0;
        pthread_join(r->thread, NULL);
        r->last_round_usec = now_usec(CLOCK_MONOTONIC) - r->round_started;
        r->last_round_items = r->running->n_items;
        round_apply(r, r->running);
        round_free(r->running);
        r->running = NULL;
        r->rounds++;
        if (r->again) {
                r->again = false;
                reachability_update(r, r->m->snapshot);
        }
        return 0;
}

static void start_round(reachability *r)
{
        int e;

        r->round_started = now_usec(CLOCK_MONOTONIC);
        r->running->broker = r->broker;
        r->running->efd = r->efd;
        e = pthread_create(&r->thread, NULL, round_main, r->running);
        if (e) {
                log_warning("Reachability: cannot start a thread: %s", strerror(e));
                round_free(r->running);
                r->running = NULL;
        }
}

/*
 * A socket's namespace asked of the broker, from a full scan's finish step
 * (lib/hiddenns.c; the broker's lock serialises it with the round's dumps).
 * Its first failure is logged; -EPERM then: the scan stops asking.
 */
static int skns_by_broker(void *ctx, int sfd)
{
        static atomic_bool said;
        char err[160] = "";
        int r = sa_reach_broker_skns(ctx, sfd, err, sizeof err);

        if (r >= 0 || r == -EMFILE || r == -ENFILE || r == -ENOMEM)
                return r;
        if (!atomic_exchange(&said, true))
                log_warning("Namespaces held only by sockets: the broker cannot ask their namespace (%s)",
                            err[0] ? err : strerror(-r));
        return -EPERM;
}

int reachability_new(manager *m, const char *helper, reachability **ret)
{
        reachability *r = calloc(1, sizeof *r);
        struct rlimit lim;
        int e;

        if (!r || !(r->ns = calloc(REACH_NETNS_MAX, sizeof *r->ns))) {
                free(r);
                return -ENOMEM;
        }
        r->m = m;
        r->max_ns = REACH_NETNS_MAX;
        r->efd = -1;
        if (reach_exposure_init(&r->exposure, m) < 0) {
                reachability_free(r);
                return -ENOMEM;
        }
        if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur / 8 < r->max_ns)
                r->max_ns = (size_t) (lim.rlim_cur / 8);
        r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        e = r->efd < 0 ? -errno : sd_event_add_io(m->event, &r->done, r->efd, EPOLLIN, on_round_done, r);
        if (e < 0) {
                reachability_free(r);
                return e;
        }
        if (!helper)
                snprintf(r->broker_error, sizeof r->broker_error, "sockaudit-reach was not found");
        else if (sa_reach_broker_start(helper, &r->broker, r->broker_error, sizeof r->broker_error) < 0)
                r->broker = NULL;
        if (!r->broker)
                log_warning("Reachability: no broker (%s): every firewall verdict is unknown", r->broker_error);
        else
                sa_scan_set_skns(skns_by_broker, r->broker);
        *ret = r;
        return 0;
}

reachability *reachability_free(reachability *r)
{
        if (!r)
                return NULL;
        if (r->broker)
                sa_scan_set_skns(NULL, NULL);
        if (r->running) {
                sa_reach_broker_stop(r->broker);        /* a dump in progress ends now */
                pthread_join(r->thread, NULL);
                round_free(r->running);
        }
        sd_event_source_disable_unref(r->done);
        sd_event_source_disable_unref(r->settle);
        if (r->efd >= 0)
                close(r->efd);
        for (size_t i = 0; i < r->n_ns; i++)
                ns_free(r->ns[i]);
        for (size_t i = 0; i < r->n; i++)
                json_decref(r->e[i].obj);
        sa_reach_broker_free(r->broker);
        reach_exposure_done(&r->exposure);
        free(r->ns);
        free(r->e);
        free(r);
        return NULL;
}

json_t *reachability_to_json(const reachability *r)
{
        if (!r)
                return json_null();
        return json_pack("{s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I}", "broker_error",
                         r->broker ? NULL : r->broker_error, "namespaces", (json_int_t) r->n_ns,
                         "tracked", (json_int_t) r->n, "untracked", (json_int_t) r->untracked,
                         "rounds", (json_int_t) r->rounds, "reads", (json_int_t) r->reads,
                         "changes", (json_int_t) r->changes, "last_round_ms", r->last_round_usec / 1000.0,
                         "last_round_listeners", (json_int_t) r->last_round_items,
                         "exposure_places", (json_int_t) json_object_size(r->exposure.places),
                         "exposure_places_dropped", (json_int_t) r->exposure.dropped);
}
