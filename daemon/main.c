/* SPDX-License-Identifier: MIT */
/*
 * sockauditd: main(), its arguments and its environment switches, read here
 * once into manager_options; the daemon's life is in manager.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "manager.h"
#include "replybuf.h"

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

/*
 * The switches in the environment (after parse_argv(): options win):
 * SOCKAUDITD_EBPF=0 leaves eBPF out altogether (`make valgrind`);
 * SOCKAUDITD_FRESHNESS=polling|proc-connector (freshness.h); without
 * --state-dir, $STATE_DIRECTORY (systemd's StateDirectory=; the first of a
 * colon-separated list) into *ret_state_dir, which the caller frees.
 */
static int parse_environment(manager_options *o, char **ret_state_dir)
{
        const char *e = getenv("SOCKAUDITD_EBPF");

        o->no_ebpf = e && strcmp(e, "0") == 0;
        o->freshness = freshness_events_from_string(getenv("SOCKAUDITD_FRESHNESS"));
        e = getenv("STATE_DIRECTORY");
        if (!o->state_dir && e && *e) {
                char *dir = strndup(e, strcspn(e, ":"));

                if (!dir)
                        return -ENOMEM;
                o->state_dir = *ret_state_dir = dir;
        }
        return 0;
}

int main(int argc, char *argv[])
{
        _cleanup_free_ char *state_dir = NULL;
        manager_options o = { 0 };
        manager *m = NULL;
        int r;

        r = parse_argv(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        log_open();
        replybuf_memory_setup();
        r = parse_environment(&o, &state_dir);
        if (r < 0) {
                log_error_errno(r, "Out of memory");
                return EXIT_FAILURE;
        }
        r = manager_new(&o, &m);
        if (r >= 0)
                r = manager_run(m);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
