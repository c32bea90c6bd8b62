/* SPDX-License-Identifier: MIT */
/* Text tables like ss(8), and the one row per (listener, owner) layout. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arena.h"
#include "describe.h"
#include "sockaudit.h"
#include "table.h"
#include "util.h"

struct table {
        size_t n_cols;
        size_t n_rows;          /* header included */
        size_t cap;             /* rows allocated */
        char **cells;           /* n_rows * n_cols, escaped, in text */
        size_t *widths;         /* each cell's width (text_width()) */
        uint64_t shrinkable;    /* bit c: column c may be cut (c < 64) */
        arena text;             /* the cells, and each column's last raw cell */
        const char **last_raw;  /* per column: the raw text of its last cell, NULL at first */
};

table *table_new(size_t n_cols, const char *const *header)
{
        table *t = calloc(1, sizeof *t);

        if (!t)
                return NULL;
        t->n_cols = n_cols;
        t->last_raw = calloc(n_cols ? n_cols : 1, sizeof *t->last_raw);
        if (!t->last_raw || n_cols == 0 || table_add_row(t, header) < 0)
                return table_free(t);
        return t;
}

table *table_free(table *t)
{
        if (!t)
                return NULL;
        arena_free(&t->text);
        free(t->cells);
        free(t->widths);
        free(t->last_raw);
        free(t);
        return NULL;
}

/* Width on a terminal, approximated as code points (cells are valid UTF-8). */
static size_t text_width(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                n += ((unsigned char) *s & 0xc0) != 0x80;
        return n;
}

/* s escaped (sa_text_escape()) into the arena; printable ASCII, the common case, is copied as it is. */
static char *escape_cell(table *t, const char *s)
{
        size_t n = 0;
        char *e, *copy;

        while (s[n] >= 0x20 && s[n] < 0x7f && s[n] != '\\')
                n++;
        if (s[n] == '\0')
                return arena_strndup(&t->text, s, n);
        e = sa_text_escape(s);
        if (!e)
                return NULL;
        copy = arena_strndup(&t->text, e, strlen(e));
        free(e);
        return copy;
}

int table_add_row(table *t, const char *const *cells)
{
        if (t->n_rows == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                char **c = reallocarray(t->cells, cap * t->n_cols, sizeof *c);
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                size_t *w = reallocarray(t->widths, cap * t->n_cols, sizeof *w);
                if (!w)
                        return -ENOMEM;
                t->widths = w;
                t->cap = cap;
        }
        char **row = t->cells + t->n_rows * t->n_cols;
        size_t *width = t->widths + t->n_rows * t->n_cols;
        for (size_t i = 0; i < t->n_cols; i++) {
                const char *raw = cells[i] ? cells[i] : "-";

                /* A column repeats itself down a listing (one program's 19,000 sockets): escaped once. */
                if (t->n_rows > 1 && t->last_raw[i] && strcmp(t->last_raw[i], raw) == 0) {
                        row[i] = row[(ptrdiff_t) i - (ptrdiff_t) t->n_cols];
                        width[i] = width[(ptrdiff_t) i - (ptrdiff_t) t->n_cols];
                        continue;
                }
                row[i] = escape_cell(t, raw);
                t->last_raw[i] = arena_strndup(&t->text, raw, strlen(raw));
                if (!row[i] || !t->last_raw[i])
                        return -ENOMEM;
                width[i] = text_width(row[i]);
        }
        t->n_rows++;
        return 0;
}

