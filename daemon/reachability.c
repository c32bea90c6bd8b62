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
        int fds[2];             /* nftables, rtnetlink subscriptions */
        sd_event_source *io[2];
        char error[200];        /* why it is not watched or read */
        struct reachability *owner;
} reach_ns;

typedef struct round_ns {
        size_t idx;             /* into r->ns */
        int netns_fd;           /* -1: the daemon's own */
        uint64_t gen;           /* reach_ns.gen when the round started */
        bool read, subscribe;
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
        round_ns *nss;
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
        /* exposure_exceeded reported at each place ("NETNS PROTO ADDRESS PORT" -> its reason),
         * kept in the baseline: a restart with an unchanged exposure raises nothing. */
        json_t *exposed;
        uint64_t exposed_dropped;       /* from the baseline file: malformed */
};

#define EXPOSED_PLACES_MAX 4096

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
        json_array_foreach(json_object_get(obj, "entries"), i, e)
                fprintf(f, "%s%s %s %s", i ? ", " : "", json_string_value(json_object_get(e, "interface")),
                        json_string_value(json_object_get(e, "address")),
                        json_string_value(json_object_get(e, "verdict")));
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

/* l's place: its namespace, protocol, address and port (not the socket), as text. */
static void place_of(const sa_listener *l, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN] = "?";

        (void) inet_ntop(l->family, l->addr, addr, sizeof addr);
        snprintf(buf, size, "%" PRIu64 " %s %s %u", l->netns, l->proto == IPPROTO_UDP ? "udp" : "tcp", addr,
                 (unsigned) l->port);
}

/* The places as the baseline keeps them: [{"place", "reason"}]. */
static void exposed_save(reachability *r)
{
        json_t *arr = json_array();
        const char *place;
        json_t *reason;

        json_object_foreach(r->exposed, place, reason)
                if (arr && json_array_append_new(arr, json_pack("{s:s, s:O}", "place", place, "reason", reason)) < 0)
                        arr = (json_decref(arr), NULL);
        /* Out of memory: the last records stay, saved as they were. */
        if (arr)
                monitor_set_kept(r->m->monitor, STATE_KEPT_EXPOSURE, arr, true);
}

/* reason (NULL: none) as what was reported at place. */
static void exposed_set(reachability *r, const char *place, const char *reason)
{
        if (!reason) {
                if (json_object_del(r->exposed, place) == 0)
                        exposed_save(r);
                return;
        }
        if (json_object_size(r->exposed) >= EXPOSED_PLACES_MAX && !json_object_get(r->exposed, place)) {
                char first[96];

                snprintf(first, sizeof first, "%s", json_object_iter_key(json_object_iter(r->exposed)));
                json_object_del(r->exposed, first);     /* the first of the table goes: its return is raised */
        }
        if (json_object_set_new(r->exposed, place, json_string(reason)) == 0)
                exposed_save(r);
}

/* The records the baseline file held: malformed ones are dropped, counted, logged. */
static void exposed_restore(reachability *r)
{
        _cleanup_json_ json_t *saved = monitor_saved_kept(r->m->monitor, STATE_KEPT_EXPOSURE);
        const json_t *item;
        size_t i;

        json_array_foreach(saved, i, item) {
                const char *place = json_string_value(json_object_get(item, "place"));
                json_t *reason = json_object_get(item, "reason");

                if (!place || !json_is_string(reason) || json_object_size(r->exposed) >= EXPOSED_PLACES_MAX ||
                    json_object_set(r->exposed, place, reason) < 0)
                        r->exposed_dropped++;
        }
        if (r->exposed_dropped)
                log_warning("The baseline's exposure records: %" PRIu64 " dropped", r->exposed_dropped);
}

/*
 * exposure_exceeded (a policy_violation) when now has it and neither old
 * (NULL: none yet) nor the record of its place (kept across restarts) had
 * it with the same entries.
 */
