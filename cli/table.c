/* SPDX-License-Identifier: MIT */
/* Text tables like ss(8), and the one row per (listener, owner) layout. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "describe.h"
#include "sockaudit.h"
#include "table.h"
#include "util.h"

struct table {
        size_t n_cols;
        size_t n_rows;          /* header included */
        size_t cap;             /* rows allocated */
        char **cells;           /* n_rows * n_cols, escaped, owned */
        uint64_t shrinkable;    /* bit c: column c may be cut (c < 64) */
};

table *table_new(size_t n_cols, const char *const *header)
{
        table *t = calloc(1, sizeof *t);

        if (!t)
                return NULL;
        t->n_cols = n_cols;
        if (n_cols == 0 || table_add_row(t, header) < 0)
                return table_free(t);
        return t;
}

table *table_free(table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add_row(table *t, const char *const *cells)
{
        if (t->n_rows == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                char **c = reallocarray(t->cells, cap * t->n_cols, sizeof *c);
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->cap = cap;
        }
        char **row = t->cells + t->n_rows * t->n_cols;
        for (size_t i = 0; i < t->n_cols; i++) {
                row[i] = sa_text_escape(cells[i] ? cells[i] : "-");
                if (!row[i]) {
                        while (i > 0)
                                free(row[--i]);
                        return -ENOMEM;
                }
        }
        t->n_rows++;
        return 0;
}

size_t table_rows(const table *t)
{
        return t->n_rows - 1;
}

/* Width on a terminal, approximated as code points (cells are valid UTF-8). */
static size_t text_width(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += ((unsigned char) *s & 0xc0) != 0x80;
        return n;
}

void table_set_shrinkable(table *t, size_t col)
{
        if (col < t->n_cols && col < 64)
                t->shrinkable |= UINT64_C(1) << col;
}

/*
 * Narrows the shrinkable columns among the first n_cols, the widest first,
 * one code point at a time, until the row width is at most max_width or
 * none can give more. Costs O(excess * n_cols).
 */
static void fit_columns(const table *t, size_t n_cols, size_t *width, size_t max_width)
{
        size_t total = 0;

        for (size_t c = 0; c < n_cols; c++)
                total += width[c] + (c > 0 ? 2 : 0);
        while (total > max_width) {
                size_t best = SIZE_MAX;

                for (size_t c = 0; c < n_cols; c++) {
                        size_t min = text_width(t->cells[c]);

                        if (min < TABLE_SHRINK_MIN)
                                min = TABLE_SHRINK_MIN;
                        if (c < 64 && (t->shrinkable >> c & 1) && width[c] > min &&
                            (best == SIZE_MAX || width[c] >= width[best]))
                                best = c;
                }
                if (best == SIZE_MAX)
                        return;
                width[best]--;
                total--;
        }
}

/* s in a column of width w: whole, or its first w - 1 code points and "…". */
static void put_cell(FILE *out, const char *s, size_t w)
{
        size_t n = 0;
        const char *p = s;

        if (text_width(s) <= w) {
                fputs(s, out);
                return;
        }
        /* Past w - 1 code points: stop at the start of the next one. */
        for (; *p; p++)
                if (((unsigned char) *p & 0xc0) != 0x80 && n++ == w - 1)
                        break;
        fwrite(s, 1, (size_t) (p - s), out);
        fputs("\xe2\x80\xa6", out); /* … */
}

size_t table_out_width(FILE *out)
{
        const char *e = getenv("COLUMNS");
        struct winsize ws;
        uint64_t v;

        if (!isatty(fileno(out)))
                return 0;
        if (e && sa_parse_uint(e, TABLE_WIDTH_MAX, NULL, &v) == 0 && v > 0)
                return (size_t) v;
        if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 0;
}

int table_print(const table *t, FILE *out, size_t max_width)
{
        size_t *width = calloc(t->n_cols, sizeof *width);
        size_t n_cols = 0;

        if (!width)
                return -ENOMEM;
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; c < t->n_cols; c++) {
                        const char *s = t->cells[r * t->n_cols + c];
                        size_t w = text_width(s);
                        if (w > width[c])
                                width[c] = w;
                        /* Only data rows keep a column. */
                        if (r > 0 && *s && c + 1 > n_cols)
                                n_cols = c + 1;
                }
        if (t->n_rows == 1)
                n_cols = t->n_cols;
        if (max_width > 0)
                fit_columns(t, n_cols, width, max_width);

        for (size_t r = 0; r < t->n_rows; r++) {
                /* Padding is written before a cell, so no line ends in blanks. */
                size_t pad = 0;
                for (size_t c = 0; c < n_cols; c++) {
                        const char *s = t->cells[r * t->n_cols + c];
                        size_t w = text_width(s);
                        if (*s) {
                                fprintf(out, "%*s", (int) pad, "");
                                put_cell(out, s, width[c]);
                                pad = 0;
                        }
                        pad += width[c] - (w < width[c] ? w : width[c]) + 2;
                }
                fputc('\n', out);
        }
        free(width);
        return ferror(out) ? -EIO : 0;
}

