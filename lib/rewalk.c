/* SPDX-License-Identifier: MIT */
/*
 * The holders of new listeners, walked again at the end of the hot window
 * (sa_scanner_note_details(), sockaudit-internal.h): the walk that found a
 * listener ran ~10 ms after listen(), so a dup(), fork or fd passed just
 * after it is seen only so (the verification drops stale pairs, it never
 * finds new ones). At most SA_REWALK_MAX holders a window; past that the
 * next full scan finds the rest.
 */
#include "scanner.h"

void sa_scanner_redescribe(sa_scanner *s, pid_t pid)
{
        s->details_dirty = true;
        for (unsigned i = 0; i < s->n_redescribe; i++)
                if (s->redescribe[i] == pid)
                        return;
        if (s->n_redescribe < SA_REWALK_MAX)
                s->redescribe[s->n_redescribe++] = pid;
        else
                s->redescribe_all = true;
}

void sa_scanner_details_read(sa_scanner *s)
{
        s->details_dirty = false;
        s->n_redescribe = 0;
        s->redescribe_all = false;
}

void sa_scanner_rewalk_add(sa_scanner *s, pid_t pid)
{
        for (unsigned i = 0; i < s->n_rewalk; i++)
                if (s->rewalk[i] == pid)
                        return;
        if (s->n_rewalk < SA_REWALK_MAX)
                s->rewalk[s->n_rewalk++] = pid;
        else if (s->rewalk_over++ == 0)
                s->rewalks_skipped++; /* once a window */
}

unsigned sa_scanner_note_details(sa_scanner *s)
{
        unsigned n = s->n_rewalk;

        s->details_dirty = true;
        if (s->rewalk_over > 0)
                s->redescribe_all = true;
        for (unsigned i = 0; i < n; i++) {
                sa_scanner_redescribe(s, s->rewalk[i]);
                if (sa_scanner_note_walk(s, s->rewalk[i]) < 0)
                        s->lost = true; /* no memory for the note: a full scan */
        }
        s->n_rewalk = 0;
        s->rewalk_over = 0;
        s->fd_rewalks += n;
        return n;
}
