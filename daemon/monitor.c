/* SPDX-License-Identifier: MIT */
/* Change events and policy violations, from successive snapshots. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "debounce.h"
#include "describe.h"
#include "flap.h"
#include "log.h"
#include "monitor.h"
#include "verdicts.h"
#include "saver.h"
#include "sockaudit-internal.h"
#include "state.h"

#define JOURNAL_QUEUE_MAX 1024
#define JOURNAL_DRAIN_MS  500
/* Baseline saves (each an fsync'd rewrite) at most this often; the last
 * change waits at most this long (monitor_next_due()), and is written at
 * the latest by monitor_flush() at shutdown. */
#define SAVE_MIN_USEC     (2 * USEC_PER_SEC)
/* At shutdown, the last save may take this long (a slow disk) before it is abandoned. */
#define SAVE_DRAIN_MS     5000

struct monitor {
        char *state_path;
        saver *saver;              /* writes the baseline on its thread (NULL: no state_path) */
        journal *journal;
        monitor_emit_fn emit;
        monitor_due_fn due_changed;
        void *userdata;

        state baseline;            /* from the file; used by the first update */
        bool have_baseline, first_done, dirty;
        bool save_due;             /* the policy changed: save even without events */
        const char *baseline_how;
        char **active;             /* keys of the violations reported, sorted */
        size_t n_active;
        scope scope;               /* what the scans see (Namespaces=) */
        const policy *before;      /* during a reload's scan: the policy it replaces (borrowed) */
        bool scope_widened;        /* during a reload's scan: Namespaces= went self -> all */

        bool save_pending;         /* changed since the last save, waiting for SAVE_MIN_USEC */
        uint64_t last_save_usec;   /* CLOCK_MONOTONIC of the last save attempt */
        flap *flap;                /* flapping listeners (flap.h) */
        debounce *debounce;        /* new listeners held, short-lived ones counted (debounce.h) */
        verdicts verdicts;         /* each owner's last known provenance verdict (verdicts.h) */
        json_t *kept[_STATE_KEPT_MAX]; /* other modules' records, saved with the baseline (monitor_set_kept()) */

        uint64_t events[_EVENT_TYPE_MAX];
        uint64_t violations_suppressed; /* not reported while their listener flapped */
        uint64_t closed_meanwhile;      /* ownerless listeners found closed (monitor_note_closed()) */
        uint64_t state_saves, state_errors;
        log_ratelimit rl_state, rl_oom;
};

static void on_saved(unsigned ok, unsigned failed, int last, void *userdata);

int monitor_new(const char *state_path, const char *journal_socket, sd_event *event, monitor_emit_fn emit,
                monitor_due_fn due_changed, void *userdata, monitor **ret)
{
        monitor *m = calloc(1, sizeof *m);
        char err[512];
        int r;

        if (!m)
                return -ENOMEM;
        m->emit = emit;
        m->due_changed = due_changed;
        m->userdata = userdata;
        m->rl_state = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->rl_oom = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->baseline_how = "none";
        m->flap = flap_new(FLAP_WINDOW_USEC, FLAP_FREE, FLAP_KEYS_MAX);
        m->debounce = debounce_new(DEBOUNCE_USEC, DEBOUNCE_FREE, DEBOUNCE_HELD_MAX);
        if (!m->flap || !m->debounce) {
                r = -ENOMEM;
                goto fail;
        }
        if (state_path && !(m->state_path = strdup(state_path))) {
                r = -ENOMEM;
                goto fail;
        }
        if (state_path) {
                r = saver_new(event, state_path, on_saved, m, &m->saver);
                if (r < 0)
                        goto fail;
        }
        r = journal_new(JOURNAL_QUEUE_MAX, journal_socket, &m->journal);
        if (r < 0)
                goto fail;

        if (m->state_path) {
                r = state_load(m->state_path, &m->baseline, err, sizeof err);
                if (r >= 0) {
                        m->have_baseline = true;
                        m->baseline_how = m->baseline.same_boot ? "loaded (same boot)"
                                                                : "loaded (earlier boot: matched by address)";
                        log_info("Baseline: %zu known listeners from %s", m->baseline.known->n_listeners,
                                 m->state_path);
                } else if (r == -ENOENT) {
                        m->baseline_how = "none (first start: everything listening is reported)";
                } else if (r == -EBADMSG) {
                        m->baseline_how = "rebuilt (the saved state was corrupt)";
                        log_warning("Ignoring a corrupt state file, rebuilding it: %s", err);
                } else {
                        m->baseline_how = "rebuilt (the saved state was unreadable)";
                        log_warning_errno(r, "Cannot read the state file %s, rebuilding it: %m",
                                          m->state_path);
                }
        }
        *ret = m;
        return 0;
fail:
        monitor_free(m);
        return r;
}

