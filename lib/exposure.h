/* SPDX-License-Identifier: MIT */
/*
 * Exposure helpers shared inside the library: what an address is, and how a
 * listener's namespace and interface are named in sentences.
 */
#ifndef SA_EXPOSURE_H
#define SA_EXPOSURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sockaudit.h"

/* Longest "net:[INODE]" or netns_name, and "ifINDEX" or ifname, with the NUL. */
#define SA_NETNS_LABEL_MAX 64
#define SA_IFNAME_LABEL_MAX 24

/* l's address is 0.0.0.0 or :: (every address). */
bool sa_addr_is_any(const sa_listener *l);

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
bool sa_addr_is_loopback(const sa_listener *l);

/* An AF_INET6 address of the form ::ffff:a.b.c.d. */
bool sa_addr_is_v4mapped(const sa_listener *l);

/* An AF_INET6 link-local address (fe80::/10): meaningful on one link only. */
bool sa_addr_is_linklocal(const sa_listener *l);

/* l's namespace for a sentence: netns_name, else "net:[INODE]". Into buf. */
const char *sa_listener_netns_label(const sa_listener *l, char *buf, size_t size);

/* l's bound interface: ifname, else "ifINDEX" ("" when none). Into buf.
 * A listener is bound to a device when either is set (records read back
 * from JSON carry the name only). */
const char *sa_listener_ifname_label(const sa_listener *l, char *buf, size_t size);

#endif
