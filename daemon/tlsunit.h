/* SPDX-License-Identifier: MIT */
/*
 * TLS probes as transient systemd units (daemon/tlsunit.c): under systemd
 * each probe's helper runs in its own sandboxed unit that systemd starts in
 * the listener's network namespace, so the daemon's unit needs neither
 * CAP_SETUID nor AF_INET (docs/SECURITY.md#the-daemons-tls-probes).
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "tlsprobe.h"

typedef struct tlsunit tlsunit;

/*
 * Connects to systemd when it started the daemon ($INVOCATION_ID) and its
 * manager answers (/run/systemd/private, else the system bus). 0 with
 * *ret NULL when not started by systemd, -errno when systemd cannot be
 * reached: probes then run as forked children.
 */
int tlsunit_new(sd_event *event, tlsunit **ret);
tlsunit *tlsunit_free(tlsunit *u);

/*
 * Asks systemd, without waiting, to start t's helper in a transient unit
 * whose stdout is a new pipe: its read end in *ret_fd (non-blocking), the
 * unit's name in unit (size >= TLSUNIT_NAME_MAX). systemd's answer goes to
 * handler(userdata) through *ret_slot. -errno when the call cannot be sent.
 */
#define TLSUNIT_NAME_MAX 80
int tlsunit_start(tlsunit *u, const sa_tls_target *t, sd_bus_message_handler_t handler, void *userdata,
                  sd_bus_slot **ret_slot, int *ret_fd, char *unit);

/* Kills what is left of unit, not waiting for the answer. */
void tlsunit_kill(tlsunit *u, const char *unit);
