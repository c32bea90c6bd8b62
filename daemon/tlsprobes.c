/* SPDX-License-Identifier: MIT */
/*
 * The daemon's TLS probes (tlsprobes.h): a table of the TLS-watched
 * listeners with their last answer, a queue in the order asked, the
 * probes running, each an io source on its pipe and a timer at its
 * deadline, and what was reported at each place (saved with the baseline).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "commands.h"
#include "control.h"
#include "log.h"
#include "manager.h"
#include "metrics.h"
#include "request.h"
#include "tlsplan.h"
#include "tlsprobe.h"
#include "tlsprobes.h"
#include "tlsevents.h"
#include "tlsunit.h"
#include "util.h"

typedef struct tls_key {
        uint64_t netns;
        uint8_t addr[16];
        uint32_t inode;
        uint16_t port;
        uint8_t family;
} tls_key;

/* A place's record: its item in the baseline's "tls" array (docs/JOURNAL.md#tls-across-restarts). */
typedef struct tls_place {
        tls_key key;            /* inode 0 */
        json_t *item;           /* {"netns","family","address","port","sha256","violations"} */
        uint64_t turn;          /* of its last ok answer: the oldest goes first at TLSPROBES_PLACES_MAX */
} tls_place;

typedef struct tls_entry {
        tls_key key;
        uint64_t owners;        /* a hash of the holders' pids: a change is probed */
        pid_t pid;              /* a holder, whose /proc/PID/ns/net the child enters; 0: none */
        pid_t owners_pids[SA_TLS_PLAN_OWNERS_MAX]; /* whose configs give names and files (tlsplan.h) */
        size_t n_owners_pids;
        sa_tls_plan *plan;      /* while a probe runs: its names, then served vs on disk */
        json_t *tls;            /* the last answer; NULL before the first */
        uint64_t queued;        /* its turn in the queue (1, 2, ...); 0: not queued */
        uint64_t next_usec;     /* CLOCK_MONOTONIC: probed again then */
        bool seen, asked;       /* in the latest snapshot; probed for a `tls` request */
        bool again;             /* a refresh came while it ran: probed again when it ends */
        sa_tls_probe *probe;
        sd_event_source *io, *timer;
        sd_bus_slot *start_call;        /* a transient unit's StartTransientUnit, unanswered */
        char unit[TLSUNIT_NAME_MAX];    /* the probe's transient unit; "": a forked child */
        tlsprobes *t;
} tls_entry;

struct tlsprobes {
        manager *m;
        char *helper;
        tlsunit *unit;          /* NULL: probes are forked children */
        int unit_error;         /* why not, when started by systemd: -errno of connecting to it */
        tls_entry **e;
        size_t n, cap;
        uint64_t queue_seq;
        unsigned running;
        sd_event_source *interval;      /* the earliest next_usec */
        sd_event_source *kick;          /* answers waiting requests from the loop, not a handler */
        uint16_t waits[TLSPROBES_WAITS_MAX];   /* ports `tls` requests wait for, sorted */
        size_t n_waits;
        uint64_t probes, untracked;
        /* What was reported at each place (namespace, address, port), whichever
         * socket listens there: a server restarted, or the daemon, is judged
         * against it (policy_tls_news()). The baseline keeps them. */
        tls_place *places;
        size_t n_places, cap_places;
        uint64_t place_turn;
        uint64_t places_dropped;        /* from the baseline file: malformed, or beyond the bound */
};

static const json_t *pending_object(void)
{
        static json_t *pending;

        if (!pending)
                pending = sa_tls_error_object("pending", NULL);
        return pending;
}

static tls_key key_of(const sa_listener *l)
{
        tls_key k = { .netns = l->netns, .inode = l->inode, .port = l->port, .family = l->family };

        memcpy(k.addr, l->addr, sizeof k.addr);
        return k;
}

static uint64_t owners_hash(const sa_listener *l)
{
        uint64_t h = 1469598103934665603ULL;

        for (size_t i = 0; i < l->n_holders; i++)
                h = (h ^ (uint64_t) l->holders[i].proc->pid) * 1099511628211ULL;
        return h;
}

static tls_entry *find(const tlsprobes *t, const tls_key *k)
{
        for (size_t i = 0; i < t->n; i++)
                if (memcmp(&t->e[i]->key, k, sizeof *k) == 0)
                        return t->e[i];
        return NULL;
}

