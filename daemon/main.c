/* SPDX-License-Identifier: MIT */
/* sockauditd: main() and its argument parsing; everything else is in manager.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "manager.h"

#define DEFAULT_SOCKET "/run/sockaudit/sockaudit.sock"

static void help(void)
{
        printf("Usage: sockauditd [OPTIONS]\n"
               "Watches who holds listening sockets and answers on a control socket.\n\n"
               "  --socket PATH    control socket (default $SOCKAUDIT_SOCKET or %s)\n"
               "  --config PATH    config file (default %s; may be missing)\n"
               "  --state-dir DIR  baseline directory (default $STATE_DIRECTORY or /var/lib/sockaudit)\n"
               "  --foreground     accepted for compatibility; the daemon never forks\n"
               "  --help           show this help\n"
               "  --version        show the version\n\n"
               "SOCKAUDIT_LOG_LEVEL=debug|info|notice|warning|err sets the log level.\n",
               DEFAULT_SOCKET, CONFIG_DEFAULT_PATH);
}

/* Returns 1 to run, 0 to exit successfully (--help), <0 on a usage error. */
static int parse_argv(int argc, char *argv[], manager_options *o)
{
        enum { ARG_SOCKET = 0x100, ARG_CONFIG, ARG_FOREGROUND, ARG_PROC_ROOT, ARG_VERSION, ARG_STATE_DIR };
        static const struct option options[] = {
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "foreground", no_argument, NULL, ARG_FOREGROUND },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "proc-root", required_argument, NULL, ARG_PROC_ROOT }, /* hidden: tests */
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        const char *env = getenv("SOCKAUDIT_SOCKET");
        int c;

        o->socket_path = env && *env ? env : DEFAULT_SOCKET;
        o->config_path = CONFIG_DEFAULT_PATH;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_SOCKET:
                        o->socket_path = optarg;
                        break;
                case ARG_CONFIG:
                        o->config_path = optarg;
                        o->config_explicit = true;
                        break;
                case ARG_FOREGROUND:
                        break;
                case ARG_STATE_DIR:
                        o->state_dir = optarg;
                        break;
                case ARG_PROC_ROOT:
                        o->proc_root = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("sockauditd %s\n", SA_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try 'sockauditd --help'.\n");
                        return -1;
                }
        if (optind < argc) {
                fprintf(stderr, "sockauditd: unexpected argument '%s'\nTry 'sockauditd --help'.\n",
                        argv[optind]);
                return -1;
        }
        return 1;
}

int main(int argc, char *argv[])
{
        manager_options o = { 0 };
        manager *m = NULL;
        int r;

        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        log_open();
        r = manager_new(&o, &m);
        if (r >= 0)
                r = manager_run(m);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
