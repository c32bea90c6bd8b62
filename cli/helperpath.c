/* SPDX-License-Identifier: MIT */
/* Where the CLI finds its helper programs (helperpath.h). */
#include <stdlib.h>

#include "helperpath.h"
#include "tlsprobe.h"

const char *cli_find_helper(const char *name, const char *env, char *buf, size_t size)
{
        return sa_find_helper(name, getenv(env), buf, size);
}
