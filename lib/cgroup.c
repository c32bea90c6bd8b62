/* SPDX-License-Identifier: MIT */
/*
 * Names from cgroup paths: the systemd units a path lies in (with systemd's
 * unit-name rules), the container or machine it belongs to, and the name
 * systemd-machined registered for it. Pure string work, except the one
 * readlink under /run/systemd/machines; reading PROC_ROOT/PID/cgroup itself
 * is process.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"

/* ---- sa_cgroup_units: systemd's cg_path_get_unit / cg_path_get_user_unit ---- */

/* ASCII only: the C library's are locale-dependent. */
static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool unit_char_ok(char c, bool instance)
{
        return is_alnum(c) || c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' ||
               (instance && c == '@');
}

/*
 * systemd's unit_name_is_valid(): "prefix.type", or with allow_instance also
 * "prefix@instance.type" (non-empty instance; templates are refused), with
 * a known type.
 */
static bool unit_name_valid(const char *s, size_t n, bool allow_instance)
{
        static const char *const types[] = {
                "service", "socket", "target", "device", "mount", "automount",
                "swap", "timer", "path", "slice", "scope",
        };
        const char *dot = NULL, *at;
        bool type_ok = false;

        if (n == 0 || n >= 256)
                return false;
        for (size_t i = n; i > 0; i--)
                if (s[i - 1] == '.') {
                        dot = s + i - 1;
                        break;
                }
        if (!dot || dot == s)
                return false;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if ((size_t) (s + n - dot - 1) == strlen(types[i]) &&
                    memcmp(dot + 1, types[i], strlen(types[i])) == 0)
                        type_ok = true;
        if (!type_ok)
                return false;

        at = memchr(s, '@', (size_t) (dot - s));
        if (at && !allow_instance)
                return false;
        if (at && (at == s || at + 1 == dot))
                return false; /* no prefix, or a template */
        for (const char *p = s; p < dot; p++)
                if (p != at && !unit_char_ok(*p, at && p > at))
                        return false;
        return true;
}

/* systemd escapes cgroup names that could clash with kernel files with '_'. */
static void cg_unescape(const char **p, size_t *n)
{
        if (*n > 0 && (*p)[0] == '_') {
                (*p)++;
                (*n)--;
        }
}

/* Length of the path component at p (after skipping '/'), start in *ret_start. */
static size_t component(const char *p, const char **ret_start)
{
        p += strspn(p, "/");
        *ret_start = p;
        return strcspn(p, "/");
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
        size_t sl = strlen(suffix);

        return n >= sl && memcmp(s + n - sl, suffix, sl) == 0;
}

/* Skips leading "*.slice" components that are valid slice names. */
static const char *skip_slices(const char *p)
{
        for (;;) {
                const char *c, *u;
                size_t n = component(p, &c), un = n;

                u = c;
                cg_unescape(&u, &un);
                if (!ends_with(u, un, ".slice") || !unit_name_valid(u, un, false))
                        return c;
                p = c + n;
        }
}

/* First component of p if it is a unit name (not a slice): a copy, or NULL. */
static int first_unit(const char *p, char **ret)
{
        const char *c;
        size_t n = component(p, &c);

        cg_unescape(&c, &n);
        if (!unit_name_valid(c, n, true) || ends_with(c, n, ".slice")) {
                *ret = NULL;
                return 0;
        }
        *ret = strndup(c, n);
        return *ret ? 0 : -ENOMEM;
}

/* Past a component at p of the form PREFIX<ID>SUFFIX (ID: one or more
 * characters passing id_ok), or NULL. */
static const char *skip_named(const char *p, const char *prefix, const char *suffix,
                              bool (*id_ok)(char))
{
        const char *c;
        size_t n = component(p, &c), pl = strlen(prefix), sl = strlen(suffix);

        if (n < pl + 1 + sl || memcmp(c, prefix, pl) != 0 || !ends_with(c, n, suffix))
                return NULL;
        for (const char *d = c + pl; d < c + n - sl; d++)
                if (!id_ok(*d))
                        return NULL;
        return c + n;
}

