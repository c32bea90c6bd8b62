/* SPDX-License-Identifier: MIT */
/*
 * The control commands (docs/PROTOCOL.md): one table saying, for each
 * request_cmd, which handler answers it and who may call it, and the
 * dispatcher the control socket hands every request line to.
 */
#ifndef SAD_COMMANDS_H
#define SAD_COMMANDS_H

#include <stddef.h>

#include "control.h"
#include "request.h"

typedef struct manager manager;

typedef enum command_access {
        /* Any peer the control socket admitted: root, or group "sockaudit"
         * (primary or supplementary), checked once at accept (control.c). */
        COMMAND_ACCESS_PEER,
        /* Only a peer whose uid is 0; others get "denied" and stay connected. */
        COMMAND_ACCESS_ROOT,
} command_access;

/*
 * Answers req (parsed and allowed) for client c by filling *ret, an error
 * reply included. 0, or -ENOMEM (the client gets an internal error).
 */
typedef int (*command_handler)(manager *m, client *c, const request *req, control_reply *ret);

/* A row of the table; which command it is is its index (a request_cmd). */
typedef struct command {
        command_handler handler;
        command_access access;
} command;

/* Every command the daemon serves, indexed by request_cmd. */
extern const command command_table[_REQUEST_CMD_MAX];

/*
 * The control handler (a control_handler; userdata is the manager):
 * parses one request line (len bytes, no '\n', any bytes), checks the
 * caller against the table and runs the command's handler. Bad requests
 * get their error reply. 0, or -ENOMEM.
 */
int commands_dispatch(client *c, const char *line, size_t len, control_reply *ret, void *userdata);

/*
 * The scan that refresh (cmd REQUEST_REFRESH) or check (REQUEST_CHECK)
 * requests wait for ended with r (0, or -errno): every waiter of cmd with
 * a ticket up to upto gets its reply, "waited_ms" and "shared" (the scan
 * answered others too) added; for check, the violations of m's snapshot.
 * Returns how many were answered (control_answer_deferred()).
 */
size_t commands_answer_deferred(manager *m, request_cmd cmd, uint64_t upto, int r, bool shared);

/*
 * Every who/list/tls deferred as kind with a ticket up to upto (UINT64_MAX:
 * all), each answered from m's snapshot as its own ticket asks (its low
 * REQUEST_PACK_BITS: request_listeners_pack()); stale when the last scan
 * failed. Returns how many (the rest wait: output full).
 */
size_t commands_answer_listeners(manager *m, unsigned kind, uint64_t upto);

#endif