static void active_clear(monitor *m)
{
        for (size_t i = 0; i < m->n_active; i++)
                free(m->active[i]);
        free(m->active);
        m->active = NULL;
        m->n_active = 0;
}

monitor *monitor_free(monitor *m)
{
        if (!m)
                return NULL;
        /* Its last results are logged here; nothing is due any more. */
        m->due_changed = NULL;
        saver_free(m->saver, SAVE_DRAIN_MS);
        journal_free(m->journal, JOURNAL_DRAIN_MS);
        flap_free(m->flap);
        debounce_free(m->debounce);
        state_clear(&m->baseline);
        verdicts_clear(&m->verdicts);
        for (int k = 0; k < _STATE_KEPT_MAX; k++)
                json_decref(m->kept[k]);
        active_clear(m);
        free(m->state_path);
        free(m);
        return NULL;
}

/*
 * One built event (ev and e, either NULL when out of memory, e taken): to
 * the watchers and to the journal. A failure (ENOMEM) is logged here,
 * rate-limited; callers go on with the other events.
 */
int monitor_emit(monitor *m, event_type t, json_t *ev, journal_entry *e)
{
        unsigned skipped = 0;

        if (!ev || !e) {
                journal_entry_free(e);
                if (log_ratelimit_test(&m->rl_oom, &skipped))
                        log_error("Cannot build a %s event (out of memory); the others still go out%s",
                                  event_type_name(t), LOG_SUPPRESSED(skipped));
                return -ENOMEM;
        }
        m->events[t]++;
        m->emit(ev, m->userdata);
        (void) journal_submit(m->journal, e);     /* a drop is counted there */
        return 0;
}

/* One event about a listener: to the watchers and to the journal. */
static int emit_event(monitor *m, event_type t, const struct timespec *when, const sa_listener *l,
                      const sa_listener *before, const char *reason)
{
        _cleanup_json_ json_t *ev = event_to_json(t, when, l, before, reason);

        return monitor_emit(m, t, ev, event_journal_entry(t, l, before, reason));
}

/* A policy violation: its kind in the event, its MESSAGE_ID and owner's package in the journal. */
static int emit_violation(monitor *m, const struct timespec *when, const violation *v)
{
        _cleanup_json_ json_t *ev = event_violation_to_json(when, v);

        return monitor_emit(m, EVENT_POLICY_VIOLATION, ev, event_violation_journal_entry(v));
}

/* The flapping key of a listener: where, and its first holder's program ("" without one). */
static flap_key flap_key_of(const sa_listener *l)
{
        const sa_process *p = l->n_holders > 0 ? l->holders[0].proc : NULL;

        return (flap_key) { .netns = l->netns, .proto = l->proto, .port = l->port,
                            .program = p && p->exe ? p->exe : "" };
}

/*
 * Identity of a violation that survives restarts and pid churn: where, what
 * kind, and which program (exe, unit, user) — not which pid, so a new
 * worker of a program already reported is not news.
 */
static char *violation_key(const violation *v)
{
        const sa_listener *l = v->listener;
        const sa_process *p = v->owner;
        char addr[64], *raw, *key;

        if (asprintf(&raw, "%" PRIu64 "/%s/%s/%u|%d|%s|%s|%s", l->netns, sa_proto_name(l->proto),
                     sa_listener_address(l, addr, sizeof addr), l->port, (int) v->kind,
                     p && p->exe ? p->exe : "", p && p->unit ? p->unit : "",
                     p && p->user ? p->user : "") < 0)
                return NULL;
        /* Escaped: valid UTF-8 for the baseline's JSON, and still one key per distinct name. */
        key = sa_text_escape(raw);
        free(raw);
        return key;
}

