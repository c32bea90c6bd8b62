/* SPDX-License-Identifier: MIT */
/* Change events and policy violations, from successive snapshots. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "log.h"
#include "monitor.h"
#include "state.h"

#define JOURNAL_QUEUE_MAX 1024
#define JOURNAL_DRAIN_MS  500

struct monitor {
        char *state_path;
        journal *journal;
        monitor_emit_fn emit;
        void *userdata;

        state baseline;            /* from the file; used by the first update */
        bool have_baseline, first_done, dirty;
        bool save_due;             /* the policy changed: save even without events */
        const char *baseline_how;
        char **active;             /* keys of the violations reported, sorted */
        size_t n_active;

        uint64_t events[_EVENT_TYPE_MAX];
        uint64_t state_saves, state_errors;
        log_ratelimit rl_state, rl_oom;
};

int monitor_new(const char *state_path, const char *journal_socket, monitor_emit_fn emit,
                void *userdata, monitor **ret)
{
        monitor *m = calloc(1, sizeof *m);
        char err[512];
        int r;

        if (!m)
                return -ENOMEM;
        m->emit = emit;
        m->userdata = userdata;
        m->rl_state = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->rl_oom = (log_ratelimit) LOG_RATELIMIT_INIT(600 * USEC_PER_SEC, 1);
        m->baseline_how = "none";
        if (state_path && !(m->state_path = strdup(state_path))) {
                r = -ENOMEM;
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
        journal_free(m->journal, JOURNAL_DRAIN_MS);
        state_clear(&m->baseline);
        active_clear(m);
        free(m->state_path);
        free(m);
        return NULL;
}

/*
 * One event: to the watchers and to the journal. A failure (ENOMEM) is
 * logged here, rate-limited; callers go on with the other events.
 */
static int emit_event(monitor *m, event_type t, const struct timespec *when, const sa_listener *l,
                      const sa_listener *before, const char *reason)
{
        _cleanup_json_ json_t *ev = event_to_json(t, when, l, before, reason);
        journal_entry *e = event_journal_entry(t, l, before, reason);
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
                if (!k) {
                        r = -ENOMEM;
                        goto out;
                }
                /* Once per key: several holders of one program are one violation. */
                if (keys_have(keys, nk, k)) {
                        free(k);
                        continue;
                }
                /* Not reported (no event could be built): tried again after the next scan. */
                if (!active_has(m->active, m->n_active, k) &&
                    emit_event(m, EVENT_POLICY_VIOLATION, &snap->taken, v[i].listener, NULL, v[i].reason) < 0) {
                        free(k);
                        continue;
                }
                keys[nk++] = k;
        }
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

static int save(monitor *m, const sa_snapshot *snap, const policy *p)
{
        _cleanup_json_ json_t *known = json_array();

        if (!m->state_path)
                return 0;
        if (!known)
                return -ENOMEM;
        for (size_t i = 0; i < snap->n_listeners; i++)
                if (policy_watches(p, &snap->listeners[i]) &&
                    json_array_append_new(known, sa_listener_to_json(&snap->listeners[i])) < 0)
                        return -ENOMEM;
        return state_save(m->state_path, known, m->active, m->n_active);
}

void monitor_update(monitor *m, const sa_snapshot *old, const sa_snapshot *new, const policy *p)
{
        const sa_snapshot *prev = old;
        sa_diff_key key = SA_DIFF_BY_SOCKET;
        sa_change *changes = NULL;
        size_t n = 0;
        bool changed = !m->first_done || m->dirty || m->save_due;
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

        r = sa_snapshot_diff(prev, new, NULL, key, &changes, &n);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const sa_change *c = &changes[i];
                const sa_listener *l = c->after ? c->after : c->before;
                if (!policy_watches(p, l))
                        continue;
                (void) emit_event(m, event_type_from_change(c->kind), &new->taken, l,
                                  c->kind == SA_CHANGE_OWNER ? c->before : NULL, NULL);
                changed = true;
        }
        free(changes);
        if (r >= 0)
                r = track_violations(m, new, p, &changed);
        if (r < 0 && log_ratelimit_test(&m->rl_oom, &skipped))
                log_error_errno(r, "Change detection failed for this scan: %m%s", LOG_SUPPRESSED(skipped));

        if (!m->first_done) {
                m->first_done = true;
                state_clear(&m->baseline);
        }
        if (!changed)
                return;
        r = save(m, new, p);
        if (r < 0) {
                m->dirty = true;
                m->state_errors++;
                if (log_ratelimit_test(&m->rl_state, &skipped))
                        log_error_errno(r, "Cannot save the baseline to %s (kept in memory, will retry "
                                        "after the next scan): %m%s", m->state_path, LOG_SUPPRESSED(skipped));
                return;
        }
        if (m->dirty)
                log_info("Saved the baseline to %s again", m->state_path);
        m->dirty = false;
        m->save_due = false;
        if (m->state_path)
                m->state_saves++;
}

void monitor_policy_changed(monitor *m)
{
        /* The watched set may differ now: the next update saves the baseline anew. */
        m->save_due = true;
}

/* Violations repeat their listener: 100 of them must not repeat 64 owners
 * 100 times (RECORDS.md, "Violation"). */
static const sa_json_limits violation_limits = { .owners_max = 8, .cmdline_max = 1024 };

json_t *monitor_check(const sa_snapshot *snap, const policy *p)
{
        json_t *out = json_array();
        violation *v = NULL;
        size_t n = 0;

        if (!out || policy_evaluate(p, snap, &v, &n) < 0) {
                json_decref(out);
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_pack("{s:o, s:s}", "listener",
                                      sa_listener_to_json_limited(v[i].listener, &violation_limits),
                                      "reason", v[i].reason);
                if (json_array_append_new(out, o) < 0) {
                        json_decref(out);
                        out = NULL;
                        break;
                }
        }
        violations_free(v, n);
        return out;
}

void monitor_get_stats(monitor *m, monitor_stats *ret)
{
        memcpy(ret->events, m->events, sizeof m->events);
        ret->state_saves = m->state_saves;
        ret->state_errors = m->state_errors;
        ret->baseline = m->baseline_how;
        ret->active_violations = m->n_active;
        journal_get_stats(m->journal, &ret->journal);
}

json_t *monitor_stats_to_json(monitor *m)
{
        monitor_stats s;
        json_t *events = json_object();

        monitor_get_stats(m, &s);
        if (!events)
                return NULL;
        for (int t = 0; t < _EVENT_TYPE_MAX; t++)
                if (json_object_set_new(events, event_type_name(t), json_integer((json_int_t) s.events[t])) < 0) {
                        json_decref(events);
                        return NULL;
                }
        return json_pack("{s:o, s:s, s:I, s:{s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
                         "events", events,
                         "baseline", s.baseline,
                         "active_violations", (json_int_t) s.active_violations,
                         "state", "saves", (json_int_t) s.state_saves, "errors", (json_int_t) s.state_errors,
                         "journal", "sent", (json_int_t) s.journal.sent,
                                    "stderr", (json_int_t) s.journal.to_stderr,
                                    "failed", (json_int_t) s.journal.failed,
                                    "dropped", (json_int_t) s.journal.dropped,
                                    "queued", (json_int_t) s.journal.queued,
                                    "max_queue", (json_int_t) s.journal.max_queue);
}
