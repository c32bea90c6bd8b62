/* SPDX-License-Identifier: MIT */
/* The monitor's part of status (monitor.h): event counts, state saves, journal, flapping, short-lived listeners. */
#include "debounce.h"
#include "monitor.h"
#include "util.h"

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
        return json_pack("{s:o, s:s, s:I, s:{s:I, s:I, s:b}, s:{s:I, s:I, s:I, s:I, s:I, s:I},"
                         " s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I,"
                         " s:{s:f, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:I}}",
                         "events", events,
                         "baseline", s.baseline,
                         "active_violations", (json_int_t) s.active_violations,
                         "state", "saves", (json_int_t) s.state_saves, "errors", (json_int_t) s.state_errors,
                                  "pending", s.save_pending,
                         "journal", "sent", (json_int_t) s.journal.sent,
                                    "stderr", (json_int_t) s.journal.to_stderr,
                                    "failed", (json_int_t) s.journal.failed,
                                    "dropped", (json_int_t) s.journal.dropped,
                                    "queued", (json_int_t) s.journal.queued,
                                    "max_queue", (json_int_t) s.journal.max_queue,
                         "flapping", "keys", (json_int_t) s.flap.keys,
                                     "flapping_keys", (json_int_t) s.flap.flapping,
                                     "events_suppressed", (json_int_t) s.flap.suppressed,
                                     "violations_suppressed", (json_int_t) s.violations_suppressed,
                                     "windows", (json_int_t) s.flap.flapping_windows,
                                     "untracked", (json_int_t) s.flap.untracked,
                         "closed_meanwhile", (json_int_t) s.closed_meanwhile,
                         "short_lived", "debounce_sec", DEBOUNCE_USEC / 1e6,
                                        "holding", s.debounce.holding,
                                        "held", (json_int_t) s.debounce.held,
                                        "quick_closes", (json_int_t) s.debounce.quick_closes,
                                        "listeners", (json_int_t) s.debounce.short_lived,
                                        "violating", (json_int_t) s.debounce.violating,
                                        "reported", (json_int_t) s.debounce.released,
                                        "overflow", (json_int_t) s.debounce.overflow,
                                        "summaries", (json_int_t) s.debounce.summaries,
                                        "window_sec", (json_int_t) (DEBOUNCE_WINDOW_USEC / USEC_PER_SEC),
                                        "verdict_wait_sec", DEBOUNCE_VERDICT_USEC / 1e6,
                                        "verdict_waits", (json_int_t) s.debounce.verdict_waits,
                                        "verdicts_landed", (json_int_t) s.debounce.verdicts_landed);
}
