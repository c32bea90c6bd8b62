/* SPDX-License-Identifier: MIT */
/* The verbs of sockaudit: each returns the process exit code. */
#ifndef SA_CLI_COMMANDS_H
#define SA_CLI_COMMANDS_H

#include "options.h"

int cmd_who(const cli_options *o);      /* 0 listener(s) found, 1 none */
int cmd_list(const cli_options *o);
int cmd_status(const cli_options *o);
int cmd_refresh(const cli_options *o);
int cmd_watch(const cli_options *o);    /* until EOF or a signal */
int cmd_check(const cli_options *o);    /* 0 no violation, 1 violations */
int cmd_help(const cli_options *o);
int cmd_version(const cli_options *o);

#endif