static void stop_probe(tls_entry *e)
{
        if (e->probe)
                e->t->running--;
        e->io = sd_event_source_disable_unref(e->io);
        e->timer = sd_event_source_disable_unref(e->timer);
        e->start_call = sd_bus_slot_unref(e->start_call);
        /* Whatever its state: a unit that ended is gone and the call fails harmlessly. */
        if (e->probe && *e->unit)
                tlsunit_kill(e->t->unit, e->unit);
        e->unit[0] = '\0';
        e->probe = sa_tls_probe_free(e->probe);
        e->plan = sa_tls_plan_free(e->plan);
}

/* The same place: namespace, address and port (not the socket). */
static bool same_place(const tls_key *a, const tls_key *b)
{
        return a->netns == b->netns && a->port == b->port && a->family == b->family &&
               memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

static void entry_free(tls_entry *e)
{
        stop_probe(e);
        json_decref(e->tls);
        free(e);
}

/* The record of k's place, made when new (the oldest one dropped at the bound); NULL on ENOMEM. */
static tls_place *place_get(tlsprobes *t, const tls_key *k)
{
        char addr[INET6_ADDRSTRLEN] = "?";
        tls_place *pl = NULL;
        json_t *item;

        for (size_t i = 0; i < t->n_places; i++)
                if (same_place(&t->places[i].key, k))
                        return &t->places[i];
        (void) inet_ntop(k->family, k->addr, addr, sizeof addr);
        item = json_pack("{s:I,s:s,s:s,s:i}", "netns", (json_int_t) k->netns, "family", sa_family_name(k->family),
                         "address", addr, "port", (int) k->port);
        if (!item)
                return NULL;
        if (t->n_places >= TLSPROBES_PLACES_MAX) {
                pl = &t->places[0];
                for (size_t i = 1; i < t->n_places; i++)
                        if (t->places[i].turn < pl->turn)
                                pl = &t->places[i];
                json_decref(pl->item);
        } else if (sa_grow((void **) &t->places, &t->cap_places, t->n_places, sizeof *t->places) >= 0)
                pl = &t->places[t->n_places++];
        if (!pl) {
                json_decref(item);
                return NULL;
        }
        *pl = (tls_place) { .key = *k, .item = item };
        pl->key.inode = 0;
        return pl;
}

/* The places' records, to the baseline (saved soon when changed). */
static void places_save(tlsprobes *t, bool changed)
{
        json_t *arr = json_array();

        for (size_t i = 0; arr && i < t->n_places; i++)
                if (json_object_get(t->places[i].item, "sha256") &&
                    json_array_append(arr, t->places[i].item) < 0)
                        arr = (json_decref(arr), NULL);
        /* Out of memory: the last records stay, saved as they were. */
        if (arr)
                monitor_set_kept(t->m->monitor, STATE_KEPT_TLS, arr, changed);
}

static bool answer_ok(const json_t *tls)
{
        const char *s = json_string_value(json_object_get(tls, "status"));

        return s && strcmp(s, "ok") == 0;
}

static void enqueue(tls_entry *e)
{
        if (!e->queued && !e->probe)
                e->queued = ++e->t->queue_seq;
}

/* e's probe asked for now: queued, or, while one runs, again after it. */
static void ask(tls_entry *e)
{
        if (e->probe)
                e->again = true;
        else
                enqueue(e);
}

static void kick(tlsprobes *t)
{
        if (t->n_waits > 0)
                (void) sd_event_source_set_enabled(t->kick, SD_EVENT_ONESHOT);
}

/* The listener of e in the current snapshot, or NULL. */
static const sa_listener *listener_of(const tlsprobes *t, const tls_entry *e)
{
        const sa_snapshot *snap = t->m->snapshot;

        for (size_t i = 0; snap && i < snap->n_listeners; i++) {
                tls_key k = key_of(&snap->listeners[i]);

                if (memcmp(&k, &e->key, sizeof k) == 0)
                        return &snap->listeners[i];
        }
        return NULL;
}

static void pump(tlsprobes *t);
static void arm(tlsprobes *t);

/*
 * A probe ended with tls (taken): kept, its events raised against what was
 * reported at its place, waiting requests answered.
 */
static void probe_done(tls_entry *e, json_t *tls)
{
        tlsprobes *t = e->t;
        const sa_listener *l = listener_of(t, e);
        tls_place *pl;

        stop_probe(e);
        t->probes++;
        json_decref(e->tls);
        e->tls = tls;
        e->next_usec = now_usec(CLOCK_MONOTONIC) + t->m->config->tls_interval_usec;
        if (e->again) {
                e->again = false;
                enqueue(e);
        }
        /* A failed probe neither raises nor forgets anything: the next ok answer is judged. */
        if (l && answer_ok(tls) && (pl = place_get(t, &e->key))) {
                pl->turn = ++t->place_turn;
                if (tlsevents_result(t->m->monitor, &t->m->config->policy, l, pl->item, tls) > 0)
                        places_save(t, true);
        }
        t->m->snapshot_gen++;   /* the cached who/list replies showed the old answer */
        metrics_touch(t->m);
        kick(t);
}

static void collect(tls_entry *e)
{
        json_t *tls = NULL;
        int r = sa_tls_probe_collect(e->probe, &tls);

        if (r == -EAGAIN)
                return;
        if (r < 0 || !tls) {
                json_decref(tls);
                tls = sa_tls_error_object("error", "out of memory");
        }
        /* A unit's helper that wrote nothing: why is in the unit's journal, not here. */
        if (tls && *e->unit && !strcmp(json_string_value(json_object_get(tls, "error")) ?: "", SA_TLS_NO_REPORT)) {
                char why[SA_TLS_ERROR_MAX];

                snprintf(why, sizeof why, "%s: see journalctl -u %s", SA_TLS_NO_REPORT, e->unit);
                json_decref(tls);
                tls = sa_tls_error_object("error", why);
        }
        /* Served vs on disk: config, stale_on_disk (cert_stale_on_disk); ENOMEM leaves part of it. */
        if (tls && e->plan)
                (void) sa_tls_plan_compare(e->plan, tls);
        probe_done(e, tls);
        pump(e->t);
        arm(e->t);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        collect(userdata);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        collect(userdata);
        return 0;
}

/* systemd's answer to StartTransientUnit: on an error, that is the probe's answer. */
static int on_unit_started(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
        tls_entry *e = userdata;
        const sd_bus_error *err = sd_bus_message_get_error(m);
        char why[SA_TLS_ERROR_MAX];

        e->start_call = sd_bus_slot_unref(e->start_call);
        if (!err)
                return 0;
        e->unit[0] = '\0';
        snprintf(why, sizeof why, "systemd did not start the probe's unit: %s",
                 err->message ? err->message : err->name);
        probe_done(e, sa_tls_error_object("error", why));
        pump(e->t);
        arm(e->t);
        return 0;
}

/* The probe of target, a forked child or a transient unit. */
static int start_probe(tls_entry *e, const sa_tls_target *target)
{
        int fd, r;

        if (!e->t->unit)
                return sa_tls_probe_start(target, &e->probe);
        r = tlsunit_start(e->t->unit, target, on_unit_started, e, &e->start_call, &fd, e->unit);
        if (r < 0)
                return r;
        r = sa_tls_probe_adopt(fd, target->timeout_ms ? target->timeout_ms : SA_TLS_TIMEOUT_MS_DEFAULT,
                               &e->probe);
        if (r < 0) {
                close(fd);
                e->start_call = sd_bus_slot_unref(e->start_call);
                tlsunit_kill(e->t->unit, e->unit);
                e->unit[0] = '\0';
        }
        return r;
}

static void start(tls_entry *e)
{
        tlsprobes *t = e->t;
        char ns[64];
        sa_tls_target target = {
                .netns_fd = -1,
                .netns_path = ns,
                .family = e->key.family,
                .port = e->key.port,
                .timeout_ms = (int) (t->m->config->tls_timeout_usec / 1000),
                .helper = t->helper,
        };
        int r;

        e->queued = 0;
        memcpy(target.addr, e->key.addr, sizeof target.addr);
        if (e->pid <= 0 && e->key.netns != t->m->self_netns) {
                probe_done(e, sa_tls_error_object("error", "no process holds it: its network namespace "
                                                           "cannot be entered"));
                return;
        }
        /* The daemon's own namespace is not entered (that needs no CAP_SYS_ADMIN). */
        if (e->key.netns == t->m->self_netns)
                target.netns_path = NULL;
        else
                snprintf(ns, sizeof ns, "%s/%d/ns/net", t->m->proc_root ? t->m->proc_root : "/proc",
                         (int) e->pid);
        /* The names the owners' configs serve on the port: read now, bounded (tlsplan.h). */
        if (sa_tls_plan_new(t->m->proc_root, e->owners_pids, e->n_owners_pids, e->key.port, &e->plan) >= 0)
                target.sni = sa_tls_plan_sni(e->plan, &target.n_sni);
        r = start_probe(e, &target);
        if (r >= 0) {
                t->running++;
                r = sd_event_add_io(t->m->event, &e->io, sa_tls_probe_fd(e->probe), EPOLLIN, on_io, e);
        }
        if (r >= 0)
                r = sd_event_add_time(t->m->event, &e->timer, CLOCK_MONOTONIC,
                                      (uint64_t) sa_tls_probe_deadline_ms(e->probe) * 1000 + 1000, 0,
                                      on_deadline, e);
        if (r < 0) {
                char why[SA_TLS_ERROR_MAX];

                snprintf(why, sizeof why, "the probe could not start: %s", strerror(-r));
                probe_done(e, sa_tls_error_object("error", why));
        }
}

/* Starts queued probes, oldest first, while fewer than TLSProbesMax= run. */
static void pump(tlsprobes *t)
{
        while (t->running < t->m->config->tls_probes_max) {
                tls_entry *next = NULL;

                for (size_t i = 0; i < t->n; i++)
                        if (t->e[i]->queued && (!next || t->e[i]->queued < next->queued))
                                next = t->e[i];
                if (!next)
                        break;
                start(next);
        }
}

/* The interval timer at the earliest next_usec. */
static void arm(tlsprobes *t)
{
        uint64_t due = UINT64_MAX;

        for (size_t i = 0; i < t->n; i++)
                if (t->e[i]->tls && !t->e[i]->queued && !t->e[i]->probe && t->e[i]->next_usec < due)
                        due = t->e[i]->next_usec;
        (void) sd_event_source_set_time(t->interval, due);
        (void) sd_event_source_set_enabled(t->interval, due == UINT64_MAX ? SD_EVENT_OFF : SD_EVENT_ONESHOT);
}

static int on_interval(sd_event_source *s, uint64_t usec, void *userdata)
{
        tlsprobes *t = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        for (size_t i = 0; i < t->n; i++)
                if (t->e[i]->tls && t->e[i]->next_usec <= now)
                        enqueue(t->e[i]);
        pump(t);
        arm(t);
        return 0;
}

/* The entry of l, made (queued) when new; NULL at TLSPROBES_MAX or on ENOMEM. */
static tls_entry *track(tlsprobes *t, const sa_listener *l)
{
        tls_key k = key_of(l);
        tls_entry *e = find(t, &k);
        uint64_t owners = owners_hash(l);

        if (e) {
                if (e->owners != owners)
                        enqueue(e);
        } else {
                if (t->n >= TLSPROBES_MAX || sa_grow((void **) &t->e, &t->cap, t->n, sizeof *t->e) < 0 ||
                    !(e = calloc(1, sizeof *e))) {
                        t->untracked++;
                        return NULL;
                }
                *e = (tls_entry) { .key = k, .t = t };
                t->e[t->n++] = e;
                enqueue(e);
        }
        e->owners = owners;
        e->pid = l->n_holders > 0 ? l->holders[0].proc->pid : 0;
        e->n_owners_pids = 0;
        for (size_t i = 0; i < l->n_holders && e->n_owners_pids < SA_TLS_PLAN_OWNERS_MAX; i++)
                e->owners_pids[e->n_owners_pids++] = l->holders[i].proc->pid;
        e->seen = true;
        return e;
}

/* Whether l is probed: TLS-watched, or asked for by a `tls` request. */
static bool wanted(const tlsprobes *t, const sa_listener *l)
{
        tls_key k = key_of(l);
        const tls_entry *e = find(t, &k);

        return policy_tls_watches(&t->m->config->policy, l, NULL) || (e && e->asked);
}

void tlsprobes_update(tlsprobes *t, const sa_snapshot *snap)
{
        size_t j = 0;

        if (!t)
                return;
        /* Closed ones first, then the new ones (their places' records stay). */
        for (size_t i = 0; i < t->n; i++)
                t->e[i]->seen = false;
        for (size_t i = 0; i < snap->n_listeners; i++) {
                tls_key k = key_of(&snap->listeners[i]);
                tls_entry *e = find(t, &k);

                if (e && wanted(t, &snap->listeners[i]))
                        e->seen = true;
        }
        for (size_t i = 0; i < t->n; i++) {
                if (t->e[i]->seen)
                        t->e[j++] = t->e[i];
                else
                        entry_free(t->e[i]);
        }
        t->n = j;
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (wanted(t, &snap->listeners[i]))
                        (void) track(t, &snap->listeners[i]);
        pump(t);
        arm(t);
        kick(t);
}

const json_t *tlsprobes_get(const tlsprobes *t, const sa_listener *l)
{
        tls_key k;
        const tls_entry *e;

        if (!t || l->proto != IPPROTO_TCP)
                return NULL;
        k = key_of(l);
        e = find(t, &k);
        if (!e)
                return NULL;
        return e->tls ? e->tls : pending_object();
}

/* Whether a listener on port is queued or being probed. */
static bool busy(const tlsprobes *t, uint16_t port)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i]->key.port == port && (t->e[i]->queued || t->e[i]->probe))
                        return true;
        return false;
}

