/* SPDX-License-Identifier: MIT */
/*
 * The who/list reply, streamed listener by listener into bounded text
 * (listreply.h).
 */
#include <errno.h>
#include <stdio.h>

#include "listreply.h"
#include "redact.h"
#include "replybuf.h"
#include "util.h"

/* Room kept for what follows the listeners: scan time, stale and truncation marks. */
#define TAIL_RESERVE 4096u

/* One listener's record, redacted if asked, appended; -E2BIG leaves b as it was. */
static int add_listener(replybuf *b, const sa_listener *l, const listreply_opts *o, bool first)
{
        _cleanup_json_ json_t *j = sa_listener_to_json_limited(l, o->limits ? o->limits
                                                                             : &sa_json_limits_default);
        size_t len = b->len;
        int r;

        if (!j || (o->redacted && redact_cmdlines(j) < 0))
                return -ENOMEM;
        r = first ? 0 : replybuf_add(b, ",", 1);
        if (r >= 0)
                r = replybuf_add_json(b, j);
        if (r < 0) {
                b->len = len;
                if (b->data)
                        b->data[len] = '\0';
        }
        return r;
}

/* "key":value for a JSON value (consumed); -ENOMEM. */
static int add_member(replybuf *b, const char *key, json_t *value)
{
        int r;

        if (!value)
                return -ENOMEM;
        r = replybuf_add_str(b, ",\"");
        if (r >= 0)
                r = replybuf_add_str(b, key);
        if (r >= 0)
                r = replybuf_add_str(b, "\":");
        if (r >= 0)
                r = replybuf_add_json(b, value);
        json_decref(value);
        return r;
}

int listreply_build(const sa_snapshot *snap, const listreply_opts *o, char **ret_text, size_t *ret_len)
{
        size_t max = o->max ? o->max : REPLY_MAX_BYTES, omitted = 0, shown = 0;
        char head[64], when[64];
        replybuf b;
        int r;

        if (max <= TAIL_RESERVE)
                return -EINVAL;
        /* The listeners get all but the reserve; the tail may use it. */
        replybuf_init(&b, max - TAIL_RESERVE);
        if (o->who)
                snprintf(head, sizeof head, "{\"ok\":true,\"port\":%u,\"listeners\":[",
                         o->filter ? (unsigned) o->filter->port : 0u);
        else
                snprintf(head, sizeof head, "{\"ok\":true,\"listeners\":[");
        r = replybuf_add_str(&b, head);
        for (size_t i = 0; r >= 0 && i < snap->n_listeners; i++) {
                const sa_listener *l = &snap->listeners[i];

                if (!sa_listener_match(l, o->filter))
                        continue;
                if (omitted == 0) {
                        r = add_listener(&b, l, o, shown == 0);
                        if (r >= 0) {
                                shown++;
                                continue;
                        }
                        if (r != -E2BIG)
                                break;
                        r = 0;
                }
                omitted++;
        }
        b.max = max - 2;
        if (r >= 0)
                r = replybuf_add_str(&b, "]");
        if (r >= 0)
                r = add_member(&b, "scan_time", json_string(sa_format_time(&snap->taken, when, sizeof when)));
        if (r >= 0 && o->stale_why) {
                r = add_member(&b, "stale", json_true());
                if (r >= 0)
                        r = add_member(&b, "stale_reason", json_string(o->stale_why));
        }
        if (r >= 0 && omitted > 0) {
                char why[128];

                snprintf(why, sizeof why, "the reply reached its bound of %zu bytes", max);
                r = add_member(&b, "truncated", json_true());
                if (r >= 0)
                        r = add_member(&b, "truncated_reason", json_string(why));
                if (r >= 0)
                        r = add_member(&b, "listeners_omitted", json_integer((json_int_t) omitted));
        }
        b.max = max;
        if (r >= 0)
                r = replybuf_add(&b, "}\n", 2);
        if (r >= 0) {
                *ret_text = replybuf_take(&b, ret_len);
                r = *ret_text ? 0 : -ENOMEM;
        }
        replybuf_done(&b);
        if (r >= 0)
                replybuf_give_back(*ret_len);
        return r < 0 ? -ENOMEM : 0;
}
