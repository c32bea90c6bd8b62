/* SPDX-License-Identifier: MIT */
/* The command line of sockaudit: verbs, options, exit codes. */
#ifndef SA_CLI_OPTIONS_H
#define SA_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SA_DEFAULT_SOCKET "/run/sockaudit/sockaudit.sock"
#define SA_DEFAULT_TIMEOUT_MS 30000

/* Exit codes (docs/CLI.md). */
enum {
        EXIT_FOUND = 0,         /* who: a listener; check: no violation */
        EXIT_NONE = 1,          /* who: nothing listens; check: violations */
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3,   /* no daemon, or no reply in time */
        EXIT_ERROR = 4,         /* error reply (or the in-process scan failed) */
};

typedef enum verb {
        VERB_WHO,
        VERB_LIST,
        VERB_STATUS,
        VERB_REFRESH,
        VERB_WATCH,
        VERB_CHECK,
        VERB_EXPLAIN,           /* who PORT, put in words: who can reach each listener */
        VERB_TLS,               /* what the TCP listeners on PORT serve over TLS (probed by the CLI) */
        VERB_METRICS,           /* the daemon's Prometheus text */
        VERB_HELP,              /* -h, --help, "help" */
        VERB_VERSION,           /* --version */
        _VERB_MAX,
} verb;

typedef struct cli_options {
        verb verb;
        const char *socket_path;  /* --socket, else $SOCKAUDIT_SOCKET, else default */
        bool direct;
        bool json;
        uint16_t port;            /* who/explain/tls PORT, list --port N; 0 = any */
        unsigned protos;          /* SA_PROTO_* mask; 0 = any */
        int timeout_ms;           /* --timeout; -1 = wait forever */
        const char *netns;        /* --netns NAME|INODE: only listeners there; NULL = all */
        const char *from;         /* --from ADDRESS: explain's source; NULL = unknown */
        const char *iface;        /* --iface NAME: explain's entry points on it only */
        bool wide;                /* --wide: never cut table cells to the terminal */
        bool table_full;          /* $SOCKAUDIT_TABLE_FORM=full: tables from the full reply (tests) */
} cli_options;

/* "who", "list", ... */
const char *verb_name(verb v);

/*
 * Parses argv (options may come anywhere, "--" ends them). An option that
 * takes a value may be given once; a second one is a usage error. A PORT
 * is a number or a service name from /etc/services. On a usage error
 * prints the reason and a hint to stderr and returns -EINVAL; otherwise
 * returns 0 and fills *ret. Strings in *ret borrow from argv and environ.
 */
int cli_parse(int argc, char **argv, cli_options *ret);

/*
 * The --help text. The shells' completions (completion/) read it: the
 * verbs of "Commands:", and for each option of "Options" the commands in
 * parentheses ending its description (none: any). Keep that form and keep
 * the parentheses equal to check_combination()'s rules: test_man.sh's
 * completion tests ask the parser which options each verb takes.
 */
void cli_usage(FILE *out);

#endif