static bool keys_have(char *const *keys, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(keys[i], key))
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool active_has(char *const *keys, size_t n, const char *key)
{
        return n > 0 && bsearch(&key, keys, n, sizeof *keys, cmp_str) != NULL;
}

/* The netns at the head of a violation key (violation_key()). */
static uint64_t key_netns(const char *key)
{
        return strtoull(key, NULL, 10);
}

/*
 * Keys of reported violations in namespaces the scans no longer see
 * (Namespaces=self after all) are kept, not forgotten: out of sight is not
 * gone, and widening the scope again must not raise them anew.
 */
static int keep_out_of_scope(monitor *m, char ***keys, size_t *nk)
{
        for (size_t i = 0; i < m->n_active; i++) {
                if (scope_has(&m->scope, key_netns(m->active[i])) || keys_have(*keys, *nk, m->active[i]))
                        continue;
                char **k = realloc(*keys, (*nk + 2) * sizeof **keys);
                if (!k)
                        return -ENOMEM;
                *keys = k;
                if (!(k[*nk] = strdup(m->active[i])))
                        return -ENOMEM;
                (*nk)++;
        }
        return 0;
}

/* New violations become events; the reported set becomes the current one. */
static int track_violations(monitor *m, const sa_snapshot *snap, const policy *p, bool *changed)
{
        violation *v = NULL;
        char **keys = NULL;
        size_t n = 0, nk = 0;
        int r = policy_evaluate(p, snap, &v, &n);

        if (r < 0)
                return r;
        keys = calloc(n + 1, sizeof *keys);
        if (!keys) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                char *k = violation_key(&v[i]);
                flap_key fk;

                if (!k) {
                        r = -ENOMEM;
                        goto out;
                }
                /* Once per key: several holders of one program are one violation. */
                if (keys_have(keys, nk, k)) {
                        free(k);
                        continue;
                }
                /* Its listener is new: reported when its debounce ends, if it still listens. */
                if (!active_has(m->active, m->n_active, k) && debounce_holds(m->debounce, v[i].listener)) {
                        debounce_mark_violating(m->debounce, v[i].listener);
                        free(k);
                        continue;
                }
                /* Its listener flaps: reported when the window ends, if it still listens. */
                fk = flap_key_of(v[i].listener);
                if (!active_has(m->active, m->n_active, k) && flap_suppressing(m->flap, &fk)) {
                        m->violations_suppressed++;
                        free(k);
                        continue;
                }
                /* Not reported (no event could be built): tried again after the next scan. */
                if (!active_has(m->active, m->n_active, k) &&
                    emit_violation(m, &snap->taken, &v[i]) < 0) {
                        free(k);
                        continue;
                }
                keys[nk++] = k;
        }
        r = keep_out_of_scope(m, &keys, &nk);
        if (r < 0)
                goto out;
        qsort(keys, nk, sizeof *keys, cmp_str);
        if (nk != m->n_active)
                *changed = true;
        for (size_t i = 0; !*changed && i < nk; i++)
                *changed = strcmp(keys[i], m->active[i]) != 0;
        active_clear(m);
        m->active = TAKE_PTR(keys);
        m->n_active = nk;
out:
        if (keys)
                for (size_t i = 0; i < nk; i++)
                        free(keys[i]);
        free(keys);
        violations_free(v, n);
        return r;
}

/* The baseline's bytes, to the saver's thread (which writes them, on_saved() tells). 0 or -ENOMEM. */
static int save(monitor *m, const sa_snapshot *snap, const policy *p)
{
        _cleanup_json_ json_t *known = json_array();
        char *buf;
        size_t len;
        int r;

        if (!known)
                return -ENOMEM;
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (policy_watches(p, &snap->listeners[i]) &&
                    json_array_append_new(known, sa_listener_to_json(&snap->listeners[i])) < 0)
                        return -ENOMEM;
        r = state_serialize(known, m->active, m->n_active, m->kept, &buf, &len);
        if (r < 0)
                return r;
        saver_submit(m->saver, buf, len);
        return 0;
}

