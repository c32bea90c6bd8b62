/* SPDX-License-Identifier: MIT */
/*
 * Words for people: the one form of a listener's place, a holder's user and
 * unit, and the programs holding a socket, shared by the journal's MESSAGE,
 * watch and check lines, the table and explain (docs/CLI.md, JOURNAL.md).
 * In-tree (lib, daemon, CLI). Everything returned is raw text: names come
 * from processes and from /run/netns, so escape (sa_text_escape) before it
 * reaches a terminal or the journal. No system call; -ENOMEM only.
 */
#ifndef SA_DESCRIBE_H
#define SA_DESCRIBE_H

#include <stddef.h>

#include "sockaudit.h"

/* Programs named by sa_describe_owners() before " and N more processes". */
#define SA_DESCRIBE_MAX_PROGRAMS 4

/* p's user name, or its uid as a number when it has none (never "?"). */
const char *sa_describe_user(const sa_process *p, char *buf, size_t size);

/*
 * p's unit in one form: "nginx.service"; a user's unit under its manager as
 * "user@1000.service/app.service"; a user unit alone as itself. NULL when
 * p has none (buf untouched).
 */
const char *sa_describe_unit(const sa_process *p, char *buf, size_t size);

/* l's address: "0.0.0.0", "[::]", "127.0.0.53%lo", "[fe80::1]%eth0". */
const char *sa_describe_address(const sa_listener *l, char *buf, size_t size);

/*
 * "" in the host's network namespace, else " in netns NAME" (its name:
 * /run/netns, or a container's) or " in netns net:[INODE]" when unnamed.
 */
const char *sa_describe_netns(const sa_listener *l, char *buf, size_t size);

/* "443/tcp on [::]", "443/tcp on 0.0.0.0 in netns trialE". Caller frees. */
int sa_describe_listener(const sa_listener *l, char **ret);

/* One process: "nginx[812] (root, nginx.service)", "socat[4242] (4242)". Caller frees. */
int sa_describe_process(const sa_process *p, char **ret);

/*
 * The programs among l's holders, in order of first appearance, one each
 * (a program is comm, exe, user and unit alike): "nginx[812] (root,
 * nginx.service)" when one process, "apache2 (www-data) ×12" when several;
 * joined by ", ", at most SA_DESCRIBE_MAX_PROGRAMS of them, then " and N
 * more processes". "no process found" without holders. Cost: holders ×
 * programs named. Caller frees.
 */
int sa_describe_owners(const sa_listener *l, char **ret);

#endif