/* Member key of o if it is a string, else NULL. */
static const char *get_str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* Member key of o as decimal text into buf ("?" when not an integer). */
static const char *get_int_text(const json_t *o, const char *key, char *buf, size_t size)
{
        const json_t *v = json_object_get(o, key);

        if (json_is_integer(v))
                snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else
                snprintf(buf, size, "?");
        return buf;
}

char *listener_local(const json_t *l)
{
        const char *addr = get_str(l, "address"), *family = get_str(l, "family");
        const char *ifname = get_str(l, "interface");
        bool v6 = family ? !strcmp(family, "ipv6") : addr && strchr(addr, ':');
        char port[24], *s = NULL;

        get_int_text(l, "port", port, sizeof port);
        if (asprintf(&s, "%s%s%s%s%s:%s", v6 ? "[" : "", addr ? addr : "?", v6 ? "]" : "",
                     ifname ? "%" : "", ifname ? ifname : "", port) < 0)
                return NULL;
        return s;
}

table *listener_table_new(void)
{
        static const char *const header[LISTENER_COLUMNS] = {
                "PROTO", "LOCAL", "PID", "USER", "COMMAND", "UNIT", "EXE", "NOTE",
        };
        table *t = table_new(LISTENER_COLUMNS, header);

        /* The free-length cells; PROTO, LOCAL, PID and USER stay whole. */
        for (size_t c = 4; t && c < LISTENER_COLUMNS; c++)
                table_set_shrinkable(t, c);
        return t;
}

/* Appends ", "-separated word to the note in *note (NULL at first). */
static int note_add(char **note, const char *word)
{
        char *s = NULL;

        if (asprintf(&s, "%s%s%s", *note ? *note : "", *note ? ", " : "", word) < 0)
                return -ENOMEM;
        free(*note);
        *note = s;
        return 0;
}

/* Notes that hold for every row of l: v6only, a foreign network namespace. */
static int listener_note(const json_t *l, uint64_t home_netns, char **note)
{
        const json_t *ns = json_object_get(l, "netns");
        const char *ns_name = get_str(l, "netns_name");
        char ino[24], buf[40];

        if (json_is_true(json_object_get(l, "v6only")) && note_add(note, "v6only") < 0)
                return -ENOMEM;
        if (home_netns == 0 || !json_is_integer(ns) || (uint64_t) json_integer_value(ns) == home_netns)
                return 0;
        if (!ns_name)
                ns_name = get_int_text(l, "netns", ino, sizeof ino);
        snprintf(buf, sizeof buf, "netns %s", ns_name);
        /* A long name is cut here; JSON has it whole. */
        return note_add(note, buf);
}

/* "activator for foo.service (foo.socket)" or "service" into the note. */
static int role_note(const json_t *o, char **note)
{
        const char *role = get_str(o, "role"), *svc = get_str(o, "service_unit");
        const char *sock = get_str(o, "socket_unit");
        char *text = NULL;
        int r;

        if (!role)
                return 0;
        if (strcmp(role, "activator") != 0)
                return note_add(note, role);
        if (asprintf(&text, "activator%s%s%s%s%s", svc ? " for " : "", svc ? svc : "",
                     sock ? " (" : "", sock ? sock : "", sock ? ")" : "") < 0)
                return -ENOMEM;
        r = note_add(note, text);
        free(text);
        return r;
}

