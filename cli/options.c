/* SPDX-License-Identifier: MIT */
/* The command line of sockaudit. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "services.h"
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
        [VERB_TLS] = "tls",
        [VERB_METRICS] = "metrics",
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
              "  list [--port PORT] [--tcp|--udp]\n"
              "                                every listener and its owners\n"
              "  status                        daemon health, last scan, counters\n"
              "  refresh                       make the daemon rescan now\n"
              "  watch                         stream change events until Ctrl-C\n"
              "  check                         evaluate the daemon's policy\n"
              "  explain PORT [--tcp|--udp]    who can reach the listeners on PORT, and why\n"
              "  tls PORT                      what the TCP listeners on PORT serve over TLS:\n"
              "                                certificates, expiry, protocol versions\n"
              "  metrics                       the daemon's Prometheus metrics (text format)\n"
              "  help                          this text\n"
              "PORT is a number or a service name from /etc/services (https).\n"
              "\n"
              "Options (anywhere on the line; each one that takes a value at most once;\n"
              "the commands an option is for in parentheses at its end, else any):\n"
              "  --json            JSON instead of a table\n"
              "  --direct          no daemon: scan in-process; root sees all (who, list,\n"
              "                    explain, tls)\n"
              "  --netns NAME      only listeners in that network namespace: host, an\n"
              "                    ip-netns or container name, or its inode (who, list,\n"
              "                    explain, tls, check)\n"
              "  --port PORT       only listeners on PORT (list)\n"
              "  --from ADDRESS    the firewall's verdicts for a connection from that\n"
              "                    source address (explain --direct)\n"
              "  --iface NAME      only entry points on that interface (explain --direct)\n"
              "  --wide            never cut table cells to the terminal's width (who,\n"
              "                    list, tls)\n"
              "  --socket PATH     control socket (default $SOCKAUDIT_SOCKET, else\n"
              "                    " SA_DEFAULT_SOCKET ")\n"
              "  --timeout SEC     wait at most SEC seconds for the daemon (default 30,\n"
              "                    0 = forever)\n"
              "  -t, --tcp         TCP only (who, list, explain)\n"
              "  -u, --udp         UDP only (who, list, explain)\n"
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

/* A port number, or a service name looked up for protos (SA_PROTO_*; 0 = any). */
static int parse_port(const char *s, unsigned protos, uint16_t *ret)
{
        unsigned long v;
        int r;

        if (parse_uint(s, 1, 65535, &v) == 0) {
                *ret = (uint16_t) v;
                return 0;
        }
        if (s[strspn(s, "0123456789")] == '\0')
                return usage_error("invalid port '%s' (expected 1-65535)", s);
        r = services_lookup(SERVICES_PATH, s, protos, ret);
        if (r == -ENOENT)
                return usage_error("unknown port or service '%s' (expected 1-65535 or a name in "
                                   SERVICES_PATH ")", s);
        if (r < 0)
                return usage_error("cannot look up service '%s' in " SERVICES_PATH ": %s", s,
                                   strerror(-r));
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
        OPT_NETNS,
        OPT_WIDE,
        OPT_FROM,
        OPT_IFACE,
};

/* Checks that the options given fit the verb (argv order is irrelevant). */
static int check_combination(const cli_options *o, const char *port_arg, size_t n_args, char **args)
{
        bool port_given = port_arg;
        const char *name = verb_name(o->verb);
        bool takes_port = o->verb == VERB_WHO || o->verb == VERB_EXPLAIN || o->verb == VERB_TLS;
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
        if (o->protos && (!queries || o->verb == VERB_TLS))
                return usage_error(o->verb == VERB_TLS ? "tls probes TCP listeners only: no --tcp or --udp"
                                   : "--tcp and --udp are for who, list and explain");
        if (o->direct && !queries)
                return usage_error("%s needs the daemon; --direct works with who, list, explain and tls", name);
        if (o->netns && !queries && o->verb != VERB_CHECK)
                return usage_error("--netns is for who, list, explain, tls and check");
        if ((o->from || o->iface) && (o->verb != VERB_EXPLAIN || !o->direct))
                return usage_error("--from and --iface are for explain --direct");
        if (o->wide && o->verb != VERB_WHO && o->verb != VERB_LIST && o->verb != VERB_TLS)
                return usage_error("--wide is for who, list and tls");
        return 0;
}

