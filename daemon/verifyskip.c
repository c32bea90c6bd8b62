/* SPDX-License-Identifier: MIT */
/* When a who/list may skip re-verifying the known holders (verifyskip.h). */
#include "verifyskip.h"

void verifyskip_changed(verifyskip *v)
{
        v->changes++;
}

uint64_t verifyskip_mark(const verifyskip *v)
{
        return v->changes;
}

void verifyskip_verified(verifyskip *v, uint64_t mark, uint64_t at_usec)
{
        v->verified_changes = mark;
        v->verified_usec = at_usec;
}

bool verifyskip_may_skip(verifyskip *v, bool events, uint64_t now_usec)
{
        if (!events || v->verified_usec == 0 || v->changes != v->verified_changes ||
            now_usec < v->verified_usec || now_usec - v->verified_usec >= VERIFY_MAX_AGE_USEC)
                return false;
        v->skipped++;
        return true;
}
