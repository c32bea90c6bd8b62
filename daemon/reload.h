/* SPDX-License-Identifier: MIT */
/*
 * What a reload changes, in words and for the monitor: the watched ports
 * and [Port] sections before and after, the namespace scope (Namespaces=),
 * and the record of the last reload that `status` shows. Pure functions of
 * two configs, apart from scope_self_netns().
 */
#ifndef SAD_RELOAD_H
#define SAD_RELOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "config.h"

/* The namespaces the daemon sees: every one, or its own. */
typedef struct scope {
        bool all;               /* Namespaces=all */
        uint64_t self_netns;    /* the daemon's own network namespace's inode; 0 unknown */
} scope;

/* The daemon's own network namespace's inode (/proc/self/ns/net). 0 or -errno. */
int scope_self_netns(uint64_t *ret);

/* True when a listener in netns is in sight under s (an unknown self_netns sees all). */
bool scope_has(const scope *s, uint64_t netns);

/* "all" / "self". */
const char *scope_name(bool all);

/* The watched ports of p as a sorted array of "443/tcp" ("all/udp" for Ports=all). NULL: ENOMEM. */
json_t *reload_watched_to_json(const policy *p);

/*
 * What changed from before to after, one line: "ports +8443/tcp -80/tcp;
 * sections +[Port 8443/tcp] -[Port 80/tcp] ~[Port 443/tcp]; scope all→self"
 * (each part only when it changed; at most 16 items a part, then "+N
 * more"), or "nothing watched changed". Caller frees; -ENOMEM.
 */
int reload_summary(const daemon_config *before, const daemon_config *after, char **ret);

/* The last reload, for status: none yet, or when, how it ended and what it changed. */
typedef struct reload_record {
        bool done;
        struct timespec when;   /* CLOCK_REALTIME */
        bool ok;
        char error[512];        /* why it was refused, when !ok */
        char *changes;          /* reload_summary(), when ok; owned */
} reload_record;

void reload_record_clear(reload_record *r);

/* null before the first reload, else {"time","result":"ok","changes"} or {"time","result":"error","error"}. NULL: ENOMEM. */
json_t *reload_record_to_json(const reload_record *r);

#endif
