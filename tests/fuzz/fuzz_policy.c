/* SPDX-License-Identifier: MIT */
/*
 * Policy reasons and events built from a hostile owner: comm, exe, unit,
 * user and one argv word come from the input (any bytes). Every violation
 * must yield a reason that is valid UTF-8, an event object (watch, check)
 * and a journal entry; none may fail or be dropped.
 */
#include <assert.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "event.h"
#include "fuzz.h"
#include "policy.h"

static char *take_str(const uint8_t **data, size_t *size)
{
        const uint8_t *p;
        size_t n = fuzz_take(data, size, &p);

        return fuzz_strndup(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *argv0 = take_str(&data, &size);
        char *argv[] = { argv0, NULL };
        sa_process proc = {
                .pid = 4242, .ppid = 1, .uid = 4242,
                .comm = take_str(&data, &size), .exe = take_str(&data, &size),
                .unit = take_str(&data, &size), .user = take_str(&data, &size),
                .argv = argv, .argc = 1, .exe_deleted = size % 2,
        };
        int fd = 3;
        sa_holder h = { .proc = &proc, .fds = &fd, .n_fds = 1 };
        sa_listener l = { .proto = IPPROTO_TCP, .family = AF_INET, .port = 443,
                          .holders = &h, .n_holders = 1, .netns = 1 };
        char *nobody = "nobody", *none = "/nonexistent";
        policy_rule rule = { .port = 443, .proto = IPPROTO_TCP,
                             .allow_exe = { .items = &none, .n = 1 },
                             .allow_unit = { .items = &none, .n = 1 },
                             .allow_user = { .items = &nobody, .n = 1 } };
        policy p = { .protos = SA_PROTO_TCP | SA_PROTO_UDP, .rules = &rule, .n_rules = 1 };
        sa_snapshot snap = { .listeners = &l, .n_listeners = 1 };
        violation *v = NULL;
        size_t n = 0;

        snprintf(l.netns_name, sizeof l.netns_name, "%.*s", (int) (size < 63 ? size : 63), (const char *) data);
        assert(policy_evaluate(&p, &snap, &v, &n) == 0);
        assert(n >= 3);   /* exe, unit and user are all refused */
        for (size_t i = 0; i < n; i++) {
                struct timespec when = { 0 };
                json_t *s = json_string(v[i].reason);   /* jansson checks UTF-8 */
                json_t *ev = event_to_json(EVENT_POLICY_VIOLATION, &when, &l, NULL, v[i].reason);
                journal_entry *e = event_journal_entry(EVENT_POLICY_VIOLATION, &l, NULL, v[i].reason);

                assert(s && ev && e);
                json_decref(s);
                json_decref(ev);
                journal_entry_free(e);
        }
        violations_free(v, n);
        free(proc.comm);
        free(proc.exe);
        free(proc.unit);
        free(proc.user);
        free(argv0);
        return 0;
}
