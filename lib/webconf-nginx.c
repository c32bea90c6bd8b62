/* SPDX-License-Identifier: MIT */
/*
 * nginx's configuration as far as TLS names go: `http { server { ... } }`
 * blocks with their `listen` (port, ssl, default_server; quic and unix:
 * skipped), `server_name`, `ssl on`, `ssl_certificate` and
 * `ssl_certificate_key` (inherited from http when the server sets none),
 * following `include` (globs too) relative to the config's directory.
 * Servers are decided at the end of the http block, once every http-level
 * directive has been seen, as nginx merges them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "webconf-lex.h"
#include "webconf-reader.h"

#define NGX_WORDS_MAX   8192    /* words of one directive */
#define NGX_NEST_MAX    32      /* blocks inside blocks, per file */
#define NGX_LISTENS_MAX 8192    /* listen directives over all servers */
#define NGX_SERVER_LISTENS_MAX 32

typedef struct ngx_listen {
        uint16_t port;
        bool ssl, def, quic;
        char addr[64];
} ngx_listen;

typedef struct ngx_server {
        sa_webconf_vhost v;             /* names and own certificate files */
        ngx_listen *listens;
        size_t n_listens;
        int ssl;                        /* `ssl on|off`: -1 unset */
        bool certs_set, keys_set;
} ngx_server;

typedef enum ngx_ctx { CTX_MAIN, CTX_HTTP, CTX_SERVER, CTX_OTHER } ngx_ctx;

typedef struct ngx_state {
        wc_reader *r;
        const char *prefix;             /* relative includes and files */
        int http_ssl;
        wc_files http;                  /* http level */
        ngx_server *servers;
        size_t n_servers, cap_servers;
        bool servers_cut;               /* past SA_WEBCONF_SERVERS_MAX */
        ngx_server *cur;                /* inside a server block */
        size_t n_listens;               /* over all servers */
        const ngx_listen **tls;         /* sockets with ssl, by port and address (finish) */
        size_t n_tls;
        char **words;                   /* of the directive being read */
        size_t n_words, cap_words;
} ngx_state;

/* 1: stop reading this file (the error is recorded); 0: go on; <0: -ENOMEM. */
#define STOP 1

static int parse_file(ngx_state *s, wc_text *t, ngx_ctx ctx);

static void server_clear(ngx_server *sv)
{
        wc_vhost_clear(&sv->v);
        free(sv->listens);
}

/* "443", "1.2.3.4:443", "[::]:443", "[::1]", "*:443", "host" (port 80). */
static int parse_listen(ngx_listen *ls, const char *a)
{
        const char *port = NULL;
        size_t alen;

        *ls = (ngx_listen) { .port = 80 };
        if (a[0] == '[') {
                const char *close = strchr(a, ']');

                if (!close)
                        return -EINVAL;
                alen = (size_t) (close - a - 1);
                a++;
                if (close[1] == ':')
                        port = close + 2;
                else if (close[1])
                        return -EINVAL;
        } else if (strchr(a, ':')) {
                port = strrchr(a, ':') + 1;
                alen = (size_t) (port - 1 - a);
        } else if (wc_port(a, strlen(a), &ls->port)) {
                alen = 0;
        } else {
                alen = strlen(a);
        }
        if (port && !wc_port(port, strlen(port), &ls->port))
                return -EINVAL;
        if (alen >= sizeof ls->addr)
                return -EINVAL;
        /* "443", "*:443" and "0.0.0.0:443" are one socket. */
        if (alen == 0 || (alen == 7 && strncmp(a, "0.0.0.0", 7) == 0))
                strcpy(ls->addr, "*");
        else
                memcpy(ls->addr, a, alen), ls->addr[alen] = '\0';
        return 0;
}

