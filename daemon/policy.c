/* SPDX-License-Identifier: MIT */
/* Per-port policy evaluation: a pure function of (policy, snapshot). */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "describe.h"
#include "policy.h"
#include "sockaudit-internal.h"

static const char *const kind_names[_VIOLATION_KIND_MAX] = {
        [VIOLATION_ADDRESS] = "address_not_allowed",
        [VIOLATION_NO_OWNER] = "no_owner",
        [VIOLATION_EXE_DELETED] = "exe_deleted",
        [VIOLATION_EXE_REPLACED] = "exe_replaced",
        [VIOLATION_EXE] = "exe_not_allowed",
        [VIOLATION_UNIT] = "unit_not_allowed",
        [VIOLATION_USER] = "user_not_allowed",
        [VIOLATION_EXE_MODIFIED] = "exe_modified",
        [VIOLATION_EXE_NOT_PACKAGED] = "exe_not_packaged",
        [VIOLATION_EXE_UNVERIFIABLE] = "exe_unverifiable",
        [VIOLATION_PACKAGE] = "package_not_allowed",
        [VIOLATION_CERT_EXPIRING] = "cert_expiring",
        [VIOLATION_CERT_EXPIRED] = "cert_expired",
        [VIOLATION_TLS_VERSION_WEAK] = "tls_version_weak",
        [VIOLATION_KEY_WEAK] = "key_weak",
        [VIOLATION_CHAIN_UNVERIFIED] = "chain_unverified",
        [VIOLATION_CERT_STALE_ON_DISK] = "cert_stale_on_disk",
        [VIOLATION_EXPOSURE_EXCEEDED] = "exposure_exceeded",
};

const char *violation_kind_name(violation_kind k)
{
        return k < _VIOLATION_KIND_MAX ? kind_names[k] : "?";
}

bool policy_watches(const policy *p, const sa_listener *l)
{
        unsigned bit = l->proto == IPPROTO_TCP ? SA_PROTO_TCP : SA_PROTO_UDP;

        if (policy_rule_for(p, l))
                return true;
        if (!(p->protos & bit))
                return false;
        if (p->all_ports)
                return true;
        for (size_t i = 0; i < p->n_ports; i++)
                if (p->ports[i] == l->port)
                        return true;
        return false;
}

/* Unset lists allow anything; otherwise value must match an entry. */
static bool list_allows(const policy_list *l, const char *value)
{
        if (l->n == 0)
                return true;
        if (!value)
                return false;
        for (size_t i = 0; i < l->n; i++)
                if (fnmatch(l->items[i], value, 0) == 0)
                        return true;
        return false;
}

const policy_rule *policy_rule_for(const policy *p, const sa_listener *l)
{
        for (size_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].port == l->port && p->rules[i].proto == l->proto &&
                    list_allows(&p->rules[i].namespaces, l->netns_name))
                        return &p->rules[i];
        return NULL;
}

/* By uid first (resolved at load), then by name or uid text (patterns, names unknown at load). */
static bool user_allowed(const policy_rule *rule, const sa_process *proc)
{
        const policy_list *l = &rule->allow_user;
        char uid[16];

        if (l->n == 0)
                return true;
        for (size_t i = 0; i < rule->n_allow_uids; i++)
                if (rule->allow_uids[i] == proc->uid)
                        return true;
        snprintf(uid, sizeof uid, "%u", (unsigned) proc->uid);
        return list_allows(l, proc->user) || list_allows(l, uid);
}

