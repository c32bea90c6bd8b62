/* SPDX-License-Identifier: MIT */
/*
 * Is it the real program? (lib/provenance.c): one process's running image
 * (lib/exeimage.c) against what dpkg recorded for its path (lib/dpkg.c):
 * verified, modified, not_packaged, deleted or unverifiable, with the
 * package and the image's SHA-256. The decision is a pure function of the
 * gathered facts (sa_provenance_decide) so it is unit-tested without
 * processes. What "verified" proves: docs/PROVENANCE.md. Internal to the
 * library.
 */
#ifndef SA_PROVENANCE_H
#define SA_PROVENANCE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "dpkg.h"
#include "exeimage.h"


typedef struct sa_provenance {
        sa_prov_status status;
        char reason[256];               /* words for people; never empty */
        char package[SA_DPKG_NAME_MAX]; /* "" when no package */
        char version[SA_DPKG_VERSION_MAX];
        char architecture[SA_DPKG_ARCH_MAX];
        char exe_sha256[65];            /* lowercase hex, "" when the image was not read */
        char path[4096];                /* the image's path (link text, " (deleted)" stripped) */
        sa_exe_location location;
        bool replaced;                  /* the path (in the process's root) names another file, or none */
        bool image_read;                /* image_st is the opened image's */
        struct stat image_st;
} sa_provenance;

/* Everything the verdict depends on, gathered by sa_provenance_read. */
typedef struct sa_prov_facts {
        int image_error;                /* 0, or why the image could not be read (-errno) */
        const sa_exeimage *image;       /* when image_error == 0 */
        bool replaced;                  /* the path (in the process's root) now names another file, or none */
        bool other_root;                /* the process's root is not ours (a container): the host's dpkg does not describe it */
        int dpkg_error;                 /* 0, -ENOPKG (no database), other -errno of the database */
        int lookup;                     /* 0 (file set), -ENOENT (no package), other -errno */
        const sa_dpkg_file *file;       /* when lookup == 0 */
} sa_prov_facts;

/* The verdict from the facts. Pure; fills every field of *ret. */
void sa_provenance_decide(const sa_prov_facts *f, sa_provenance *ret);

/*
 * Gathers the facts for PROC_ROOT/PID (proc_root NULL: "/proc") and
 * decides. db may be NULL (no database: unverifiable, unless the image is
 * deleted, memfd or unreadable), cache may be NULL. Costs: the image's
 * hash on a cache miss (reading the file once), a dpkg lookup (an index
 * build when the database changed), an open of the path inside
 * PROC_ROOT/PID/root. Run it off any event loop. 0 with *ret filled (any
 * verdict, failures included, are in ret); -ENOMEM only.
 */
int sa_provenance_read(sa_dpkg *db, sa_execache *cache, const char *proc_root, pid_t pid,
                       sa_provenance *ret);

/*
 * The same when it is cheap: the image's hashes in the cache and the dpkg
 * index current and free (its .md5sums read, a few stats); else -EAGAIN,
 * nothing read for long. For an event loop: a new worker of a known
 * program, an image deleted or replaced on disk (same identity).
 */
int sa_provenance_read_quick(sa_dpkg *db, sa_execache *cache, const char *proc_root, pid_t pid,
                             sa_provenance *ret);

#endif