static int do_listen(ngx_state *s, const char *file, unsigned line)
{
        ngx_server *sv = s->cur;
        ngx_listen ls, *n;

        if (s->n_words < 2 || strncmp(s->words[1], "unix:", 5) == 0)
                return 0;
        if (parse_listen(&ls, s->words[1]) < 0)
                return wc_error(s->r, file, line, -EINVAL, "listen: cannot parse \"%s\"", s->words[1]);
        for (size_t i = 2; i < s->n_words; i++) {
                const char *o = s->words[i];

                ls.ssl |= strcmp(o, "ssl") == 0;
                ls.quic |= strcmp(o, "quic") == 0;
                ls.def |= strcmp(o, "default_server") == 0 || strcmp(o, "default") == 0;
        }
        if (sv->n_listens >= NGX_SERVER_LISTENS_MAX || s->n_listens >= NGX_LISTENS_MAX)
                return wc_error(s->r, file, line, -E2BIG, "more than %d listens in a server or %d in all",
                                NGX_SERVER_LISTENS_MAX, NGX_LISTENS_MAX);
        n = realloc(sv->listens, (sv->n_listens + 1) * sizeof *n);
        if (!n)
                return -ENOMEM;
        sv->listens = n;
        n[sv->n_listens++] = ls;
        s->n_listens++;
        return 0;
}

static int do_server_name(ngx_state *s, const char *file, unsigned line)
{
        for (size_t i = 1; i < s->n_words; i++) {
                const char *n = s->words[i];
                _cleanup_free_ char *star = NULL;
                int e;

                /* "_" and "" are catch-alls, "~re" regexes, $hostname this machine's. */
                if (!*n || strcmp(n, "_") == 0 || n[0] == '~' || n[0] == '$')
                        continue;
                if (!wc_host_name(n[0] == '.' ? n + 1 : n)) {
                        e = wc_error(s->r, file, line, -EINVAL, "server_name: not a host name, skipped");
                        if (e < 0)
                                return e;
                        continue;
                }
                if (n[0] == '.') {
                        /* ".a.b" is "a.b" and "*.a.b". */
                        if (asprintf(&star, "*%s", n) < 0)
                                return -ENOMEM;
                        e = wc_name_add(s->r, &s->cur->v, n + 1, false, file, line);
                        if (e == 0)
                                e = wc_name_add(s->r, &s->cur->v, star, true, file, line);
                } else {
                        e = wc_name_add(s->r, &s->cur->v, n, strpbrk(n, "*?") != NULL, file, line);
                }
                if (e != 0)
                        return e < 0 ? e : 0;
        }
        return 0;
}

/* ssl_certificate(_key) FILE: relative to the prefix; variables and data: stay as written. */
static int add_file(ngx_state *s, sa_webconf_path **list, size_t *n, bool *set)
{
        const char *w = s->words[1];

        return wc_file_add(s->prefix, w, strchr(w, '$') || strncmp(w, "data:", 5) == 0, list, n, set);
}

static int on_off(const char *w)
{
        return strcmp(w, "on") == 0 ? 1 : strcmp(w, "off") == 0 ? 0 : -1;
}

static void words_clear(ngx_state *s)
{
        for (size_t i = 0; i < s->n_words; i++)
                free(s->words[i]);
        s->n_words = 0;
}

static int do_include(ngx_state *s, const char *file, unsigned line, ngx_ctx ctx)
{
        _cleanup_free_ char *pat = wc_join(s->prefix, s->words[1]);
        char **paths = NULL;
        size_t n = 0;
        int e;

        if (!pat)
                return -ENOMEM;
        /* The included file's directives use the word list. */
        words_clear(s);
        if (wc_is_glob(pat)) {
                e = wc_glob(s->r, pat, false, file, line, &paths, &n);
                if (e < 0)
                        return e;
        } else {
                paths = calloc(2, sizeof *paths);
                if (!paths || !(paths[0] = strdup(pat))) {
                        free(paths);
                        return -ENOMEM;
                }
        }
        e = 0;
        for (char **p = paths; e >= 0 && *p; p++) {
                wc_text t;

                e = wc_enter(s->r, *p, file, line, &t);
                if (e > 0) {
                        e = parse_file(s, &t, ctx);
                        wc_leave(s->r, &t);
                }
        }
        wc_strv_free(paths);
        return e < 0 ? e : 0;
}