int sa_cgroup_units(const char *cgroup, char **ret_unit, char **ret_user_unit)
{
        const char *sys, *user;
        char *unit = NULL, *user_unit = NULL;
        int r;

        if (!cgroup || !ret_unit || !ret_user_unit)
                return -EINVAL;

        sys = skip_slices(cgroup);
        r = first_unit(sys, &unit);
        if (r < 0)
                return r;

        user = skip_named(sys, "user@", ".service", is_digit);          /* user@UID.service */
        if (!user)
                user = skip_named(sys, "session-", ".scope", is_alnum); /* session-ID.scope */
        if (user) {
                r = first_unit(skip_slices(user), &user_unit);
                if (r < 0) {
                        free(unit);
                        return r;
                }
        }
        *ret_unit = unit;
        *ret_user_unit = user_unit;
        return 0;
}

/* ---- sa_cgroup_container: the container a cgroup path belongs to ---- */

#define CONTAINER_ID_LEN 64     /* docker, podman, containerd, CRI-O: sha256 hex */
#define CONTAINER_ID_SHORT 12   /* what `docker ps` shows */
#define CONTAINER_NAME_MAX 63   /* longest name returned (fits netns_name) */

/* A character a container or machine name may hold: printable ASCII, not '/'. */
static bool name_char_ok(char c)
{
        return c > ' ' && c <= '~' && c != '/';
}

