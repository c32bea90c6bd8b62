/* SPDX-License-Identifier: MIT */
/*
 * sockaudit-provenance: the CLI's hashing, in a program of its own so that
 * the static CLI links no libcrypto (docs/PROVENANCE.md#the-clis-helper).
 * Not for people. Two forms:
 *   PID:START...   one line per pid: {"pid":N, exe_sha256, exe_location,
 *                  package} as records carry them, or {"pid":N,"error":why}
 *                  (gone, or START, its start time, is not the process's:
 *                  a reused pid). At most SA_PROVJOB_MAX pids.
 *   --cert-sha256 UID GID PATH   the first PEM certificate of PATH under
 *                  the root open as fd 3, read as UID/GID: "ok HEX" or
 *                  "err ERRNO".
 * Exits 0 with its answer, 2 on bad arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpkg.h"
#include "exeimage.h"
#include "ownerindex.h"
#include "provenance.h"
#include "provtable.h"
#include "sockaudit-internal.h"
#include "tlsplan.h"
#include "util.h"

static int usage(void)
{
        fputs("sockaudit-provenance: run by sockaudit, not by hand\n", stderr);
        return 2;
}

static int cert_sha256(char **argv)
{
        uint64_t uid, gid;
        char hex[65];
        int e;

        if (sa_parse_uint(argv[0], UINT32_MAX, NULL, &uid) < 0 || sa_parse_uint(argv[1], UINT32_MAX, NULL, &gid) < 0)
                return usage();
        e = sa_tls_cert_file_sha256(NULL, 3, (uid_t) uid, (gid_t) gid, argv[2], hex);
        if (e < 0)
                printf("err %d\n", -e);
        else
                printf("ok %s\n", hex);
        return 0;
}

/* Whether pid still started at start. */
static bool same_process(int proc_fd, pid_t pid, uint64_t start)
{
        uint64_t now;

        return sa_proc_stat_read(proc_fd, pid, &now, NULL) == 0 && now == start;
}

/* One pid's line on stdout. */
static void one(sa_dpkg *db, sa_execache *cache, int proc_fd, pid_t pid, uint64_t start)
{
        json_t *o = json_pack("{s:i}", "pid", (int) pid);
        const sa_exe_provenance *e = NULL;
        sa_provenance *v = calloc(1, sizeof *v);
        const char *why = NULL;
        char *s;
        int r;

        if (!o || !v)
                why = strerror(ENOMEM);
        else if (!same_process(proc_fd, pid, start))
                why = "not the process asked about (gone, or the pid reused)";
        else {
                r = sa_provenance_read(db, cache, "/proc", pid, v);
                /* Like lib/provjob.c: a failed read with a reason is still a verdict. */
                if (r < 0 && !v->reason[0])
                        why = strerror(-r);
                else if (!same_process(proc_fd, pid, start))
                        why = "the pid was reused while it was read";
                else if (!(e = sa_exe_provenance_new(v)) || sa_exe_provenance_to_json(o, e) != 0)
                        why = strerror(ENOMEM);
        }
        if (o && why)
                json_object_set_new(o, "error", json_string(why));
        s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
        sa_exe_provenance_unref(e);
        free(v);
}

int main(int argc, char **argv)
{
        sa_dpkg *db = NULL;
        sa_execache *cache = NULL;
        int proc_fd, r;

        if (argc == 5 && strcmp(argv[1], "--cert-sha256") == 0)
                return cert_sha256(argv + 2);
        if (argc < 2 || argc > 1 + SA_PROVJOB_MAX)
                return usage();
        r = sa_dpkg_open(getenv("SOCKAUDIT_DPKG_ADMINDIR"), &db);
        if ((r < 0 && r != -ENOPKG) || sa_execache_new(0, &cache) < 0) {
                fprintf(stderr, "sockaudit-provenance: %s\n", strerror(r < 0 ? -r : ENOMEM));
                return 1;
        }
        proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0) {
                perror("sockaudit-provenance: /proc");
                return 1;
        }
        for (int i = 1; i < argc; i++) {
                char *colon = strchr(argv[i], ':');
                uint64_t pid, start;

                if (!colon)
                        return usage();
                *colon = '\0';
                if (sa_parse_uint(argv[i], INT32_MAX, NULL, &pid) < 0 || pid == 0 ||
                    sa_parse_uint(colon + 1, UINT64_MAX, NULL, &start) < 0)
                        return usage();
                one(db, cache, proc_fd, (pid_t) pid, start);
        }
        close(proc_fd);
        sa_execache_free(cache);
        sa_dpkg_free(db);
        return fflush(stdout) == 0 ? 0 : 1;
}
