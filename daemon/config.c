/* SPDX-License-Identifier: MIT */
/* sockauditd.conf: the INI reader (inih), timespans, [Daemon] keys and [Port N/proto] rules (docs/CONFIG.md). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "util.h"
#include "config.h"
#include "sockaudit.h"

/* State of one parse. inih calls the reader once per physical line and the
 * handler for each key, so the reader's count is the handler's line too. */
typedef struct parser {
        daemon_config *cfg;
        FILE *f;
        char *buf;
        size_t bufsize;
        unsigned line;
        bool key_seen;           /* a key since the last [section] (inih's prev_name) */
        bool oom;
        unsigned err_line;       /* 0 = no error yet */
        char err[256];
} parser;

static void parser_fail(parser *p, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* Records the first problem only; later ones are consequences or noise. */
static void parser_fail(parser *p, const char *format, ...)
{
        va_list ap;

        if (p->err_line)
                return;
        p->err_line = p->line ?: 1;
        va_start(ap, format);
        vsnprintf(p->err, sizeof(p->err), format, ap);
        va_end(ap);
}

daemon_config *config_free(daemon_config *c)
{
        if (!c)
                return NULL;
        policy_clear(&c->policy);
        policy_list_clear(&c->warnings);
        free(c);
        return NULL;
}

int config_new_default(daemon_config **ret)
{
        daemon_config *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        c->policy.ports = malloc(sizeof(uint16_t));
        if (!c->policy.ports) {
                free(c);
                return -ENOMEM;
        }
        c->policy.ports[0] = 443;
        c->policy.n_ports = 1;
        c->policy.protos = SA_PROTO_TCP | SA_PROTO_UDP;
        c->scan_interval_usec = CONFIG_SCAN_INTERVAL_DEFAULT_USEC;
        c->namespaces = CONFIG_NAMESPACES_ALL;
        c->max_clients = CONFIG_MAX_CLIENTS_DEFAULT;
        c->request_timeout_usec = CONFIG_CLIENT_TIMEOUT_DEFAULT_USEC;
        c->watcher_stall_usec = CONFIG_CLIENT_TIMEOUT_DEFAULT_USEC;
        c->tls_interval_usec = CONFIG_TLS_INTERVAL_DEFAULT_USEC;
        c->tls_timeout_usec = CONFIG_TLS_TIMEOUT_DEFAULT_USEC;
        c->tls_probes_max = CONFIG_TLS_PROBES_DEFAULT;
        *ret = c;
        return 0;
}

static const struct {
        const char *name;
        uint64_t usec;
} time_units[] = {
        /* Longest first where one name is a prefix of another. */
        { "usec", 1 },
        { "us", 1 },
        { "msec", USEC_PER_MSEC },
        { "ms", USEC_PER_MSEC },
        { "seconds", USEC_PER_SEC },
        { "second", USEC_PER_SEC },
        { "sec", USEC_PER_SEC },
        { "s", USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "minute", 60 * USEC_PER_SEC },
        { "min", 60 * USEC_PER_SEC },
        { "m", 60 * USEC_PER_SEC },
        { "hours", 3600 * USEC_PER_SEC },
        { "hour", 3600 * USEC_PER_SEC },
        { "hr", 3600 * USEC_PER_SEC },
        { "h", 3600 * USEC_PER_SEC },
        { "days", 86400 * USEC_PER_SEC },
        { "day", 86400 * USEC_PER_SEC },
        { "d", 86400 * USEC_PER_SEC },
};

int config_parse_timespan(const char *s, uint64_t *ret_usec)
{
        uint64_t total = 0;
        bool any = false;

        for (;;) {
                uint64_t whole = 0, frac = 0, frac_div = 1, mult = USEC_PER_SEC, part;
                const char *start;
                size_t ulen = 0;

                while (isspace((unsigned char) *s))
                        s++;
                if (!*s)
                        break;

                start = s;
                while (isdigit((unsigned char) *s)) {
                        if (whole > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        whole = whole * 10 + (uint64_t) (*s++ - '0');
                }
                if (*s == '.') {
                        s++;
                        while (isdigit((unsigned char) *s)) {
                                if (frac_div < UINT64_C(1000000000)) {
                                        frac = frac * 10 + (uint64_t) (*s - '0');
                                        frac_div *= 10;
                                }
                                s++;
                        }
                }
                if (s == start || (s == start + 1 && *start == '.'))
                        return -EINVAL;

                while (isspace((unsigned char) *s))
                        s++;
                if (isalpha((unsigned char) *s)) {
                        size_t i;

                        while (isalpha((unsigned char) s[ulen]))
                                ulen++;
                        for (i = 0; i < ELEMENTSOF(time_units); i++)
                                if (strlen(time_units[i].name) == ulen &&
                                    strncmp(s, time_units[i].name, ulen) == 0)
                                        break;
                        if (i == ELEMENTSOF(time_units))
                                return -EINVAL;
                        mult = time_units[i].usec;
                        s += ulen;
                }

                if (whole > UINT64_MAX / mult)
                        return -ERANGE;
                part = whole * mult + frac * mult / frac_div;
                if (part > UINT64_MAX - total)
                        return -ERANGE;
                total += part;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret_usec = total;
        return 0;
}

/* Splits value at blanks and calls fn for each word; stops at the first failure. */
static bool for_each_word(parser *p, const char *value, const char *key,
                          bool (*fn)(parser *p, const char *key, const char *word, void *userdata),
                          void *userdata)
{
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy) {
                p->oom = true;
                return false;
        }
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                if (!fn(p, key, w, userdata))
                        return false;
        return true;
}

static bool parse_port_number(const char *w, uint16_t *ret)
{
        uint64_t v;

        if (strlen(w) > 5 || sa_parse_uint(w, 65535, NULL, &v) < 0 || v < 1)
                return false;
        *ret = (uint16_t) v;
        return true;
}

static bool add_port(parser *p, const char *key, const char *w, void *userdata)
{
        uint8_t *seen = userdata;     /* 65536-bit map */
        uint16_t port;

        if (!parse_port_number(w, &port)) {
                parser_fail(p, "%s=: \"%.64s\" is not a port number (1-65535) or \"all\"", key, w);
                return false;
        }
        seen[port / 8] |= (uint8_t) (1u << (port % 8));
        return true;
}

static bool set_ports(parser *p, const char *key, const char *value)
{
        policy *c = &p->cfg->policy;
        _cleanup_free_ uint8_t *seen = NULL;
        uint16_t *ports;
        size_t n = 0;

        if (strcmp(value, "all") == 0) {
                free(c->ports);
                c->ports = NULL;
                c->n_ports = 0;
                c->all_ports = true;
                return true;
        }
        seen = calloc(65536 / 8, 1);
        if (!seen) {
                p->oom = true;
                return false;
        }
        if (!for_each_word(p, value, key, add_port, seen))
                return false;
        for (unsigned i = 1; i < 65536; i++)
                n += (seen[i / 8] >> (i % 8)) & 1;
        ports = malloc(n * sizeof(*ports));
        if (!ports) {
                p->oom = true;
                return false;
        }
        n = 0;
        for (unsigned i = 1; i < 65536; i++)
                if ((seen[i / 8] >> (i % 8)) & 1)
                        ports[n++] = (uint16_t) i;
        free(c->ports);
        c->ports = ports;
        c->n_ports = n;
        c->all_ports = false;
        return true;
}

static bool add_protocol(parser *p, const char *key, const char *w, void *userdata)
{
        unsigned *mask = userdata;

        if (strcmp(w, "tcp") == 0)
                *mask |= SA_PROTO_TCP;
        else if (strcmp(w, "udp") == 0)
                *mask |= SA_PROTO_UDP;
        else {
                parser_fail(p, "%s=: unknown protocol \"%.32s\" (expected tcp, udp)", key, w);
                return false;
        }
        return true;
}

/* A systemd-style boolean: yes/no, true/false, on/off, 1/0. */
static bool parse_boolean(parser *p, const char *key, const char *value, bool *ret)
{
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
                        *ret = strcmp(value, yes[i]) == 0;
                        return true;
                }
        parser_fail(p, "%s=: \"%.32s\" is not \"yes\" or \"no\"", key, value);
        return false;
}

/* "KEY=" holding a time span within [min_usec, max_usec] into *ret_usec; false after parser_fail(). */
static bool parse_timespan_key(parser *p, const char *key, const char *value, uint64_t min_usec,
                               uint64_t max_usec, uint64_t *ret_usec)
{
        uint64_t usec;

        if (config_parse_timespan(value, &usec) < 0) {
                parser_fail(p, "%s=: \"%.64s\" is not a time span (e.g. 5s, 500ms, 1min)", key, value);
                return false;
        }
        if (usec < min_usec || usec > max_usec) {
                parser_fail(p, "%s=: \"%.64s\" is out of range (%.1fs to %.0fs)", key, value,
                            (double) min_usec / USEC_PER_SEC, (double) max_usec / USEC_PER_SEC);
                return false;
        }
        *ret_usec = usec;
        return true;
}

/* A count, 1-max (MaxClients=, MaxClientsPerUser=, TLSProbesMax=, MinKeyBits=). */
static bool parse_count(parser *p, const char *key, const char *value, unsigned max, unsigned *ret)
{
        unsigned long v = 0;
        const char *d = value;

        for (; *d >= '0' && *d <= '9' && v <= max; d++)
                v = v * 10 + (unsigned long) (*d - '0');
        if (d == value || *d || v < 1 || v > max) {
                parser_fail(p, "%s=: \"%.64s\" is not a number from 1 to %u", key, value, max);
                return false;
        }
        *ret = (unsigned) v;
        return true;
}

/* An absolute path shorter than size (DpkgAdminDir=, MetricsFile=). */
static bool parse_path(parser *p, const char *key, const char *value, char *buf, size_t size)
{
        if (value[0] != '/' || strlen(value) >= size) {
                parser_fail(p, "%s=: needs an absolute path shorter than %zu bytes", key, size);
                return false;
        }
        snprintf(buf, size, "%s", value);
        return true;
}

static bool daemon_key(parser *p, const char *key, const char *value)
{
        daemon_config *c = p->cfg;

        if (strcmp(key, "Ports") == 0) {
                if (!*value) {
                        parser_fail(p, "Ports= needs a list of ports or \"all\"");
                        return false;
                }
                return set_ports(p, key, value);
        }
        if (strcmp(key, "Protocols") == 0) {
                unsigned mask = 0;

                if (!for_each_word(p, value, key, add_protocol, &mask))
                        return false;
                if (mask == 0) {
                        parser_fail(p, "Protocols= needs tcp, udp or both");
                        return false;
                }
                c->policy.protos = mask;
                return true;
        }
        if (strcmp(key, "ScanInterval") == 0)
                return parse_timespan_key(p, key, value, CONFIG_SCAN_INTERVAL_MIN_USEC,
                                          CONFIG_SCAN_INTERVAL_MAX_USEC, &c->scan_interval_usec);
        if (strcmp(key, "RequestTimeout") == 0)
                return parse_timespan_key(p, key, value, CONFIG_CLIENT_TIMEOUT_MIN_USEC,
                                          CONFIG_CLIENT_TIMEOUT_MAX_USEC, &c->request_timeout_usec);
        if (strcmp(key, "WatcherStallTimeout") == 0)
                return parse_timespan_key(p, key, value, CONFIG_CLIENT_TIMEOUT_MIN_USEC,
                                          CONFIG_CLIENT_TIMEOUT_MAX_USEC, &c->watcher_stall_usec);
        if (strcmp(key, "Namespaces") == 0) {
                if (strcmp(value, "all") == 0)
                        c->namespaces = CONFIG_NAMESPACES_ALL;
                else if (strcmp(value, "self") == 0)
                        c->namespaces = CONFIG_NAMESPACES_SELF;
                else {
                        parser_fail(p, "Namespaces=: \"%.32s\" is not \"all\" or \"self\"", value);
                        return false;
                }
                return true;
        }
        if (strcmp(key, "ScanMethod") == 0) {
                if (sa_scan_method_from_string(value, &c->scan_method) < 0) {
                        parser_fail(p, "ScanMethod=: \"%.32s\" is not \"auto\", \"ebpf\" or \"procfs\"",
                                    value);
                        return false;
                }
                return true;
        }
        if (strcmp(key, "MaxClients") == 0)
                return parse_count(p, key, value, CONFIG_MAX_CLIENTS_MAX, &c->max_clients);
        if (strcmp(key, "MaxClientsPerUser") == 0)
                return parse_count(p, key, value, CONFIG_MAX_CLIENTS_MAX, &c->max_clients_per_user);
        if (strcmp(key, "RedactCmdline") == 0)
                return parse_boolean(p, key, value, &c->redact_cmdline);
        if (strcmp(key, "TLSInterval") == 0)
                return parse_timespan_key(p, key, value, CONFIG_TLS_INTERVAL_MIN_USEC,
                                          CONFIG_TLS_INTERVAL_MAX_USEC, &c->tls_interval_usec);
        if (strcmp(key, "TLSTimeout") == 0)
                return parse_timespan_key(p, key, value, CONFIG_TLS_TIMEOUT_MIN_USEC,
                                          CONFIG_TLS_TIMEOUT_MAX_USEC, &c->tls_timeout_usec);
        if (strcmp(key, "TLSProbesMax") == 0)
                return parse_count(p, key, value, CONFIG_TLS_PROBES_MAX, &c->tls_probes_max);
        if (strcmp(key, "DpkgAdminDir") == 0)
                return parse_path(p, key, value, c->dpkg_admindir, sizeof c->dpkg_admindir);
        if (strcmp(key, "MetricsFile") == 0) {
                if (!*value) {          /* empty: none (CONFIG.md), as when unset */
                        c->metrics_file[0] = '\0';
                        return true;
                }
                return parse_path(p, key, value, c->metrics_file, sizeof c->metrics_file);
        }
        parser_fail(p, "unknown key \"%.64s\" in [Daemon]", key);
        return false;
}

/* "Port N/tcp" or "Port N/udp". */
static bool parse_port_section(const char *section, uint16_t *ret_port, uint8_t *ret_proto)
{
        char num[8];
        const char *slash;
        size_t len;

        if (strncmp(section, "Port ", 5) != 0)
                return false;
        section += 5;
        slash = strchr(section, '/');
        if (!slash)
                return false;
        len = (size_t) (slash - section);
        if (len == 0 || len >= sizeof(num))
                return false;
        memcpy(num, section, len);
        num[len] = '\0';
        if (!parse_port_number(num, ret_port))
                return false;
        if (strcmp(slash + 1, "tcp") == 0)
                *ret_proto = IPPROTO_TCP;
        else if (strcmp(slash + 1, "udp") == 0)
                *ret_proto = IPPROTO_UDP;
        else
                return false;
        return true;
}

static bool valid_section(const char *section)
{
        uint16_t port;
        uint8_t proto;

        return strcmp(section, "Daemon") == 0 || parse_port_section(section, &port, &proto);
}

static policy_rule *rule_get(parser *p, uint16_t port, uint8_t proto)
{
        policy *pol = &p->cfg->policy;
        policy_rule *rules;

        for (size_t i = 0; i < pol->n_rules; i++)
                if (pol->rules[i].port == port && pol->rules[i].proto == proto)
                        return &pol->rules[i];
        rules = realloc(pol->rules, (pol->n_rules + 1) * sizeof(*rules));
        if (!rules) {
                p->oom = true;
                return NULL;
        }
        pol->rules = rules;
        rules[pol->n_rules] = (policy_rule) { .port = port, .proto = proto, .tls = POLICY_TLS_DEFAULTS };
        return &rules[pol->n_rules++];
}

typedef struct list_target {
        policy_list *list;
        bool (*valid)(const char *w);
        const char *expected;
} list_target;

/* Allow lists hold fnmatch(3) patterns, except AllowAddress (literals). */
#define GLOB_CHARS "*?[]!"

static bool valid_exe(const char *w)
{
        return w[0] == '/' || w[0] == '*';
}

static bool valid_unit(const char *w)
{
        if (w[0] == '.' || w[0] == '-')
                return false;
        for (const char *c = w; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr(":-_.\\@" GLOB_CHARS, *c))
                        return false;
        return true;
}

static bool valid_user(const char *w)
{
        for (const char *c = w; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("._-" GLOB_CHARS, *c) &&
                    !(*c == '$' && c[1] == '\0'))
                        return false;
        return w[0] != '-';
}

/* A namespace name as sa_listener.netns_name holds them ("host", an ip-netns
 * name, "docker:0123456789ab", a machine name), or a pattern of one. */
static bool valid_namespace(const char *w)
{
        if (strlen(w) >= sizeof(((sa_listener *) 0)->netns_name))
                return false;
        for (const char *c = w; *c; c++)
                if ((unsigned char) *c < 0x21 || *c == 0x7f || *c == '/')
                        return false;
        return true;
}

/* A Debian package name ([a-z0-9][a-z0-9+.-]*) or a pattern of one; no ":arch". */
static bool valid_package(const char *w)
{
        for (const char *c = w; *c; c++)
                if (!islower((unsigned char) *c) && !isdigit((unsigned char) *c) && !strchr("+.-" GLOB_CHARS, *c))
                        return false;
        return w[0] != '-' && w[0] != '.' && w[0] != '+';
}

static bool valid_address(const char *w)
{
        unsigned char buf[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, w, buf) == 1 || inet_pton(AF_INET6, w, buf) == 1;
}

static bool add_allow(parser *p, const char *key, const char *w, void *userdata)
{
        list_target *t = userdata;

        if (!t->valid(w)) {
                parser_fail(p, "%s=: \"%.64s\" is not %s", key, w, t->expected);
                return false;
        }
        if (policy_list_add(t->list, w) < 0) {
                p->oom = true;
                return false;
        }
        return true;
}

static bool is_tls_key(const char *key)
{
        static const char *const keys[] = { "TLS", "CertExpiryWarn", "MinTLSVersion", "MinKeyBits",
                                            "RequireChainVerified" };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(key, keys[i]) == 0)
                        return true;
        return false;
}

