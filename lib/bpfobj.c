/* SPDX-License-Identifier: MIT */
/* Opening and loading the embedded eBPF objects, and the reason text when that fails. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpfobj.h"

void sa_bpf_say(char *why, size_t why_size, const char *fmt, ...)
{
        va_list ap;

        if (why_size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
}

#ifdef SA_HAVE_BPF

/* libbpf's own messages: the last warning is kept for the caller's why. */
static __thread char last_message[160];

/* fmt is libbpf's own. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
        if (level == LIBBPF_WARN) {
                char *nl;

                vsnprintf(last_message, sizeof last_message, fmt, ap);
                nl = strchr(last_message, '\n');
                if (nl)
                        *nl = '\0';
        }
        return 0;
}
#pragma GCC diagnostic pop

int sa_bpfobj_load(const void *bytes, size_t n, const char *what, struct bpf_object **ret, char *why,
                   size_t why_size)
{
        DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = what);
        struct bpf_object *obj;
        int r;

        last_message[0] = '\0';
        libbpf_set_print(on_libbpf_print);
        obj = bpf_object__open_mem(bytes, n, &opts);
        if (!obj) {
                r = -errno;
                sa_bpf_say(why, why_size, "cannot open the eBPF object %s: %s", what, strerror(-r));
                return r;
        }
        r = bpf_object__load(obj);
        if (r < 0) {
                if (r == -EPERM)
                        sa_bpf_say(why, why_size, "loading eBPF (%s) needs CAP_BPF and CAP_PERFMON", what);
                else
                        sa_bpf_say(why, why_size, "cannot load eBPF (%s): %s%s%s", what, strerror(-r),
                                   last_message[0] ? ": " : "", last_message);
                bpf_object__close(obj);
                return r;
        }
        *ret = obj;
        return 0;
}

#endif
