/* SPDX-License-Identifier: MIT */
/* Change events: the watch/JSON form and the journal entry of each. */
#ifndef SA_EVENT_H
#define SA_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include <jansson.h>

#include "policy.h"
#include "sockaudit.h"

typedef enum event_type {
        EVENT_LISTENER_ADDED,
        EVENT_LISTENER_REMOVED,
        EVENT_OWNER_CHANGED,
        EVENT_POLICY_VIOLATION,
        EVENT_LISTENER_FLAPPING,
        EVENT_LISTENERS_SHORT_LIVED,
        EVENT_TLS_CHANGED,
        EVENT_REACHABILITY_CHANGED,
        _EVENT_TYPE_MAX,
} event_type;

/* Fixed MESSAGE_ID per type (also in docs/JOURNAL.md and the catalog). */
#define SA_MESSAGE_ID_LISTENER_ADDED   "5f7806d6600e481fb3bc2288fe1f7c04"
#define SA_MESSAGE_ID_LISTENER_REMOVED "07f237e467ea4364a9fa159948dba1ba"
#define SA_MESSAGE_ID_OWNER_CHANGED    "372a7cc957ec44fc864669ef929c85df"
#define SA_MESSAGE_ID_POLICY_VIOLATION "8aabb5f5dc6b450db79ed1fe4a2edec8"
#define SA_MESSAGE_ID_LISTENER_FLAPPING "d1b0f6c29e8a4b7e9a35c4f0e2a76b18"
#define SA_MESSAGE_ID_LISTENERS_SHORT_LIVED "6c3e9a0b8f2d4e17a5b1c7d90e4f2a63"
/* policy_violation events of the package checks: one MESSAGE_ID per violation. */
#define SA_MESSAGE_ID_EXE_MODIFIED        "e415d8f6b32c400f81d0cd2831daa2f1"
#define SA_MESSAGE_ID_EXE_NOT_PACKAGED    "57f37259295f403bb1a41d533162313a"
#define SA_MESSAGE_ID_EXE_UNVERIFIABLE    "66d640c348df4493b3e1bddba418d403"
#define SA_MESSAGE_ID_PACKAGE_NOT_ALLOWED "d37a2cd10d234b52b7e9dfc7011d0f8c"
/* TLS (daemon/tlsevents.c): the served certificates changed; one MESSAGE_ID per TLS violation. */
#define SA_MESSAGE_ID_TLS_CHANGED         "3fdd69b36d4d43c095b988880382bc1f"
/* A listener's firewall verdicts changed (daemon/reachability.c). */
#define SA_MESSAGE_ID_REACHABILITY_CHANGED "1f59d78aa6414ff3abfcc2c13eb18624"
/* AllowExposure=: the listener is reachable from beyond what its rule allows. */
#define SA_MESSAGE_ID_EXPOSURE_EXCEEDED   "a55bd2b4949b4cdba16209f252b7d06a"
#define SA_MESSAGE_ID_CERT_EXPIRING       "145fd446c5444b9685a5ca2ed732b70a"
#define SA_MESSAGE_ID_CERT_EXPIRED        "a3cbeab4702e486a8a7f9b552cf9caf2"
#define SA_MESSAGE_ID_TLS_VERSION_WEAK    "cb0452f103184a47b9b89bfaa16055f7"
#define SA_MESSAGE_ID_KEY_WEAK            "3d301da7269142af8da57b205895c18d"
#define SA_MESSAGE_ID_CHAIN_UNVERIFIED    "86634287f2814d54a29cfbe3a94a61b4"
#define SA_MESSAGE_ID_CERT_STALE_ON_DISK  "e823847c4e574d8f920e18214114b5ce"

const char *event_type_name(event_type t);
event_type event_type_from_change(sa_change_kind kind);

/*
 * The event object (docs/RECORDS.md): {"event","time","listener","previous_owners",
 * "reason"}. listener is the socket as it is now (as it was, for a removal);
 * before, if non-NULL, gives previous_owners. reason may be NULL.
 * Caller owns the reference; NULL on ENOMEM.
 */
json_t *event_to_json(event_type t, const struct timespec *when, const sa_listener *listener,
                      const sa_listener *before, const char *reason);

/* One journal entry: n "FIELD=value" iovecs, each separately allocated. */
typedef struct journal_entry {
        size_t n, cap;
        struct iovec *iov;
        int priority;
} journal_entry;

journal_entry *journal_entry_free(journal_entry *e);

