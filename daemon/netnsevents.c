/* SPDX-License-Identifier: MIT */
/* Namespace events: listen and close events mark their namespace dirty (netnsevents.h). */
#include <stdio.h>

#include "netnsevents.h"

/* Why events are off (or "" when on); set once at start-up. */
static char reason[200];

void netnsevents_setup(sa_scanner *scanner, const watchlisten *w, const char *listen_why)
{
        bool on = w && watchlisten_has_udp(w);

        if (on)
                snprintf(reason, sizeof reason, "eBPF: TCP listen and close, UDP bind and release");
        else if (!w)
                snprintf(reason, sizeof reason, "no listen events (%s): every namespace dumped by every refresh",
                         listen_why);
        else
                snprintf(reason, sizeof reason, "UDP closes unseen (%s): every namespace dumped by every refresh",
                         listen_why);
        sa_scanner_netns_events(scanner, on);
}

void netnsevents_note(sa_scanner *scanner, const sa_listen_note *note, uint64_t hot_until)
{
        if (note->lost)
                sa_scanner_netns_changed(scanner, 0, 0, 0);
        else if (note->netns || note->netns_cookie)
                sa_scanner_netns_changed(scanner, note->netns, note->netns_cookie, note->closed ? 0 : hot_until);
        else
                sa_scanner_netns_changed(scanner, 0, 0, 0); /* namespace unknown: any */
}

json_t *netnsevents_to_json(const sa_scanner *scanner)
{
        sa_netns_dirt_stats d;
        sa_netns_fd_stats ns;

        sa_scanner_netns_dirt_stats(scanner, &d);
        sa_scanner_netns_fd_stats(scanner, &ns);
        return json_pack("{s:I,s:I,s:I,s:I,s:b,s:s,s:I,s:I,s:I}",
                         "found", (json_int_t) ns.namespaces,
                         "sockets_kept", (json_int_t) ns.kept,
                         "sockets_kept_max", (json_int_t) ns.keep_max,
                         "fd_failures", (json_int_t) ns.fd_failures,
                         "event_driven", d.events, "reason", reason,
                         "dirty", (json_int_t) d.dirty, "clean", (json_int_t) d.clean,
                         "dumped_last", (json_int_t) d.dumped_last);
}
