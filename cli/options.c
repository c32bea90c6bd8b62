/* SPDX-License-Identifier: MIT */
/* The command line of sockaudit. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "sockaudit.h"
#include "util.h"

static const char *const verb_names[_VERB_MAX] = {
        [VERB_WHO] = "who",
        [VERB_LIST] = "list",
        [VERB_STATUS] = "status",
        [VERB_REFRESH] = "refresh",
        [VERB_WATCH] = "watch",
        [VERB_CHECK] = "check",
        [VERB_EXPLAIN] = "explain",
        [VERB_HELP] = "help",
        [VERB_VERSION] = "version",
};

const char *verb_name(verb v)
{
        return v < _VERB_MAX ? verb_names[v] : "?";
}

void cli_usage(FILE *out)
{
        fputs("Usage: sockaudit COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  who PORT [--tcp|--udp]        who owns the listeners on PORT\n"
              "  list [--port N] [--tcp|--udp] every listener and its owners\n"
              "  status                        daemon health, last scan, counters\n"
              "  refresh                       make the daemon rescan now\n"
              "  watch                         stream change events until Ctrl-C\n"
              "  check                         evaluate the daemon's policy\n"
              "  explain PORT [--tcp|--udp]    who can reach the listeners on PORT, and why\n"
              "\n"
              "Options (anywhere on the line):\n"
              "  --json            JSON instead of a table\n"
              "  --direct          no daemon: scan in-process (who, list, explain;\n"
              "                    root sees all)\n"
              "  --socket PATH     control socket (default $SOCKAUDIT_SOCKET, else\n"
              "                    " SA_DEFAULT_SOCKET ")\n"
              "  --timeout SEC     wait at most SEC seconds for the daemon (default 30,\n"
              "                    0 = forever)\n"
              "  -t, --tcp         TCP only\n"
              "  -u, --udp         UDP only\n"
              "  -h, --help        this text\n"
              "      --version     the version\n"
              "\n"
              "Exit status: 0 found, 1 nothing listens (who, explain) or violations (check),\n"
              "2 usage error, 3 daemon unreachable, 4 error answer.\n", out);
}

/* Prints "sockaudit: MESSAGE" and the --help hint; returns -EINVAL. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("sockaudit: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\nTry 'sockaudit --help'.\n", stderr);
        return -EINVAL;
}

/* Strict decimal in [min, max]: no sign, blanks or trailing text. */
static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret)
{
        uint64_t v;
        int r = sa_parse_uint(s, max, NULL, &v);

        if (r < 0)
                return r;
        if (v < min)
                return -ERANGE;
        *ret = (unsigned long) v;
        return 0;
}

static int parse_port(const char *s, uint16_t *ret)
{
        unsigned long v;

        if (parse_uint(s, 1, 65535, &v) < 0)
                return usage_error("invalid port '%s' (expected 1-65535)", s);
        *ret = (uint16_t) v;
        return 0;
}

static int parse_verb(const char *s, verb *ret)
{
        for (verb v = 0; v < VERB_VERSION; v++)
                if (!strcmp(s, verb_names[v])) {
                        *ret = v;
                        return 0;
                }
        return usage_error("unknown command '%s'", s);
}

enum {
        OPT_SOCKET = 0x100,
        OPT_DIRECT,
        OPT_JSON,
        OPT_PORT,
        OPT_TIMEOUT,
        OPT_VERSION,
};

/* Checks that the options given fit the verb (argv order is irrelevant). */
static int check_combination(const cli_options *o, bool port_given, size_t n_args, char **args)
{
        const char *name = verb_name(o->verb);
        bool takes_port = o->verb == VERB_WHO || o->verb == VERB_EXPLAIN;
        bool queries = takes_port || o->verb == VERB_LIST;

        if (takes_port) {
                if (port_given)
                        return usage_error("%s takes the port as its argument: sockaudit %s PORT",
                                           name, name);
                if (n_args == 0)
                        return usage_error("%s needs a PORT", name);
        } else if (port_given && o->verb != VERB_LIST)
                return usage_error("--port is for list");
        if (n_args > (takes_port ? 1u : 0u))
                return usage_error("unexpected argument '%s' for %s", args[n_args - 1], name);
        if (o->protos && !queries)
                return usage_error("--tcp and --udp are for who, list and explain");
        if (o->direct && !queries)
                return usage_error("%s needs the daemon; --direct works with who, list and explain", name);
        return 0;
}