static bool is_hex_id(const char *s, size_t n)
{
        if (n != CONTAINER_ID_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* c (n bytes) is PREFIX<64 hex>SUFFIX: the id's start, else NULL. */
static const char *id_between(const char *c, size_t n, const char *prefix, const char *suffix)
{
        size_t pl = strlen(prefix), sl = strlen(suffix);

        if (n != pl + CONTAINER_ID_LEN + sl || memcmp(c, prefix, pl) != 0 ||
            !ends_with(c, n, suffix) || !is_hex_id(c + pl, CONTAINER_ID_LEN))
                return NULL;
        return c + pl;
}

static int hex_value(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
               c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Tool "KIND:" plus the short form of a 64-hex id. -ENOMEM. */
static int short_id(const char *kind, const char *id, char **ret)
{
        char *s = NULL;

        if (asprintf(&s, "%s:%.*s", kind, (int) CONTAINER_ID_SHORT, id) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/*
 * A machine name from "machine-NAME.scope" (NAME unit-escaped: "\x2d" is
 * '-'), checked to be printable ASCII without '/' and short enough; NULL in
 * *ret when it is not. -ENOMEM.
 */
static int machine_name(const char *c, size_t n, char **ret)
{
        const char *p = c + strlen("machine-"), *end = c + n - strlen(".scope");
        char buf[CONTAINER_NAME_MAX + 1];
        size_t len = 0;

        *ret = NULL;
        while (p < end) {
                char ch = *p;

                if (ch == '\\') {
                        int hi = end - p >= 4 && p[1] == 'x' ? hex_value(p[2]) : -1;
                        int lo = hi >= 0 ? hex_value(p[3]) : -1;

                        if (lo < 0)
                                return 0;
                        ch = (char) (hi * 16 + lo);
                        p += 4;
                } else {
                        p++;
                }
                if (!name_char_ok(ch) || len == CONTAINER_NAME_MAX)
                        return 0;
                buf[len++] = ch;
        }
        if (len == 0)
                return 0;
        buf[len] = '\0';
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static bool is_component(const char *c, size_t n, const char *name)
{
        return n == strlen(name) && memcmp(c, name, n) == 0;
}

/*
 * The runtime scope at c, found right below a chain of slices from the root
 * (machine.slice, system.slice, kubepods.slice/...): where docker's,
 * podman's and the CRI runtimes' systemd drivers put their containers; a
 * machine only directly in the top-level machine.slice, as machined does.
 * *ret NULL when c is none of them. -ENOMEM.
 */
static int runtime_scope(const char *c, size_t n, bool in_machine_slice, char **ret)
{
        const char *id;

        *ret = NULL;
        if ((id = id_between(c, n, "docker-", ".scope")))
                return short_id("docker", id, ret);
        if ((id = id_between(c, n, "libpod-", ".scope")))
                return short_id("podman", id, ret);
        if ((id = id_between(c, n, "cri-containerd-", ".scope")))
                return short_id("containerd", id, ret);
        if ((id = id_between(c, n, "crio-", ".scope")))
                return short_id("crio", id, ret);
        if (in_machine_slice && n > strlen("machine-.scope") && !memcmp(c, "machine-", 8) &&
            ends_with(c, n, ".scope"))
                return machine_name(c, n, ret);
        return 0;
}

/*
 * The cgroupfs drivers' top-level directories: "/docker/<64 hex>" and
 * "/libpod_parent/libpod-<64 hex>". top is the first component, c the
 * second. *ret NULL when neither. -ENOMEM.
 */
static int runtime_top_dir(const char *top, size_t top_n, const char *c, size_t n, char **ret)
{
        const char *id;

        *ret = NULL;
        if (is_component(top, top_n, "docker") && is_hex_id(c, n))
                return short_id("docker", c, ret);
        if (is_component(top, top_n, "libpod_parent") && (id = id_between(c, n, "libpod-", "")))
                return short_id("podman", id, ret);
        return 0;
}

int sa_cgroup_container(const char *cgroup, char **ret)
{
        const char *top, *second, *c, *next;
        size_t top_n, n, next_n;
        bool slices, user;
        char *found = NULL;
        int r = 0;

        if (!cgroup || !ret)
                return -EINVAL;
        /*
         * Only where the host put it: a user's delegated subtree (under
         * user@UID.service or a session scope, all in user.slice) and a
         * container's own (below its scope) can hold any name at all.
         */
        top_n = component(cgroup, &top);
        component(top + top_n, &second);
        c = skip_slices(cgroup);                /* the first component not a slice */
        n = component(c, &c);
        next_n = component(c + n, &next);
        slices = c != top;
        user = is_component(top, top_n, "user.slice");

        if (!slices && top_n > 0)
                r = runtime_top_dir(top, top_n, next, next_n, &found);
        else if (slices && n > 0 && !user)
                r = runtime_scope(c, n, is_component(top, top_n, "machine.slice") && c == second,
                                  &found);
        if (r < 0)
                return r;
        /* nspawn --keep-unit: "payload" in its unit, or the root of our view. */
        if (!found && !user &&
            (is_component(top, top_n, "payload") ||
             (slices && n > 0 && is_component(next, next_n, "payload")))) {
                found = strdup("container");
                if (!found)
                        return -ENOMEM;
        }
        *ret = found;
        return 0;
}

/* ---- sa_cgroup_machined_name: systemd-machined's registry ---- */

/* True when name is fit for a namespace name: printable, no '/', short. */
static bool container_name_ok(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > CONTAINER_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!name_char_ok(name[i]))
                        return false;
        return true;
}

/* Without libsystemd: not every user of the library links it. */
char *sa_cgroup_machined_name(const char *cgroup)
{
        char *unit = NULL, *user_unit = NULL, path[PATH_MAX], target[256], *name = NULL;
        ssize_t n;

        if (sa_cgroup_units(cgroup, &unit, &user_unit) < 0 || !unit)
                goto out;
        if (snprintf(path, sizeof path, "/run/systemd/machines/unit:%s", unit) >= (int) sizeof path)
                goto out;
        n = readlink(path, target, sizeof target - 1);
        if (n <= 0)
                goto out;
        target[n] = '\0';
        if (container_name_ok(target))
                name = strdup(target);
out:
        free(unit);
        free(user_unit);
        return name;
}