/*
 * Whether change c is news under p. A change of scope is not a change of
 * the world: a listener out of sight (Namespaces=self) neither closed nor
 * opened, and one that entered the scope on a reload did not open. During
 * a reload (m->before), listeners on ports watched only since are left to
 * report_newly_watched().
 */
static bool change_reported(const monitor *m, const sa_change *c, const policy *p)
{
        const sa_listener *l = c->after ? c->after : c->before;

        if (!policy_watches(p, l) || !scope_has(&m->scope, l->netns))
                return false;
        if (c->kind == SA_CHANGE_REMOVED)
                return true;
        if (m->before && !policy_watches(m->before, l))
                return false;
        if (c->kind == SA_CHANGE_ADDED && m->scope_widened)
                return l->netns == m->scope.self_netns;
        return true;
}

/* After a reload: each listener on a port watched only since is reported once, as at first start. */
static void report_newly_watched(monitor *m, const sa_snapshot *new, const policy *p, bool *changed)
{
        for (size_t i = 0; m->before && i < new->n_listeners; i++) {
                const sa_listener *l = &new->listeners[i];
                if (!policy_watches(p, l) || policy_watches(m->before, l) || !scope_has(&m->scope, l->netns))
                        continue;
                (void) emit_event(m, EVENT_LISTENER_ADDED, &new->taken, l, NULL, NULL);
                *changed = true;
        }
}

/* n saves failed, the newest with r: logged (rate-limited); the save stays pending, tried again when due. */
static void save_failed(monitor *m, unsigned n, int r)
{
        unsigned skipped = 0;

        m->dirty = true;
        m->save_pending = true;
        m->state_errors += n;
        if (log_ratelimit_test(&m->rl_state, &skipped))
                log_error_errno(r, "Cannot save the baseline to %s (kept in memory, will retry "
                                "every 2 s): %m%s", m->state_path, LOG_SUPPRESSED(skipped));
}

/* The saver's thread finished ok + failed saves, the newest with last (on the loop). */
static void on_saved(unsigned ok, unsigned failed, int last, void *userdata)
{
        monitor *m = userdata;

        m->state_saves += ok;
        if (last < 0) {
                save_failed(m, failed, last);
                if (m->due_changed)
                        m->due_changed(m->userdata);
                return;
        }
        m->state_errors += failed;
        if (m->dirty)
                log_info("Saved the baseline to %s again", m->state_path);
        m->dirty = false;
}

/* Hands the baseline to the saver now (its result comes to on_saved()). */
static void save_now(monitor *m, const sa_snapshot *snap, const policy *p)
{
        int r;

        m->save_due = false;
        m->save_pending = false;
        if (!m->state_path)
                return;
        m->last_save_usec = now_usec(CLOCK_MONOTONIC);
        r = save(m, snap, p);
        if (r < 0)
                save_failed(m, 1, r);
}

/* A change to save: now, unless the last save was less than SAVE_MIN_USEC ago (then pending). */
static void save_soon(monitor *m, const sa_snapshot *snap, const policy *p)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (m->last_save_usec == 0 || now - m->last_save_usec >= SAVE_MIN_USEC)
                save_now(m, snap, p);
        else
                m->save_pending = true;
}

/*
 * A change of a watched listener through the flapping filter: shown (an
 * event) unless its key flaps. An owner change is no open or close: shown
 * unless the key is being suppressed.
 */
static void note_change(monitor *m, const sa_change *c, const struct timespec *when, uint64_t now)
{
        const sa_listener *l = c->after ? c->after : c->before;
        flap_key k = flap_key_of(l);
        bool show;

        if (c->kind == SA_CHANGE_OWNER)
                show = !flap_suppressing(m->flap, &k);
        else
                show = flap_note(m->flap, &k, l, c->kind == SA_CHANGE_ADDED, now, when);
        if (show)
                (void) emit_event(m, event_type_from_change(c->kind), when, l,
                                  c->kind == SA_CHANGE_OWNER ? c->before : NULL, NULL);
        else if (c->kind == SA_CHANGE_OWNER)
                flap_count_suppressed(m->flap);
}

static void flap_settle(monitor *m, const sa_snapshot *snap, const policy *p, bool *changed);
static void debounce_settle(monitor *m, const sa_snapshot *snap, const policy *p, bool *changed);