static bool is_pattern(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* getpwnam_r buffer bounds: an entry longer than this is not resolved. */
#define PW_BUF_MIN 1024
#define PW_BUF_MAX (64 * 1024)

/* The uid of a numeric entry ("33") or of a user name; false when it names none. */
static bool entry_uid(const char *w, uid_t *ret)
{
        struct passwd pw, *res = NULL;
        char *buf = NULL, *end;
        unsigned long v;
        int r = ERANGE;

        if (strcmp(w, "root") == 0) {
                *ret = 0;
                return true;
        }
        if (*w >= '0' && *w <= '9') {
                errno = 0;
                v = strtoul(w, &end, 10);
                if (errno == 0 && *end == '\0' && v < (uid_t) -1) {
                        *ret = (uid_t) v;
                        return true;
                }
        }
        for (size_t size = PW_BUF_MIN; r == ERANGE && size <= PW_BUF_MAX; size *= 2) {
                char *nbuf = realloc(buf, size);

                if (!nbuf)
                        break;
                buf = nbuf;
                r = getpwnam_r(w, &pw, buf, size, &res);
        }
        free(buf);
        if (r != 0 || !res)
                return false;
        *ret = res->pw_uid;
        return true;
}

static void warnf(void (*warn)(void *, const char *), void *userdata, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void warnf(void (*warn)(void *, const char *), void *userdata, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        if (!warn)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        warn(userdata, msg);
}

static int rule_resolve(policy_rule *rule, void (*warn)(void *, const char *), void *userdata)
{
        const char *proto = rule->proto == IPPROTO_TCP ? "tcp" : "udp";
        uid_t *uids = NULL;
        size_t n = 0;

        if (rule->allow_user.n > 0 && !(uids = calloc(rule->allow_user.n, sizeof *uids)))
                return -ENOMEM;
        for (size_t i = 0; i < rule->allow_user.n; i++) {
                const char *w = rule->allow_user.items[i];

                if (is_pattern(w))
                        continue;
                if (entry_uid(w, &uids[n]))
                        n++;
                else
                        warnf(warn, userdata, "[Port %u/%s] AllowUser=: no user \"%.64s\" on this host "
                              "(it matches only a process whose user name is that)", rule->port, proto, w);
        }
        free(rule->allow_uids);
        rule->allow_uids = uids;
        rule->n_allow_uids = n;
        for (size_t i = 0; i < rule->allow_exe.n; i++) {
                const char *w = rule->allow_exe.items[i];
                struct stat st;

                if (!is_pattern(w) && stat(w, &st) < 0)
                        warnf(warn, userdata, "[Port %u/%s] AllowExe=: %.256s: %s", rule->port, proto, w,
                              strerror(errno));
        }
        return 0;
}

int policy_resolve(policy *p, void (*warn)(void *userdata, const char *message), void *userdata)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                int r = rule_resolve(&p->rules[i], warn, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool address_allowed(const policy_list *l, const sa_listener *lis)
{
        if (l->n == 0)
                return true;
        for (size_t i = 0; i < l->n; i++) {
                uint8_t a[16] = { 0 };
                if (inet_pton(lis->family, l->items[i], a) == 1 &&
                    !memcmp(a, lis->addr, lis->family == AF_INET ? 4 : 16))
                        return true;
        }
        return false;
}

/*
 * Appends a violation whose reason is printf-formatted and then made valid
 * UTF-8 (comm, exe, unit and user are untrusted bytes): it always becomes a
 * JSON string, so one hostile name cannot stop an event or a reply.
 */
int violation_add(violation **v, size_t *n, const sa_listener *l, const sa_process *owner,
               violation_kind kind, const char *fmt, ...)
{
        violation *nv = realloc(*v, (*n + 1) * sizeof *nv);
        char *raw, *reason;
        va_list ap;
        int r;

        if (!nv)
                return -ENOMEM;
        *v = nv;
        va_start(ap, fmt);
        r = vasprintf(&raw, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        reason = sa_utf8_sanitize(raw, (size_t) r);
        free(raw);
        if (!reason)
                return -ENOMEM;
        nv[(*n)++] = (violation) { .listener = l, .owner = owner, .kind = kind, .reason = reason };
        return 0;
}

/* The package name without its ":arch" qualifier, into buf (NULL: no package). */
static const char *package_base(const char *pkg, char *buf, size_t size)
{
        if (!pkg)
                return NULL;
        snprintf(buf, size, "%.*s", (int) strcspn(pkg, ":"), pkg);
        return buf;
}

/*
 * RequirePackage=yes: the owner's image must be verified. A deleted image
 * that a package still ships (upgraded under a running process) is left to
 * the exe_deleted/exe_replaced checks: it needs a restart, not a hunt. A
 * deleted image no package ships is not packaged.
 */
static int check_verified(const sa_listener *l, const sa_process *proc, violation **v, size_t *n)
{
        const sa_exe_provenance *pv = proc->provenance;
        const char *comm = proc->comm ? proc->comm : "?", *exe = proc->exe ? proc->exe : "?";
        int pid = (int) proc->pid;

        switch (pv->status) {
        case SA_PROV_VERIFIED:
                return 0;
        case SA_PROV_MODIFIED:
                return violation_add(v, n, l, proc, VIOLATION_EXE_MODIFIED, "owner %s[%d] runs %s, which differs from what "
                           "%s %s shipped (modified; RequirePackage=yes)", comm, pid, exe,
                           pv->package ? pv->package : "?", pv->version ? pv->version : "?");
        case SA_PROV_DELETED:
                if (pv->package)
                        return 0;
                /* fall through */
        case SA_PROV_NOT_PACKAGED:
                return violation_add(v, n, l, proc, VIOLATION_EXE_NOT_PACKAGED, "owner %s[%d] runs %s, which no installed "
                           "package ships (%s%sRequirePackage=yes)", comm, pid, exe,
                           pv->location == SA_EXE_NORMAL ? "" : sa_exe_location_name(pv->location),
                           pv->location == SA_EXE_NORMAL ? "" : " image; ");
        case SA_PROV_UNVERIFIABLE:
                break;
        }
        return violation_add(v, n, l, proc, VIOLATION_EXE_UNVERIFIABLE, "owner %s[%d] runs %s, which cannot be verified: %s "
                   "(RequirePackage=yes)", comm, pid, exe, pv->reason ? pv->reason : "?");
}

/* AllowPackage=: the owner's package name, ":arch" ignored; no package is not allowed. */
static int check_package(const policy_rule *rule, const sa_listener *l, const sa_process *proc,
                         violation **v, size_t *n)
{
        const sa_exe_provenance *pv = proc->provenance;
        const char *comm = proc->comm ? proc->comm : "?", *exe = proc->exe ? proc->exe : "?";
        char buf[256];
        const char *name = package_base(pv->package, buf, sizeof buf);

        if (rule->allow_package.n == 0 || (name && list_allows(&rule->allow_package, name)))
                return 0;
        if (name)
                return violation_add(v, n, l, proc, VIOLATION_PACKAGE, "owner %s[%d] not allowed: package %s is not in "
                           "AllowPackage", comm, (int) proc->pid, name);
        return violation_add(v, n, l, proc, VIOLATION_PACKAGE, "owner %s[%d] not allowed: %s is from no known package "
                   "(%s: %s), not in AllowPackage", comm, (int) proc->pid, exe, sa_prov_status_name(pv->status),
                   pv->reason ? pv->reason : "?");
}

/* Which of a holder's facts a rule refuses. */
static int check_owner(const policy_rule *rule, const sa_listener *l, const sa_process *proc,
                       violation **v, size_t *n)
{
        const char *comm = proc->comm ? proc->comm : "?", *exe = proc->exe ? proc->exe : "?";
        char uid[24];
        int r = 0;

        if (proc->incomplete)
                return 0;
        if (proc->exe_deleted)
                r = violation_add(v, n, l, proc, VIOLATION_EXE_DELETED, "owner %s[%d] runs a deleted executable %s", comm, (int) proc->pid, exe);
        else if (proc->exe_replaced)
                r = violation_add(v, n, l, proc, VIOLATION_EXE_REPLACED, "owner %s[%d] runs an executable replaced on disk since it started: %s",
                        comm, (int) proc->pid, exe);
        if (r >= 0 && rule && !list_allows(&rule->allow_exe, proc->exe))
                r = violation_add(v, n, l, proc, VIOLATION_EXE, "owner %s[%d] not allowed: exe %s is not in AllowExe", comm,
                        (int) proc->pid, exe);
        if (r >= 0 && rule && !list_allows(&rule->allow_unit, proc->unit))
                r = violation_add(v, n, l, proc, VIOLATION_UNIT, "owner %s[%d] not allowed: unit %s is not in AllowUnit", comm,
                        (int) proc->pid, proc->unit ? proc->unit : "-");
        if (r >= 0 && rule && !user_allowed(rule, proc))
                r = violation_add(v, n, l, proc, VIOLATION_USER, "owner %s[%d] not allowed: user %s (uid %u) is not in AllowUser",
                        comm, (int) proc->pid, sa_describe_user(proc, uid, sizeof uid), (unsigned) proc->uid);
        /* Not checked yet: the verdict lands later and the policy runs again then. */
        if (!rule || !proc->provenance)
                return r;
        if (r >= 0 && rule->require_package)
                r = check_verified(l, proc, v, n);
        if (r >= 0)
                r = check_package(rule, l, proc, v, n);
        return r;
}

int policy_check_listener(const policy *p, const sa_listener *l, violation **v, size_t *n)
{
        const policy_rule *rule;
        char addr[64];
        int r = 0;

        if (!policy_watches(p, l))
                return 0;
        rule = policy_rule_for(p, l);
        if (rule && !address_allowed(&rule->allow_address, l)) {
                sa_listener_address(l, addr, sizeof addr);
                r = violation_add(v, n, l, NULL, VIOLATION_ADDRESS, "address %s is not in AllowAddress", addr);
        }
        if (r >= 0 && l->n_holders == 0)
                r = violation_add(v, n, l, NULL, VIOLATION_NO_OWNER, "no owning process found (%s)",
                        l->owner_reason ? l->owner_reason : "unknown");
        for (size_t i = 0; r >= 0 && i < l->n_holders; i++)
                r = check_owner(rule, l, l->holders[i].proc, v, n);
        return r;
}

int policy_evaluate(const policy *p, const sa_snapshot *snap, violation **ret, size_t *ret_n)
{
        violation *v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < snap->n_listeners; i++) {
                int r = policy_check_listener(p, &snap->listeners[i], &v, &n);
                if (r < 0) {
                        violations_free(v, n);
                        return r;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void violations_free(violation *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i].reason);
        free(v);
}

void policy_list_clear(policy_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->items[i]);
        free(l->items);
        *l = (policy_list) { 0 };
}

int policy_list_add(policy_list *l, const char *s)
{
        char **items = realloc(l->items, (l->n + 1) * sizeof *items);
        if (!items)
                return -ENOMEM;
        l->items = items;
        if (!(items[l->n] = strdup(s)))
                return -ENOMEM;
        l->n++;
        return 0;
}

void policy_clear(policy *p)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                policy_list_clear(&p->rules[i].allow_exe);
                policy_list_clear(&p->rules[i].allow_unit);
                policy_list_clear(&p->rules[i].allow_user);
                policy_list_clear(&p->rules[i].allow_address);
                policy_list_clear(&p->rules[i].namespaces);
                policy_list_clear(&p->rules[i].allow_package);
                free(p->rules[i].allow_uids);
        }
        free(p->rules);
        free(p->ports);
        *p = (policy) { 0 };
}
