/* SPDX-License-Identifier: MIT */
/*
 * AllowExposure= (docs/CONFIG.md#allowexposure): which of a listener's
 * entry points (its `reachability` object, docs/REACHABILITY.md) let new
 * connections in from beyond what its rule allows. A pure function of
 * (policy, listener, reachability object).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const char *const names[] = {
        [POLICY_EXPOSURE_LOOPBACK] = "loopback",
        [POLICY_EXPOSURE_LOCAL] = "local",
        [POLICY_EXPOSURE_ANY] = "any",
};

policy_exposure policy_exposure_from_string(const char *s)
{
        for (size_t i = POLICY_EXPOSURE_LOOPBACK; i <= POLICY_EXPOSURE_ANY; i++)
                if (strcmp(s, names[i]) == 0)
                        return (policy_exposure) i;
        return POLICY_EXPOSURE_UNSET;
}

const char *policy_exposure_name(policy_exposure e)
{
        return e >= POLICY_EXPOSURE_LOOPBACK && e <= POLICY_EXPOSURE_ANY ? names[e] : "unset";
}

/* Whether the first bits of a (len bytes) are those of prefix. */
static bool in_prefix(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
        unsigned full = bits / 8, rest = bits % 8;

        return memcmp(a, prefix, full) == 0 &&
               (rest == 0 || ((a[full] ^ prefix[full]) & (uint8_t) (0xff << (8 - rest))) == 0);
}

/* 0: loopback, 1: private or link-local, 2: anything else (or not an address). */
static int address_reach(const char *s)
{
        static const struct { int family; uint8_t p[16]; unsigned bits; int level; } ranges[] = {
                { AF_INET, { 127 }, 8, 0 },        { AF_INET6, { [15] = 1 }, 128, 0 },
                { AF_INET, { 10 }, 8, 1 },         { AF_INET, { 172, 16 }, 12, 1 },
                { AF_INET, { 192, 168 }, 16, 1 },  { AF_INET, { 169, 254 }, 16, 1 },
                { AF_INET6, { 0xfc }, 7, 1 },      { AF_INET6, { 0xfe, 0x80 }, 10, 1 },
        };
        uint8_t a[16];
        int family = s && strchr(s, ':') ? AF_INET6 : AF_INET;

        if (!s || inet_pton(family, s, a) != 1)
                return 2;
        for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
                if (ranges[i].family == family && in_prefix(a, ranges[i].p, ranges[i].bits))
                        return ranges[i].level;
        return 2;
}

static const char *str(const json_t *o, const char *key)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? s : "?";
}

bool policy_exposure_exceeds(policy_exposure allowed, const json_t *entry)
{
        const char *verdict = json_string_value(json_object_get(entry, "verdict"));
        int level = address_reach(json_string_value(json_object_get(entry, "address")));

        if (!verdict || (strcmp(verdict, "accept") != 0 && strcmp(verdict, "conditional") != 0))
                return false;
        if (allowed == POLICY_EXPOSURE_LOOPBACK)
                return level > 0;
        if (allowed == POLICY_EXPOSURE_LOCAL)
                return level > 1;
        return false;
}

void policy_entry_place(const json_t *e, char *buf, size_t size)
{
        const json_t *ns = json_object_get(e, "netns");
        int n = snprintf(buf, size, "%s %s", str(e, "interface"), str(e, "address"));

        /* forwarded (netns the host's) or redirected in its own namespace (netns null): the port too */
        if (ns && n >= 0 && (size_t) n < size)
                n += snprintf(buf + n, size - (size_t) n, " port %" JSON_INTEGER_FORMAT,
                              json_integer_value(json_object_get(e, "port")));
        if (json_is_string(ns) && n >= 0 && (size_t) n < size)
                snprintf(buf + n, size - (size_t) n, " in netns %s", json_string_value(ns));
}

int policy_check_exposure(const policy *p, const sa_listener *l, const json_t *reach, violation **v, size_t *n)
{
        const policy_rule *rule = policy_watches(p, l) ? policy_rule_for(p, l) : NULL;
        char list[400] = "", place[200];
        size_t len = 0, count = 0, i;
        const json_t *e;
        int r;

        if (!rule || rule->allow_exposure == POLICY_EXPOSURE_UNSET || !reach)
                return 0;
        json_array_foreach(json_object_get(reach, "entries"), i, e) {
                if (!policy_exposure_exceeds(rule->allow_exposure, e))
                        continue;
                policy_entry_place(e, place, sizeof place);
                if (len < sizeof list)
                        len += (size_t) snprintf(list + len, sizeof list - len, "%s%s (%s)", count ? ", " : "",
                                                 place, str(e, "verdict"));
                count++;
        }
        if (count == 0)
                return 0;
        r = violation_add(v, n, l, NULL, VIOLATION_EXPOSURE_EXCEEDED, "reachable beyond AllowExposure=%s: %s",
                          policy_exposure_name(rule->allow_exposure), list);
        if (r >= 0) {
                (*v)[*n - 1].reach = reach;
                (*v)[*n - 1].exposure = rule->allow_exposure;
        }
        return r;
}