/*
 * Under churn (debounce.h), new listeners wait DEBOUNCE_USEC; one whose
 * owner has no verdict yet waits for it, at most DEBOUNCE_VERDICT_USEC;
 * neither at first start nor during a reload's scan. True when c shows
 * nothing now: a new listener held, a held one that closed (counted as
 * short-lived; one held for verdicts only gets its added, then its
 * removal), or an owner change of a held one (its listener_added will
 * show its owners then).
 */
static bool debounced(monitor *m, const sa_change *c, const struct timespec *when, uint64_t now)
{
        _cleanup_free_ char *where = NULL, *who = NULL, *what = NULL;
        bool fresh = m->first_done && !m->before && !m->scope_widened;

        switch (c->kind) {
        case SA_CHANGE_ADDED:
                return fresh && (debounce_hold(m->debounce, c->after, now) ||
                                 (sa_listener_provenance_missing(c->after) &&
                                  debounce_wait_verdict(m->debounce, c->after, now, DEBOUNCE_VERDICT_USEC)));
        case SA_CHANGE_OWNER:
                return debounce_holds(m->debounce, c->after);
        case SA_CHANGE_REMOVED:
                if (debounce_unwait(m->debounce, c->before))
                        note_change(m, &(sa_change) { .kind = SA_CHANGE_ADDED, .after = c->before }, when, now);
                /* Described only when held: the summary may name it. */
                if (debounce_holds(m->debounce, c->before) && sa_describe_listener(c->before, &where) >= 0 &&
                    sa_describe_owners(c->before, &who) >= 0 && asprintf(&what, "%s by %s", where, who) < 0)
                        what = NULL;
                return debounce_gone(m->debounce, c->before, what, now);
        }
        return false;
}

/* What on_verdict_changed() needs. */
typedef struct verdict_ctx {
        monitor *m;
        const policy *p;
        const struct timespec *when;
        bool *changed;
} verdict_ctx;

/*
 * An owner's verdict changed (docs/PROVENANCE.md): owner_changed, its
 * "before" the listener with those owners' earlier verdicts.
 */
static void on_verdict_changed(const sa_listener *l, const sa_exe_provenance *const *befores, void *userdata)
{
        verdict_ctx *ctx = userdata;
        sa_listener before = *l;
        char reason[96] = "";
        _cleanup_free_ sa_holder *hs = calloc(l->n_holders, sizeof *hs);
        _cleanup_free_ sa_process *ps = calloc(l->n_holders, sizeof *ps);

        if (!policy_watches(ctx->p, l) || !scope_has(&ctx->m->scope, l->netns))
                return;
        if (!hs || !ps) {
                log_error("Cannot report a changed provenance verdict: out of memory");
                return;
        }
        for (size_t k = 0; k < l->n_holders; k++) {
                hs[k] = l->holders[k];
                if (befores[k]) {
                        ps[k] = *l->holders[k].proc;
                        ps[k].provenance = befores[k];
                        hs[k].proc = &ps[k];
                }
        }
        before.holders = hs;
        for (size_t k = 0; k < l->n_holders && !reason[0]; k++)
                if (befores[k])
                        snprintf(reason, sizeof reason, "package verdict of pid %d changed: %s, now %s",
                                 (int) l->holders[k].proc->pid, sa_prov_status_name(befores[k]->status),
                                 sa_prov_status_name(l->holders[k].proc->provenance->status));
        (void) emit_event(ctx->m, EVENT_OWNER_CHANGED, ctx->when, l, &before, reason);
        *ctx->changed = true;
}

/* Whether the listener k of snap (gone: no) has all its owners' verdicts now. */
static bool on_ready(const debounce_key *k, void *userdata)
{
        const sa_snapshot *snap = userdata;

        for (size_t i = 0; i < snap->n_listeners; i++) {
                debounce_key lk = debounce_key_of(&snap->listeners[i]);

                if (debounce_key_eq(&lk, k))
                        return !sa_listener_provenance_missing(&snap->listeners[i]);
        }
        return false;
}

