/* SPDX-License-Identifier: MIT */
/* What a reload changes: watched ports, sections, scope (reload.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>

#include "reload.h"
#include "util.h"

#define SUMMARY_MAX_ITEMS 16

int scope_self_netns(uint64_t *ret)
{
        struct stat st;

        if (stat("/proc/self/ns/net", &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_ino;
        return 0;
}

bool scope_has(const scope *s, uint64_t netns)
{
        return s->all || s->self_netns == 0 || netns == s->self_netns;
}

const char *scope_name(bool all)
{
        return all ? "all" : "self";
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void strs_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* Appends "PORT/PROTO" ("all/PROTO" for port 0). */
static int strs_add(char ***v, size_t *n, size_t *cap, unsigned port, const char *proto)
{
        char num[12], *s;

        snprintf(num, sizeof num, "%u", port);
        if (sa_grow((void **) v, cap, *n, sizeof **v) < 0 ||
            asprintf(&s, "%s/%s", port ? num : "all", proto) < 0)
                return -ENOMEM;
        (*v)[(*n)++] = s;
        return 0;
}

/* Sorted, unique "443/tcp" items of what p watches (Ports= × Protocols=, and every rule). */
static int watched_items(const policy *p, char ***ret, size_t *ret_n)
{
        static const struct { unsigned bit; uint8_t proto; } protos[] = {
                { SA_PROTO_TCP, IPPROTO_TCP }, { SA_PROTO_UDP, IPPROTO_UDP },
        };
        char **v = NULL;
        size_t n = 0, cap = 0, k = 0;
        int r = 0;

        for (size_t i = 0; r >= 0 && i < 2; i++) {
                const char *name = sa_proto_name(protos[i].proto);
                if (!(p->protos & protos[i].bit))
                        continue;
                if (p->all_ports)
                        r = strs_add(&v, &n, &cap, 0, name);
                for (size_t j = 0; r >= 0 && !p->all_ports && j < p->n_ports; j++)
                        r = strs_add(&v, &n, &cap, p->ports[j], name);
        }
        for (size_t i = 0; r >= 0 && i < p->n_rules; i++)
                r = strs_add(&v, &n, &cap, p->rules[i].port, sa_proto_name(p->rules[i].proto));
        if (r < 0) {
                strs_free(v, n);
                return r;
        }
        if (n > 0)
                qsort(v, n, sizeof *v, cmp_str);
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && !strcmp(v[k - 1], v[i]))
                        free(v[i]);
                else
                        v[k++] = v[i];
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

json_t *reload_watched_to_json(const policy *p)
{
        json_t *a = json_array();
        char **v = NULL;
        size_t n = 0;

        if (!a || watched_items(p, &v, &n) < 0) {
                json_decref(a);
                return NULL;
        }
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_string(v[i])) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        strs_free(v, n);
        return a;
}

static bool in_sorted(char *const *v, size_t n, const char *s)
{
        return n > 0 && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

/* " +a +b" / " -c" items of a not in b, bounded; counts into *shown. */
static void put_missing(FILE *f, char sign, char *const *a, size_t na, char *const *b, size_t nb,
                        size_t *shown, size_t *more)
{
        for (size_t i = 0; i < na; i++) {
                if (in_sorted(b, nb, a[i]))
                        continue;
                if (*shown < SUMMARY_MAX_ITEMS) {
                        fprintf(f, " %c%s", sign, a[i]);
                        (*shown)++;
                } else
                        (*more)++;
        }
}

static bool list_eq(const policy_list *a, const policy_list *b)
{
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->items[i], b->items[i]))
                        return false;
        return true;
}

static const policy_rule *rule_find(const policy *p, const policy_rule *like)
{
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].port == like->port && p->rules[i].proto == like->proto)
                        return &p->rules[i];
        return NULL;
}