int cli_parse(int argc, char **argv, cli_options *ret)
{
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, OPT_SOCKET },
                { "direct", no_argument, NULL, OPT_DIRECT },
                { "json", no_argument, NULL, OPT_JSON },
                { "port", required_argument, NULL, OPT_PORT },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "tcp", no_argument, NULL, 't' },
                { "udp", no_argument, NULL, 'u' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {}
        };
        cli_options o = {
                .verb = _VERB_MAX,
                .timeout_ms = SA_DEFAULT_TIMEOUT_MS,
        };
        bool help = false, version = false, port_given = false;
        char **args = calloc((size_t) argc + 1, sizeof *args);
        size_t n_args = 0;
        unsigned long v;
        int c, r = 0;

        if (!args) {
                fputs("sockaudit: out of memory\n", stderr);
                return -ENOMEM;
        }
        opterr = 0;
        optind = 0;     /* full reset: parse may run more than once */
        /* "-": operands come back in order as option 1, wherever they are. */
        while (r == 0 && (c = getopt_long(argc, argv, "-:htu", longopts, NULL)) != -1) {
                switch (c) {
                case 1:
                        args[n_args++] = optarg;
                        break;
                case OPT_SOCKET:
                        if (!*optarg)
                                r = usage_error("--socket needs a path");
                        o.socket_path = optarg;
                        break;
                case OPT_DIRECT:
                        o.direct = true;
                        break;
                case OPT_JSON:
                        o.json = true;
                        break;
                case OPT_PORT:
                        r = parse_port(optarg, &o.port);
                        port_given = true;
                        break;
                case OPT_TIMEOUT:
                        if (parse_uint(optarg, 0, 24 * 3600, &v) < 0)
                                r = usage_error("invalid timeout '%s' (seconds, 0 = none)", optarg);
                        else
                                o.timeout_ms = v == 0 ? -1 : (int) v * 1000;
                        break;
                case 't':
                        o.protos |= SA_PROTO_TCP;
                        break;
                case 'u':
                        o.protos |= SA_PROTO_UDP;
                        break;
                case 'h':
                        help = true;
                        break;
                case OPT_VERSION:
                        version = true;
                        break;
                case ':':
                        r = usage_error("option '%s' needs an argument", argv[optind - 1]);
                        break;
                default:
                        if (optopt)
                                r = usage_error("unknown option '-%c'", optopt);
                        else
                                r = usage_error("unknown option '%s'", argv[optind - 1]);
                        break;
                }
        }
        /* After "--": the rest are operands. */
        while (r == 0 && optind < argc)
                args[n_args++] = argv[optind++];

        if (r == 0) {
                if (help || (n_args > 0 && !strcmp(args[0], "help")))
                        o.verb = VERB_HELP;
                else if (version)
                        o.verb = VERB_VERSION;
                else if (n_args == 0)
                        r = usage_error("no command given");
                else if ((r = parse_verb(args[0], &o.verb)) == 0) {
                        r = check_combination(&o, port_given, n_args - 1, args + 1);
                        if (r == 0 && (o.verb == VERB_WHO || o.verb == VERB_EXPLAIN))
                                r = parse_port(args[1], &o.port);
                }
        }
        if (r == 0) {
                const char *env = getenv("SOCKAUDIT_SOCKET");
                if (!o.socket_path)
                        o.socket_path = env && *env ? env : SA_DEFAULT_SOCKET;
                *ret = o;
        }
        free(args);
        return r;
}