/* New listeners held for verdicts that snap has now: their listener_added, with them. */
static void verdicts_settle(monitor *m, const sa_snapshot *snap, const policy *p, bool *changed)
{
        debounce_verdicts_landed(m->debounce, on_ready, (void *) snap);
        debounce_settle(m, snap, p, changed);
}

void monitor_update(monitor *m, const sa_snapshot *old, const sa_snapshot *new, const policy *p)
{
        const sa_snapshot *prev = old;
        sa_diff_key key = SA_DIFF_BY_SOCKET;
        sa_change *changes = NULL;
        size_t n = 0;
        bool changed = !m->first_done || m->dirty || m->save_due;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        unsigned skipped = 0;
        int r;

        if (!m->first_done && m->have_baseline) {
                prev = m->baseline.known;
                key = m->baseline.same_boot ? SA_DIFF_BY_SOCKET : SA_DIFF_BY_ADDRESS;
                /* Violations reported before the restart are not news. */
                m->active = TAKE_PTR(m->baseline.violations);
                m->n_active = m->baseline.n_violations;
                m->baseline.n_violations = 0;
                qsort(m->active, m->n_active, sizeof *m->active, cmp_str);
        }

        /* Windows over by now are closed first, as of the snapshot before. */
        if (m->first_done) {
                flap_settle(m, old, p, &changed);
                debounce_settle(m, old, p, &changed);
        }
        r = sa_snapshot_diff(prev, new, NULL, key, &changes, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const sa_change *c = &changes[i];
                if (!change_reported(m, c, p) || debounced(m, c, &new->taken, now))
                        continue;
                note_change(m, c, &new->taken, now);
                changed = true;
        }
        free(changes);
        if (r >= 0) {
                verdict_ctx vc = { m, p, &new->taken, &changed };

                /* The same sockets' owners, some with another verdict than they had. */
                r = verdicts_update(&m->verdicts, new, m->first_done ? on_verdict_changed : NULL, &vc);
        }
        if (r >= 0 && m->first_done)
                verdicts_settle(m, new, p, &changed);
        if (r >= 0)
                report_newly_watched(m, new, p, &changed);
        if (r >= 0)
                r = track_violations(m, new, p, &changed);
        if (r < 0 && log_ratelimit_test(&m->rl_oom, &skipped))
                log_error_errno(r, "Change detection failed for this scan: %m%s", LOG_SUPPRESSED(skipped));

        if (!m->first_done) {
                m->first_done = true;
                state_clear(&m->baseline);
        }
        if (changed)
                save_soon(m, new, p);
}

/* Watchers and journal learn what flapped, and how the key stands now in snap. */
typedef struct settle_ctx {
        monitor *m;
        const sa_snapshot *snap;
} settle_ctx;

static void on_flap_summary(const flap_summary *s, void *userdata)
{
        settle_ctx *ctx = userdata;
        monitor *m = ctx->m;
        const sa_listener *present = NULL, *l;
        event_flapping ef;
        struct timespec when;
        char *reason = NULL;
        json_t *ev;

        clock_gettime(CLOCK_REALTIME, &when);
        for (size_t i = 0; ctx->snap && i < ctx->snap->n_listeners; i++) {
                flap_key k = flap_key_of(&ctx->snap->listeners[i]);
                if (k.netns == s->key.netns && k.proto == s->key.proto && k.port == s->key.port &&
                    !strcmp(k.program, s->key.program)) {
                        present = &ctx->snap->listeners[i];
                        break;
                }
        }
        if (asprintf(&reason, "opened %" PRIu64 " and closed %" PRIu64 " times in %" PRIu64 " s by %s; "
                     "%" PRIu64 " events not shown; %s now", s->opens, s->closes, s->window_usec / USEC_PER_SEC,
                     s->key.program[0] ? s->key.program : "no process found", s->suppressed,
                     present ? "listening" : "closed") < 0)
                reason = NULL;
        ef = (event_flapping) { .program = s->key.program, .opens = s->opens, .closes = s->closes,
                                .window_usec = s->window_usec, .first = s->first, .last = s->last_time };
        l = present ? present : s->last;
        ev = reason ? event_flapping_to_json(&when, l, reason, &ef) : NULL;
        (void) monitor_emit(m, EVENT_LISTENER_FLAPPING, ev, reason ? event_flapping_journal_entry(l, reason, &ef) : NULL);
        json_decref(ev);
        free(reason);
        /* Nothing that stays is lost: the watchers' view becomes what listens now. */
        if (present && !s->shown_open)
                (void) emit_event(m, EVENT_LISTENER_ADDED, &when, present, NULL, NULL);
        else if (!present && s->shown_open)
                (void) emit_event(m, EVENT_LISTENER_REMOVED, &when, s->last, NULL, NULL);
}

