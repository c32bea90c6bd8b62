/* SPDX-License-Identifier: MIT */
/*
 * Apache httpd's configuration as far as TLS names go: `<VirtualHost>`
 * sections with SSLEngine on, their ServerName, ServerAlias,
 * SSLCertificateFile and SSLCertificateKeyFile (the main server's, outside
 * any section, inherited as mod_ssl merges them), following Include and
 * IncludeOptional (globs, directories) relative to ServerRoot. Every
 * <IfModule>, <IfDefine> and <IfVersion> is taken as enabled. `Define`d
 * variables are substituted in ${NAME}; others (from envvars or the
 * environment) are not read, and a path holding one is unresolved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "webconf-reader.h"

#define AP_WORDS_MAX    256     /* arguments of one directive */
#define AP_NEST_MAX     32      /* sections open in one file */
#define AP_DEFINES_MAX  256

typedef struct ap_vhost {
        sa_webconf_vhost v;
        uint16_t ports[16];             /* 0: any port */
        char addrs[16][48];             /* "*", a host, an IPv6 address without brackets */
        size_t n_ports;
        int ssl;                        /* SSLEngine: -1 unset */
        bool certs_set, keys_set;
} ap_vhost;

typedef struct ap_state {
        wc_reader *r;
        char *root;                     /* ServerRoot */
        int ssl;                        /* the main server's SSLEngine */
        wc_files main;                  /* the main server's files */
        ap_vhost *vhosts;
        size_t n_vhosts, cap_vhosts;
        ap_vhost *cur;                  /* inside <VirtualHost> */
        bool skipping;                  /* inside a <VirtualHost> past the cap */
        bool vhosts_cut;
        char *defines[AP_DEFINES_MAX];  /* "NAME=VALUE" */
        size_t n_defines;
        char *words[AP_WORDS_MAX];
        size_t n_words;
} ap_state;

#define STOP 1

static int parse_file(ap_state *s, wc_text *t);

static void words_clear(ap_state *s)
{
        for (size_t i = 0; i < s->n_words; i++)
                free(s->words[i]);
        s->n_words = 0;
}

/* Splits line into words as ap_getword_conf() does: blanks, "..." and '...' with \" inside. */
static int split(ap_state *s, const char *p)
{
        words_clear(s);
        for (;;) {
                char q = 0, *w, *o;

                p += strspn(p, " \t\r");
                if (!*p)
                        return 0;
                if (s->n_words >= AP_WORDS_MAX)
                        return -E2BIG;
                w = o = malloc(strlen(p) + 1);
                if (!w)
                        return -ENOMEM;
                if (*p == '"' || *p == '\'')
                        q = *p++;
                while (*p && (q ? *p != q : !strchr(" \t\r", *p))) {
                        if (q && p[0] == '\\' && p[1] == q)
                                p++;
                        *o++ = *p++;
                }
                if (q && *p)
                        p++;
                *o = '\0';
                s->words[s->n_words++] = w;
        }
}

static const char *define_get(ap_state *s, const char *name, size_t n)
{
        for (size_t i = 0; i < s->n_defines; i++)
                if (strncmp(s->defines[i], name, n) == 0 && s->defines[i][n] == '=')
                        return s->defines[i] + n + 1;
        return NULL;
}

static int define_set(ap_state *s, const char *name, const char *value)
{
        size_t n = strlen(name);
        char *d;

        if (asprintf(&d, "%s=%s", name, value ? value : "") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_defines; i++)
                if (strncmp(s->defines[i], name, n) == 0 && s->defines[i][n] == '=') {
                        free(s->defines[i]);
                        s->defines[i] = d;
                        return 0;
                }
        if (s->n_defines >= AP_DEFINES_MAX) {
                free(d);
                return -E2BIG;
        }
        s->defines[s->n_defines++] = d;
        return 0;
}

/* line with each Define'd ${NAME} replaced (others kept), in out (max bytes). */
static int substitute(ap_state *s, const char *line, char *out, size_t max)
{
        size_t o = 0;

        for (const char *p = line; *p;) {
                const char *end = p[0] == '$' && p[1] == '{' ? strchr(p, '}') : NULL;
                const char *val = end ? define_get(s, p + 2, (size_t) (end - p - 2)) : NULL;
                size_t n = val ? strlen(val) : 1;

                if (o + n >= max)
                        return -E2BIG;
                memcpy(out + o, val ? val : p, n);
                o += n;
                p = val ? end + 1 : p + 1;
        }
        out[o] = '\0';
        return 0;
}

