/* SPDX-License-Identifier: MIT */
/* Tickets, covers and the scan budget of coalesced requests (coalesce.h). */
#include "coalesce.h"

uint64_t coalesce_request(coalesce *co)
{
        co->requested++;
        return ++co->seq;
}

bool coalesce_pending(const coalesce *co)
{
        if (co->running)
                return co->seq > co->covers;
        return co->leftover || co->seq > co->answered;
}

uint64_t coalesce_gap(const coalesce *co)
{
        uint64_t by_cost = co->last_cost * COALESCE_COST_FACTOR;

        return by_cost > COALESCE_MIN_GAP_USEC ? by_cost : COALESCE_MIN_GAP_USEC;
}

uint64_t coalesce_next_start(const coalesce *co)
{
        if (co->running || !coalesce_pending(co))
                return 0;
        if (co->last_start == 0)
                return 1;       /* never ran: now */
        return co->last_start + coalesce_gap(co);
}

void coalesce_started(coalesce *co, uint64_t now, bool for_requests)
{
        co->running = true;
        co->leftover = false;   /* tickets up to seq: every one waiting now */
        co->covers = co->seq;
        co->last_start = now ?: 1;
        if (for_requests)
                co->scans++;
}

uint64_t coalesce_finished(coalesce *co, uint64_t cost)
{
        if (!co->running)
                return co->answered;
        co->running = false;
        co->last_cost = cost;
        co->answered = co->covers;
        return co->answered;
}

void coalesce_answered(coalesce *co, size_t n, bool shared)
{
        if (shared)
                co->shared += n;
}

void coalesce_leftover(coalesce *co)
{
        co->leftover = true;
}

json_t *coalesce_to_json(const coalesce *co)
{
        return json_pack("{s:I,s:I,s:I,s:b}",
                         "requested", (json_int_t) co->requested,
                         "scans", (json_int_t) co->scans,
                         "shared", (json_int_t) co->shared,
                         "waiting", co->leftover || co->seq > co->answered);
}
