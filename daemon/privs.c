/* SPDX-License-Identifier: MIT */
/* Capabilities, with libcap: keep what the scans need, drop the rest. */
#include <errno.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "util.h"
#include "log.h"
#include "privs.h"

static void cap_freep(cap_t *c)
{
        if (*c)
                cap_free(*c);
}

int privs_drop(bool all_namespaces)
{
        _cleanup_(cap_freep) cap_t have = cap_get_proc(), want = cap_init();
        cap_value_t keep[3] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN };
        int n_keep = all_namespaces ? 3 : 2, n = 0;
        cap_value_t kept[3];

        if (!have || !want)
                return log_error_errno(errno ?: ENOMEM, "Cannot read capabilities: %m");
        for (int i = 0; i < n_keep; i++) {
                cap_flag_value_t v = CAP_CLEAR;
                if (cap_get_flag(have, keep[i], CAP_PERMITTED, &v) == 0 && v == CAP_SET)
                        kept[n++] = keep[i];
        }
        if (n > 0 && (cap_set_flag(want, CAP_PERMITTED, n, kept, CAP_SET) < 0 ||
                      cap_set_flag(want, CAP_EFFECTIVE, n, kept, CAP_SET) < 0))
                return log_error_errno(errno, "Cannot build the capability set: %m");

        /* Bounding set first: dropping from it needs CAP_SETPCAP, which goes next. */
        for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
                bool keep_it = false;
                for (int i = 0; i < n; i++)
                        keep_it |= kept[i] == c;
                if (!keep_it && CAP_IS_SUPPORTED(c) && cap_get_bound(c) == 1 && cap_drop_bound(c) < 0 &&
                    errno != EPERM)
                        return log_error_errno(errno, "Cannot drop capability %d from the bounding set: %m",
                                               (int) c);
        }
        if (cap_reset_ambient() < 0 && errno != EINVAL)
                log_debug_errno(errno, "Cannot clear the ambient set: %m");
        if (cap_set_proc(want) < 0)
                return log_error_errno(errno, "Cannot drop capabilities: %m");
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "Cannot set no_new_privs: %m");
        return 0;
}

json_t *privs_to_json(void)
{
        _cleanup_(cap_freep) cap_t have = cap_get_proc();
        json_t *a = json_array();

        if (!a || !have)
                return a;
        for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
                cap_flag_value_t v = CAP_CLEAR;
                if (!CAP_IS_SUPPORTED(c) || cap_get_flag(have, c, CAP_EFFECTIVE, &v) < 0 || v != CAP_SET)
                        continue;
                char *name = cap_to_name(c);
                if (name) {
                        json_array_append_new(a, json_string(name));
                        cap_free(name);
                }
        }
        return a;
}