/* "*:443", "_default_:443", "1.2.3.4", "[::]:443", "host:*". */
static int vhost_addr(ap_vhost *vh, const char *a)
{
        const char *colon = a[0] == '[' ? strstr(a, "]:") : strrchr(a, ':');
        size_t alen = colon ? (size_t) (colon - a) + (a[0] == '[') : strlen(a);
        uint16_t port = 0;

        if (colon && a[0] == '[')
                colon++;
        if (colon && strcmp(colon + 1, "*") != 0 && !wc_port(colon + 1, strlen(colon + 1), &port))
                return -EINVAL;
        if (vh->n_ports >= ELEMENTSOF(vh->ports))
                return -E2BIG;
        if (a[0] == '[' && alen >= 2)
                a++, alen -= 2;
        if (strncmp(a, "_default_", alen) == 0 || (alen == 1 && a[0] == '*')) {
                vh->v.default_server |= a[0] == '_';
                a = "*";
                alen = 1;
        }
        if (alen >= sizeof vh->addrs[0])
                return -EINVAL;
        memcpy(vh->addrs[vh->n_ports], a, alen);
        vh->addrs[vh->n_ports][alen] = '\0';
        vh->ports[vh->n_ports++] = port;
        return 0;
}

static int vhost_open(ap_state *s, const char *file, unsigned line)
{
        ap_vhost *vh;

        if (s->cur || s->skipping)
                return wc_error(s->r, file, line, -EINVAL, "<VirtualHost> inside <VirtualHost>") ?: STOP;
        if (s->n_vhosts >= SA_WEBCONF_SERVERS_MAX) {
                /* Read through, not kept; said once. */
                s->skipping = true;
                if (s->vhosts_cut)
                        return 0;
                s->vhosts_cut = true;
                return wc_error(s->r, file, line, -E2BIG, "more than %d <VirtualHost>s: the rest are not read",
                                SA_WEBCONF_SERVERS_MAX);
        }
        if (sa_grow((void **) &s->vhosts, &s->cap_vhosts, s->n_vhosts, sizeof *s->vhosts) < 0)
                return -ENOMEM;
        vh = &s->vhosts[s->n_vhosts++];
        *vh = (ap_vhost) { .ssl = -1, .v.line = line };
        if (!(vh->v.file = strdup(file)))
                return -ENOMEM;
        s->cur = vh;
        for (size_t i = 1; i < s->n_words; i++)
                if (vhost_addr(vh, s->words[i]) < 0)
                        return wc_error(s->r, file, line, -EINVAL,
                                        "<VirtualHost>: \"%s\" not read (not an address, or past 16)",
                                        s->words[i]);
        return 0;
}

/* ServerName [scheme://]name[:port], ServerAlias name... */
static int add_names(ap_state *s, const char *file, unsigned line, bool first_only)
{
        for (size_t i = 1; i < s->n_words && !(first_only && i > 1); i++) {
                char *n = s->words[i], *c;
                int e;

                if ((c = strstr(n, "://")))
                        n = c + 3;
                if (first_only && (c = strrchr(n, ':')))
                        *c = '\0';
                if (!wc_host_name(n)) {
                        if ((e = wc_error(s->r, file, line, -EINVAL, "%s: not a host name, skipped",
                                          s->words[0])) < 0)
                                return e;
                        continue;
                }
                e = wc_name_add(s->r, &s->cur->v, n, strpbrk(n, "*?") != NULL, file, line);
                if (e != 0)
                        return e < 0 ? e : 0;
        }
        return 0;
}

static int add_file(ap_state *s, sa_webconf_path **list, size_t *n, bool *set)
{
        const char *w = s->words[1];

        return wc_file_add(s->root, w, strstr(w, "${") != NULL, list, n, set);
}