/*
 * The journal entry of an event: MESSAGE_ID, MESSAGE (one line, untrusted
 * text escaped), PRIORITY (notice; warning for policy violations) and the
 * SOCKAUDIT_* fields, one value per holder for PID and per distinct program
 * for COMM/EXE/UNIT/USER, and PACKAGE/PACKAGE_STATUS/EXE_SHA256 where its
 * provenance is known (values are passed as data: a newline in a value is
 * sent length-prefixed by sd_journal_sendv and cannot start a field).
 * Caller frees.
 */
journal_entry *event_journal_entry(event_type t, const sa_listener *listener,
                                   const sa_listener *before, const char *reason);

/*
 * A policy_violation: the event object of event_to_json() with v's reason
 * plus "violation": its kind (violation_kind_name()), and its journal
 * entry: event_journal_entry()'s, with SOCKAUDIT_VIOLATION, and for the
 * package checks their own MESSAGE_ID. When v names an owner whose
 * provenance is known, SOCKAUDIT_PACKAGE* and SOCKAUDIT_EXE_SHA256 are that
 * owner's (not every program's). Caller frees; NULL on ENOMEM.
 */
json_t *event_violation_to_json(const struct timespec *when, const violation *v);

/* check's record of v: {"listener","reason","violation"} (docs/RECORDS.md#violation). NULL on ENOMEM. */
json_t *event_violation_record(const violation *v);

/*
 * The config file policy violations' entries name (SOCKAUDIT_CONFIG),
 * borrowed until set again (NULL: none): one per daemon, like --config.
 */
void event_set_config_path(const char *path);

/*
 * The SOCKAUDIT_TLS_* fields of a TLS fact (docs/JOURNAL.md): VERSION for
 * each version tls accepts, and cert's SNI, SUBJECT, ISSUER, NOT_AFTER,
 * DAYS_LEFT, SHA256, KEY_BITS (cert NULL: each certificate's), escaped.
 * 0 or -ENOMEM.
 */
/* Appends FIELD=value (escaped: the text may hold names from outside). -ENOMEM. */
int event_entry_add_field(journal_entry *e, const char *field, const char *value);

int event_entry_add_tls(journal_entry *e, const json_t *tls, const json_t *cert);
journal_entry *event_violation_journal_entry(const violation *v);

/* A listener_flapping event's particulars (daemon/flap.h). */
typedef struct event_flapping {
        const char *program;          /* exe of the first holder, "" when none */
        uint64_t opens, closes, window_usec;
        struct timespec first, last;  /* CLOCK_REALTIME of the first and last transition */
} event_flapping;

/*
 * listener_flapping: the event object of event_to_json() plus
 * "flapping":{"program","opens","closes","first","last","window_sec"}, and
 * its journal entry (MESSAGE_ID SA_MESSAGE_ID_LISTENER_FLAPPING, warning)
 * with SOCKAUDIT_OPENS, _CLOSES, _FIRST, _LAST, _WINDOW_SEC, _PROGRAM.
 * Caller frees; NULL on ENOMEM.
 */
json_t *event_flapping_to_json(const struct timespec *when, const sa_listener *listener, const char *reason,
                               const event_flapping *f);
journal_entry *event_flapping_journal_entry(const sa_listener *listener, const char *reason,
                                            const event_flapping *f);

/* A listeners_short_lived event's particulars (daemon/debounce.h): a window's count. */
typedef struct event_short_lived {
        uint64_t listeners, violating, namespaces;
        bool namespaces_at_least;     /* more namespaces than were counted */
        const char *ports;            /* "47321/tcp, 53/udp" */
        const char *last;             /* the last one described (raw text), "" if unknown */
        uint64_t window_usec, debounce_usec;
} event_short_lived;

/*
 * listeners_short_lived: {"event","time","reason","short_lived":{"listeners",
 * "violating","namespaces","namespaces_at_least","ports","last","window_sec",
 * "debounce_sec"}} (no listener: it sums up many), and its journal entry
 * (MESSAGE_ID SA_MESSAGE_ID_LISTENERS_SHORT_LIVED; warning when any
 * violated the policy, else notice) with SOCKAUDIT_EVENT, _COUNT,
 * _VIOLATING, _NAMESPACES, _PORTS, _LAST_LISTENER, _WINDOW_SEC, _DEBOUNCE_SEC.
 * MESSAGE is reason; reason and last are raw (escaped here for the
 * journal, as in every entry). Caller frees; NULL on ENOMEM.
 */
json_t *event_short_lived_to_json(const struct timespec *when, const char *reason, const event_short_lived *s);
journal_entry *event_short_lived_journal_entry(const char *reason, const event_short_lived *s);

/* The one-line MESSAGE of an event. Caller frees. */
char *event_message(event_type t, const sa_listener *listener, const sa_listener *before,
                    const char *reason);

#endif