size_t table_rows(const table *t)
{
        return t->n_rows - 1;
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
                        size_t min = t->widths[c];

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

/* s (sw code points wide) in a column of width w: whole, or its first w - 1 code points and "…". */
static void put_cell(FILE *out, const char *s, size_t sw, size_t w)
{
        size_t n = 0;
        const char *p = s;

        if (sw <= w) {
                fputs_unlocked(s, out);
                return;
        }
        /* Past w - 1 code points: stop at the start of the next one. */
        for (; *p; p++)
                if (((unsigned char) *p & 0xc0) != 0x80 && n++ == w - 1)
                        break;
        fwrite_unlocked(s, 1, (size_t) (p - s), out);
        fputs_unlocked("\xe2\x80\xa6", out); /* … */
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

/* n spaces to out. */
static void put_spaces(FILE *out, size_t n)
{
        static const char spaces[64] = "                                                                ";

        for (; n > sizeof spaces; n -= sizeof spaces)
                fwrite_unlocked(spaces, 1, sizeof spaces, out);
        fwrite_unlocked(spaces, 1, n, out);
}

/* Writes with the _unlocked stdio calls: one thread, and 300,000 cells for a big listing. */
int table_print(const table *t, FILE *out, size_t max_width)
{
        size_t *width = calloc(t->n_cols, sizeof *width);
        size_t n_cols = 0;

        if (!width)
                return -ENOMEM;
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; c < t->n_cols; c++) {
                        const char *s = t->cells[r * t->n_cols + c];
                        size_t w = t->widths[r * t->n_cols + c];
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
                        size_t w = t->widths[r * t->n_cols + c];
                        if (*s) {
                                put_spaces(out, pad);
                                put_cell(out, s, w, width[c]);
                                pad = 0;
                        }
                        pad += width[c] - (w < width[c] ? w : width[c]) + 2;
                }
                fputc_unlocked('\n', out);
        }
        free(width);
        return ferror(out) ? -EIO : 0;
}

/* Member key of o if it is a string, else NULL. */
static const char *get_str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* Member key of o into *ret when it is an integer: whether it is. */
static bool get_int(const json_t *o, const char *key, json_int_t *ret)
{
        const json_t *v = json_object_get(o, key);

        *ret = json_integer_value(v);
        return json_is_integer(v);
}

/* v as decimal text into buf, or "?" when it is not known. */
static const char *int_text(bool known, json_int_t v, char *buf, size_t size)
{
        char num[24], *p = num + sizeof num;
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;

        if (!known) {
                snprintf(buf, size, "?");
                return buf;
        }
        /* Decimal without printf (one per row of a big table). */
        *--p = '\0';
        do
                *--p = (char) ('0' + u % 10);
        while ((u /= 10) > 0);
        if (v < 0)
                *--p = '-';
        snprintf(buf, size, "%s", p);
        return buf;
}

void table_owner_from_json(const json_t *o, table_owner *ret)
{
        *ret = (table_owner) {
                .comm = get_str(o, "comm"), .exe = get_str(o, "exe"), .user = get_str(o, "user"),
                .unit = get_str(o, "unit"), .user_unit = get_str(o, "user_unit"),
                .role = get_str(o, "role"), .socket_unit = get_str(o, "socket_unit"),
                .service_unit = get_str(o, "service_unit"),
                .exe_deleted = json_is_true(json_object_get(o, "exe_deleted")),
                .exe_replaced = json_is_true(json_object_get(o, "exe_replaced")),
                .incomplete = json_is_true(json_object_get(o, "incomplete")),
                .exe_location = get_str(o, "exe_location"),
                .package_status = get_str(json_object_get(o, "package"), "status"),
        };
        ret->has_pid = get_int(o, "pid", &ret->pid);
        ret->has_uid = get_int(o, "uid", &ret->uid);
        ret->has_nspid = get_int(o, "pid_in_namespace", &ret->nspid);
}

void table_listener_from_json(const json_t *l, table_listener *ret)
{
        *ret = (table_listener) {
                .proto = get_str(l, "proto"), .family = get_str(l, "family"),
                .address = get_str(l, "address"), .interface = get_str(l, "interface"),
                .netns_name = get_str(l, "netns_name"), .owner_reason = get_str(l, "owner_reason"),
                .owner_status = get_str(l, "owner_status"),
                .v6only = json_is_true(json_object_get(l, "v6only")),
        };
        ret->has_port = get_int(l, "port", &ret->port);
        ret->has_uid = get_int(l, "uid", &ret->uid);
        ret->has_netns = get_int(l, "netns", &ret->netns);
}