static int do_include(ap_state *s, const char *file, unsigned line, bool optional)
{
        _cleanup_free_ char *pat = wc_join(s->root, s->words[1]);
        char **paths = NULL;
        size_t n = 0;
        int e;

        if (!pat)
                return -ENOMEM;
        words_clear(s);
        e = wc_glob(s->r, pat, true, file, line, &paths, &n);
        if (e < 0)
                return e;
        /* IncludeOptional: nothing there is no error. */
        if (n == 0 && !optional)
                e = wc_error(s->r, file, line, -ENOENT, "Include %s: no such file", pat);
        for (char **p = paths; e >= 0 && *p; p++) {
                wc_text t;

                e = wc_enter(s->r, *p, file, line, &t);
                if (e > 0) {
                        e = parse_file(s, &t);
                        wc_leave(s->r, &t);
                }
        }
        wc_strv_free(paths);
        return e < 0 ? e : 0;
}

static int on_off(const char *w)
{
        return strcasecmp(w, "on") == 0 ? 1 : strcasecmp(w, "off") == 0 ? 0 : -1;
}

static int directive(ap_state *s, const char *file, unsigned line)
{
        const char *d = s->words[0];
        bool args = s->n_words >= 2;
        ap_vhost *vh = s->cur;

        if (!args || s->skipping)
                return 0;
        if (strcasecmp(d, "Include") == 0 || strcasecmp(d, "IncludeOptional") == 0)
                return do_include(s, file, line, strcasecmp(d, "IncludeOptional") == 0);
        if (strcasecmp(d, "ServerRoot") == 0) {
                free(s->root);
                return (s->root = strdup(s->words[1])) ? 0 : -ENOMEM;
        }
        if (strcasecmp(d, "Define") == 0) {
                int e = define_set(s, s->words[1], s->n_words > 2 ? s->words[2] : NULL);

                return e == -E2BIG ? wc_error(s->r, file, line, e, "more than %d Defines", AP_DEFINES_MAX) : e;
        }
        if (strcasecmp(d, "SSLEngine") == 0)
                *(vh ? &vh->ssl : &s->ssl) = on_off(s->words[1]);
        else if (strcasecmp(d, "SSLCertificateFile") == 0)
                return vh ? add_file(s, &vh->v.certs, &vh->v.n_certs, &vh->certs_set) :
                            add_file(s, &s->main.certs, &s->main.n_certs, NULL);
        else if (strcasecmp(d, "SSLCertificateKeyFile") == 0)
                return vh ? add_file(s, &vh->v.keys, &vh->v.n_keys, &vh->keys_set) :
                            add_file(s, &s->main.keys, &s->main.n_keys, NULL);
        else if (vh && strcasecmp(d, "ServerName") == 0)
                return add_names(s, file, line, true);
        else if (vh && strcasecmp(d, "ServerAlias") == 0)
                return add_names(s, file, line, false);
        return 0;
}

/* "<Name args>" or "</Name>": the section stack of this file (names only). */
static int section(ap_state *s, char *line, const char *file, unsigned no, char stack[][32], size_t *depth)
{
        size_t len = strlen(line);
        bool close = line[1] == '/';
        int e;

        if (line[len - 1] != '>')
                return wc_error(s->r, file, no, -EINVAL, "section without \">\"") ?: STOP;
        line[len - 1] = '\0';
        if ((e = split(s, line + 1 + close)) < 0)
                return e == -E2BIG ? wc_error(s->r, file, no, e, "too many words") ?: STOP : e;
        if (s->n_words == 0)
                return wc_error(s->r, file, no, -EINVAL, "empty section") ?: STOP;
        if (close) {
                if (*depth == 0 || strcasecmp(stack[*depth - 1], s->words[0]) != 0)
                        return wc_error(s->r, file, no, -EINVAL, "</%.32s> closes nothing open", s->words[0]) ?: STOP;
                (*depth)--;
                if (strcasecmp(s->words[0], "VirtualHost") == 0) {
                        s->cur = NULL;
                        s->skipping = false;
                }
                return 0;
        }
        if (*depth >= AP_NEST_MAX)
                return wc_error(s->r, file, no, -E2BIG, "sections nested deeper than %d", AP_NEST_MAX) ?: STOP;
        snprintf(stack[(*depth)++], 32, "%s", s->words[0]);
        return strcasecmp(s->words[0], "VirtualHost") == 0 ? vhost_open(s, file, no) : 0;
}

/* The next logical line (backslash-newline joined) into out; false at the end. */
static bool next_line(const char **p, const char *end, unsigned *no, char *out, size_t max, int *err)
{
        size_t o = 0;

        *err = 0;
        if (*p >= end)
                return false;
        while (*p < end) {
                char c = *(*p)++;

                if (c == '\0') {
                        *err = -EBADMSG;
                        continue;
                }
                if (c == '\n') {
                        (*no)++;
                        if (o > 0 && out[o - 1] == '\\') {
                                o--;
                                continue;
                        }
                        break;
                }
                if (o + 1 >= max)
                        *err = -E2BIG;
                else
                        out[o++] = c;
        }
        out[o] = '\0';
        return true;
}