static int directive(ngx_state *s, const char *file, unsigned line, ngx_ctx ctx)
{
        const char *d = s->words[0];
        bool one = s->n_words == 2;

        if (strcmp(d, "include") == 0 && one)
                return do_include(s, file, line, ctx);
        if (ctx == CTX_HTTP) {
                if (strcmp(d, "ssl") == 0 && one)
                        s->http_ssl = on_off(s->words[1]);
                else if (strcmp(d, "ssl_certificate") == 0 && one)
                        return add_file(s, &s->http.certs, &s->http.n_certs, NULL);
                else if (strcmp(d, "ssl_certificate_key") == 0 && one)
                        return add_file(s, &s->http.keys, &s->http.n_keys, NULL);
                return 0;
        }
        if (ctx != CTX_SERVER)
                return 0;
        if (strcmp(d, "listen") == 0)
                return do_listen(s, file, line);
        if (strcmp(d, "server_name") == 0)
                return do_server_name(s, file, line);
        if (strcmp(d, "ssl") == 0 && one)
                s->cur->ssl = on_off(s->words[1]);
        else if (strcmp(d, "ssl_certificate") == 0 && one)
                return add_file(s, &s->cur->v.certs, &s->cur->v.n_certs, &s->cur->certs_set);
        else if (strcmp(d, "ssl_certificate_key") == 0 && one)
                return add_file(s, &s->cur->v.keys, &s->cur->v.n_keys, &s->cur->keys_set);
        return 0;
}

static int parse_block(ngx_state *s, ngx_lexer *l, const char *file, ngx_ctx ctx, unsigned nest);

/*
 * A new server block at file:line becomes s->cur; past the cap it is read
 * through and not kept (s->cur stays NULL; said once). 0 or -ENOMEM.
 */
static int server_open(ngx_state *s, const char *file, unsigned line)
{
        if (s->n_servers >= SA_WEBCONF_SERVERS_MAX) {
                if (s->servers_cut)
                        return 0;
                s->servers_cut = true;
                return wc_error(s->r, file, line, -E2BIG, "more than %d servers: the rest are not read",
                                SA_WEBCONF_SERVERS_MAX);
        }
        if (sa_grow((void **) &s->servers, &s->cap_servers, s->n_servers, sizeof *s->servers) < 0)
                return -ENOMEM;
        s->cur = &s->servers[s->n_servers++];
        *s->cur = (ngx_server) { .ssl = -1, .v.line = line };
        s->cur->v.file = strdup(file);
        return s->cur->v.file ? 0 : -ENOMEM;
}

/* A "NAME ARGS {" block: http, server inside http, anything else skipped through. */
static int block(ngx_state *s, ngx_lexer *l, const char *file, ngx_ctx ctx, unsigned nest)
{
        unsigned line = l->tok_line;
        ngx_ctx inner = CTX_OTHER;
        int e;

        if (nest >= NGX_NEST_MAX)
                return wc_error(s->r, file, line, -E2BIG, "blocks nested deeper than %d", NGX_NEST_MAX) ?: STOP;
        if (ctx == CTX_MAIN && strcmp(s->words[0], "http") == 0) {
                inner = CTX_HTTP;
        } else if (ctx == CTX_HTTP && strcmp(s->words[0], "server") == 0) {
                if ((e = server_open(s, file, line)) < 0)
                        return e;
                inner = s->cur ? CTX_SERVER : CTX_OTHER;
        }
        words_clear(s);
        e = parse_block(s, l, file, inner, nest + 1);
        if (inner == CTX_SERVER)
                s->cur = NULL;
        return e;
}

/* Directives up to the "}" that closes this block (nest > 0) or the end of the file. */
static int parse_block(ngx_state *s, ngx_lexer *l, const char *file, ngx_ctx ctx, unsigned nest)
{
        for (;;) {
                ngx_tok t = ngx_lex_next(l);
                int e;

                switch (t) {
                case NGX_WORD:
                        if (s->n_words >= NGX_WORDS_MAX)
                                return wc_error(s->r, file, l->tok_line, -E2BIG, "more than %d words in a directive",
                                                NGX_WORDS_MAX) ?: STOP;
                        if (sa_grow((void **) &s->words, &s->cap_words, s->n_words, sizeof *s->words) < 0 ||
                            !(s->words[s->n_words] = strdup(l->word)))
                                return -ENOMEM;
                        s->n_words++;
                        continue;
                case NGX_SEMI:
                        if (s->n_words == 0)
                                return wc_error(s->r, file, l->tok_line, -EINVAL, "unexpected \";\"") ?: STOP;
                        e = directive(s, file, l->tok_line, ctx);
                        words_clear(s);
                        if (e != 0)
                                return e;
                        continue;
                case NGX_OPEN:
                        if (s->n_words == 0)
                                return wc_error(s->r, file, l->tok_line, -EINVAL, "unexpected \"{\"") ?: STOP;
                        e = block(s, l, file, ctx, nest);
                        if (e != 0)
                                return e;
                        continue;
                case NGX_CLOSE:
                        if (s->n_words > 0 || nest == 0)
                                return wc_error(s->r, file, l->tok_line, -EINVAL, "unexpected \"}\"") ?: STOP;
                        return 0;
                case NGX_EOF:
                        if (s->n_words > 0 || nest > 0)
                                return wc_error(s->r, file, l->line, -EINVAL, "unexpected end of file") ?: STOP;
                        return 0;
                case NGX_ERROR:
                        return wc_error(s->r, file, l->tok_line, -EINVAL, "%s", l->error) ?: STOP;
                }
        }
}

