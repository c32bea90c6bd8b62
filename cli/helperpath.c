/* SPDX-License-Identifier: MIT */
/* Where the CLI finds its helper programs (helperpath.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helperpath.h"

const char *cli_find_helper(const char *name, const char *env, char *buf, size_t size)
{
        const char *set = getenv(env);
        char self[4096], *slash;
        ssize_t n;

        if (set && *set)
                return set;
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return NULL;
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (!slash)
                return NULL;
        *slash = '\0';
        snprintf(buf, size, "%s/%s", self, name);
        if (access(buf, X_OK) == 0)
                return buf;
        snprintf(buf, size, "%s/../libexec/sockaudit/%s", self, name);
        return access(buf, X_OK) == 0 ? buf : NULL;
}