static int parse_lines(ap_state *s, wc_text *t, char *raw, char *line, char stack[][32], size_t *depth)
{
        const char *p = t->buf, *end = t->buf + t->len;
        unsigned no = 1;
        int err, e;

        for (unsigned start = no; next_line(&p, end, &no, raw, SA_WEBCONF_TOKEN_MAX, &err); start = no) {
                const char *l = raw + strspn(raw, " \t\r");

                if (err)
                        return wc_error(s->r, t->path, start, err, err == -E2BIG ? "line too long" : "NUL byte") ?: STOP;
                if (!*l || *l == '#')
                        continue;
                if (substitute(s, l, line, SA_WEBCONF_TOKEN_MAX) < 0)
                        return wc_error(s->r, t->path, start, -E2BIG, "line too long after ${}") ?: STOP;
                for (size_t n = strlen(line); n > 0 && strchr(" \t\r", line[n - 1]); n--)
                        line[n - 1] = '\0';
                if (line[0] == '<') {
                        e = section(s, line, t->path, start, stack, depth);
                } else if ((e = split(s, line)) == -E2BIG) {
                        e = wc_error(s->r, t->path, start, e, "too many words") ?: STOP;
                } else if (e == 0 && s->n_words > 0) {
                        e = directive(s, t->path, start);
                }
                words_clear(s);
                if (e != 0)
                        return e;
        }
        if (*depth > 0)
                return wc_error(s->r, t->path, no, -EINVAL, "<%s> not closed", stack[*depth - 1]);
        return 0;
}

static int parse_file(ap_state *s, wc_text *t)
{
        _cleanup_free_ char *raw = malloc(SA_WEBCONF_TOKEN_MAX), *line = malloc(SA_WEBCONF_TOKEN_MAX);
        _cleanup_free_ char (*stack)[32] = calloc(AP_NEST_MAX, 32);
        ap_vhost *outer = s->cur;
        bool skipping = s->skipping;
        size_t depth = 0;
        int e;

        if (!raw || !line || !stack)
                return -ENOMEM;
        e = parse_lines(s, t, raw, line, stack, &depth);
        /* A section cannot span files: a <VirtualHost> left open here ends here. */
        s->cur = outer;
        s->skipping = skipping;
        return e < 0 ? e : 0;
}

static bool vhost_on_port(ap_state *s, ap_vhost *vh)
{
        bool on = false;

        for (size_t i = 0; i < vh->n_ports || (i == 0 && vh->n_ports == 0); i++) {
                if (vh->n_ports > 0 && s->r->port && vh->ports[i] && vh->ports[i] != s->r->port)
                        continue;
                on = true;
                if (vh->n_ports > 0 && wc_addr_add(&vh->v, vh->addrs[i]) < 0)
                        return false;
        }
        return on;
}

static int finish(ap_state *s)
{
        int e = 0;

        for (size_t i = 0; i < s->n_vhosts; i++) {
                ap_vhost *vh = &s->vhosts[i];
                bool keep = (vh->ssl >= 0 ? vh->ssl : s->ssl) > 0 && vhost_on_port(s, vh);

                if (e == 0 && keep)
                        e = wc_vhost_keep(s->r, &vh->v, &s->main, vh->certs_set, vh->keys_set);
                wc_vhost_clear(&vh->v);
        }
        free(s->vhosts);
        wc_files_clear(&s->main);
        for (size_t i = 0; i < s->n_defines; i++)
                free(s->defines[i]);
        free(s->root);
        wc_default_first(s->r);
        return e;
}

int wc_apache_text(wc_reader *r, wc_text *t, const char *server_root)
{
        _cleanup_free_ ap_state *s = calloc(1, sizeof *s);
        int e, f;

        if (!s)
                return -ENOMEM;
        s->r = r;
        s->ssl = -1;
        s->root = strdup(server_root);
        if (!s->root)
                return -ENOMEM;
        e = parse_file(s, t);
        words_clear(s);
        f = finish(s);
        return e < 0 ? e : f;
}
