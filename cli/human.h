/* SPDX-License-Identifier: MIT */
/* Human forms other than the listener table: status lines, event lines. */
#ifndef SA_CLI_HUMAN_H
#define SA_CLI_HUMAN_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/*
 * Prints tmpl with each "{a.b.c}" replaced by that member of root (nested
 * objects, dotted path): integers as such, reals with one decimal, booleans
 * as yes/no, null as "-", strings as text. The whole line is escaped with
 * sa_text_escape() and ends in "\n". When a member is missing (or is an
 * object or array) nothing is printed. Returns 1 printed, 0 skipped,
 * -ENOMEM, -EIO on a write error.
 */
int print_template(FILE *out, const json_t *root, const char *tmpl);

/* The status object (docs/RECORDS.md) as "Key: value" lines. 0 or -errno. */
int status_print(FILE *out, const json_t *status);

/*
 * One line for an event object (docs/RECORDS.md):
 * "TIME EVENT PLACE: PROGRAMS[; was PROGRAMS][; REASON]" in describe.h's
 * forms ("443/tcp on [::] in netns web: nginx (www-data) ×4"); a check
 * result has no TIME and reads "violation" for EVENT. Escaped; 0 or -errno.
 */
int event_print(FILE *out, const json_t *event);

/* indent, then raw escaped (sa_text_escape), as one line. 0 or -errno. */
int human_put_line(FILE *out, const char *indent, const char *raw);

#endif
