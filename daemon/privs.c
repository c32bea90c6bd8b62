/* SPDX-License-Identifier: MIT */
/*
 * Capabilities, with libcap: keep what the scans need, drop the rest, and
 * refuse to run when that cannot be done exactly (docs/SECURITY.md,
 * "Privileges").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <systemd/sd-daemon.h>

#include "util.h"
#include "log.h"
#include "privs.h"

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}

/* The capabilities a scan needs, and what a scan without each would miss. */
static const struct {
        cap_value_t cap;
        const char *why;
} privs_scan[] = {
        { CAP_SYS_PTRACE, "other users' fds, exe and namespace links" },
        { CAP_DAC_READ_SEARCH, "other users' /proc/PID/fd" },
        { CAP_SYS_ADMIN, "other network namespaces; only Namespaces=all needs it" },
};
#define PRIVS_MAX ELEMENTSOF(privs_scan)

/*
 * Used only at start-up (process events, the eBPF fd walk). Without
 * CAP_SETPCAP they cannot leave the bounding set and stay there, as does
 * CAP_SYS_ADMIN when not kept: harmless, since after no_new_privs only an
 * execve could gain from the bounding set and the daemon never executes
 * anything.
 */
static const cap_value_t privs_start_only[] = { CAP_NET_ADMIN, CAP_BPF, CAP_PERFMON };

/*
 * Kept when permitted, never required: the TLS probe's child (forked by
 * the daemon, lib/tlsprobechild.c) needs them to become nobody before it
 * execs the probe. Without them probes answer `error` and scans work.
 */
static const cap_value_t privs_probe[] = { CAP_SETUID, CAP_SETGID };

/* The sets privs_drop() leaves: keep[] permitted and effective, bound[] bounding. */
typedef struct privs_sets {
        cap_value_t keep[PRIVS_MAX + ELEMENTSOF(privs_probe)];
        size_t n_keep;
        cap_value_t bound[PRIVS_MAX + ELEMENTSOF(privs_probe) + ELEMENTSOF(privs_start_only)];
        size_t n_bound;
} privs_sets;

/* The capabilities a scan needs, into ret (PRIVS_MAX entries); returns how many. */
static size_t privs_needed(bool all_namespaces, cap_value_t ret[PRIVS_MAX])
{
        for (size_t i = 0; i < PRIVS_MAX; i++)
                ret[i] = privs_scan[i].cap;
        return all_namespaces ? 3 : 2;
}

static bool cap_in(cap_value_t c, const cap_value_t *set, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (set[i] == c)
                        return true;
        return false;
}

/*
 * Appends the name of capability c ("cap_sys_ptrace") to buf, comma
 * separated. Truncates silently: the result is only ever a log message.
 */
static void cap_name_append(char *buf, size_t size, cap_value_t c)
{
        char *name = cap_to_name(c);
        size_t len = strlen(buf);

        if (len < size)
                snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name ?: "?");
        cap_free(name);
}

/*
 * Logs the refusal (an error, with errno error) and tells the service
 * manager why in STATUS= and ERRNO=, so `systemctl status` shows it too.
 * Returns -error.
 */
static int privs_refuse(int error, const char *what)
{
        sd_notifyf(false, "STATUS=Refusing to start: %s\nERRNO=%d", what, error);
        return log_error_errno(error, "Refusing to start: %s", what);
}

/*
 * The first n of privs_scan[] must be permitted: without CAP_SYS_PTRACE and
 * CAP_DAC_READ_SEARCH a scan sees no other user's sockets, without
 * CAP_SYS_ADMIN no other namespace, and answers built from that would be
 * wrong, not merely incomplete. -EPERM, naming the missing ones, if not.
 */