static int parse_file(ngx_state *s, wc_text *t, ngx_ctx ctx)
{
        _cleanup_free_ ngx_lexer *l = malloc(sizeof *l);
        int e;

        if (!l)
                return -ENOMEM;
        ngx_lex_init(l, t->buf, t->len);
        e = parse_block(s, l, t->path, ctx, 0);
        words_clear(s);
        return e < 0 ? e : 0;
}

static int cmp_socket(const void *a, const void *b)
{
        const ngx_listen *x = *(const ngx_listen *const *) a, *y = *(const ngx_listen *const *) b;

        return x->port != y->port ? (x->port < y->port ? -1 : 1) : strcmp(x->addr, y->addr);
}

/*
 * The sockets some server listens on with ssl, sorted: ssl belongs to the
 * socket in nginx, so every server on it serves TLS, "ssl" or not.
 */
static int tls_sockets(ngx_state *s)
{
        s->tls = calloc(s->n_listens + 1, sizeof *s->tls);
        if (!s->tls)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_servers; i++)
                for (size_t k = 0; k < s->servers[i].n_listens; k++)
                        if (s->servers[i].listens[k].ssl && !s->servers[i].listens[k].quic)
                                s->tls[s->n_tls++] = &s->servers[i].listens[k];
        qsort(s->tls, s->n_tls, sizeof *s->tls, cmp_socket);
        return 0;
}

/* Whether sv serves TLS on the port; collects its addresses there. */
static int server_matches(ngx_state *s, ngx_server *sv, bool *ret)
{
        int ssl = sv->ssl >= 0 ? sv->ssl : s->http_ssl > 0;

        *ret = false;
        if (sv->n_listens == 0) {
                sv->listens = calloc(1, sizeof *sv->listens);
                if (!sv->listens)
                        return -ENOMEM;
                sv->n_listens = 1;
                parse_listen(sv->listens, "80");
        }
        for (size_t i = 0; i < sv->n_listens; i++) {
                const ngx_listen *ls = &sv->listens[i];

                if (ls->quic || (s->r->port && ls->port != s->r->port))
                        continue;
                if (!ls->ssl && ssl <= 0 && !bsearch(&ls, s->tls, s->n_tls, sizeof *s->tls, cmp_socket))
                        continue;
                *ret = true;
                sv->v.default_server |= ls->def;
                if (wc_addr_add(&sv->v, ls->addr) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* The servers seen, decided now that the http level is known; kept ones move to the result. */
static int finish(ngx_state *s)
{
        int e = tls_sockets(s);

        for (size_t i = 0; i < s->n_servers; i++) {
                ngx_server *sv = &s->servers[i];
                bool keep = false;

                if (e == 0)
                        e = server_matches(s, sv, &keep);
                if (e == 0 && keep)
                        e = wc_vhost_keep(s->r, &sv->v, &s->http, sv->certs_set, sv->keys_set);
        }
        /* Only now: s->tls points into the servers' listens. */
        for (size_t i = 0; i < s->n_servers; i++)
                server_clear(&s->servers[i]);
        free(s->servers);
        free(s->tls);
        wc_files_clear(&s->http);
        wc_default_first(s->r);
        return e;
}

/* prefix: the directory of the main file, where relative paths start. */
int wc_nginx_text(wc_reader *r, wc_text *t, const char *prefix)
{
        _cleanup_free_ ngx_state *s = calloc(1, sizeof *s);
        int e, f;

        if (!s)
                return -ENOMEM;
        s->r = r;
        s->prefix = prefix;
        s->http_ssl = -1;
        e = parse_file(s, t, CTX_MAIN);
        free(s->words);
        f = finish(s);
        return e < 0 ? e : f;
}
