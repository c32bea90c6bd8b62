/* SPDX-License-Identifier: MIT */
/*
 * Shared command lines: a process's argv as one immutable, refcounted
 * block (the pointer array and the strings in a single allocation), and a
 * table that interns blocks by content while a snapshot's holders are
 * joined, so the children a server forked (or an attacker's 100 copies of
 * a 128 KiB argv) hold one copy between them (docs/SECURITY.md).
 * Refcounts are plain integers: one thread at a time (the scanner's).
 */
#ifndef SA_ARGV_H
#define SA_ARGV_H

#include <stddef.h>
#include <stdint.h>

#include "sockaudit.h"

/* Defined in sockaudit.h as the type of sa_process.argv_block. */
typedef struct sa_argv sa_argv;

/*
 * A new block holding copies of argv[0..argc) (argc NUL-terminated
 * strings), refcount 1. Its strings are sa_argv_strings(). -ENOMEM.
 * Costs one allocation of the strings' size plus (argc + 1) pointers.
 */
int sa_argv_new(char *const *argv, size_t argc, sa_argv **ret);

/* One more reference to a (not NULL); returns a. */
sa_argv *sa_argv_ref(sa_argv *a);

/* Drops one reference; the last frees the block. Accepts NULL; returns NULL. */
sa_argv *sa_argv_unref(sa_argv *a);

/* The block's NULL-terminated array (argc entries), borrowed while a reference is held. */
char **sa_argv_strings(sa_argv *a);
size_t sa_argv_count(const sa_argv *a);
unsigned sa_argv_refs(const sa_argv *a);

/* Blocks by content; zero-initialised is empty. Holds one reference per entry. */
typedef struct sa_argv_table {
        sa_argv **slots;        /* open addressing, power-of-two size */
        size_t n, cap;
} sa_argv_table;

/*
 * Makes p's argv a shared block: the table's block with the same strings
 * when there is one (p's own copy is freed), else a new block that enters
 * the table. A p already on a block is left alone. Costs a hash and, on a
 * match, a compare of the strings. -ENOMEM (p untouched).
 */
int sa_argv_intern(sa_argv_table *t, sa_process *p);

/* Drops the table's references (blocks still used by processes live on). */
void sa_argv_table_clear(sa_argv_table *t);

#endif
