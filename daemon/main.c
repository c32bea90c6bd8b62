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
#include "config.h"
#include "log.h"
#include "manager.h"
#include "replybuf.h"
#include "state.h"
#include "statelock.h"

#define DEFAULT_SOCKET "/run/sockaudit/sockaudit.sock"

#define LOG_LEVELS "emerg, alert, crit, err, warning, notice, info, debug (or 0-7)"

static void help(void)
{
        printf("Usage: sockauditd [OPTIONS]\n"
               "       sockauditd --check-config [--config PATH]\n"
               "Watches who holds listening sockets and answers on a control socket.\n\n"
               "  --socket PATH    control socket (default $SOCKAUDIT_SOCKET or %s)\n"
               "  --config PATH    config file (default %s; may be missing)\n"
               "  --state-dir DIR  baseline directory, locked: one daemon per directory\n"
               "                   (default $STATE_DIRECTORY or %s; created if missing)\n"
               "  --check-config   load the config file as the daemon would, print its\n"
               "                   problems as FILE:LINE: ... and warnings, exit 0 (good) or 1\n"
               "  --foreground     accepted for compatibility; the daemon never forks\n"
               "  --help           show this help\n"
               "  --version        show the version\n\n"
               "Signals: SIGHUP re-reads the config file (a bad one is refused and the running\n"
               "config kept; systemctl reload sockauditd); SIGTERM and SIGINT stop the daemon.\n"
               "SOCKAUDIT_LOG_LEVEL=debug|info|notice|warning|err sets the log level (anything\n"
               "else: the daemon refuses to start). SOCKAUDIT_BOOT_ID=ID names this boot for the\n"
               "saved baseline (the unit passes systemd's %%b; default: the kernel's boot_id).\n",
               DEFAULT_SOCKET, CONFIG_DEFAULT_PATH, STATE_DEFAULT_DIR);
}

/* Returns 1 to run, 0 to exit successfully (--help), <0 on a usage error. */
static int parse_argv(int argc, char *argv[], manager_options *o, bool *ret_check_config)
{
        enum { ARG_SOCKET = 0x100, ARG_CONFIG, ARG_FOREGROUND, ARG_PROC_ROOT, ARG_VERSION, ARG_STATE_DIR,
               ARG_CHECK_CONFIG };
        static const struct option options[] = {
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "foreground", no_argument, NULL, ARG_FOREGROUND },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "check-config", no_argument, NULL, ARG_CHECK_CONFIG },
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
                case ARG_CHECK_CONFIG:
                        *ret_check_config = true;
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
 * SOCKAUDITD_FRESHNESS=polling|proc-connector (freshness.h);
 * SOCKAUDITD_TEST_RESYNC_GATE=PATH, for tests only (each background
 * resync is finished once PATH exists: freshness_set_test_gate()); without
 * --state-dir, $STATE_DIRECTORY (systemd's StateDirectory=; the first of a
 * colon-separated list) into *ret_state_dir, which the caller frees.
 */
static int parse_environment(manager_options *o, char **ret_state_dir)
{
        const char *e = getenv("SOCKAUDIT_LOG_LEVEL");
        int level;

        /* A typo must not leave the daemon silently at the default level. */
        if (e && *e) {
                level = log_level_from_string(e);
                if (level < 0) {
                        _cleanup_free_ char *shown = sa_text_escape(e);

                        log_error("SOCKAUDIT_LOG_LEVEL=%.64s is not a log level; use one of " LOG_LEVELS,
                                  shown ? shown : "?");
                        return -EINVAL;
                }
                log_set_max_level(level);
        }
        /* A bad boot id would make every start look like a new boot. */
        e = getenv(STATE_BOOT_ID_ENV);
        if (e && *e) {
                char boot[40];

                if (state_boot_id_parse(e, boot, sizeof boot) < 0) {
                        _cleanup_free_ char *shown = sa_text_escape(e);

                        log_error(STATE_BOOT_ID_ENV "=%.64s is not a boot id (32 hex digits, or a UUID)",
                                  shown ? shown : "?");
                        return -EINVAL;
                }
        }
        e = getenv("SOCKAUDITD_EBPF");

        o->no_ebpf = e && strcmp(e, "0") == 0;
        o->freshness = freshness_events_from_string(getenv("SOCKAUDITD_FRESHNESS"));
        o->tls_helper = getenv("SOCKAUDIT_TLSPROBE");
        o->reach_helper = getenv("SOCKAUDIT_REACH");
        o->test_resync_gate = getenv("SOCKAUDITD_TEST_RESYNC_GATE");
        e = getenv("STATE_DIRECTORY");
        if (!o->state_dir && e && *e) {
                char *dir = strndup(e, strcspn(e, ":"));

                if (!dir)
                        return -ENOMEM;
                o->state_dir = *ret_state_dir = dir;
        }
        return 0;
}

/* Prints one loader message, escaped: it may quote the file's text. */
static void put_message(FILE *f, const char *msg)
{
        _cleanup_free_ char *e = sa_text_escape(msg);

        fprintf(f, "%s\n", e ? e : "out of memory");
}

/*
 * --check-config: loads the config file with the daemon's loader (the same
 * rules as a start or a reload), prints the first error or the warnings as
 * "FILE:LINE: problem" on stderr and a verdict on stdout. Exit 0 when the
 * daemon would take the file, 1 when not.
 */
static int check_config(const manager_options *o)
{
        daemon_config *cfg = NULL;
        char err[512] = "";
        int r;

        r = config_load(o->config_path, !o->config_explicit, err, sizeof(err), &cfg);
        if (r < 0) {
                put_message(stderr, err[0] ? err : strerror(-r));
                printf("%s: bad configuration, the daemon would refuse it\n", o->config_path);
                return EXIT_FAILURE;
        }
        for (size_t i = 0; i < cfg->warnings.n; i++)
                put_message(stderr, cfg->warnings.items[i]);
        if (access(o->config_path, F_OK) < 0 && errno == ENOENT)
                printf("%s: not there; the built-in defaults apply\n", o->config_path);
        else
                printf("%s: good%s\n", o->config_path, cfg->warnings.n ? ", with warnings" : "");
        config_free(cfg);
        return EXIT_SUCCESS;
}

/*
 * The state directory's lock (statelock.c). Held by another daemon:
 * refused (-EBUSY). Any other trouble: logged, and the daemon runs (it
 * runs without a baseline then too, see manager.c's state_path()).
 */
static int lock_state_dir(const manager_options *o, int *ret_fd)
{
        const char *dir = o->state_dir ?: STATE_DEFAULT_DIR;
        char err[512] = "";
        int fd = statelock_acquire(dir, err, sizeof(err));

        if (fd == -EBUSY)
                return log_error_errno(fd, "Not starting: %s", err);
        if (fd < 0)
                log_warning("Cannot lock the state directory, running without its lock: %s", err);
        *ret_fd = fd;
        return 0;
}

int main(int argc, char *argv[])
{
        _cleanup_free_ char *state_dir = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        manager_options o = { 0 };
        manager *m = NULL;
        bool check = false;
        int r;

        r = parse_argv(argc, argv, &o, &check);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;
        if (check)
                return check_config(&o);

        log_open();
        replybuf_memory_setup();
        r = parse_environment(&o, &state_dir);
        if (r < 0) {
                if (r == -ENOMEM)
                        log_error_errno(r, "Out of memory");
                return EXIT_FAILURE;
        }
        r = lock_state_dir(&o, &lock_fd);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_new(&o, &m);
        if (r >= 0)
                r = manager_run(m);
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
