/* SPDX-License-Identifier: MIT */
/* Text tables like ss(8): escaped cells, column widths from the data. */
#ifndef SA_CLI_TABLE_H
#define SA_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

typedef struct table table;

/*
 * A table of n_cols columns whose first row is header (n_cols strings,
 * copied). Caller frees with table_free(). NULL on ENOMEM.
 */
table *table_new(size_t n_cols, const char *const *header);
table *table_free(table *t);

/*
 * Appends a row of n_cols cells. Each cell is untrusted text: it is stored
 * escaped with sa_text_escape() (no control byte, newline or escape sequence
 * reaches the terminal); NULL is stored as "-". Returns 0 or -ENOMEM.
 */
int table_add_row(table *t, const char *const *cells);

/* Data rows added so far (the header not counted). */
size_t table_rows(const table *t);

/*
 * Marks column col as one that may be cut to make the table fit a width
 * (table_print()). Columns are cut widest first.
 */
void table_set_shrinkable(table *t, size_t col);

/* A shrinkable column is never cut below this (nor below its header). */
#define TABLE_SHRINK_MIN 8

/*
 * Prints the table: columns padded to their widest cell (counted in UTF-8
 * code points) and separated by two spaces, no trailing blanks. A trailing
 * column that is empty in every data row is left out, header included.
 * With max_width > 0, shrinkable columns are narrowed, the widest first,
 * until a row fits max_width (or each is down to its minimum); a cell wider
 * than its column ends in "…". Returns 0, or -EIO when out reports a write
 * error, or -ENOMEM.
 */
int table_print(const table *t, FILE *out, size_t max_width);

/*
 * The width rows printed to out should fit: 0 (no limit) unless out is a
 * terminal; then $COLUMNS when it is a number in 1..TABLE_WIDTH_MAX, else
 * the terminal's width (TIOCGWINSZ), else 0.
 */
size_t table_out_width(FILE *out);
#define TABLE_WIDTH_MAX 100000

/*
 * What the table shows of one owner and of one listener record, whatever
 * the record was read with (jansson, or compactreply.h's reader): strings
 * borrowed (NULL when absent, null or not a string; untrusted), integers
 * with whether they were there (and integers), booleans true only when true.
 */
typedef struct table_owner {
        const char *comm, *exe, *user, *unit, *user_unit, *role, *socket_unit, *service_unit;
        json_int_t pid, uid, nspid;             /* "pid", "uid", "pid_in_namespace" */
        bool has_pid, has_uid, has_nspid;
        bool exe_deleted, exe_replaced, incomplete;
        const char *exe_location, *package_status;  /* "exe_location", "package"."status"; NULL: not checked */
} table_owner;

typedef struct table_listener {
        const char *proto, *family, *address, *interface, *netns_name, *owner_reason, *owner_status;
        json_int_t port, uid, netns;
        bool has_port, has_uid, has_netns;
        bool v6only;
        const table_owner *owners;              /* n_owners, borrowed */
        size_t n_owners;
} table_listener;

/* The fields of an owner or a listener record (owners not filled); borrows from the record. */
void table_owner_from_json(const json_t *owner, table_owner *ret);
void table_listener_from_json(const json_t *listener, table_listener *ret);

/*
 * "0.0.0.0:443", "[::]:443", "127.0.0.53%lo:53", "[fe80::1]%eth0:546" for a
 * listener record (docs/RECORDS.md); "?" for missing fields. Raw text: the
 * interface name is untrusted, escape before printing. Caller frees; NULL on
 * ENOMEM.
 */
char *listener_local(const json_t *listener);
char *listener_local_view(const table_listener *l);

/*
 * Adds one row per (listener, owner) of a listener record to t, which must
 * have the LISTENER_COLUMNS layout. A listener without owners gets one row
 * with PID "?" and its owner_reason in NOTE; an owner with a pid_in_namespace
 * shows PID as "1234 (ns:1)". A listener whose netns is not
 * home_netns (the viewer's own; 0 = do not compare) says "netns NAME" (or
 * the inode) in NOTE. Fields that are missing or of the wrong type print as
 * "?" rather than failing. Returns 0 or -ENOMEM.
 */
int table_add_listener(table *t, const json_t *listener, uint64_t home_netns);
int table_add_listener_view(table *t, const table_listener *l, uint64_t home_netns);

/* PROTO LOCAL PID USER COMMAND UNIT EXE NOTE; COMMAND, UNIT, EXE and NOTE shrinkable. */
#define LISTENER_COLUMNS 8
table *listener_table_new(void);

/*
 * The table of an array of listener records, header first, to out (a header
 * alone for an empty array); home_netns as for table_add_listener(),
 * max_width as for table_print(). Returns 0, -ENOMEM, or -EIO on a write
 * error.
 */
int listeners_print_table(FILE *out, const json_t *listeners, uint64_t home_netns, size_t max_width);
/* The same for n listener views. */
int listener_views_print_table(FILE *out, const table_listener *const *views, size_t n, uint64_t home_netns,
                               size_t max_width);

#endif
