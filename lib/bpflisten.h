/* SPDX-License-Identifier: MIT */
/*
 * New listeners as they happen (lib/bpf/listen.bpf.c): a TCP socket
 * entering LISTEN and a UDP socket bound to a port, each a record in a ring
 * buffer. Loading needs CAP_BPF and CAP_PERFMON (and CAP_SYS_ADMIN or
 * CAP_NET_ADMIN for the cgroup hooks); reading needs none. The event comes
 * before the socket can be dumped: confirm with sock_diag. Optional like
 * lib/bpfscan.h.
 */
#ifndef SA_BPFLISTEN_H
#define SA_BPFLISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct sa_bpflisten sa_bpflisten;

typedef struct sa_listen_note {
        uint16_t port;
        int proto;              /* IPPROTO_TCP or IPPROTO_UDP */
        int family;             /* AF_INET or AF_INET6 */
        uint32_t netns;         /* namespace inode; 0 when not known (UDP) */
        pid_t pid;              /* the caller */
} sa_listen_note;

typedef void (*sa_bpflisten_fn)(const sa_listen_note *note, void *userdata);

/*
 * Loads and attaches the programs. TCP listens always; UDP binds only when
 * the cgroup2 root takes the hooks (*ret_udp tells; why says why not).
 * -errno with why said when nothing could be attached.
 */
int sa_bpflisten_open(sa_bpflisten_fn fn, void *userdata, sa_bpflisten **ret, bool *ret_udp,
                      char *why, size_t why_size);
sa_bpflisten *sa_bpflisten_free(sa_bpflisten *b);

/* An fd that polls readable when records wait. */
int sa_bpflisten_fd(const sa_bpflisten *b);

/* Calls fn for each waiting record: how many, or -errno. Never blocks. */
int sa_bpflisten_consume(sa_bpflisten *b);

#endif
