/* SPDX-License-Identifier: MIT */
/*
 * Per-port policy: which programs may own a watched listener and on which
 * addresses. Evaluation is a pure function of (policy, snapshot).
 */
#ifndef SA_POLICY_H
#define SA_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "sockaudit.h"

/* A string list; n == 0 means "not set": anything is allowed. */
typedef struct policy_list {
        char **items;
        size_t n;
} policy_list;

/* What a TLS listener must serve ([Port N/tcp] TLS keys, docs/CONFIG.md#tls). */
typedef enum policy_tls_probe {
        POLICY_TLS_DEFAULT,         /* probed when TCP 443 */
        POLICY_TLS_YES,
        POLICY_TLS_NO,
} policy_tls_probe;

typedef struct policy_tls {
        policy_tls_probe probe;     /* TLS= */
        uint64_t expiry_warn_usec;  /* CertExpiryWarn=: cert_expiring this long before not_after */
        int min_version;            /* MinTLSVersion=: 0 TLSv1 .. 3 TLSv1.3 */
        unsigned min_key_bits;      /* MinKeyBits= (RSA/DSA; EC keys count as 2048 per 224 bits: see policy-tls.c) */
        bool require_chain_verified; /* RequireChainVerified= */
} policy_tls;

#define POLICY_TLS_EXPIRY_WARN_MAX_USEC (UINT64_C(3650) * 86400 * 1000000)
#define POLICY_TLS_KEY_BITS_MAX 65536u
#define POLICY_TLS_DEFAULTS { .probe = POLICY_TLS_DEFAULT, .expiry_warn_usec = UINT64_C(21) * 86400 * 1000000, \
                              .min_version = 2, .min_key_bits = 2048, .require_chain_verified = true }

/* "TLSv1" 0, "TLSv1.1" 1, "TLSv1.2" 2, "TLSv1.3" 3; -1 otherwise. */
int policy_tls_version_from_string(const char *s);

/* AllowExposure= (docs/CONFIG.md#allowexposure): where the listener may be reachable from. */
typedef enum policy_exposure {
        POLICY_EXPOSURE_UNSET,      /* not checked */
        POLICY_EXPOSURE_LOOPBACK,   /* entry points at loopback addresses only */
        POLICY_EXPOSURE_LOCAL,      /* also private and link-local addresses */
        POLICY_EXPOSURE_ANY,
} policy_exposure;

/* One [Port N/proto] section. */
typedef struct policy_rule {
        uint16_t port;
        uint8_t proto;              /* IPPROTO_TCP or IPPROTO_UDP */
        policy_list allow_exe;      /* paths or fnmatch(3) patterns */
        policy_list allow_unit;     /* unit names or patterns */
        policy_list allow_user;     /* user names, numeric uids or name patterns */
        policy_list allow_address;  /* literal addresses: 0.0.0.0 :: 127.0.0.1 */
        policy_list namespaces;     /* Namespace=: netns names or patterns; none = everywhere */
        policy_list allow_package;  /* AllowPackage=: package names or patterns, no ":arch" */
        bool require_package;       /* RequirePackage=yes: every owner's image verified */
        policy_tls tls;             /* TLS=, CertExpiryWarn=, ... */
        policy_exposure allow_exposure; /* AllowExposure= */
        uid_t *allow_uids;          /* allow_user resolved by policy_resolve() */
        size_t n_allow_uids;
} policy_rule;

typedef struct policy {
        bool all_ports;             /* Ports=all */
        uint16_t *ports;            /* Ports=; rule ports are watched too */
        size_t n_ports;
        unsigned protos;            /* SA_PROTO_* */
        policy_rule *rules;
        size_t n_rules;
} policy;

typedef enum violation_kind {
        VIOLATION_ADDRESS,           /* address not in AllowAddress */
        VIOLATION_NO_OWNER,          /* no owning process found */
        VIOLATION_EXE_DELETED,
        VIOLATION_EXE_REPLACED,
        VIOLATION_EXE,               /* exe not in AllowExe */
        VIOLATION_UNIT,              /* unit not in AllowUnit */
        VIOLATION_USER,              /* user not in AllowUser */
        /* Provenance (docs/PROVENANCE.md); appended: the kind is in baseline keys. */
        VIOLATION_EXE_MODIFIED,      /* RequirePackage: image differs from its package's */
        VIOLATION_EXE_NOT_PACKAGED,  /* RequirePackage: no package ships it (memfd, deleted too) */
        VIOLATION_EXE_UNVERIFIABLE,  /* RequirePackage: cannot be checked (reason) */
        VIOLATION_PACKAGE,           /* package not in AllowPackage */
        /* TLS (daemon/policytls.c): what a probed listener serves. */
        VIOLATION_CERT_EXPIRING,     /* not_after within CertExpiryWarn= */
        VIOLATION_CERT_EXPIRED,
        VIOLATION_TLS_VERSION_WEAK,  /* accepts a version below MinTLSVersion= */
        VIOLATION_KEY_WEAK,          /* key_bits below MinKeyBits= */
        VIOLATION_CHAIN_UNVERIFIED,  /* RequireChainVerified=yes and not verified */
        VIOLATION_CERT_STALE_ON_DISK, /* the configured file holds another certificate */
        VIOLATION_EXPOSURE_EXCEEDED, /* reachable from beyond AllowExposure= */
        _VIOLATION_KIND_MAX,
} violation_kind;

/* "address_not_allowed", "no_owner", ..., "package_not_allowed" (docs/RECORDS.md#violation). */
const char *violation_kind_name(violation_kind k);

