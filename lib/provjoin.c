/* SPDX-License-Identifier: MIT */
/*
 * The scanner's hooks into provenance (scanner.h): called at every join and
 * free, they go through the pointers sa_scanner_provenance_enable sets, so
 * a program that never enables it (the CLI) links no hashing (lib/provjob.c,
 * lib/exeimage.c and libcrypto stay out).
 */
#include "scanner.h"

void sa_join_provenance(sa_join *j, sa_process *p)
{
        if (j->prov && j->prov->prov_join)
                j->prov->prov_join(j, p);
}

void sa_scanner_provenance_free(sa_scanner *s)
{
        if (s->prov_free)
                s->prov_free(s);
}
