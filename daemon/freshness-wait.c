/* SPDX-License-Identifier: MIT */
/*
 * Requests that wait for the resync (freshness.h, freshness_park()): a
 * who/list whose refresh needs a full scan is answered when the resync on
 * its thread has installed its snapshot, not by a full scan on the loop;
 * their part of status; and the tests' gate that holds a resync's end.
 */
#include <errno.h>
#include <unistd.h>

#include "util.h"
#include "commands.h"
#include "freshness-internal.h"
#include "manager.h"
#include "provenance.h"
#include "tlsprobes.h"

/* The gate is looked at this often while it holds a resync. */
#define GATE_POLL_USEC (10 * USEC_PER_MSEC)

uint64_t freshness_park(freshness *f, const request *req)
{
        uint64_t it = 0;

        f->parked++;
        f->parked_seq++;
        /* Parked in the dispatch that started the walk (its refresh started
         * it): the request was read before the walk began, which covers it. */
        if (f->job && sd_event_get_iteration(f->manager->event, &it) >= 0 && it == f->walk_iteration)
                f->walk_parked_seq = f->parked_seq;
        /* Request order in the high bits, the question in the low ones (commands_answer_listeners()). */
        return f->parked_seq << REQUEST_PACK_BITS | request_listeners_pack(req);
}

/* A waiting `tls` now waits for its port's probes; a who/list whose owners'
 * verdicts are being made waits for them, as any who/list does. */
static bool to_next_wait(uint64_t ticket, unsigned *ret_kind, uint64_t *ret_ticket, void *userdata)
{
        manager *m = userdata;
        request req = request_listeners_unpack(ticket);

        if (req.cmd == REQUEST_TLS) {
                *ret_kind = TLSPROBES_WAIT_KIND;
                return tlsprobes_adopt(m->tls, req.port, ret_ticket);
        }
        *ret_kind = PROVENANCE_WAIT_KIND;
        return provenance_adopt(m->provenance, &req, ret_ticket);
}

/* The parked requests with a ticket up to upto answered (r: the scan's result); n of them wait. */
static void answer_parked(freshness *f, int r, uint64_t upto, size_t n)
{
        control *ctl = f->manager->control;
        size_t answered;

        if (r >= 0)
                n -= control_retag_deferred(ctl, FRESHNESS_WAIT_KIND, upto, to_next_wait, f->manager);
        answered = commands_answer_listeners(f->manager, FRESHNESS_WAIT_KIND, upto);
        /* Clients that have not read enough: the next probe tries again. */
        f->parked_leftover = answered < n;
}

void freshness_resync_settled(freshness *f, int r, bool exact)
{
        size_t n;

        freshness_check_settled(f, r);
        n = control_deferred_count(f->manager->control, FRESHNESS_WAIT_KIND, UINT64_MAX);
        f->parked_leftover = false;
        if (n == 0)
                return;
        /* The snapshot may be older than a waiting request: refreshed as a
         * request is, and if only another full scan will do, they wait for it. */
        if (r >= 0 && !exact && freshness_verify_all(f, "waiting requests") == FRESHNESS_WAITS)
                return;
        answer_parked(f, r, UINT64_MAX, n);
}

void freshness_resync_walked(freshness *f)
{
        uint64_t upto = f->walk_parked_seq << REQUEST_PACK_BITS | ((UINT64_C(1) << REQUEST_PACK_BITS) - 1);
        size_t n = control_deferred_count(f->manager->control, FRESHNESS_WAIT_KIND, upto);

        if (n > 0) {
                answer_parked(f, 0, upto, n);
                log_debug("%zu waiting requests came before the resync's walk: answered from it", n);
        }
        freshness_resync_settled(f, 0, false);
}

json_t *freshness_parked_to_json(freshness *f)
{
        return json_pack("{s:I,s:I,s:I,s:I}",
                         "waited", (json_int_t) f->parked,
                         "waiting", (json_int_t) control_deferred_count(f->manager->control,
                                                                         FRESHNESS_WAIT_KIND, UINT64_MAX),
                         "full_scans", (json_int_t) f->request_resyncs,
                         "again", (json_int_t) f->resync_again);
}

void freshness_set_test_gate(freshness *f, const char *path)
{
        f->gate = path && *path ? path : NULL;
        if (f->gate)
                log_warning("SOCKAUDITD_TEST_RESYNC_GATE=%s: each resync waits for that file (tests only)",
                            f->gate);
}

static int on_gate_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
        freshness *f = userdata;

        if (!freshness_gate_holds(f))
                freshness_gate_opened(f);
        return 0;
}

bool freshness_gate_holds(freshness *f)
{
        int r;

        if (!f->gate || access(f->gate, F_OK) == 0)
                return false;
        if (!f->gate_timer) {
                r = sd_event_add_time_relative(f->manager->event, &f->gate_timer, CLOCK_MONOTONIC,
                                               GATE_POLL_USEC, USEC_PER_MSEC, on_gate_timer, f);
                if (r < 0)
                        return false;   /* no timer: not held */
        }
        sd_event_source_set_time_relative(f->gate_timer, GATE_POLL_USEC);
        sd_event_source_set_enabled(f->gate_timer, SD_EVENT_ONESHOT);
        return true;
}