/* The n strings of parts joined, in a new string (caller frees); NULL on ENOMEM. No printf: one per row. */
static char *join(const char *const *parts, size_t n)
{
        size_t len[8], total = 1;
        char *s, *p;

        for (size_t i = 0; i < n; i++)
                total += len[i] = strlen(parts[i]);
        s = p = malloc(total);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                memcpy(p, parts[i], len[i]);
                p += len[i];
        }
        *p = '\0';
        return s;
}

char *listener_local_view(const table_listener *l)
{
        const char *addr = l->address, *family = l->family, *ifname = l->interface;
        bool v6 = family ? !strcmp(family, "ipv6") : addr && strchr(addr, ':');
        char port[24];

        int_text(l->has_port, l->port, port, sizeof port);
        const char *parts[] = { v6 ? "[" : "", addr ? addr : "?", v6 ? "]" : "",
                                ifname ? "%" : "", ifname ? ifname : "", ":", port };
        return join(parts, sizeof parts / sizeof *parts);
}

char *listener_local(const json_t *l)
{
        table_listener v;

        table_listener_from_json(l, &v);
        return listener_local_view(&v);
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
        const char *parts[] = { *note ? *note : "", *note ? ", " : "", word };
        char *s = join(parts, 3);

        if (!s)
                return -ENOMEM;
        free(*note);
        *note = s;
        return 0;
}

/* Notes that hold for every row of l: v6only, a foreign network namespace. */
static int listener_note(const table_listener *l, uint64_t home_netns, char **note)
{
        const char *ns_name = l->netns_name;
        char ino[24], buf[40];

        if (l->v6only && note_add(note, "v6only") < 0)
                return -ENOMEM;
        if (home_netns == 0 || !l->has_netns || (uint64_t) l->netns == home_netns)
                return 0;
        if (!ns_name)
                ns_name = int_text(true, l->netns, ino, sizeof ino);
        snprintf(buf, sizeof buf, "netns %s", ns_name);
        /* A long name is cut here; JSON has it whole. */
        return note_add(note, buf);
}