/* A `tls` request's ticket: a who of its port, TCP (tickets sort as their ports). */
static uint64_t ticket_of(uint16_t port)
{
        request who = { .cmd = REQUEST_WHO, .port = port, .protos = SA_PROTO_TCP };

        return request_listeners_pack(&who);
}

/* Answers the waiting `tls` requests whose ports are done, lowest first. */
static int on_kick(sd_event_source *s, void *userdata)
{
        tlsprobes *t = userdata;
        size_t done = 0;

        while (done < t->n_waits && !busy(t, t->waits[done])) {
                (void) commands_answer_listeners(t->m, TLSPROBES_WAIT_KIND, ticket_of(t->waits[done]));
                done++;
        }
        memmove(t->waits, t->waits + done, (t->n_waits - done) * sizeof *t->waits);
        t->n_waits -= done;
        return 0;
}

bool tlsprobes_adopt(tlsprobes *t, uint16_t port, uint64_t *ret_ticket)
{
        const sa_snapshot *snap = t ? t->m->snapshot : NULL;
        size_t i = 0;
        bool any = false;

        for (size_t k = 0; snap && k < snap->n_listeners; k++) {
                const sa_listener *l = &snap->listeners[k];
                tls_entry *e;

                if (l->port != port || l->proto != IPPROTO_TCP || !(e = track(t, l)))
                        continue;
                e->asked = true;
                ask(e);
                any = true;
        }
        if (!any)
                return false;
        while (i < t->n_waits && t->waits[i] < port)
                i++;
        if (i == t->n_waits || t->waits[i] != port) {
                if (t->n_waits == TLSPROBES_WAITS_MAX)
                        return false;
                memmove(&t->waits[i + 1], &t->waits[i], (t->n_waits - i) * sizeof *t->waits);
                t->waits[i] = port;
                t->n_waits++;
        }
        /* Answered from on_kick(), a later dispatch: the client is deferred by then. */
        pump(t);
        kick(t);
        *ret_ticket = ticket_of(port);
        return true;
}