static bool rule_eq(const policy_rule *a, const policy_rule *b)
{
        return list_eq(&a->allow_exe, &b->allow_exe) && list_eq(&a->allow_unit, &b->allow_unit) &&
               list_eq(&a->allow_user, &b->allow_user) && list_eq(&a->allow_address, &b->allow_address) &&
               list_eq(&a->namespaces, &b->namespaces) && list_eq(&a->allow_package, &b->allow_package) &&
               a->require_package == b->require_package;
}

/* " +[Port N/proto]" for rules of a not in b (sign '+'/'-'), " ~[...]" for changed ones (when sign is '~'). */
static void put_rules(FILE *f, char sign, const policy *a, const policy *b, size_t *shown, size_t *more)
{
        for (size_t i = 0; i < a->n_rules; i++) {
                const policy_rule *other = rule_find(b, &a->rules[i]);
                if (sign == '~' ? !other || rule_eq(&a->rules[i], other) : other != NULL)
                        continue;
                if (*shown < SUMMARY_MAX_ITEMS) {
                        fprintf(f, " %c[Port %u/%s]", sign, a->rules[i].port, sa_proto_name(a->rules[i].proto));
                        (*shown)++;
                } else
                        (*more)++;
        }
}

/* Starts a part ("; " between parts) and ends it with "+N more" when items were left out. */
static void part_end(FILE *f, size_t more)
{
        if (more)
                fprintf(f, " +%zu more", more);
}

int reload_summary(const daemon_config *before, const daemon_config *after, char **ret)
{
        char **wa = NULL, **wb = NULL, *out = NULL;
        size_t na = 0, nb = 0, len = 0, shown, more;
        const char *sep = "";
        FILE *f = NULL;
        int r;

        r = watched_items(&before->policy, &wb, &nb);
        if (r >= 0)
                r = watched_items(&after->policy, &wa, &na);
        if (r >= 0 && !(f = open_memstream(&out, &len)))
                r = -ENOMEM;
        if (r < 0)
                goto out;

        shown = more = 0;
        long pos = ftell(f);
        fputs("ports", f);
        put_missing(f, '+', wa, na, wb, nb, &shown, &more);
        put_missing(f, '-', wb, nb, wa, na, &shown, &more);
        part_end(f, more);
        if (shown == 0)
                fseek(f, pos, SEEK_SET);
        else
                sep = "; ";

        shown = more = 0;
        pos = ftell(f);
        fprintf(f, "%ssections", sep);
        put_rules(f, '+', &after->policy, &before->policy, &shown, &more);
        put_rules(f, '-', &before->policy, &after->policy, &shown, &more);
        put_rules(f, '~', &after->policy, &before->policy, &shown, &more);
        part_end(f, more);
        if (shown == 0)
                fseek(f, pos, SEEK_SET);
        else
                sep = "; ";

        if (before->namespaces != after->namespaces) {
                fprintf(f, "%sscope %s\u2192%s", sep, scope_name(before->namespaces == CONFIG_NAMESPACES_ALL),
                        scope_name(after->namespaces == CONFIG_NAMESPACES_ALL));
                sep = "; ";
        }
        if (!*sep)
                fputs("nothing watched changed", f);
        fputc('\0', f);
        if (fclose(f) != 0)
                r = -ENOMEM;
        f = NULL;
        if (r >= 0) {
                *ret = out;
                out = NULL;
        }
out:
        if (f)
                fclose(f);
        free(out);
        strs_free(wa, na);
        strs_free(wb, nb);
        return r;
}

void reload_record_clear(reload_record *r)
{
        free(r->changes);
        *r = (reload_record) { 0 };
}

json_t *reload_record_to_json(const reload_record *r)
{
        char when[64];

        if (!r->done)
                return json_null();
        return json_pack("{s:s, s:s, s:s*, s:s*}",
                         "time", sa_format_time(&r->when, when, sizeof when),
                         "result", r->ok ? "ok" : "error",
                         "error", r->ok ? NULL : r->error,
                         "changes", r->ok ? r->changes : NULL);
}