static int privs_check_needed(cap_t have, size_t n)
{
        char missing[384] = "", what[512];

        for (size_t i = 0; i < n; i++) {
                cap_flag_value_t v = CAP_CLEAR;
                size_t len;

                if (cap_get_flag(have, privs_scan[i].cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
                        continue;
                cap_name_append(missing, sizeof missing, privs_scan[i].cap);
                len = strlen(missing);
                snprintf(missing + len, sizeof missing - len, " (without it a scan sees none of %s)",
                         privs_scan[i].why);
        }
        if (!*missing)
                return 0;
        snprintf(what, sizeof what,
                 "this process lacks %s; sockauditd.service grants them in CapabilityBoundingSet=", missing);
        return privs_refuse(EPERM, what);
}

/* Adds c to sets->bound if the bounding set holds it and bound[] does not yet. */
static void privs_bound_add(privs_sets *sets, cap_value_t c)
{
        if (cap_get_bound(c) == 1 && !cap_in(c, sets->bound, sets->n_bound))
                sets->bound[sets->n_bound++] = c;
}

/*
 * The bounding set privs_drop() leaves, into sets->bound: with CAP_SETPCAP
 * exactly keep[] (CAP_SETPCAP itself goes too); without it the bounding
 * set cannot shrink, so keep[] plus the other scan and the start-only
 * capabilities it holds. Without CAP_SETPCAP anything else there is
 * refused: -EPERM naming it.
 */
static int privs_check_bounding(privs_sets *sets, bool can_setpcap)
{
        cap_value_t max = cap_max_bits();
        char extra[1024] = "", what[1280];

        memcpy(sets->bound, sets->keep, sets->n_keep * sizeof sets->keep[0]);
        sets->n_bound = sets->n_keep;
        if (can_setpcap)
                return 0;
        for (size_t i = 0; i < PRIVS_MAX; i++)
                privs_bound_add(sets, privs_scan[i].cap);
        for (size_t i = 0; i < ELEMENTSOF(privs_start_only); i++)
                privs_bound_add(sets, privs_start_only[i]);
        for (size_t i = 0; i < ELEMENTSOF(privs_probe); i++)
                privs_bound_add(sets, privs_probe[i]);
        for (cap_value_t c = 0; c < max; c++)
                if (!cap_in(c, sets->bound, sets->n_bound) && cap_get_bound(c) == 1)
                        cap_name_append(extra, sizeof extra, c);
        if (!*extra)
                return 0;
        snprintf(what, sizeof what,
                 "cannot drop %s from the bounding set: that needs cap_setpcap, which this process "
                 "does not have (only the scan capabilities, cap_net_admin, cap_bpf and cap_perfmon "
                 "may stay there)", extra);
        return privs_refuse(EPERM, what);
}

/* Shrinks the bounding set to bound[]; a failure names the capability. */
static int privs_drop_bounding(const cap_value_t *bound, size_t n)
{
        cap_value_t max = cap_max_bits();

        for (cap_value_t c = 0; c < max; c++) {
                if (cap_in(c, bound, n) || cap_get_bound(c) != 1 || cap_drop_bound(c) >= 0)
                        continue;
                int error = errno;
                char name[64] = "", what[256];

                cap_name_append(name, sizeof name, c);
                snprintf(what, sizeof what, "cannot drop %s from the bounding set: %s", name, strerror(error));
                return privs_refuse(error, what);
        }
        return 0;
}

/*
 * After the drop: permitted and effective are exactly sets->keep, bounding
 * exactly sets->bound, inheritable and ambient empty. -EPERM naming the
 * first set that differs: the documented sets are a promise, not a best
 * effort.
 */
static int privs_verify(const privs_sets *sets)
{
        _cleanup_(cap_freep) cap_t have = cap_get_proc();
        cap_value_t max = cap_max_bits();

        if (!have)
                return log_error_errno(errno ?: ENOMEM, "Cannot read capabilities: %m");
        for (cap_value_t c = 0; c < max; c++) {
                bool want = cap_in(c, sets->keep, sets->n_keep);
                bool want_bound = cap_in(c, sets->bound, sets->n_bound);
                cap_flag_value_t p = CAP_CLEAR, e = CAP_CLEAR, i = CAP_CLEAR;
                const char *set = NULL;
                bool is = false;

                (void) cap_get_flag(have, c, CAP_PERMITTED, &p);
                (void) cap_get_flag(have, c, CAP_EFFECTIVE, &e);
                (void) cap_get_flag(have, c, CAP_INHERITABLE, &i);
                if ((p == CAP_SET) != want)
                        set = "permitted", is = p == CAP_SET;
                else if ((e == CAP_SET) != want)
                        set = "effective", is = e == CAP_SET;
                else if ((cap_get_bound(c) == 1) != want_bound)
                        set = "bounding", is = !want_bound;
                else if (i == CAP_SET)
                        set = "inheritable", is = true;
                else if (cap_get_ambient(c) == 1)
                        set = "ambient", is = true;
                if (set) {
                        char name[64] = "", what[256];

                        cap_name_append(name, sizeof name, c);
                        snprintf(what, sizeof what, "after dropping privileges, %s is %s the %s set", name,
                                 is ? "still in" : "missing from", set);
                        return privs_refuse(EPERM, what);
                }
        }
        return 0;
}

/* The checks of privs_check() on the capabilities have; fills sets. */
static int privs_check_have(cap_t have, bool all_namespaces, privs_sets *sets)
{
        cap_flag_value_t setpcap = CAP_CLEAR;
        int r;

        sets->n_keep = privs_needed(all_namespaces, sets->keep);
        r = privs_check_needed(have, sets->n_keep);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(privs_probe); i++) {
                cap_flag_value_t v = CAP_CLEAR;

                if (cap_get_flag(have, privs_probe[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET)
                        sets->keep[sets->n_keep++] = privs_probe[i];
        }
        (void) cap_get_flag(have, CAP_SETPCAP, CAP_PERMITTED, &setpcap);
        return privs_check_bounding(sets, setpcap == CAP_SET);
}

int privs_check(bool all_namespaces)
{
        _cleanup_(cap_freep) cap_t have = cap_get_proc();
        privs_sets sets;

        if (!have)
                return log_error_errno(errno ?: ENOMEM, "Cannot read capabilities: %m");
        return privs_check_have(have, all_namespaces, &sets);
}

int privs_drop(bool all_namespaces)
{
        _cleanup_(cap_freep) cap_t have = cap_get_proc(), want = cap_init();
        privs_sets sets;
        int r;

        if (!have || !want)
                return log_error_errno(errno ?: ENOMEM, "Cannot read capabilities: %m");
        r = privs_check_have(have, all_namespaces, &sets);
        if (r < 0)
                return r;

        /* Whatever is permitted may be used: CAP_SETPCAP included, for the bounding set. */
        if (cap_fill(have, CAP_EFFECTIVE, CAP_PERMITTED) < 0 || cap_set_proc(have) < 0)
                return log_error_errno(errno, "Cannot raise the permitted capabilities: %m");
        /* Bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
        r = privs_drop_bounding(sets.bound, sets.n_bound);
        if (r < 0)
                return r;
        if (cap_reset_ambient() < 0 && errno != EINVAL)
                return log_error_errno(errno, "Cannot clear the ambient set: %m");
        if (cap_set_flag(want, CAP_PERMITTED, (int) sets.n_keep, sets.keep, CAP_SET) < 0 ||
            cap_set_flag(want, CAP_EFFECTIVE, (int) sets.n_keep, sets.keep, CAP_SET) < 0)
                return log_error_errno(errno, "Cannot build the capability set: %m");
        if (cap_set_proc(want) < 0)
                return log_error_errno(errno, "Cannot drop capabilities: %m");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "Cannot set no_new_privs: %m");
        return privs_verify(&sets);
}

json_t *privs_to_json(void)
{
        _cleanup_(cap_freep) cap_t have = cap_get_proc();
        json_t *a = json_array();

        if (!a || !have)
                return a;
        for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
                cap_flag_value_t v = CAP_CLEAR;
                if (!CAP_IS_SUPPORTED(c) || cap_get_flag(have, c, CAP_EFFECTIVE, &v) < 0 || v != CAP_SET)
                        continue;
                char *name = cap_to_name(c);
                if (name) {
                        json_array_append_new(a, json_string(name));
                        cap_free(name);
                }
        }
        return a;
}