bool tlsprobes_request(tlsprobes *t, client *c, uint16_t port)
{
        uint64_t ticket;

        if (!tlsprobes_adopt(t, port, &ticket))
                return false;
        client_defer(c, TLSPROBES_WAIT_KIND, ticket);
        return true;
}

size_t tlsprobes_refresh(tlsprobes *t)
{
        if (!t)
                return 0;
        for (size_t i = 0; i < t->n; i++)
                ask(t->e[i]);
        pump(t);
        arm(t);
        return t->n;
}

/* Whether s is a string of at most max bytes. */
static bool short_string(const json_t *s, size_t max)
{
        return json_is_string(s) && json_string_length(s) <= max;
}

/* Whether a is an array of at most max strings of at most len bytes each. */
static bool strings(const json_t *a, size_t max, size_t len)
{
        const json_t *x;
        size_t i;

        if (!json_is_array(a) || json_array_size(a) > max)
                return false;
        json_array_foreach(a, i, x)
                if (!short_string(x, len))
                        return false;
        return true;
}

/* A record from the baseline file (places_save()'s form) into k; false when malformed. */
static bool place_parse(const json_t *item, tls_key *k)
{
        const char *family = json_string_value(json_object_get(item, "family"));
        const char *addr = json_string_value(json_object_get(item, "address"));
        const json_t *netns = json_object_get(item, "netns");
        json_int_t port = json_integer_value(json_object_get(item, "port"));

        *k = (tls_key) { 0 };
        if (!json_is_object(item) || !json_is_integer(netns) || json_integer_value(netns) < 0 || !family ||
            !addr || port < 1 || port > 65535)
                return false;
        k->family = !strcmp(family, "ipv4") ? AF_INET : !strcmp(family, "ipv6") ? AF_INET6 : AF_UNSPEC;
        k->netns = (uint64_t) json_integer_value(netns);
        k->port = (uint16_t) port;
        return k->family != AF_UNSPEC && inet_pton(k->family, addr, k->addr) == 1 &&
               strings(json_object_get(item, "sha256"), SA_TLS_CERTS_MAX, 64) &&
               strings(json_object_get(item, "violations"), TLSPROBES_PLACE_VIOLATIONS_MAX, 1024);
}

