/* SPDX-License-Identifier: MIT */
/* The compact who/list reply read into table views (compactreply.h). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "compactreply.h"

/* A member the table shows: where its value goes in a view. */
typedef enum field_kind { F_STR, F_INT, F_BOOL, F_SUB } field_kind;

typedef struct field {
        const char *name;
        size_t name_len;
        field_kind kind;
        size_t off;             /* of the value in the view */
        size_t has_off;         /* F_INT: of its "has" flag */
        const char *sub;        /* F_SUB: the string member of the object value taken */
} field;

#define STR(T, key, m)  { key, sizeof key - 1, F_STR, offsetof(T, m), 0, NULL }
#define INT(T, key, m)  { key, sizeof key - 1, F_INT, offsetof(T, m), offsetof(T, has_##m), NULL }
#define BOOL(T, key, m) { key, sizeof key - 1, F_BOOL, offsetof(T, m), 0, NULL }
#define SUB(T, key, sub, m) { key, sizeof key - 1, F_SUB, offsetof(T, m), 0, sub }

/* As table_owner_from_json() reads an owner (or a process record). */
static const field owner_fields[] = {
        STR(table_owner, "comm", comm), STR(table_owner, "exe", exe), STR(table_owner, "user", user),
        STR(table_owner, "unit", unit), STR(table_owner, "user_unit", user_unit),
        STR(table_owner, "role", role), STR(table_owner, "socket_unit", socket_unit),
        STR(table_owner, "service_unit", service_unit),
        INT(table_owner, "pid", pid), INT(table_owner, "uid", uid),
        INT(table_owner, "pid_in_namespace", nspid),
        BOOL(table_owner, "exe_deleted", exe_deleted), BOOL(table_owner, "exe_replaced", exe_replaced),
        BOOL(table_owner, "incomplete", incomplete),
        STR(table_owner, "exe_location", exe_location),
        SUB(table_owner, "package", "status", package_status),
};

/* As table_listener_from_json() reads a listener ("owners" apart). */
static const field listener_fields[] = {
        STR(table_listener, "proto", proto), STR(table_listener, "family", family),
        STR(table_listener, "address", address), STR(table_listener, "interface", interface),
        STR(table_listener, "netns_name", netns_name), STR(table_listener, "owner_reason", owner_reason),
        STR(table_listener, "owner_status", owner_status),
        INT(table_listener, "port", port), INT(table_listener, "uid", uid), INT(table_listener, "netns", netns),
        BOOL(table_listener, "v6only", v6only),
};

/* The string member sub of the object next into *ret (an object without it, or not an object: NULL). */
static int read_sub(jscan *s, const char *sub, const char **ret)
{
        const char *key;
        size_t len;
        int k;
        jv v;

        *ret = NULL;
        if (jscan_peek(s) != '{')
                return jscan_skip(s);
        (void) jscan_take(s, '{');
        for (bool first = true; (k = jscan_member(s, first, &key, &len)) > 0; first = false) {
                if (!jscan_key_is(key, len, sub)) {
                        if (jscan_skip(s) < 0)
                                return -1;
                        continue;
                }
                if (jscan_value(s, &v) < 0)
                        return -1;
                *ret = v.type == JV_STRING ? v.s : NULL;
        }
        return k < 0 ? -1 : 0;
}

