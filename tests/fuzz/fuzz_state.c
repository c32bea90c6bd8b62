/* SPDX-License-Identifier: MIT */
/*
 * The baseline file (state.json) as the daemon reads it at start: any
 * bytes in the file. state_load() (and sa_snapshot_from_json() under it)
 * must accept it or say why; a loaded baseline must survive what the
 * daemon then does with it: diff against itself and against nothing,
 * back to JSON, and be saved again.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "state.h"

static char dir[] = "/tmp/sa-fuzz-state.XXXXXX";
static char path[64], out[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof(path), "%s/state.json", dir);
        snprintf(out, sizeof(out), "%s/out.json", dir);
        return 0;
}

static void check_snapshot(const sa_snapshot *snap)
{
        sa_change *ch = NULL;
        size_t n = 0;
        json_t *j;

        assert(sa_snapshot_diff(snap, snap, NULL, SA_DIFF_BY_SOCKET, &ch, &n) == 0);
        assert(n == 0);
        free(ch);
        assert(sa_snapshot_diff(snap, snap, NULL, SA_DIFF_BY_ADDRESS, &ch, &n) == 0);
        free(ch);
        assert(sa_snapshot_diff(NULL, snap, NULL, SA_DIFF_BY_SOCKET, &ch, &n) == 0);
        assert(n == snap->n_listeners);
        free(ch);
        j = sa_snapshot_listeners_to_json(snap, NULL);
        assert(j);
        for (size_t i = 0; i < snap->n_listeners; i++) {
                char *s = sa_text_escape(snap->listeners[i].ifname);
                assert(s);
                free(s);
        }
        assert(state_save(out, j, NULL, 0) == 0);
        json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char err[512] = "";
        state s = { 0 };
        int fd, r;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size))
                abort();
        close(fd);

        r = state_load(path, &s, err, sizeof(err));
        if (r == 0) {
                assert(s.known);
                check_snapshot(s.known);
                state_clear(&s);
        } else {
                assert(r == -EBADMSG || r == -ENOMEM);
                assert(memchr(err, '\0', sizeof(err)));
        }
        return 0;
}
