/* SPDX-License-Identifier: MIT */
/*
 * New listeners as events (lib/include/sockaudit-internal.h: eBPF on the TCP LISTEN
 * tracepoint and on UDP binds), handed to the manager from the event loop.
 * Open before the daemon drops CAP_BPF/CAP_PERFMON; reading needs neither.
 */
#ifndef SAD_WATCHLISTEN_H
#define SAD_WATCHLISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "sockaudit-internal.h"

typedef struct watchlisten watchlisten;

/*
 * Loads the programs and hands each new listener to fn from the event
 * loop (an I/O source on e). On failure (no eBPF here) *ret is NULL and
 * the reason is kept for watchlisten_to_json(NULL) and logged by the
 * caller from why.
 */
int watchlisten_open(sd_event *e, sa_bpflisten_fn fn, void *userdata, watchlisten **ret, char *why,
                     size_t why_size);

/* UDP binds are seen too (the cgroup hooks attached). */
bool watchlisten_has_udp(const watchlisten *w);

/* Reads what is queued now, without blocking (a request sees a listen() just done). */
void watchlisten_drain(watchlisten *w);

/* {"source":"ebpf"|null,"udp":bool,"events":N,"detail":"…"}; why: when w is NULL. */
json_t *watchlisten_to_json(const watchlisten *w, const char *why);

watchlisten *watchlisten_free(watchlisten *w);

#endif
