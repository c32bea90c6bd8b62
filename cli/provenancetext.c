/* SPDX-License-Identifier: MIT */
/* An owner's package verdict in words, from its JSON record (explain). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provenancetext.h"

static const char *text(const json_t *o, const char *key, const char *fallback)
{
        const char *s = json_string_value(json_object_get(o, key));

        return s ? s : fallback;
}

/* ", running from DIR" for images where dropped programs run; "" otherwise. */
static int where_from(const char *exe, const char *location, char **ret)
{
        const char *slash = strrchr(exe, '/');
        int dir = slash && slash != exe ? (int) (slash - exe) : 1;

        if (!strcmp(location, "tmp"))
                return asprintf(ret, ", running from %.*s", dir, exe);
        if (!strcmp(location, "world_writable_dir"))
                return asprintf(ret, ", running from %.*s, a world-writable directory", dir, exe);
        return asprintf(ret, "%s", "");
}

/* The sentence for status, without the hash. */
static int sentence(const json_t *owner, const json_t *pkg, const char *status, char **ret)
{
        const char *exe = text(owner, "exe", "?"), *location = text(owner, "exe_location", "normal");
        const char *name = text(pkg, "name", NULL), *version = text(pkg, "version", "?");
        const char *reason = text(pkg, "reason", "no reason given");
        char *where = NULL;
        int r;

        if (!strcmp(status, "verified"))
                return asprintf(ret, "%s from %s %s, verified against the package", exe, name ? name : "?", version);
        if (!strcmp(status, "modified"))
                return asprintf(ret, "%s differs from what %s %s shipped (modified)", exe, name ? name : "?",
                                version);
        if (!strcmp(status, "deleted") && name)
                return asprintf(ret, "%s: image deleted on disk: %s %s upgraded under a running process, "
                                "needs restart", exe, name, version);
        if (!strcmp(status, "deleted"))
                return asprintf(ret, "%s: image deleted on disk, not from any installed package", exe);
        if (!strcmp(status, "not_packaged") && !strcmp(location, "memfd"))
                return asprintf(ret, "%s runs from memory (memfd), not from any installed package", exe);
        if (!strcmp(status, "not_packaged")) {
                if (where_from(exe, location, &where) < 0)
                        return -1;
                r = asprintf(ret, "%s is not from any installed package%s", exe, where);
                free(where);
                return r;
        }
        if (!strcmp(status, "unverifiable"))
                return asprintf(ret, "%s cannot be verified: %s", exe, reason);
        return asprintf(ret, "%s: package verdict \"%s\": %s", exe, status, reason);
}

int provenance_words(const json_t *owner, char **ret)
{
        const json_t *pkg = json_object_get(owner, "package");
        const char *status = text(pkg, "status", NULL), *sha = text(owner, "exe_sha256", NULL);
        char *s = NULL, *full = NULL;

        *ret = NULL;
        if (!json_is_object(pkg) || !status)
                return 0;
        if (sentence(owner, pkg, status, &s) < 0)
                return -ENOMEM;
        if (!sha) {
                *ret = s;
                return 0;
        }
        if (asprintf(&full, "%s; sha256 %s", s, sha) < 0)
                full = NULL;
        free(s);
        *ret = full;
        return full ? 0 : -ENOMEM;
}