/* The records the baseline file held (monitor_saved_kept()): malformed ones are dropped, counted, logged. */
static void places_restore(tlsprobes *t)
{
        _cleanup_json_ json_t *saved = monitor_saved_kept(t->m->monitor, STATE_KEPT_TLS);
        const json_t *item;
        size_t i, first_bad = SIZE_MAX;

        json_array_foreach(saved, i, item) {
                tls_key k;
                tls_place *pl = NULL;

                if (!place_parse(item, &k) || t->n_places >= TLSPROBES_PLACES_MAX ||
                    !(pl = place_get(t, &k)) || json_object_update(pl->item, (json_t *) item) < 0) {
                        t->places_dropped++;
                        first_bad = first_bad == SIZE_MAX ? i : first_bad;
                        continue;
                }
                pl->turn = ++t->place_turn;
        }
        if (t->places_dropped > 0)
                log_warning("The baseline's TLS records: %" PRIu64 " dropped (malformed, or beyond %u), the "
                            "first at \"tls\"[%zu]; their listeners' violations will be reported again",
                            t->places_dropped, TLSPROBES_PLACES_MAX, first_bad);
        if (t->n_places > 0)
                places_save(t, false);
}

int tlsprobes_check(const tlsprobes *t, const sa_snapshot *snap, json_t *arr)
{
        for (size_t i = 0; t && snap && i < snap->n_listeners; i++) {
                const json_t *tls = tlsprobes_get(t, &snap->listeners[i]);
                int r = tls ? tlsevents_check(&t->m->config->policy, &snap->listeners[i], tls, arr) : 0;

                if (r < 0)
                        return r;
        }
        return 0;
}

