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
 * "TIME EVENT PROTO LOCAL OWNERS[; was PREVIOUS][; REASON]", where an owner
 * reads "comm[pid] (unit)". Escaped; 0 or -errno.
 */
int event_print(FILE *out, const json_t *event);

/* indent, then raw escaped (sa_text_escape), as one line. 0 or -errno. */
int human_put_line(FILE *out, const char *indent, const char *raw);

/*
 * "comm[pid] (unit), ..." for an owners array, "?" when empty; with
 * inner_pids, " (pid N in its PID namespace)" where the owner has one.
 * Raw text: the caller escapes the finished line.
 */
void human_put_owners(FILE *f, const json_t *owners, bool inner_pids);

#endif