static void exposure_events(reachability *r, const round_item *it, const json_t *old, const json_t *now)
{
        const policy *p = &r->m->config->policy;
        violation *was = NULL, *is = NULL;
        size_t n_was = 0, n_is = 0;
        const sa_listener *l;
        struct timespec when;
        const char *kept;
        char place[96];
        json_t *ev;

        place_of(&it->l, place, sizeof place);
        kept = json_string_value(json_object_get(r->exposed, place));
        /* Decided on the round's copy (no owners); raised with the snapshot's listener. */
        if (policy_check_exposure(p, &it->l, now, &is, &n_is) < 0)
                goto done;
        if (n_is == 0) {
                if (kept)
                        exposed_set(r, place, NULL);    /* gone: a return is news */
                goto done;
        }
        if ((kept && strcmp(kept, is[0].reason) == 0) || policy_check_exposure(p, &it->l, old, &was, &n_was) < 0 ||
            (n_was == 1 && strcmp(was[0].reason, is[0].reason) == 0))
                goto done;
        exposed_set(r, place, is[0].reason);
        violations_free(is, n_is);
        is = NULL, n_is = 0;
        l = snapshot_find(r->m->snapshot, &it->key);
        if (!l || policy_check_exposure(p, l, now, &is, &n_is) < 0 || n_is != 1)
                goto done;
        clock_gettime(CLOCK_REALTIME, &when);
        ev = event_violation_to_json(&when, &is[0]);
        (void) monitor_emit(r->m->monitor, EVENT_POLICY_VIOLATION, ev, event_violation_journal_entry(&is[0]));
        json_decref(ev);
done:
        violations_free(was, n_was);
        violations_free(is, n_is);
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

static void *round_main(void *arg)
{
        round *rd = arg;
        uint64_t one = 1;

        for (size_t i = 0; i < rd->n_nss; i++) {
                round_ns *n = &rd->nss[i];
                char err[128] = "";

                if (n->subscribe && rd->broker &&
                    sa_reach_broker_subscribe(rd->broker, n->netns_fd, &n->fds[0], &n->fds[1], err, sizeof err) < 0)
                        snprintf(n->error, sizeof n->error, "not watched for changes: %s", err);
                if (n->read && sa_reach_view_read(rd->broker, n->netns_fd, &n->view, err, sizeof err) < 0) {
                        snprintf(n->error, sizeof n->error, "%s", err);
                        n->view = NULL;
                }
        }
        for (size_t i = 0; i < rd->n_items; i++) {
                round_item *it = &rd->items[i];
                const round_ns *n = &rd->nss[it->ns];

                it->obj = n->view ? sa_reach_view_listener(n->view, &it->l)
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

/* The round's entry for namespace n (added when new; -1 when its fd cannot be had). */
static ssize_t round_ns_of(reachability *r, round *rd, reach_ns *n, const sa_listener *l)
{
        size_t idx = 0;
        round_ns *x;
        int fd;

        for (size_t i = 0; i < rd->n_nss; i++)
                if (r->ns[rd->nss[i].idx] == n)
                        return (ssize_t) i;
        while (r->ns[idx] != n)
                idx++;
        fd = netns_fd_of(r, l);
        if (fd == -2)
                return -1;
        x = &rd->nss[rd->n_nss];
        *x = (round_ns) { .idx = idx, .netns_fd = fd, .gen = n->gen, .fds = { -1, -1 } };
        x->read = !n->view || n->view_gen != n->gen;
        x->subscribe = !n->subscribed && r->broker;
        x->view = x->read ? NULL : n->view;
        return (ssize_t) rd->n_nss++;
}

/* Forgets listeners gone from snap (entries stay sorted) and, between rounds, namespaces. */
static void prune(reachability *r, const sa_snapshot *snap, bool *keep)
{
        size_t w = 0, wn = 0;

        for (size_t i = 0; i < r->n; i++) {
                if (keep[i])
                        r->e[w++] = r->e[i];
                else
                        json_decref(r->e[i].obj);
        }
        r->n = w;
        for (size_t i = 0; !r->running && i < r->n_ns; i++) {
                bool used = false;

                for (size_t k = 0; snap && k < snap->n_listeners && !used; k++)
                        used = snap->listeners[k].netns == r->ns[i]->ino;
                if (used)
                        r->ns[wn++] = r->ns[i];
                else
                        ns_free(r->ns[i]);
        }
        if (!r->running)
                r->n_ns = wn;
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
        r->untracked = 0;
        for (size_t i = 0; i < n; i++) {
                const sa_listener *l = &snap->listeners[i];
                reach_key k = key_of(l);
                reach_ns *ns = ns_get(r, l->netns);
                ssize_t x;

                if (!ns || (!entry_find(r, &k) && r->n + rd->n_items >= REACH_LISTENERS_MAX)) {
                        r->untracked++;
                        continue;
                }
                x = round_ns_of(r, rd, ns, l);
                if (x < 0 || (!rd->nss[x].read && entry_find(r, &k)))
                        continue;
                rd->items[rd->n_items++] = (round_item) { .key = k, .l = *l, .ns = (size_t) x };
                rd->items[rd->n_items - 1].l.holders = NULL;
                rd->items[rd->n_items - 1].l.n_holders = 0;
        }
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
        exposure_events(r, it, e->obj, it->obj);
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
                reach_ns *n = r->ns[x->idx];

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
                        exposure_events(r, it, NULL, it->obj);
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
        r->exposed = json_object();
        if (!r->exposed) {
                reachability_free(r);
                return -ENOMEM;
        }
        exposed_restore(r);
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
        json_decref(r->exposed);
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
                         "exposure_places", (json_int_t) json_object_size(r->exposed),
                         "exposure_places_dropped", (json_int_t) r->exposed_dropped);
}
