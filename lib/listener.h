/* SPDX-License-Identifier: MIT */
/*
 * The listener vocabulary inside the library (lib/listener.c): what a
 * listener's address is, how its namespace and interface are named in
 * sentences, and the record names read back into enums. The names written
 * out (sa_proto_name(), sa_listener_address(), ...) are public, in
 * sockaudit.h. Pure functions over a listener's own fields: no system call.
 */
#ifndef SA_LISTENER_H
#define SA_LISTENER_H

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

/*
 * The inverses of sa_proto_name(), sa_family_name(), sa_owner_status_name()
 * and sa_holder_role_name(): the value whose name is exactly name, in *ret.
 * -EINVAL (and *ret untouched) for NULL or any other text, including "?"
 * and, for roles, the unnamed SA_ROLE_NONE.
 */
int sa_proto_from_name(const char *name, uint8_t *ret);
int sa_family_from_name(const char *name, uint8_t *ret);
int sa_owner_status_from_name(const char *name, sa_owner_status *ret);
int sa_holder_role_from_name(const char *name, sa_holder_role *ret);

#endif
