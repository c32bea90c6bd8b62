/* SPDX-License-Identifier: MIT */
/*
 * What lib/bpfscan.c and lib/bpflisten.c share: turning the eBPF objects
 * linked into the library (sa_NAME_obj[], from lib/bpf/embed.S) into loaded
 * libbpf objects, and saying why that failed in words a sysadmin can act on.
 */
#ifndef SA_BPFOBJ_H
#define SA_BPFOBJ_H

#include <stddef.h>

/* snprintf into why (why_size bytes; nothing when 0). */
void sa_bpf_say(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef SA_HAVE_BPF
#include <bpf/libbpf.h>

/*
 * Opens the object of n bytes at bytes and loads it (what: its name in
 * messages). 0 and *ret, or -errno with why said; libbpf's own last
 * warning is added to load errors.
 */
int sa_bpfobj_load(const void *bytes, size_t n, const char *what, struct bpf_object **ret, char *why,
                   size_t why_size);
#endif

#endif
