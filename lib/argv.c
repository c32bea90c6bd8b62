/* SPDX-License-Identifier: MIT */
/*
 * Shared, refcounted command lines and their interning table (argv.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"

struct sa_argv {
        unsigned refs;
        uint64_t hash;
        size_t argc;
        size_t bytes;           /* the strings with their NULs, at data */
        char *data;             /* after the pointer array, in the same allocation */
        char *argv[];           /* argc entries, then NULL */
};

/* FNV-1a over the strings (with their NULs) and the count. */
static uint64_t argv_hash(char *const *argv, size_t argc)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325) ^ argc;

        for (size_t i = 0; i < argc; i++)
                for (const unsigned char *s = (const unsigned char *) argv[i];; s++) {
                        h = (h ^ *s) * UINT64_C(0x100000001b3);
                        if (!*s)
                                break;
                }
        return h;
}

int sa_argv_new(char *const *argv, size_t argc, sa_argv **ret)
{
        size_t bytes = 0, head;
        sa_argv *a;
        char *d;

        for (size_t i = 0; i < argc; i++)
                bytes += strlen(argv[i]) + 1;
        head = sizeof *a + (argc + 1) * sizeof a->argv[0];
        a = malloc(head + bytes);
        if (!a)
                return -ENOMEM;
        *a = (sa_argv) { .refs = 1, .hash = argv_hash(argv, argc), .argc = argc, .bytes = bytes };
        d = a->data = (char *) a + head;
        for (size_t i = 0; i < argc; i++) {
                size_t n = strlen(argv[i]) + 1;

                memcpy(d, argv[i], n);
                a->argv[i] = d;
                d += n;
        }
        a->argv[argc] = NULL;
        *ret = a;
        return 0;
}

sa_argv *sa_argv_ref(sa_argv *a)
{
        a->refs++;
        return a;
}

sa_argv *sa_argv_unref(sa_argv *a)
{
        if (a && --a->refs == 0)
                free(a);
        return NULL;
}

char **sa_argv_strings(sa_argv *a)
{
        return a->argv;
}

size_t sa_argv_count(const sa_argv *a)
{
        return a->argc;
}

unsigned sa_argv_refs(const sa_argv *a)
{
        return a->refs;
}

/* Whether block a holds exactly argv[0..argc) (hash already equal). */
static int argv_equal(const sa_argv *a, char *const *argv, size_t argc)
{
        if (a->argc != argc)
                return 0;
        for (size_t i = 0; i < argc; i++)
                if (strcmp(a->argv[i], argv[i]) != 0)
                        return 0;
        return 1;
}

/* Doubles the table (or makes its first 64 slots). -ENOMEM. */
static int table_grow(sa_argv_table *t)
{
        size_t cap = t->cap ? t->cap * 2 : 64;
        sa_argv **slots = calloc(cap, sizeof *slots);

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < t->cap; i++) {
                sa_argv *a = t->slots[i];
                size_t k;

                if (!a)
                        continue;
                for (k = a->hash & (cap - 1); slots[k]; k = (k + 1) & (cap - 1))
                        ;
                slots[k] = a;
        }
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
        return 0;
}

/* p's own argv (separate strings) freed; p then borrows a's strings under a reference. */
static void process_take_block(sa_process *p, sa_argv *a)
{
        for (size_t i = 0; p->argv && p->argv[i]; i++)
                free(p->argv[i]);
        free(p->argv);
        p->argv_block = a;
        p->argv = a->argv;
        p->argc = a->argc;
}

int sa_argv_intern(sa_argv_table *t, sa_process *p)
{
        char *const empty[] = { NULL };
        char *const *argv = p->argv ? p->argv : empty;
        size_t argc = p->argv ? p->argc : 0;
        uint64_t h;
        size_t k;
        sa_argv *a;

        if (p->argv_block)
                return 0;
        if ((t->n + 1) * 2 > t->cap && table_grow(t) < 0)
                return -ENOMEM;
        h = argv_hash(argv, argc);
        for (k = h & (t->cap - 1); t->slots[k]; k = (k + 1) & (t->cap - 1))
                if (t->slots[k]->hash == h && argv_equal(t->slots[k], argv, argc)) {
                        process_take_block(p, sa_argv_ref(t->slots[k]));
                        return 0;
                }
        if (sa_argv_new(argv, argc, &a) < 0)
                return -ENOMEM;
        t->slots[k] = sa_argv_ref(a);
        t->n++;
        process_take_block(p, a);
        return 0;
}

void sa_argv_table_clear(sa_argv_table *t)
{
        for (size_t i = 0; i < t->cap; i++)
                sa_argv_unref(t->slots[i]);
        free(t->slots);
        *t = (sa_argv_table) { 0 };
}
