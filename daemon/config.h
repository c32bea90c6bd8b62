/* SPDX-License-Identifier: MIT */
/*
 * sockauditd.conf (INI, read with inih). See docs/CONFIG.md. Loading is
 * pure apart from reading the file: errors come back as "FILE:LINE:
 * problem" in a buffer, never logged here.
 */
#ifndef SAD_CONFIG_H
#define SAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "sockaudit.h"

#define CONFIG_DEFAULT_PATH "/etc/sockaudit/sockauditd.conf"

#define CONFIG_SCAN_INTERVAL_MIN_USEC (UINT64_C(100) * 1000)
#define CONFIG_SCAN_INTERVAL_MAX_USEC (UINT64_C(3600) * 1000000)
#define CONFIG_SCAN_INTERVAL_DEFAULT_USEC (UINT64_C(5) * 1000000)

/* [Daemon] MaxClients=: control clients connected at once; MaxClientsPerUser= (0: a quarter of them). */
#define CONFIG_MAX_CLIENTS_DEFAULT 4096u
#define CONFIG_MAX_CLIENTS_MAX     65536u

/* [Daemon] RequestTimeout=, WatcherStallTimeout=: see control_set_timeouts(). */
#define CONFIG_CLIENT_TIMEOUT_MIN_USEC (UINT64_C(100) * 1000)
#define CONFIG_CLIENT_TIMEOUT_MAX_USEC (UINT64_C(3600) * 1000000)
#define CONFIG_CLIENT_TIMEOUT_DEFAULT_USEC (UINT64_C(30) * 1000000)

/* [Daemon] TLSInterval=, TLSTimeout=, TLSProbesMax= (daemon/tlsprobes.c). */
#define CONFIG_TLS_INTERVAL_MIN_USEC (UINT64_C(1) * 1000000)
#define CONFIG_TLS_INTERVAL_MAX_USEC (UINT64_C(30) * 86400 * 1000000)
#define CONFIG_TLS_INTERVAL_DEFAULT_USEC (UINT64_C(6) * 3600 * 1000000)
#define CONFIG_TLS_TIMEOUT_MIN_USEC (UINT64_C(100) * 1000)
#define CONFIG_TLS_TIMEOUT_MAX_USEC (UINT64_C(60) * 1000000)
#define CONFIG_TLS_TIMEOUT_DEFAULT_USEC (UINT64_C(5) * 1000000)
#define CONFIG_TLS_PROBES_DEFAULT 4u
#define CONFIG_TLS_PROBES_MAX 64u

typedef enum config_namespaces {
        CONFIG_NAMESPACES_ALL,   /* every network namespace on the host */
        CONFIG_NAMESPACES_SELF,  /* the daemon's own */
} config_namespaces;

typedef struct daemon_config {
        uint64_t scan_interval_usec;
        config_namespaces namespaces;
        unsigned max_clients;    /* 1..CONFIG_MAX_CLIENTS_MAX */
        unsigned max_clients_per_user; /* 0 (the default) or 1..CONFIG_MAX_CLIENTS_MAX; root exempt */
        uint64_t request_timeout_usec; /* a request line, from its first byte */
        uint64_t watcher_stall_usec;   /* a watcher's full queue, before it is dropped */
        sa_scan_method scan_method; /* [Daemon] ScanMethod=auto|ebpf|procfs; read at start only */
        bool redact_cmdline;     /* [Daemon] RedactCmdline=: no command lines for non-root clients */
        uint64_t tls_interval_usec; /* [Daemon] TLSInterval=: each TLS listener probed again */
        uint64_t tls_timeout_usec;  /* [Daemon] TLSTimeout=: one probe, whole */
        unsigned tls_probes_max;    /* [Daemon] TLSProbesMax=: probes at once */
        char dpkg_admindir[256]; /* [Daemon] DpkgAdminDir=: "" is /var/lib/dpkg; read at start only */
        char metrics_file[256];  /* [Daemon] MetricsFile=: "" writes none (metrics.h) */
        /* [Daemon] Ports=/Protocols= (ports sorted, unique; protos never 0)
         * and the [Port N/proto] rules, in order of first appearance. */
        policy policy;
        /* What loaded but may not do what was meant, one "PATH: [Port
         * N/proto] Key=: problem" each (policy_resolve(): unknown users,
         * missing executables); the daemon logs them, --check-config prints them. */
        policy_list warnings;
} daemon_config;

/* Built-in defaults (Ports=443, tcp udp, 5s, all). Caller frees. -ENOMEM. */
int config_new_default(daemon_config **ret);

/*
 * Reads path into a new config on top of the defaults. A missing file is
 * -ENOENT, or the defaults when missing_ok. Any unknown section or key, bad
 * value or syntax error fails the whole load with -EINVAL; err (if non-NULL)
 * gets "PATH:LINE: problem" for the first one, or "PATH: problem". *ret is
 * untouched on failure. Caller frees. A loaded policy is resolved
 * (policy_resolve(): user names to uids, AllowExe= paths checked), its
 * warnings in (*ret)->warnings.
 */
int config_load(const char *path, bool missing_ok, char *err, size_t errlen, daemon_config **ret);

/*
 * Reload: loads path like config_load() and, only on success, frees *cfg
 * and puts the new config in its place. On failure *cfg is untouched (the
 * running config stays) and err says why.
 */
int config_reload(const char *path, bool missing_ok, char *err, size_t errlen, daemon_config **cfg);

/* As config_load() on text in memory; name is used in messages. */
int config_load_string(const char *text, const char *name, char *err, size_t errlen,
                       daemon_config **ret);

/*
 * Parses a systemd-style time span ("5s", "500ms", "1min 30s", "2m", "1.5h";
 * a plain number is seconds) into microseconds. -EINVAL or -ERANGE.
 */
int config_parse_timespan(const char *s, uint64_t *ret_usec);

daemon_config *config_free(daemon_config *c);

#endif
