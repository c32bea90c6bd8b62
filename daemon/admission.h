/* SPDX-License-Identifier: MIT */
/*
 * Who gets a control-socket slot (admission.c): from the clients connected
 * now, a newcomer is admitted, or admitted in place of one idle client
 * (evicted), or refused. Pure: no I/O, no clock, no daemon state, so it is
 * unit-tested on arrays.
 *
 * The rules (docs/PROTOCOL.md#errors):
 *  - a peer other than root may hold per_user connections; at that cap its
 *    own idle connection the longest idle makes room, else it is refused;
 *  - all together may hold total connections, root total + root_reserve;
 *    when full, the client idle the longest makes room (root's only for
 *    root), else the newcomer is refused;
 *  - busy clients (a request in progress, a reply not yet written, a
 *    watcher) are never evicted.
 * Eviction is one out, one in: the count never grows past its limit.
 */
#ifndef SAD_ADMISSION_H
#define SAD_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct admission_limits {
        unsigned total;          /* MaxClients= */
        unsigned per_user;       /* MaxClientsPerUser=; uid 0 is exempt */
        unsigned root_reserve;   /* slots above total only uid 0 may take */
} admission_limits;

/* One connected client, as the choice sees it. */
typedef struct admission_slot {
        uid_t uid;               /* SO_PEERCRED at accept */
        bool busy;               /* never evicted */
        uint64_t active_at;      /* last byte read or written (any clock; smaller is older) */
} admission_slot;

typedef enum admission_verdict {
        ADMISSION_ADMIT,
        ADMISSION_EVICT,         /* *ret_victim makes room, then the newcomer is admitted */
        ADMISSION_REFUSE,
} admission_verdict;

/*
 * The verdict for a newcomer with uid, given the n clients in slots. Sets
 * *ret_victim (an index into slots) only for ADMISSION_EVICT. O(n).
 */
admission_verdict admission_decide(const admission_limits *lim, const admission_slot *slots, size_t n,
                                   uid_t uid, size_t *ret_victim);

/*
 * The per-user cap when MaxClientsPerUser= is not set: a quarter of total,
 * but never below ADMISSION_PER_USER_FLOOR (or total, when smaller): a
 * small MaxClients= is a small trusted setup, not one to split.
 */
#define ADMISSION_PER_USER_FLOOR 64u
unsigned admission_default_per_user(unsigned total);

#endif
