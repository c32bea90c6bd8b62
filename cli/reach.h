/* SPDX-License-Identifier: MIT */
/*
 * explain --direct's `reachability` (docs/REACHABILITY.md): per listener,
 * its namespace's interfaces and the firewall's verdict per entry point,
 * built by the sockaudit-reach helper (lib/netifsreach.c).
 */
#ifndef SA_CLI_REACH_H
#define SA_CLI_REACH_H

#include <stdio.h>

#include <jansson.h>

#include "options.h"

/* Sets "reachability" on each listener record (an {"error"} object when it can't be had). 0 or -ENOMEM. */
int reach_listeners(json_t *listeners, const cli_options *o);

/* The record's reachability in words, one line per entry point. 0 or -errno. */
int reach_put(FILE *out, const json_t *rec);

#endif
