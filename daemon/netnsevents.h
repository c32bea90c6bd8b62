/* SPDX-License-Identifier: MIT */
/*
 * Namespace events (issue 12): eBPF listen and close events mark their
 * network namespace dirty in the scanner, so that refreshes dump only the
 * namespaces that changed (lib: sa_scanner_netns_events()). On only when
 * every listen and close is seen: TCP listen and close (the tracepoint)
 * and UDP bind and release (the cgroup2 root's hooks); else polling, as
 * before, and status says why.
 */
#ifndef SAD_NETNSEVENTS_H
#define SAD_NETNSEVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "sockaudit-internal.h"
#include "watchlisten.h"

/* Turns events on in scanner when w sees everything; why (static or w's words) when not. */
void netnsevents_setup(sa_scanner *scanner, const watchlisten *w, const char *listen_why);

/*
 * One listen event: its namespace marked (hot: dumped by every refresh
 * until hot_until, a listen() fires before its socket can be dumped),
 * every namespace when records were lost. Costs no syscall.
 */
void netnsevents_note(sa_scanner *scanner, const sa_listen_note *note, uint64_t hot_until);

/* status.freshness.namespaces: {"found":N,"sockets_kept":N,"sockets_kept_max":N,"fd_failures":N,
 * "event_driven":bool,"reason":"…","dirty":N,"clean":N,"dumped_last":N}. */
json_t *netnsevents_to_json(const sa_scanner *scanner);

#endif