/*
 * Flapping windows over by now: their events, judged against snap (the
 * snapshot the watchers last heard of; NULL: none), then the violations
 * held back meanwhile, if they still stand.
 */
static void flap_settle(monitor *m, const sa_snapshot *snap, const policy *p, bool *changed)
{
        uint64_t before = m->events[EVENT_LISTENER_FLAPPING];
        settle_ctx ctx = { .m = m, .snap = snap };

        flap_expire(m->flap, now_usec(CLOCK_MONOTONIC), on_flap_summary, &ctx);
        if (m->events[EVENT_LISTENER_FLAPPING] == before)
                return;
        *changed = true;
        if (snap)
                (void) track_violations(m, snap, p, changed);
}

/* Listeners held since DEBOUNCE_USEC and found in the snapshot: shown now, as new. */
typedef struct release_ctx {
        monitor *m;
        const sa_snapshot *snap;
        const policy *p;
        size_t shown;
} release_ctx;

static void on_release(const debounce_key *k, void *userdata)
{
        release_ctx *ctx = userdata;
        const sa_snapshot *snap = ctx->snap;

        for (size_t i = 0; snap && i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];
                debounce_key lk = debounce_key_of(l);
                sa_change c = { .kind = SA_CHANGE_ADDED, .after = l };

                if (!debounce_key_eq(&lk, k))
                        continue;
                if (change_reported(ctx->m, &c, ctx->p)) {
                        note_change(ctx->m, &c, &snap->taken, now_usec(CLOCK_MONOTONIC));
                        ctx->shown++;
                }
                return;
        }
}

/*
 * The count of a summary window, as one listeners_short_lived event. Its
 * text is raw, as in the other events (valid UTF-8 for watchers; the
 * journal entry escapes it).
 */
static void on_short_lived(const debounce_summary *s, void *userdata)
{
        monitor *m = userdata;
        char ports[DEBOUNCE_PORTS_MAX * 16] = "";
        _cleanup_free_ char *reason = NULL;
        event_short_lived es;
        struct timespec when;
        size_t off = 0;
        json_t *ev;

        for (size_t i = 0; i < s->n_ports && off < sizeof ports; i++)
                off += (size_t) snprintf(ports + off, sizeof ports - off, "%s%u/%s", i ? ", " : "",
                                         s->ports[i].port, sa_proto_name(s->ports[i].proto));
        if (asprintf(&reason, "%" PRIu64 " short-lived listener%s (each closed within %g s) in %s%zu network "
                     "namespace%s in the last %" PRIu64 " s, on %s; %" PRIu64 " violated the policy; last: %s",
                     s->listeners, s->listeners == 1 ? "" : "s", DEBOUNCE_USEC / 1e6,
                     s->namespaces_capped ? "at least " : "", s->namespaces, s->namespaces == 1 ? "" : "s",
                     s->window_usec / USEC_PER_SEC, ports, s->violating, s->last[0] ? s->last : "?") < 0)
                reason = NULL;
        es = (event_short_lived) { .listeners = s->listeners, .violating = s->violating,
                                   .namespaces = s->namespaces, .namespaces_at_least = s->namespaces_capped,
                                   .ports = ports, .last = s->last, .window_usec = s->window_usec,
                                   .debounce_usec = DEBOUNCE_USEC };
        clock_gettime(CLOCK_REALTIME, &when);
        ev = reason ? event_short_lived_to_json(&when, reason, &es) : NULL;
        (void) monitor_emit(m, EVENT_LISTENERS_SHORT_LIVED, ev,
                          reason ? event_short_lived_journal_entry(reason, &es) : NULL);
        json_decref(ev);
}

