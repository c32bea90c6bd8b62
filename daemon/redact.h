/* SPDX-License-Identifier: MIT */
/*
 * [Daemon] RedactCmdline= (docs/SECURITY.md, docs/RECORDS.md): the command
 * lines that non-root clients do not see in replies and events.
 */
#ifndef SAD_REDACT_H
#define SAD_REDACT_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"

/* Whether what a client of uid gets is redacted under cfg: RedactCmdline=yes and not root. */
bool redact_for(const daemon_config *cfg, uid_t uid);

/*
 * In every object of j, at any depth, that holds a "cmdline": the command
 * line becomes [], "cmdline_truncated" false, and "cmdline_redacted" true
 * is added. In place; costs one walk of j. 0, or -ENOMEM (j then partly
 * redacted: the caller must not send it).
 */
int redact_cmdlines(json_t *j);

/*
 * The JSON line of event (compact, '\n' appended) with its command lines
 * redacted: a deep copy, event itself untouched. NULL on -ENOMEM. Caller
 * frees; *ret_len is its length.
 */
char *redact_event_line(const json_t *event, size_t *ret_len);

#endif
