/* SPDX-License-Identifier: MIT */
/* The control-socket client: one JSON object per line each way. */
#ifndef SA_CLI_CLIENT_H
#define SA_CLI_CLIENT_H

#include <stddef.h>

#include <jansson.h>

/* Longest reply line accepted (a full `list` on a big host is a few MiB). */
#define CLIENT_LINE_MAX (64u * 1024u * 1024u)

typedef struct client {
        int fd;
        char *buf;              /* received bytes, buf[off..len) not yet returned */
        size_t off, len, cap;
        size_t scanned;         /* bytes after off known to hold no '\n' */
} client;

#define CLIENT_INIT { .fd = -1 }

/*
 * Connects to the UNIX stream socket at path, waiting at most timeout_ms
 * (< 0: forever) when the daemon's backlog is full. Returns 0, or -errno
 * (-ENAMETOOLONG for a path that does not fit sun_path, -ETIMEDOUT).
 */
int client_connect(client *c, const char *path, int timeout_ms);

/* Closes the connection and frees the buffer; c can be connected again. */
void client_close(client *c);

/*
 * Sends req as one compact line. Returns 0 or -errno (-ETIMEDOUT when the
 * daemon does not take it within timeout_ms; < 0 waits forever).
 */
int client_send(client *c, const json_t *req, int timeout_ms);

/*
 * Reads the next line, waiting at most timeout_ms (< 0: forever). Returns 1
 * with *ret_line (NUL-terminated, newline removed; borrowed until the next
 * call) and *ret_len; 0 at end of stream; -ETIMEDOUT; -EMSGSIZE for a line
 * longer than CLIENT_LINE_MAX; -EBADMSG when the stream ends inside a line;
 * -EINTR when a caught signal interrupted the wait (call again to go on);
 * -errno on a read error.
 */
int client_read_line(client *c, int timeout_ms, const char **ret_line, size_t *ret_len);

#endif