typedef struct violation {
        const sa_listener *listener; /* borrowed from the snapshot */
        const sa_process *owner;     /* the holder concerned; NULL for the listener itself */
        violation_kind kind;
        char *reason;                /* holds process-chosen text raw: escape on output */
        const json_t *tls;           /* TLS violations: the listener's tls object (borrowed), else NULL */
        const json_t *cert;          /*   and the certificate concerned, NULL for a version */
        const json_t *reach;         /* exposure_exceeded: the listener's reachability (borrowed), else NULL */
        policy_exposure exposure;    /*   and the AllowExposure= it exceeds */
} violation;

/* Appends a violation with the reason printf'd (made valid UTF-8). -ENOMEM. */
int violation_add(violation **v, size_t *n, const sa_listener *l, const sa_process *owner,
                  violation_kind kind, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* True when l is on a watched port and protocol. */
bool policy_watches(const policy *p, const sa_listener *l);

/*
 * The rule for l's port and protocol whose Namespace= (if set) matches l's
 * namespace name (fnmatch(3); an unnamed namespace is "", matched by "*"
 * only), or NULL.
 */
const policy_rule *policy_rule_for(const policy *p, const sa_listener *l);

/*
 * Resolves what the rules name on this host, once at load: AllowUser= names
 * to uids (getpwnam_r; "root" is uid 0 whatever NSS says; numeric entries
 * are uids; patterns stay name patterns), and checks that AllowExe= paths
 * (not patterns) exist. Each name that resolves to nothing and each missing
 * path is passed to warn as "[Port N/proto] Key=: problem" (may be NULL);
 * nothing is refused. An unresolved name still matches a process whose user
 * name is that name. Costs a getpwnam_r per name and a stat per path.
 * -ENOMEM only (the policy is then as before).
 */
int policy_resolve(policy *p, void (*warn)(void *userdata, const char *message), void *userdata);

/*
 * Every violation of l (nothing if l is not watched), appended to (*v, *n):
 * an owner whose exe, unit, user or package is not allowed; an owner whose
 * image is not verified under RequirePackage=yes; an address not allowed;
 * an owner running a deleted or replaced executable; no owner found. An
 * incomplete owner (exiting, or its details unreadable: sa_process) raises
 * nothing: what could not be read is not evidence; nor do the package
 * checks before the owner's provenance is known (NULL).
 * -ENOMEM only.
 */
int policy_check_listener(const policy *p, const sa_listener *l, violation **v, size_t *n);

/* policy_check_listener over every listener of snap. Caller frees with violations_free. */
int policy_evaluate(const policy *p, const sa_snapshot *snap, violation **ret, size_t *ret_n);
void violations_free(violation *v, size_t n);

/*
 * TLS (daemon/policytls.c). Whether l is probed: a TCP listener whose
 * rule says TLS=yes, or TCP 443 without TLS=no; *ret_tls (may be NULL)
 * gets the rule's TLS policy or the defaults.
 */
bool policy_tls_watches(const policy *p, const sa_listener *l, const policy_tls **ret_tls);

/*
 * The TLS violations of l given tls, its probe's result (NULL or not
 * "ok": none), judged at now: appended to (*v, *n), each pointing at tls
 * and the certificate concerned (borrowed: tls must outlive them).
 * -ENOMEM only.
 */
int policy_check_tls(const policy *p, const sa_listener *l, const json_t *tls, time_t now, violation **v,
                     size_t *n);

/*
 * What a probe's answer now brings at its place, against seen: the record
 * of what was reported there, {"sha256":[...],"violations":[KEY...]}
 * ("sha256" absent before the first "ok" answer; kept across restarts in
 * the baseline, daemon/tlsprobes.c). *ret_changed when the served
 * certificates (by sha256) differ from seen's; (*v, *n) gets the TLS
 * violations of now (judged at t) whose key is not in seen's: a violation
 * is news once, when it first holds for that certificate (a version:
 * for that reason), not again after a restart or a failed probe. seen
 * then becomes now's. An answer that is not "ok" changes nothing. Returns
 * 1 when seen changed, 0 when not, -ENOMEM (seen then as before).
 */
int policy_tls_news(const policy *p, const sa_listener *l, json_t *seen, const json_t *now, time_t t,
                    bool *ret_changed, violation **v, size_t *n);

void policy_list_clear(policy_list *l);
/* Appends a copy of s. */
int policy_list_add(policy_list *l, const char *s);
void policy_clear(policy *p);

/* "loopback", "local", "any"; POLICY_EXPOSURE_UNSET for anything else. */
policy_exposure policy_exposure_from_string(const char *s);
const char *policy_exposure_name(policy_exposure e);

/*
 * Whether a reachability entry (docs/RECORDS.md#reachability-entry) lets
 * new connections in (verdict accept or conditional) at an address beyond
 * allowed: not loopback (127.0.0.0/8, ::1) for loopback; nor private or
 * link-local (10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7,
 * fe80::/10) for local; nothing for any.
 */
bool policy_exposure_exceeds(policy_exposure allowed, const json_t *entry);

/*
 * A reachability entry's place as text: "INTERFACE ADDRESS", and for a
 * forwarded one " port PORT in netns NAME" (a host's published port), for
 * one redirected in the listener's own namespace (netns null) " port PORT".
 * What reachability_changed, exposure_exceeded and their journal fields show.
 */
void policy_entry_place(const json_t *entry, char *buf, size_t size);

/*
 * l's exposure_exceeded violation under reach (its `reachability` object;
 * NULL: none), appended to (*v, *n): one naming every entry beyond its
 * rule's AllowExposure=, nothing when l is not watched or has no such
 * rule. Pure. -ENOMEM.
 */
int policy_check_exposure(const policy *p, const sa_listener *l, const json_t *reach, violation **v, size_t *n);

#endif