/* "activator for foo.service (foo.socket)" or "service" into the note. */
static int role_note(const table_owner *o, char **note)
{
        const char *role = o->role, *svc = o->service_unit, *sock = o->socket_unit;
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

/* Is it the real program (docs/PROVENANCE.md): a record's value and its short mark in NOTE. */
typedef struct mark {
        const char *value, *mark;
} mark;

static const mark package_marks[] = {
        { "modified", "modified!" }, { "not_packaged", "not packaged" }, { "deleted", "deleted" },
};
static const mark location_marks[] = {
        { "tmp", "in /tmp" }, { "memfd", "memfd" }, { "world_writable_dir", "world-writable dir" },
};

/* The mark of value in marks (n of them), NULL when none. */
static const char *mark_of(const mark *marks, size_t n, const char *value)
{
        for (size_t i = 0; value && i < n; i++)
                if (strcmp(value, marks[i].value) == 0)
                        return marks[i].mark;
        return NULL;
}

static const char *package_mark(const table_owner *o)
{
        /* A replaced image is deleted too: "exe replaced on disk" says it already. */
        if (o->exe_replaced && o->package_status && strcmp(o->package_status, "deleted") == 0)
                return NULL;
        return mark_of(package_marks, ELEMENTSOF(package_marks), o->package_status);
}

/* One row: owner o of listener l, or the "?" row when o is NULL. */
static int add_owner_row(table *t, const table_listener *l, const char *local, const char *common,
                         const table_owner *o)
{
        char pid[48], uid[24], *exe = NULL, *note = NULL;
        const char *proto = l->proto;
        int r = -ENOMEM;

        if (!o) {
                /* No holder: the socket's own uid is the best "user" there is. */
                const char *reason = l->owner_reason, *status = l->owner_status;
                if ((common && note_add(&note, common) < 0) ||
                    note_add(&note, reason ? reason : status ? status : "owner unknown") < 0)
                        goto out;
                const char *row[LISTENER_COLUMNS] = {
                        proto ? proto : "?", local, "?", int_text(l->has_uid, l->uid, uid, sizeof uid),
                        "?", NULL, NULL, note,
                };
                r = table_add_row(t, row);
                goto out;
        }

        /* User and unit in describe.h's one form (a nameless uid as its number). */
        const sa_process who = {
                .uid = o->has_uid ? (uid_t) o->uid : 0,
                .user = (char *) o->user, .unit = (char *) o->unit, .user_unit = (char *) o->user_unit,
        };
        const char *path = o->exe, *user = who.user;
        char unit_buf[512];
        if (!user && o->has_uid)
                user = sa_describe_user(&who, uid, sizeof uid);
        const char *unit = sa_describe_unit(&who, unit_buf, sizeof unit_buf);
        if (path && o->exe_deleted && asprintf(&exe, "%s (deleted)", path) < 0) {
                exe = NULL;
                goto out;
        }
        /* The listener's note first; a row with no note of its own shares it. */
        const char *pkg = package_mark(o);
        const char *loc = mark_of(location_marks, ELEMENTSOF(location_marks), o->exe_location);
        if (common && (o->incomplete || o->exe_replaced || o->role || pkg || loc) && note_add(&note, common) < 0)
                goto out;
        if ((pkg && note_add(&note, pkg) < 0) || (loc && note_add(&note, loc) < 0))
                goto out;
        if (o->incomplete && note_add(&note, "incomplete") < 0)
                goto out;
        if (o->exe_replaced && note_add(&note, "exe replaced on disk") < 0)
                goto out;
        r = role_note(o, &note);
        if (r < 0)
                goto out;
        r = -ENOMEM;

        /* A holder in another PID namespace: "1234 (ns:1)", its pid in there too. */
        int_text(o->has_pid, o->pid, pid, sizeof pid);
        if (o->has_nspid)
                snprintf(pid + strlen(pid), sizeof pid - strlen(pid), " (ns:%" JSON_INTEGER_FORMAT ")", o->nspid);
        const char *row[LISTENER_COLUMNS] = {
                proto ? proto : "?", local, pid,
                user ? user : "?",
                o->comm, unit, exe ? exe : path, note ? note : common ? common : "",
        };
        r = table_add_row(t, row);
out:
        free(exe);
        free(note);
        return r;
}

int table_add_listener_view(table *t, const table_listener *l, uint64_t home_netns)
{
        char *local = listener_local_view(l), *common = NULL;
        int r = local ? listener_note(l, home_netns, &common) : -ENOMEM;

        if (r >= 0 && l->n_owners == 0)
                r = add_owner_row(t, l, local, common, NULL);
        for (size_t i = 0; r >= 0 && i < l->n_owners; i++)
                r = add_owner_row(t, l, local, common, &l->owners[i]);
        free(local);
        free(common);
        return r;
}

int table_add_listener(table *t, const json_t *l, uint64_t home_netns)
{
        const json_t *owners = json_object_get(l, "owners");
        size_t n = json_array_size(owners);
        table_owner *o = calloc(n ? n : 1, sizeof *o);
        table_listener v;
        int r;

        if (!o)
                return -ENOMEM;
        table_listener_from_json(l, &v);
        for (size_t i = 0; i < n; i++)
                table_owner_from_json(json_array_get(owners, i), &o[i]);
        v.owners = o;
        v.n_owners = n;
        r = table_add_listener_view(t, &v, home_netns);
        free(o);
        return r;
}
int listener_views_print_table(FILE *out, const table_listener *const *views, size_t n, uint64_t home_netns,
                               size_t max_width)
{
        table *t = listener_table_new();
        int r = t ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = table_add_listener_view(t, views[i], home_netns);
        if (r >= 0)
                r = table_print(t, out, max_width);
        table_free(t);
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
