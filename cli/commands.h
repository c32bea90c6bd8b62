/* SPDX-License-Identifier: MIT */
/* The verbs of sockaudit: each returns the process exit code. */
#ifndef SA_CLI_COMMANDS_H
#define SA_CLI_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "options.h"

int cmd_who(const cli_options *o);      /* 0 listener(s) found, 1 none */
int cmd_list(const cli_options *o);
int cmd_status(const cli_options *o);
int cmd_metrics(const cli_options *o);
int cmd_refresh(const cli_options *o);
int cmd_watch(const cli_options *o);    /* until EOF or a signal */
int cmd_check(const cli_options *o);    /* 0 no violation, 1 violations */
int cmd_explain(const cli_options *o);  /* cli/explain.c; exit codes as who's */
int cmd_tls(const cli_options *o);      /* cli/tls.c; exit codes as who's */
int cmd_help(const cli_options *o);
int cmd_version(const cli_options *o);

/* Shared by the verbs (cli/commands.c). */

/*
 * The listeners o asks about, as the daemon's "who"/"list" reply (minus
 * "ok"; caller owns *ret), or from an in-process scan with --direct.
 * Returns 0, or an exit code after printing why not.
 */
int query_listeners(const cli_options *o, json_t **ret);

/* "nothing listens on PORT/PROTO[ in netns NAME]\n" for who and explain. */
void put_nothing_listens(FILE *f, const cli_options *o);

/* The inode of the CLI's own network namespace; 0 when unknown. */
uint64_t own_netns(void);

/* j as JSON on stdout (indented on a terminal). 0 or -EIO. */
int print_json(const json_t *j, bool stream);

/* Flushes stdout: code, or 4 after a write error (reported). */
int finish(int code);

/* Exit code for a formatting failure r (-EIO: stdout's; else out of memory). */
int print_failed(int r);

#endif