/* The value of member key into obj when fields has it, else skipped. 0 or -1. */
static int read_field(jscan *s, const field *f, size_t n, const char *key, size_t len, void *obj)
{
        char *base = obj;
        jv v;

        for (size_t i = 0; i < n; i++) {
                if (len != f[i].name_len || memcmp(key, f[i].name, len) != 0)
                        continue;
                if (f[i].kind == F_SUB)
                        return read_sub(s, f[i].sub, (const char **) (void *) (base + f[i].off));
                if (jscan_value(s, &v) < 0)
                        return -1;
                switch (f[i].kind) {
                case F_STR:
                        *(const char **) (void *) (base + f[i].off) = v.type == JV_STRING ? v.s : NULL;
                        break;
                case F_INT:
                        *(json_int_t *) (void *) (base + f[i].off) = v.type == JV_INT ? v.i : 0;
                        *(bool *) (base + f[i].has_off) = v.type == JV_INT;
                        break;
                case F_BOOL:
                        *(bool *) (base + f[i].off) = v.type == JV_TRUE;
                        break;
                case F_SUB:
                        break;

                }
                return 0;
        }
        return jscan_skip(s);
}

/* Room for one more of an array of n elements of size each (doubling). NULL on ENOMEM. */
static void *grow(void *a, size_t *cap, size_t n, size_t size)
{
        size_t c;
        void *b;

        if (n < *cap)
                return a;
        c = *cap ? 2 * *cap : 64;
        b = reallocarray(a, c, size);
        if (b)
                *cap = c;
        return b;
}

typedef struct reader {
        jscan s;
        compact_table *t;
        table_owner *procs;
        size_t n_procs, cap_procs, cap_owners;
        const char *why;
} reader;

static int bad(reader *r, const char *why)
{
        if (!r->why)
                r->why = why;
        return -EBADMSG;
}

/* A scan failure as an error code. */
static int scan_failed(reader *r)
{
        if (r->s.error && strcmp(r->s.error, "out of memory") == 0)
                return -ENOMEM;
        return bad(r, r->s.error ? r->s.error : "malformed JSON");
}

/* The object next into obj by fields; an extra member "process" into *ret_ref (NULL: skipped). */
static int read_object(reader *r, const field *f, size_t n, void *obj, json_int_t *ret_ref, bool *ret_has_ref)
{
        const char *key;
        size_t len;
        int k;

        if (!jscan_take(&r->s, '{'))
                return scan_failed(r);
        for (bool first = true; (k = jscan_member(&r->s, first, &key, &len)) > 0; first = false) {
                int e;

                if (ret_ref && jscan_key_is(key, len, "process")) {
                        jv v = { .type = JV_NULL };

                        e = jscan_value(&r->s, &v);
                        *ret_ref = v.i;
                        *ret_has_ref = e == 0 && v.type == JV_INT;
                } else
                        e = read_field(&r->s, f, n, key, len, obj);
                if (e < 0)
                        return scan_failed(r);
        }
        return k < 0 ? scan_failed(r) : 0;
}

static int read_processes(reader *r, const char *ps, size_t len)
{
        int k, e;

        jscan_init(&r->s, ps, len, &r->t->strings);
        if (!jscan_take(&r->s, '['))
                return scan_failed(r);
        for (bool first = true; (k = jscan_element(&r->s, first)) > 0; first = false) {
                table_owner *p = grow(r->procs, &r->cap_procs, r->n_procs, sizeof *p);

                if (!p)
                        return -ENOMEM;
                r->procs = p;
                p[r->n_procs] = (table_owner) { 0 };
                e = read_object(r, owner_fields, sizeof owner_fields / sizeof *owner_fields, &p[r->n_procs],
                                NULL, NULL);
                if (e < 0)
                        return e;
                r->n_procs++;
        }
        if (k < 0 || !jscan_at_end(&r->s))
                return k < 0 ? scan_failed(r) : bad(r, "text after \"processes\"");
        return 0;
}

/* An owner reference: its process's view with the reference's own members over it. */
static int read_owner(reader *r)
{
        table_owner ref = { 0 }, *o;
        json_int_t i = -1;
        bool has = false;
        int e = read_object(r, owner_fields, sizeof owner_fields / sizeof *owner_fields, &ref, &i, &has);

        if (e < 0)
                return e;
        if (!has || i < 0 || (size_t) i >= r->n_procs)
                return bad(r, "an owner refers to no process");
        o = grow(r->t->owners, &r->cap_owners, r->t->n_owners, sizeof *o);
        if (!o)
                return -ENOMEM;
        r->t->owners = o;
        o[r->t->n_owners] = r->procs[i];
        o[r->t->n_owners].role = ref.role;
        o[r->t->n_owners].socket_unit = ref.socket_unit;
        o[r->t->n_owners].service_unit = ref.service_unit;
        r->t->n_owners++;
        return 0;
}