static bool is_address(const char *s)
{
        uint8_t buf[16];

        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* What getopt found besides the options themselves. */
typedef struct parsed {
        bool help, version;
        const char *port_arg;   /* --port's text: a service name needs the protocol */
        unsigned seen;          /* value options given so far: 1 << (OPT_x - OPT_SOCKET) */
        char **args;            /* operands, in order */
        size_t n_args;
} parsed;

/* An option with a value given a second time: a usage error, never "the last one wins". */
static int once(parsed *p, int c)
{
        static const char *const names[] = {
                [OPT_SOCKET - OPT_SOCKET] = "--socket", [OPT_PORT - OPT_SOCKET] = "--port",
                [OPT_TIMEOUT - OPT_SOCKET] = "--timeout", [OPT_NETNS - OPT_SOCKET] = "--netns",
                [OPT_FROM - OPT_SOCKET] = "--from", [OPT_IFACE - OPT_SOCKET] = "--iface",
        };
        unsigned bit = 1u << (c - OPT_SOCKET);

        if (p->seen & bit)
                return usage_error("%s given twice (it takes one value)", names[c - OPT_SOCKET]);
        p->seen |= bit;
        return 0;
}

/* One getopt_long result c into o and p. 0, or -EINVAL after a usage message. */
static int take_option(int c, char **argv, cli_options *o, parsed *p)
{
        unsigned long v;

        if ((c == OPT_SOCKET || c == OPT_PORT || c == OPT_TIMEOUT || c == OPT_NETNS ||
             c == OPT_FROM || c == OPT_IFACE) &&
            once(p, c) < 0)
                return -EINVAL;
        switch (c) {
        case 1:
                p->args[p->n_args++] = optarg;
                return 0;
        case OPT_SOCKET:
                o->socket_path = optarg;
                return *optarg ? 0 : usage_error("--socket needs a path");
        case OPT_DIRECT:
                o->direct = true;
                return 0;
        case OPT_JSON:
                o->json = true;
                return 0;
        case OPT_PORT:
                p->port_arg = optarg;
                return 0;
        case OPT_NETNS:
                o->netns = optarg;
                return *optarg ? 0 : usage_error("--netns needs a name or an inode");
        case OPT_WIDE:
                o->wide = true;
                return 0;
        case OPT_FROM:
                o->from = optarg;
                return is_address(optarg) ? 0 : usage_error("--from %s: not an IPv4 or IPv6 address", optarg);
        case OPT_IFACE:
                o->iface = optarg;
                return *optarg && strlen(optarg) < 16 ? 0 : usage_error("--iface needs an interface name");
        case OPT_TIMEOUT:
                if (parse_uint(optarg, 0, 24 * 3600, &v) < 0)
                        return usage_error("invalid timeout '%s' (seconds, 0 = none)", optarg);
                o->timeout_ms = v == 0 ? -1 : (int) v * 1000;
                return 0;
        case 't':
                o->protos |= SA_PROTO_TCP;
                return 0;
        case 'u':
                o->protos |= SA_PROTO_UDP;
                return 0;
        case 'h':
                p->help = true;
                return 0;
        case OPT_VERSION:
                p->version = true;
                return 0;
        case ':':
                return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
                if (optopt)
                        return usage_error("unknown option '-%c'", optopt);
                return usage_error("unknown option '%s'", argv[optind - 1]);
        }
}

/* The verb and its operands, once every option is read. 0, or -EINVAL after a usage message. */
static int take_verb(cli_options *o, const parsed *p)
{
        int r;

        if (p->help || (p->n_args > 0 && !strcmp(p->args[0], "help"))) {
                o->verb = VERB_HELP;
                return 0;
        }
        if (p->version) {
                o->verb = VERB_VERSION;
                return 0;
        }
        if (p->n_args == 0)
                return usage_error("no command given");
        r = parse_verb(p->args[0], &o->verb);
        if (r == 0)
                r = check_combination(o, p->port_arg, p->n_args - 1, p->args + 1);
        if (r == 0 && (o->verb == VERB_WHO || o->verb == VERB_EXPLAIN || o->verb == VERB_TLS))
                r = parse_port(p->args[1], o->protos, &o->port);
        else if (r == 0 && p->port_arg)
                r = parse_port(p->port_arg, o->protos, &o->port);
        return r;
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
                { "netns", required_argument, NULL, OPT_NETNS },
                { "wide", no_argument, NULL, OPT_WIDE },
                { "from", required_argument, NULL, OPT_FROM },
                { "iface", required_argument, NULL, OPT_IFACE },
                {}
        };
        cli_options o = {
                .verb = _VERB_MAX,
                .timeout_ms = SA_DEFAULT_TIMEOUT_MS,
        };
        parsed p = { .args = calloc((size_t) argc + 1, sizeof *p.args) };
        int c, r = 0;

        if (!p.args) {
                fputs("sockaudit: out of memory\n", stderr);
                return -ENOMEM;
        }
        opterr = 0;
        optind = 0;     /* full reset: parse may run more than once */
        /* "-": operands come back in order as option 1, wherever they are. */
        while (r == 0 && (c = getopt_long(argc, argv, "-:htu", longopts, NULL)) != -1)
                r = take_option(c, argv, &o, &p);
        /* After "--": the rest are operands. */
        while (r == 0 && optind < argc)
                p.args[p.n_args++] = argv[optind++];
        if (r == 0)
                r = take_verb(&o, &p);
        if (r == 0) {
                const char *env = getenv("SOCKAUDIT_SOCKET");
                if (!o.socket_path)
                        o.socket_path = env && *env ? env : SA_DEFAULT_SOCKET;
                env = getenv("SOCKAUDIT_TABLE_FORM");
                o.table_full = env && strcmp(env, "full") == 0;
                *ret = o;
        }
        free(p.args);
        return r;
}