/* One row: owner o of listener l, or the "?" row when o is NULL. */
static int add_owner_row(table *t, const json_t *l, const char *local, const char *common,
                         const json_t *o)
{
        char pid[48], uid[24], *exe = NULL, *note = NULL;
        const char *proto = get_str(l, "proto");
        int r = -ENOMEM;

        if (common && note_add(&note, common) < 0)
                goto out;

        if (!o) {
                /* No holder: the socket's own uid is the best "user" there is. */
                const char *reason = get_str(l, "owner_reason");
                const char *status = get_str(l, "owner_status");
                if (note_add(&note, reason ? reason : status ? status : "owner unknown") < 0)
                        goto out;
                const char *row[LISTENER_COLUMNS] = {
                        proto ? proto : "?", local, "?", get_int_text(l, "uid", uid, sizeof uid),
                        "?", NULL, NULL, note,
                };
                r = table_add_row(t, row);
                goto out;
        }

        /* User and unit in describe.h's one form (a nameless uid as its number). */
        const json_t *ouid = json_object_get(o, "uid");
        const sa_process who = {
                .uid = json_is_integer(ouid) ? (uid_t) json_integer_value(ouid) : 0,
                .user = (char *) get_str(o, "user"), .unit = (char *) get_str(o, "unit"),
                .user_unit = (char *) get_str(o, "user_unit"),
        };
        const char *path = get_str(o, "exe"), *user = who.user;
        char unit_buf[512];
        if (!user && json_is_integer(ouid))
                user = sa_describe_user(&who, uid, sizeof uid);
        const char *unit = sa_describe_unit(&who, unit_buf, sizeof unit_buf);
        if (path && asprintf(&exe, "%s%s", path,
                             json_is_true(json_object_get(o, "exe_deleted")) ? " (deleted)" : "") < 0) {
                exe = NULL;
                goto out;
        }
        if (json_is_true(json_object_get(o, "incomplete")) && note_add(&note, "incomplete") < 0)
                goto out;
        if (json_is_true(json_object_get(o, "exe_replaced")) && note_add(&note, "exe replaced on disk") < 0)
                goto out;
        r = role_note(o, &note);
        if (r < 0)
                goto out;
        r = -ENOMEM;

        /* A holder in another PID namespace: "1234 (ns:1)", its pid in there too. */
        const json_t *nspid = json_object_get(o, "pid_in_namespace");
        get_int_text(o, "pid", pid, sizeof pid);
        if (json_is_integer(nspid))
                snprintf(pid + strlen(pid), sizeof pid - strlen(pid), " (ns:%" JSON_INTEGER_FORMAT ")",
                         json_integer_value(nspid));
        const char *row[LISTENER_COLUMNS] = {
                proto ? proto : "?", local, pid,
                user ? user : "?",
                get_str(o, "comm"), unit, exe, note ? note : "",
        };
        r = table_add_row(t, row);
out:
        free(exe);
        free(note);
        return r;
}

int table_add_listener(table *t, const json_t *l, uint64_t home_netns)
{
        const json_t *owners = json_object_get(l, "owners");
        char *local = listener_local(l), *common = NULL;
        int r = local ? listener_note(l, home_netns, &common) : -ENOMEM;

        if (r >= 0 && json_array_size(owners) == 0)
                r = add_owner_row(t, l, local, common, NULL);
        for (size_t i = 0; r >= 0 && i < json_array_size(owners); i++)
                r = add_owner_row(t, l, local, common, json_array_get(owners, i));
        free(local);
        free(common);
        return r;
}

int listeners_print_table(FILE *out, const json_t *listeners, uint64_t home_netns, size_t max_width)
{
        table *t = listener_table_new();
        int r = t ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < json_array_size(listeners); i++)
                r = table_add_listener(t, json_array_get(listeners, i), home_netns);
        if (r >= 0)
                r = table_print(t, out, max_width);
        table_free(t);
        return r;
}