/* One listener record; its owners appended to t->owners, from *ret_first on. */
static int read_listener(reader *r, table_listener *l, size_t *ret_first)
{
        const char *key;
        size_t len;
        int k, e;

        *l = (table_listener) { 0 };
        *ret_first = r->t->n_owners;
        if (!jscan_take(&r->s, '{'))
                return scan_failed(r);
        for (bool first = true; (k = jscan_member(&r->s, first, &key, &len)) > 0; first = false) {
                if (!jscan_key_is(key, len, "owners")) {
                        e = read_field(&r->s, listener_fields, sizeof listener_fields / sizeof *listener_fields,
                                       key, len, l);
                        if (e < 0)
                                return scan_failed(r);
                        continue;
                }
                /* A second "owners" replaces the first, as in a parsed object. */
                r->t->n_owners = *ret_first;
                l->n_owners = 0;
                if (jscan_peek(&r->s) != '[') {
                        if (jscan_skip(&r->s) < 0)
                                return scan_failed(r);
                        continue;
                }
                jscan_take(&r->s, '[');
                for (bool f = true; (k = jscan_element(&r->s, f)) > 0; f = false) {
                        e = read_owner(r);
                        if (e < 0)
                                return e;
                        l->n_owners++;
                }
                if (k < 0)
                        return scan_failed(r);
        }
        return k < 0 ? scan_failed(r) : 0;
}

static int read_listeners(reader *r, const char *ls, size_t len)
{
        size_t cap = 0, cap_first = 0, *first = NULL;
        int k, e = 0;

        jscan_init(&r->s, ls, len, &r->t->strings);
        if (!jscan_take(&r->s, '['))
                return scan_failed(r);
        for (bool f = true; (k = jscan_element(&r->s, f)) > 0; f = false) {
                table_listener *l = grow(r->t->listeners, &cap, r->t->n_listeners, sizeof *l);
                size_t *fi = grow(first, &cap_first, r->t->n_listeners, sizeof *fi);

                if (l)
                        r->t->listeners = l;
                if (fi)
                        first = fi;
                if (!l || !fi) {
                        e = -ENOMEM;
                        break;
                }
                e = read_listener(r, &l[r->t->n_listeners], &first[r->t->n_listeners]);
                if (e < 0)
                        break;
                r->t->n_listeners++;
        }
        if (e == 0 && k < 0)
                e = scan_failed(r);
        else if (e == 0 && !jscan_at_end(&r->s))
                e = bad(r, "text after \"listeners\"");
        /* The owners array has its final place now. */
        for (size_t i = 0; e == 0 && i < r->t->n_listeners; i++)
                r->t->listeners[i].owners = r->t->owners ? r->t->owners + first[i] : NULL;
        free(first);
        return e;
}

int compact_table_read(const char *ls, size_t ls_len, const char *ps, size_t ps_len, compact_table *ret,
                       const char **why)
{
        compact_table t = { 0 };
        reader r = { .t = &t };
        int e = read_processes(&r, ps, ps_len);

        if (e == 0)
                e = read_listeners(&r, ls, ls_len);
        free(r.procs);
        if (e < 0) {
                *why = r.why ? r.why : "out of memory";
                compact_table_free(&t);
                return e;
        }
        *ret = t;
        return 0;
}

void compact_table_free(compact_table *t)
{
        free(t->listeners);
        free(t->owners);
        arena_free(&t->strings);
        *t = (compact_table) { 0 };
}
