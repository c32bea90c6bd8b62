/* SPDX-License-Identifier: MIT */
/* New listeners from eBPF (lib/include/sockaudit-internal.h) as an I/O source on the event loop (see watchlisten.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watchlisten.h"

struct watchlisten {
        sa_bpflisten *bpf;
        sd_event_source *source;
        bool udp;
        char detail[160];       /* what is missing (UDP), "" when nothing */
        uint64_t events;
        sa_bpflisten_fn fn;
        void *userdata;
};

static void on_note(const sa_listen_note *note, void *userdata)
{
        watchlisten *w = userdata;

        w->events++;
        w->fn(note, w->userdata);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        watchlisten_drain(userdata);
        return 0;
}

int watchlisten_open(sd_event *e, sa_bpflisten_fn fn, void *userdata, watchlisten **ret, char *why,
                     size_t why_size)
{
        watchlisten *w = calloc(1, sizeof *w);
        int r;

        *ret = NULL;
        if (!w)
                return -ENOMEM;
        w->fn = fn;
        w->userdata = userdata;
        r = sa_bpflisten_open(on_note, w, &w->bpf, &w->udp, w->detail, sizeof w->detail);
        if (r < 0) {
                snprintf(why, why_size, "%s", w->detail);
                free(w);
                return r;
        }
        r = sd_event_add_io(e, &w->source, sa_bpflisten_fd(w->bpf), EPOLLIN, on_io, w);
        if (r >= 0)
                r = sd_event_source_set_priority(w->source, SD_EVENT_PRIORITY_IMPORTANT);
        if (r < 0) {
                snprintf(why, why_size, "cannot watch the event ring buffer: %s", strerror(-r));
                watchlisten_free(w);
                return r;
        }
        snprintf(why, why_size, "%s", w->detail);
        *ret = w;
        return 0;
}

bool watchlisten_has_udp(const watchlisten *w)
{
        return w && w->udp;
}

void watchlisten_drain(watchlisten *w)
{
        if (w)
                (void) sa_bpflisten_consume(w->bpf);
}

json_t *watchlisten_to_json(const watchlisten *w, const char *why)
{
        if (!w)
                return json_pack("{s:n,s:b,s:I,s:s}", "source", "udp", 0, "events", (json_int_t) 0,
                                 "detail", why && *why ? why : "not loaded");
        return json_pack("{s:s,s:b,s:I,s:s?}", "source", "ebpf", "udp", w->udp, "events",
                         (json_int_t) w->events, "detail", w->detail[0] ? w->detail : NULL);
}

watchlisten *watchlisten_free(watchlisten *w)
{
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        sa_bpflisten_free(w->bpf);
        free(w);
        return NULL;
}
