/* SPDX-License-Identifier: MIT */
/* Socket inode -> listener index: open addressing, linear probing. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "inomap.h"

/* Slot key 0 means empty: inode 0 is never a real socket. */
typedef struct sa_inomap_slot {
        uint32_t ino;
        size_t idx;
} sa_inomap_slot;

struct sa_inomap {
        sa_inomap_slot *slots;
        size_t cap;             /* power of two */
        unsigned shift;         /* 32 - log2(cap) */
        size_t n;
};

/* The load stays at or under 1/2: short probe sequences, even on a miss. */
#define INOMAP_MIN_CAP 16u
#define INOMAP_MAX_CAP ((size_t) 1 << 31)

/* Fibonacci hashing: inodes are often sequential; spread them over the top bits. */
static size_t slot_of(const sa_inomap *m, uint32_t ino)
{
        return (uint32_t) (ino * UINT32_C(2654435769)) >> m->shift;
}

static unsigned log2_of(size_t pow2)
{
        unsigned b = 0;

        while (((size_t) 1 << b) < pow2)
                b++;
        return b;
}

/* Capacity for n entries at load <= 1/2, or 0 when too large. */
static size_t cap_for(size_t n)
{
        size_t cap = INOMAP_MIN_CAP;

        while (cap / 2 < n) {
                if (cap >= INOMAP_MAX_CAP)
                        return 0;
                cap *= 2;
        }
        return cap;
}

static void insert_slot(sa_inomap_slot *slots, size_t mask, size_t pos,
                        uint32_t ino, size_t idx)
{
        while (slots[pos].ino != 0 && slots[pos].ino != ino)
                pos = (pos + 1) & mask;
        slots[pos].ino = ino;
        slots[pos].idx = idx;
}

/* Rehashes every entry into a table of new_cap slots. -ENOMEM leaves m as it was. */
static int rehash(sa_inomap *m, size_t new_cap)
{
        sa_inomap_slot *slots = calloc(new_cap, sizeof(*slots));
        sa_inomap tmp = { .cap = new_cap, .shift = 32 - log2_of(new_cap) };

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].ino != 0)
                        insert_slot(slots, new_cap - 1,
                                    slot_of(&tmp, m->slots[i].ino),
                                    m->slots[i].ino, m->slots[i].idx);
        free(m->slots);
        m->slots = slots;
        m->cap = new_cap;
        m->shift = tmp.shift;
        return 0;
}

int sa_inomap_new(size_t hint, sa_inomap **ret)
{
        sa_inomap *m;
        size_t cap = cap_for(hint);

        if (!ret)
                return -EINVAL;
        if (cap == 0)
                return -ENOMEM;
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->slots = calloc(cap, sizeof(*m->slots));
        if (!m->slots) {
                free(m);
                return -ENOMEM;
        }
        m->cap = cap;
        m->shift = 32 - log2_of(cap);
        *ret = m;
        return 0;
}

sa_inomap *sa_inomap_free(sa_inomap *m)
{
        if (m) {
                free(m->slots);
                free(m);
        }
        return NULL;
}

int sa_inomap_put(sa_inomap *m, uint32_t ino, size_t idx)
{
        size_t mask, pos;

        if (!m || ino == 0)
                return -EINVAL;

        mask = m->cap - 1;
        for (pos = slot_of(m, ino); m->slots[pos].ino != 0; pos = (pos + 1) & mask)
                if (m->slots[pos].ino == ino) {
                        m->slots[pos].idx = idx;
                        return 0;
                }

        if ((m->n + 1) > m->cap / 2) {
                size_t cap = cap_for(m->n + 1);
                int r;

                if (cap == 0)
                        return -ENOMEM;
                r = rehash(m, cap);
                if (r < 0)
                        return r;
                mask = m->cap - 1;
                pos = slot_of(m, ino);
        }
        insert_slot(m->slots, mask, pos, ino, idx);
        m->n++;
        return 0;
}

bool sa_inomap_get(const sa_inomap *m, uint32_t ino, size_t *ret_idx)
{
        size_t mask, pos;

        if (!m || ino == 0)
                return false;

        mask = m->cap - 1;
        for (pos = slot_of(m, ino); m->slots[pos].ino != 0; pos = (pos + 1) & mask)
                if (m->slots[pos].ino == ino) {
                        if (ret_idx)
                                *ret_idx = m->slots[pos].idx;
                        return true;
                }
        return false;
}

size_t sa_inomap_size(const sa_inomap *m)
{
        return m ? m->n : 0;
}