/*
 * Held listeners whose debounce is over: their listener_added, judged
 * against snap (what the watchers last heard of), then their violations;
 * and a summary window that ended.
 */
static void debounce_settle(monitor *m, const sa_snapshot *snap, const policy *p, bool *changed)
{
        release_ctx ctx = { .m = m, .snap = snap, .p = p };
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        debounce_release(m->debounce, now, on_release, &ctx);
        debounce_summarize(m->debounce, now, on_short_lived, m);
        if (ctx.shown == 0)
                return;
        *changed = true;
        if (snap)
                (void) track_violations(m, snap, p, changed);
}

void monitor_tick(monitor *m, const sa_snapshot *snap, const policy *p)
{
        bool changed = false;

        flap_settle(m, snap, p, &changed);
        debounce_settle(m, snap, p, &changed);
        if (snap && (changed || m->save_pending))
                save_soon(m, snap, p);
}

void monitor_flush(monitor *m, const sa_snapshot *snap, const policy *p)
{
        if (m && snap && m->save_pending)
                save_now(m, snap, p);
}

uint64_t monitor_next_due(const monitor *m)
{
        uint64_t due = flap_next_due(m->flap), d = debounce_next_due(m->debounce);

        if (d && (due == 0 || d < due))
                due = d;

        if (m->save_pending && (due == 0 || m->last_save_usec + SAVE_MIN_USEC < due))
                due = m->last_save_usec + SAVE_MIN_USEC;
        return due;
}

void monitor_note_closed(monitor *m, size_t n)
{
        m->closed_meanwhile += n;
}

void monitor_set_kept(monitor *m, state_kept which, json_t *records, bool changed)
{
        json_decref(m->kept[which]);
        m->kept[which] = records;
        if (!changed || !m->state_path)
                return;
        m->save_pending = true;
        if (m->due_changed)
                m->due_changed(m->userdata);
}

json_t *monitor_saved_kept(const monitor *m, state_kept which)
{
        return json_incref(m->baseline.kept[which]);
}

void monitor_policy_changed(monitor *m)
{
        /* The watched set may differ now: the next update saves the baseline anew. */
        m->save_due = true;
}

void monitor_set_scope(monitor *m, const scope *s)
{
        m->scope = *s;
}

void monitor_reload_begin(monitor *m, const policy *before, const scope *s)
{
        m->before = before;
        m->scope_widened = !m->scope.all && s->all;
        m->scope = *s;
}

void monitor_reload_end(monitor *m)
{
        m->before = NULL;
        m->scope_widened = false;
}

json_t *monitor_check(const sa_snapshot *snap, const policy *p)
{
        json_t *out = json_array();
        violation *v = NULL;
        size_t n = 0;

        if (!out || policy_evaluate(p, snap, &v, &n) < 0) {
                json_decref(out);
                return NULL;
        }
        char **keys = calloc(n + 1, sizeof *keys);
        size_t nk = 0;
        for (size_t i = 0; out && i < n; i++) {
                /* One per program, as in the journal: not one per worker. */
                char *k = keys ? violation_key(&v[i]) : NULL;
                json_t *o = NULL;
                if (k && keys_have(keys, nk, k)) {
                        free(k);
                        continue;
                }
                if (k) {
                        keys[nk++] = k;
                        o = event_violation_record(&v[i]);
                }
                if (json_array_append_new(out, o) < 0) {
                        json_decref(out);
                        out = NULL;
                }
        }
        for (size_t i = 0; i < nk; i++)
                free(keys[i]);
        free(keys);
        violations_free(v, n);
        return out;
}

void monitor_get_stats(monitor *m, monitor_stats *ret)
{
        memcpy(ret->events, m->events, sizeof m->events);
        flap_get_stats(m->flap, &ret->flap);
        debounce_get_stats(m->debounce, &ret->debounce);
        ret->violations_suppressed = m->violations_suppressed;
        ret->closed_meanwhile = m->closed_meanwhile;
        ret->save_pending = m->save_pending || (m->saver && saver_busy(m->saver));
        ret->state_saves = m->state_saves;
        ret->state_errors = m->state_errors;
        ret->baseline = m->baseline_how;
        ret->active_violations = m->n_active;
        journal_get_stats(m->journal, &ret->journal);
}