json_t *tlsprobes_to_json(const tlsprobes *t)
{
        size_t queued = 0;
        char why[128] = "";

        for (size_t i = 0; i < t->n; i++)
                queued += t->e[i]->queued != 0;
        if (t->unit_error < 0)
                snprintf(why, sizeof why, "systemd started the daemon but cannot be reached: %s",
                         strerror(-t->unit_error));
        return json_pack("{s:s,s:s?,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "runner", t->unit ? "transient-unit" : "child",
                         "runner_error", *why ? why : NULL, "probes", (json_int_t) t->probes,
                         "running", (json_int_t) t->running, "queued", (json_int_t) queued,
                         "tracked", (json_int_t) t->n, "untracked", (json_int_t) t->untracked,
                         "places", (json_int_t) t->n_places, "places_dropped", (json_int_t) t->places_dropped);
}

int tlsprobes_new(manager *m, const char *helper, tlsprobes **ret)
{
        tlsprobes *t = calloc(1, sizeof *t);
        int r;

        if (!t || !(t->helper = strdup(helper))) {
                free(t);
                return -ENOMEM;
        }
        t->m = m;
        r = tlsunit_new(m->event, &t->unit);
        if (r < 0 && r != -ENOMEM) {
                log_warning("TLS probes run as children: systemd cannot be reached: %s", strerror(-r));
                t->unit_error = r;
                r = 0;
        }
        if (r >= 0)
                r = sd_event_add_time(m->event, &t->interval, CLOCK_MONOTONIC, UINT64_MAX, 1000000, on_interval, t);
        if (r >= 0)
                r = sd_event_add_defer(m->event, &t->kick, on_kick, t);
        if (r < 0) {
                tlsprobes_free(t);
                return r;
        }
        (void) sd_event_source_set_enabled(t->interval, SD_EVENT_OFF);
        (void) sd_event_source_set_enabled(t->kick, SD_EVENT_OFF);
        places_restore(t);
        *ret = t;
        return 0;
}

tlsprobes *tlsprobes_free(tlsprobes *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                entry_free(t->e[i]);
        for (size_t i = 0; i < t->n_places; i++)
                json_decref(t->places[i].item);
        free(t->places);
        free(t->e);
        sd_event_source_disable_unref(t->interval);
        sd_event_source_disable_unref(t->kick);
        tlsunit_free(t->unit);
        free(t->helper);
        free(t);
        return NULL;
}