/* TLS=, CertExpiryWarn=, MinTLSVersion=, MinKeyBits=, RequireChainVerified= (docs/CONFIG.md). */
static bool tls_key(parser *p, policy_rule *rule, const char *key, const char *value)
{
        policy_tls *t = &rule->tls;
        bool b;

        if (strcmp(key, "TLS") == 0) {
                if (!parse_boolean(p, key, value, &b))
                        return false;
                if (b && rule->proto != IPPROTO_TCP) {
                        parser_fail(p, "TLS=yes: only TCP listeners are probed (QUIC is not)");
                        return false;
                }
                t->probe = b ? POLICY_TLS_YES : POLICY_TLS_NO;
                return true;
        }
        if (strcmp(key, "RequireChainVerified") == 0)
                return parse_boolean(p, key, value, &t->require_chain_verified);
        if (strcmp(key, "CertExpiryWarn") == 0)
                return parse_timespan_key(p, key, value, 0, POLICY_TLS_EXPIRY_WARN_MAX_USEC,
                                          &t->expiry_warn_usec);
        if (strcmp(key, "MinKeyBits") == 0)
                return parse_count(p, key, value, POLICY_TLS_KEY_BITS_MAX, &t->min_key_bits);
        t->min_version = policy_tls_version_from_string(value);
        if (t->min_version < 0) {
                parser_fail(p, "MinTLSVersion=: \"%.32s\" is not TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3", value);
                return false;
        }
        return true;
}

