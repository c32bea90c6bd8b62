/* SPDX-License-Identifier: MIT */
/*
 * The clients of the sockaudit-provenance helper (provhelper.h): what it
 * prints is input like any other, each line parsed alone, bounded, its
 * types checked, a verdict kept only for a pid that was asked about.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ownerindex.h"
#include "provhelper.h"
#include "provtable.h"
#include "sockaudit-internal.h"
#include "util.h"

/* The owner asked about for pid (still without a verdict), or NULL. */
static sa_process *asked(sa_snapshot *snap, char **args, size_t n, json_int_t pid)
{
        char want[16];

        snprintf(want, sizeof want, "%lld:", (long long) pid);
        for (size_t i = 0; i < n; i++)
                if (strncmp(args[i], want, strlen(want)) == 0)
                        for (size_t k = 0; k < snap->n_procs; k++)
                                if (snap->procs[k]->pid == pid && !snap->procs[k]->provenance)
                                        return snap->procs[k];
        return NULL;
}

/* Attaches the verdict of one output line. -ENOMEM only; a line not understood is skipped. */
static int take_line(sa_snapshot *snap, char **args, size_t n, const char *line, size_t len)
{
        json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
        json_t *pid = json_object_get(o, "pid");
        sa_process *p;
        int r = 0;

        if (json_is_integer(pid) && !json_object_get(o, "error") &&
            (p = asked(snap, args, n, json_integer_value(pid))))
                r = sa_exe_provenance_from_json(o, &p->provenance);
        json_decref(o);
        return r;
}

/* Whether pid is among the n of only (only NULL: every pid is). */
static bool wanted(const pid_t *only, size_t n, pid_t pid)
{
        for (size_t i = 0; only && i < n; i++)
                if (only[i] == pid)
                        return true;
        return !only;
}

int sa_snapshot_provenance_helper(sa_snapshot *snap, const pid_t *only, size_t n_only, const char *helper,
                                  char *why, size_t why_len)
{
        size_t n = 0, len = 0, max = snap->n_procs < SA_PROVJOB_MAX ? snap->n_procs : SA_PROVJOB_MAX;
        char **argv = calloc(max + 2, sizeof *argv), *out = NULL, *line, *end;
        int proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC), r = 0, got = 0;

        if (!argv || proc_fd < 0) {
                r = !argv ? -ENOMEM : -errno;
                goto done;
        }
        argv[0] = (char *) helper;
        for (size_t i = 0; i < snap->n_procs && n < max; i++) {
                const sa_process *p = snap->procs[i];
                uint64_t start;

                if (p->provenance || p->incomplete || !wanted(only, n_only, p->pid) ||
                    sa_proc_stat_read(proc_fd, p->pid, &start, NULL) < 0)
                        continue;
                if (asprintf(&argv[1 + n], "%d:%llu", (int) p->pid, (unsigned long long) start) < 0) {
                        argv[1 + n] = NULL;
                        r = -ENOMEM;
                        goto done;
                }
                n++;
        }
        if (n == 0)
                goto done;
        r = sa_helper_run(helper, argv, -1, n * SA_PROVHELPER_LINE_MAX, SA_PROVHELPER_TIMEOUT_MS, &out, &len);
        if (r < 0) {
                snprintf(why, why_len, "the helper %s %s", helper,
                         r == -ENOEXEC ? "did not run or failed" : r == -EMSGSIZE ? "said too much" : strerror(-r));
                goto done;
        }
        for (line = out; r >= 0 && line < out + len; line = end + 1) {
                end = memchr(line, '\n', (size_t) (out + len - line));
                if (!end)
                        end = out + len;
                if ((size_t) (end - line) < SA_PROVHELPER_LINE_MAX)
                        r = take_line(snap, argv + 1, n, line, (size_t) (end - line));
        }
        for (size_t i = 0; r >= 0 && i < snap->n_procs; i++)
                got += snap->procs[i]->provenance != NULL;
done:
        for (size_t i = 1; argv && i <= n; i++)
                free(argv[i]);
        free(argv);
        free(out);
        safe_close(proc_fd);
        if (r < 0 && !why[0])
                snprintf(why, why_len, "%s", strerror(-r));
        return r < 0 ? r : got;
}

int sa_cert_sha256_helper(const char *helper, int root_fd, uid_t uid, gid_t gid, const char *path,
                          char hex[65])
{
        char u[16], g[16], *out = NULL;
        char *argv[] = { (char *) helper, "--cert-sha256", u, g, (char *) path, NULL };
        size_t len = 0;
        int e = 0, r;

        snprintf(u, sizeof u, "%u", (unsigned) uid);
        snprintf(g, sizeof g, "%u", (unsigned) gid);
        r = sa_helper_run(helper, argv, root_fd, 80, SA_PROVHELPER_TIMEOUT_MS, &out, &len);
        if (r < 0)
                return r == -ENOEXEC || r == -ETIMEDOUT || r == -EMSGSIZE ? -ENOEXEC : r;
        /* "ok HEX\n" or "err ERRNO\n", nothing else. */
        if (len == 68 && strncmp(out, "ok ", 3) == 0 && strspn(out + 3, "0123456789abcdef") == 64 &&
            out[67] == '\n') {
                memcpy(hex, out + 3, 64);
                hex[64] = '\0';
        } else if (sscanf(out, "err %d\n", &e) != 1 || e <= 0 || e > 4095)
                e = EIO;
        free(out);
        return -e;
}
