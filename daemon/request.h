/* SPDX-License-Identifier: MIT */
/*
 * Control protocol requests and replies (docs/PROTOCOL.md): parsing of one
 * request line into a struct, and building/serializing reply objects. Pure:
 * no I/O, no logging, no daemon state.
 */
#ifndef SAD_REQUEST_H
#define SAD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Longest request line, without its '\n'. */
#define REQUEST_LINE_MAX (64u * 1024u)

typedef enum request_cmd {
        REQUEST_WHO,
        REQUEST_LIST,
        REQUEST_STATUS,
        REQUEST_REFRESH,
        REQUEST_CHECK,
        REQUEST_WATCH,
        REQUEST_TLS,             /* probe the TCP listeners on "port" now; answered as who when done */
        REQUEST_METRICS,         /* the Prometheus text (metrics.h) */
        _REQUEST_CMD_MAX,
} request_cmd;

typedef enum request_error_code {
        REQUEST_ERROR_BAD_REQUEST,
        REQUEST_ERROR_UNKNOWN_CMD,
        REQUEST_ERROR_TOO_LARGE,
        REQUEST_ERROR_DENIED,
        REQUEST_ERROR_INTERNAL,
        REQUEST_ERROR_BUSY,      /* no slot for the connection: refused or evicted */
        _REQUEST_ERROR_MAX,
} request_error_code;

/* The shape of a who/list reply (docs/PROTOCOL.md, "Compact form"). */
typedef enum request_form {
        REQUEST_FORM_FULL,       /* listener records whole (the default) */
        REQUEST_FORM_COMPACT,    /* each process and exposure once, referred to by index */
} request_form;

typedef struct request {
        request_cmd cmd;
        uint16_t port;           /* 1-65535; 0 = not given (only list) */
        unsigned protos;         /* SA_PROTO_* mask; SA_PROTO_ANY when not given */
        request_form form;       /* who/list: "form"; REQUEST_FORM_FULL when not given */
} request;

typedef struct request_error {
        request_error_code code;
        char message[256];       /* printable ASCII: client bytes are escaped */
} request_error;

/* "who", ...; NULL if out of range. */
const char *request_cmd_name(request_cmd cmd);
/* "bad_request", ...; NULL if out of range. */
const char *request_error_code_name(request_error_code code);

/*
 * Parses one request line (len bytes, without '\n'; may hold any bytes,
 * NULs included). Returns 0 and fills *ret, or -EINVAL with *err describing
 * the client's mistake (bad_request/unknown_cmd), or -ENOMEM with *err set
 * to internal. *ret is untouched on failure; err is untouched on success.
 */
int request_parse(const char *line, size_t len, request_error *err, request *ret);

/*
 * A who/list/tls request (cmd, port, protocols, form) as a number below
 * 1 << REQUEST_PACK_BITS, for a deferred reply's ticket (client_defer());
 * request_listeners_unpack() gives the request back.
 */
#define REQUEST_PACK_BITS 27
uint64_t request_listeners_pack(const request *req);
request request_listeners_unpack(uint64_t packed);

/* {"ok":true}; callers add their fields. NULL on ENOMEM. */
json_t *reply_ok(void);

/*
 * {"ok":false,"error":{"code":CODE,"message":MSG}}. The message is
 * formatted from trusted format and arguments; bytes that are not valid
 * UTF-8 are replaced, so untrusted arguments cannot break the reply.
 * NULL on ENOMEM.
 */
json_t *reply_error(request_error_code code, const char *format, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * Serializes reply as one compact line ending in '\n'. Caller frees
 * *ret_line; *ret_len excludes the terminating NUL. -ENOMEM on failure.
 */
int reply_format(const json_t *reply, char **ret_line, size_t *ret_len);

/* A fixed internal-error line for when nothing can be allocated. */
extern const char reply_out_of_memory_line[];

#endif
