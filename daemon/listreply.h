/* SPDX-License-Identifier: MIT */
/*
 * The who/list reply (docs/PROTOCOL.md), written listener by listener
 * into its text: only one listener's JSON tree lives at a time, so a
 * listing of 38,000 listeners costs its text and not ten times that in
 * jansson objects; and the text is bounded, with what did not fit counted
 * (docs/SECURITY.md).
 */
#ifndef SAD_LISTREPLY_H
#define SAD_LISTREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockaudit.h"

/* The process and exposure records' texts kept from one reply to the next
 * (listreply_opts.texts): valid while texts_gen is the same. */
typedef struct listreply_texts listreply_texts;

typedef struct listreply_opts {
        const sa_filter *filter;        /* NULL: every listener */
        bool who;                       /* add "port": filter->port */
        bool redacted;                  /* command lines redacted (redact.h) */
        bool compact;                   /* the compact form: each process and exposure once */
        const char *stale_why;          /* NULL: fresh; else "stale" and its reason */
        size_t max;                     /* bytes of the line, '\n' included; 0: REPLY_MAX_BYTES */
        const sa_json_limits *limits;   /* NULL: sa_json_limits_default */
        /* A listener's `tls` object (borrowed), the record's last member; NULL: none. */
        const json_t *(*tls_of)(const void *userdata, const sa_listener *l);
        const void *tls_userdata;
        /* A listener's `reachability` object (borrowed), before `tls`; NULL: none. */
        const json_t *(*reach_of)(const void *userdata, const sa_listener *l);
        const void *reach_userdata;
        /* Texts of records written before for the same texts_gen (the
         * snapshot's records unchanged), reused and added to; NULL: this
         * reply's own. Owned by the caller. */
        listreply_texts *texts;
        uint64_t texts_gen;
} listreply_opts;

/* An empty store of records' texts (NULL when out of memory); the free takes NULL and returns NULL. */
listreply_texts *listreply_texts_new(void);
listreply_texts *listreply_texts_free(listreply_texts *t);

/*
 * {"ok":true,["port":N,]"listeners":[...],"scan_time":...} of the
 * listeners of snap passing o->filter, one line ending in '\n', at most
 * o->max bytes. Listeners that do not fit are left out, whole, from the
 * first that does not fit on: "truncated": true, "truncated_reason" and
 * "listeners_omitted" then say so. Memory: the text, plus one listener's
 * JSON at a time; gives free memory back after a big one
 * (replybuf_give_back()). *ret_text (caller frees), *ret_len. -ENOMEM.
 *
 * With o->compact, {"ok":true,"form":"compact",["port":N,]"listeners":[...],
 * "processes":[...],"exposures":[...],"scan_time":...}: each owner is
 * {"process":I,"fds":...,"role":...} and each "exposure" an index J, into
 * "processes" and "exposures", where each record is written once
 * (docs/PROTOCOL.md). The bound counts those records too: a listener is
 * left out when it and the records it brings do not fit.
 */
int listreply_build(const sa_snapshot *snap, const listreply_opts *o, char **ret_text, size_t *ret_len);

#endif