static bool port_key(parser *p, uint16_t port, uint8_t proto, const char *key, const char *value)
{
        list_target t;
        policy_rule *rule = rule_get(p, port, proto);

        if (!rule)
                return false;
        if (strcmp(key, "RequirePackage") == 0)
                return parse_boolean(p, key, value, &rule->require_package);
        if (strcmp(key, "AllowExposure") == 0) {
                rule->allow_exposure = policy_exposure_from_string(value);
                if (rule->allow_exposure == POLICY_EXPOSURE_UNSET)
                        parser_fail(p, "AllowExposure=: \"%.32s\" is not loopback, local or any", value);
                return rule->allow_exposure != POLICY_EXPOSURE_UNSET;
        }
        if (is_tls_key(key))
                return tls_key(p, rule, key, value);
        if (strcmp(key, "AllowExe") == 0)
                t = (list_target) { &rule->allow_exe, valid_exe, "an absolute path or pattern" };
        else if (strcmp(key, "AllowPackage") == 0)
                t = (list_target) { &rule->allow_package, valid_package,
                                    "a package name or pattern (lowercase, without \":arch\")" };
        else if (strcmp(key, "AllowUnit") == 0)
                t = (list_target) { &rule->allow_unit, valid_unit, "a unit name or pattern" };
        else if (strcmp(key, "AllowUser") == 0)
                t = (list_target) { &rule->allow_user, valid_user, "a user name, uid or pattern" };
        else if (strcmp(key, "AllowAddress") == 0)
                t = (list_target) { &rule->allow_address, valid_address, "an IPv4 or IPv6 address" };
        else if (strcmp(key, "Namespace") == 0)
                t = (list_target) { &rule->namespaces, valid_namespace,
                                    "a namespace name or pattern (host, an ip-netns or container name; "
                                    "no \"/\", at most 63 bytes)" };
        else {
                parser_fail(p, "unknown key \"%.64s\" in [Port %u/%s]", key, port,
                            proto == IPPROTO_TCP ? "tcp" : "udp");
                return false;
        }
        /* An empty assignment resets the list, as in systemd unit files. */
        if (!*value) {
                policy_list_clear(t.list);
                return true;
        }
        return for_each_word(p, value, key, add_allow, &t);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
        parser *p = user;
        uint16_t port;
        uint8_t proto;

        p->key_seen = true;
        if (p->err_line || p->oom)
                return 1;        /* keep the first error; skip the rest */

        if (strcmp(section, "Daemon") == 0)
                return daemon_key(p, name, value);
        if (parse_port_section(section, &port, &proto))
                return port_key(p, port, proto, name, value);
        if (!*section)
                parser_fail(p, "\"%.64s\" is outside any section", name);
        else
                parser_fail(p, "unknown section [%.64s]", section);
        return 0;
}

