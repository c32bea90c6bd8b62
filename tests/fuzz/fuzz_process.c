/* SPDX-License-Identifier: MIT */
/*
 * The /proc readers: sa_process_read() on a fixture PROC_ROOT/1 whose
 * comm, status, cgroup, cmdline and exe link hold bytes from the input
 * (byte 0: which of them exist; then each as a 2-byte length and its
 * bytes, cmdline last with whatever is left), then what the daemon does
 * with a process: JSON (must be valid) and escaped text (one printable
 * line). sa_cgroup_units() is run on the cgroup bytes directly too.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cgroup.h"
#include "fuzz.h"
#include "process.h"

static char root[] = "/tmp/sa-fuzz-proc.XXXXXX";
static char pdir[64];
static const char *const names[] = { "comm", "status", "cgroup", "exe", "cmdline" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        if (!mkdtemp(root))
                abort();
        chmod(root, 0755);
        snprintf(pdir, sizeof(pdir), "%s/1", root);
        if (mkdir(pdir, 0755) < 0)
                abort();
        return 0;
}

static void put(const char *name, const uint8_t *d, size_t n, bool present)
{
        char path[128];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", pdir, name);
        unlink(path);
        if (!present)
                return;
        if (strcmp(name, "exe") == 0) {
                char target[PATH_MAX];

                /* A symlink target: no NUL, at most PATH_MAX - 1 bytes. */
                n = strnlen((const char *) d, n < sizeof(target) - 1 ? n : sizeof(target) - 1);
                if (n == 0)
                        return;
                memcpy(target, d, n);
                target[n] = '\0';
                if (symlink(target, path) < 0)
                        abort();
                return;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || (n && write(fd, d, n) != (ssize_t) n))
                abort();
        close(fd);
}

static void check_text(const char *s)
{
        char *e;

        if (!s)
                return;
        e = sa_text_escape(s);
        assert(e);
        assert(!strchr(e, '\n') && !strchr(e, '\r') && !strchr(e, '\x1b'));
        free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *part[5], *cg = NULL;
        size_t len[5], cglen = 0;
        sa_process *p = NULL;
        char *unit = NULL, *uunit = NULL, *cgs, *dump;
        uint8_t present;
        json_t *j, *back;
        int r;

        if (size < 1 || size > 300 * 1024)
                return 0;
        present = data[0];
        data++;
        size--;
        for (size_t i = 0; i < 4; i++)
                len[i] = fuzz_take(&data, &size, &part[i]);
        part[4] = data;
        len[4] = size;
        for (size_t i = 0; i < 5; i++) {
                put(names[i], part[i], len[i], present & (1u << i));
                if (i == 2) {
                        cg = part[i];
                        cglen = len[i];
                }
        }

        r = sa_process_read(root, 1, NULL, &p);
        if (r == 0) {
                assert(p->argv && !p->argv[p->argc]);
                assert(!p->unit || p->cgroup);
                j = sa_process_to_json(p);
                assert(j);
                dump = json_dumps(j, JSON_COMPACT);
                assert(dump);
                back = json_loads(dump, 0, NULL);
                assert(back);
                json_decref(back);
                free(dump);
                json_decref(j);
                check_text(p->comm);
                check_text(p->exe);
                check_text(p->cgroup);
                check_text(p->unit);
                for (size_t i = 0; i < p->argc; i++)
                        check_text(p->argv[i]);
                sa_process_free(p);
        } else {
                assert(r == -ESRCH || r < 0);
        }

        cgs = fuzz_strndup(cg ? cg : (const uint8_t *) "", cglen);
        r = sa_cgroup_units(cgs, &unit, &uunit);
        assert(r == 0 || r == -ENOMEM);
        free(unit);
        free(uunit);
        free(cgs);
        return 0;
}
