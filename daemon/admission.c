/* SPDX-License-Identifier: MIT */
/* Who gets a control-socket slot: admission.h. */
#include "admission.h"

/*
 * The slot idle the longest that is not busy and that uid's choice may
 * evict: uid's own (when own), else anyone's but root's unless uid is
 * root. SIZE_MAX when there is none.
 */
static size_t oldest_idle(const admission_slot *slots, size_t n, uid_t uid, bool own)
{
        size_t best = SIZE_MAX;

        for (size_t i = 0; i < n; i++) {
                if (slots[i].busy)
                        continue;
                if (own ? slots[i].uid != uid : uid != 0 && slots[i].uid == 0)
                        continue;
                if (best == SIZE_MAX || slots[i].active_at < slots[best].active_at)
                        best = i;
        }
        return best;
}

static admission_verdict evict_or_refuse(size_t victim, size_t *ret_victim)
{
        if (victim == SIZE_MAX)
                return ADMISSION_REFUSE;
        *ret_victim = victim;
        return ADMISSION_EVICT;
}

admission_verdict admission_decide(const admission_limits *lim, const admission_slot *slots, size_t n,
                                   uid_t uid, size_t *ret_victim)
{
        size_t limit = (size_t) lim->total + (uid == 0 ? lim->root_reserve : 0);

        if (uid != 0) {
                size_t own = 0;

                for (size_t i = 0; i < n; i++)
                        own += slots[i].uid == uid;
                if (own >= lim->per_user)
                        return evict_or_refuse(oldest_idle(slots, n, uid, true), ret_victim);
        }
        if (n < limit)
                return ADMISSION_ADMIT;
        return evict_or_refuse(oldest_idle(slots, n, uid, false), ret_victim);
}

unsigned admission_default_per_user(unsigned total)
{
        unsigned small = total < ADMISSION_PER_USER_FLOOR ? total : ADMISSION_PER_USER_FLOOR;

        return total / 4 > small ? total / 4 : small;
}