/*
 * Feeds inih one whole line per call, counting lines; checks what inih
 * cannot report well: overlong lines (inih would split them), NUL bytes,
 * and section headers with no keys under them (inih never reports those).
 */
static char *reader(char *str, int num, void *stream)
{
        parser *p = stream;
        ssize_t n = getline(&p->buf, &p->bufsize, p->f);
        char *s, *end;
        uint16_t port;
        uint8_t proto;

        if (n < 0)
                return NULL;
        p->line++;
        if (memchr(p->buf, '\0', (size_t) n)) {
                parser_fail(p, "NUL byte in line");
                return strcpy(str, "\n");
        }
        if (num < 4 || n > num - 3) {
                parser_fail(p, "line longer than %d bytes", num - 3);
                return strcpy(str, "\n");
        }
        memcpy(str, p->buf, (size_t) n + 1);

        s = str;
        if (p->line == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
                s += 3;
        /* An indented line after a key continues that key's value in inih. */
        if (p->key_seen && (*s == ' ' || *s == '\t'))
                return str;
        while (*s == ' ' || *s == '\t')
                s++;
        if (*s != '[')
                return str;
        end = strchr(s, ']');
        if (!end)
                return str;      /* inih reports the syntax error */
        p->key_seen = false;
        if (!p->err_line) {
                char name[128];
                size_t len = (size_t) (end - s - 1);

                if (len >= sizeof(name))
                        len = sizeof(name) - 1;
                memcpy(name, s + 1, len);
                name[len] = '\0';
                if (!valid_section(name))
                        parser_fail(p, "unknown section [%.64s] (expected [Daemon] or [Port N/tcp|udp])",
                                    name);
                else if (parse_port_section(name, &port, &proto))
                        (void) rule_get(p, port, proto);   /* even empty, the port is watched */
        }
        return str;
}

typedef struct warning_ctx {
        daemon_config *cfg;
        const char *name;
        bool oom;
} warning_ctx;

/* policy_resolve()'s warnings, kept as "PATH: message" in cfg->warnings. */
static void add_warning(void *userdata, const char *message)
{
        warning_ctx *w = userdata;
        char line[1024];

        snprintf(line, sizeof(line), "%s: %s", w->name, message);
        if (policy_list_add(&w->cfg->warnings, line) < 0)
                w->oom = true;
}

/*
 * The package keys need the dpkg database: each section using them on a
 * host without one (DpkgAdminDir= or /var/lib/dpkg: no status file) is a
 * warning, since every owner would then be unverifiable and packageless.
 */
static void package_warnings(const daemon_config *c, warning_ctx *w)
{
        const char *dir = c->dpkg_admindir[0] ? c->dpkg_admindir : "/var/lib/dpkg";
        char path[300], msg[512];
        int err = 0;

        for (size_t i = 0; i < c->policy.n_rules; i++) {
                const policy_rule *r = &c->policy.rules[i];

                if (!r->require_package && r->allow_package.n == 0)
                        continue;
                if (!err) {
                        snprintf(path, sizeof path, "%s/status", dir);
                        err = access(path, R_OK) < 0 ? errno : -1;
                }
                if (err < 0)
                        return;
                snprintf(msg, sizeof msg, "[Port %u/%s] %s=: no dpkg database (%s: %s): every owner will be "
                         "unverifiable, from no known package", r->port, sa_proto_name(r->proto),
                         r->require_package ? "RequirePackage" : "AllowPackage", path, strerror(err));
                add_warning(w, msg);
        }
}

static int load_stream(FILE *f, const char *name, char *err, size_t errlen, daemon_config **ret)
{
        _cleanup_free_ char *buf = NULL;
        warning_ctx warn_ctx = { 0 };
        parser p = { .f = f };
        int r;

        r = config_new_default(&p.cfg);
        if (r < 0)
                return r;

        r = ini_parse_stream(reader, &p, handler, &p);
        buf = p.buf;
        if (r == -2 || p.oom) {
                r = -ENOMEM;
                if (err)
                        snprintf(err, errlen, "%s: out of memory", name);
                goto fail;
        }
        if (ferror(f)) {
                r = -EIO;
                if (err)
                        snprintf(err, errlen, "%s: read error", name);
                goto fail;
        }
        if (r > 0 && (p.err_line == 0 || (unsigned) r < p.err_line)) {
                if (err)
                        snprintf(err, errlen, "%s:%d: syntax error (expected [Section] or Key=Value)",
                                 name, r);
                r = -EINVAL;
                goto fail;
        }
        if (p.err_line) {
                if (err)
                        snprintf(err, errlen, "%s:%u: %s", name, p.err_line, p.err);
                r = -EINVAL;
                goto fail;
        }
        warn_ctx.cfg = p.cfg;
        warn_ctx.name = name;
        r = policy_resolve(&p.cfg->policy, add_warning, &warn_ctx);
        if (r >= 0)
                package_warnings(p.cfg, &warn_ctx);
        if (r < 0 || warn_ctx.oom) {
                r = -ENOMEM;
                if (err)
                        snprintf(err, errlen, "%s: out of memory", name);
                goto fail;
        }
        *ret = p.cfg;
        return 0;
fail:
        config_free(p.cfg);
        return r;
}

int config_load(const char *path, bool missing_ok, char *err, size_t errlen, daemon_config **ret)
{
        _cleanup_fclose_ FILE *f = NULL;
        int r;

        f = fopen(path, "re");
        if (!f) {
                r = -errno;
                if (r == -ENOENT && missing_ok)
                        return config_new_default(ret);
                if (err)
                        snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        return load_stream(f, path, err, errlen, ret);
}

int config_load_string(const char *text, const char *name, char *err, size_t errlen,
                       daemon_config **ret)
{
        _cleanup_fclose_ FILE *f = NULL;

        if (!*text)
                return config_new_default(ret);
        f = fmemopen((void *) text, strlen(text), "r");
        if (!f)
                return -errno;
        return load_stream(f, name, err, errlen, ret);
}

int config_reload(const char *path, bool missing_ok, char *err, size_t errlen, daemon_config **cfg)
{
        daemon_config *c = NULL;
        int r;

        r = config_load(path, missing_ok, err, errlen, &c);
        if (r < 0)
                return r;
        config_free(*cfg);
        *cfg = c;
        return 0;
}
