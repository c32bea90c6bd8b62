/* SPDX-License-Identifier: MIT */
/* Control requests: one JSON line parsed and checked; replies formatted (docs/PROTOCOL.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "request.h"
#include "sockaudit.h"

static const char *const cmd_names[_REQUEST_CMD_MAX] = {
        [REQUEST_WHO] = "who",
        [REQUEST_LIST] = "list",
        [REQUEST_STATUS] = "status",
        [REQUEST_REFRESH] = "refresh",
        [REQUEST_CHECK] = "check",
        [REQUEST_WATCH] = "watch",
        [REQUEST_TLS] = "tls",
        [REQUEST_METRICS] = "metrics",
};

static const char *const error_names[_REQUEST_ERROR_MAX] = {
        [REQUEST_ERROR_BAD_REQUEST] = "bad_request",
        [REQUEST_ERROR_UNKNOWN_CMD] = "unknown_cmd",
        [REQUEST_ERROR_TOO_LARGE] = "too_large",
        [REQUEST_ERROR_DENIED] = "denied",
        [REQUEST_ERROR_INTERNAL] = "internal",
        [REQUEST_ERROR_BUSY] = "busy",
};

const char reply_out_of_memory_line[] =
        "{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}\n";

const char *request_cmd_name(request_cmd cmd)
{
        return (unsigned) cmd < _REQUEST_CMD_MAX ? cmd_names[cmd] : NULL;
}

const char *request_error_code_name(request_error_code code)
{
        return (unsigned) code < _REQUEST_ERROR_MAX ? error_names[code] : NULL;
}

/*
 * Copies untrusted s into buf as printable ASCII: other bytes become \xNN,
 * and with quote '"' and '\' are escaped too (for text we put in quotes);
 * cut with "..." when longer than a message needs.
 */
static const char *escape_ascii(const char *s, bool quote, char *buf, size_t size)
{
        static const char hex[] = "0123456789abcdef";
        const size_t keep = quote ? 40 : 120;   /* input bytes shown at most */
        size_t o = 0, i;

        for (i = 0; i < keep && s[i] && o + 5 < size; i++) {
                unsigned char c = (unsigned char) s[i];

                if (quote && (c == '"' || c == '\\')) {
                        buf[o++] = '\\';
                        buf[o++] = (char) c;
                } else if (c >= 0x20 && c < 0x7f) {
                        buf[o++] = (char) c;
                } else {
                        buf[o++] = '\\';
                        buf[o++] = 'x';
                        buf[o++] = hex[c >> 4];
                        buf[o++] = hex[c & 15];
                }
        }
        if (s[i] && o + 4 <= size) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = '\0';
        return buf;
}

static int fail(request_error *err, request_error_code code, const char *format, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(request_error *err, request_error_code code, const char *format, ...)
{
        va_list ap;

        err->code = code;
        va_start(ap, format);
        vsnprintf(err->message, sizeof(err->message), format, ap);
        va_end(ap);
        return code == REQUEST_ERROR_INTERNAL ? -ENOMEM : -EINVAL;
}

static int parse_port(const json_t *v, request_error *err, uint16_t *ret)
{
        json_int_t p;

        if (!json_is_integer(v))
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"port\" must be an integer");
        p = json_integer_value(v);
        if (p < 1 || p > 65535)
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"port\" must be in 1-65535");
        *ret = (uint16_t) p;
        return 0;
}

static int parse_proto(const json_t *v, request_error *err, unsigned *ret)
{
        const char *s;

        if (!json_is_string(v))
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"proto\" must be a string");
        s = json_string_value(v);
        /* The length check keeps "tcp\u0000x" from passing as "tcp". */
        if (json_string_length(v) == 3 && strcmp(s, "tcp") == 0)
                *ret = SA_PROTO_TCP;
        else if (json_string_length(v) == 3 && strcmp(s, "udp") == 0)
                *ret = SA_PROTO_UDP;
        else if (json_string_length(v) == 3 && strcmp(s, "any") == 0)
                *ret = SA_PROTO_ANY;
        else
                return fail(err, REQUEST_ERROR_BAD_REQUEST,
                            "\"proto\" must be \"tcp\", \"udp\" or \"any\"");
        return 0;
}

static int parse_form(const json_t *v, request_error *err, request_form *ret)
{
        const char *s = json_string_value(v);

        if (!json_is_string(v))
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"form\" must be a string");
        if (json_string_length(v) == 4 && strcmp(s, "full") == 0)
                *ret = REQUEST_FORM_FULL;
        else if (json_string_length(v) == 7 && strcmp(s, "compact") == 0)
                *ret = REQUEST_FORM_COMPACT;
        else
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"form\" must be \"full\" or \"compact\"");
        return 0;
}

int request_parse(const char *line, size_t len, request_error *err, request *ret)
{
        _cleanup_json_ json_t *root = NULL;
        request req = { .protos = SA_PROTO_ANY };
        json_error_t jerr;
        const json_t *cmd, *value;
        const char *name, *key;
        char esc[200];
        bool found = false;
        int r;

        root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                if (json_error_code(&jerr) == json_error_out_of_memory)
                        return fail(err, REQUEST_ERROR_INTERNAL, "out of memory");
                /* jansson quotes input in its text ("near '...'"): escape it. */
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "invalid JSON at byte %d: %s",
                            jerr.position, escape_ascii(jerr.text, false, esc, sizeof(esc)));
        }
        if (!json_is_object(root))
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "a request must be a JSON object");

        cmd = json_object_get(root, "cmd");
        if (!cmd)
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "missing \"cmd\"");
        if (!json_is_string(cmd))
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"cmd\" must be a string");
        name = json_string_value(cmd);

        for (size_t i = 0; i < _REQUEST_CMD_MAX; i++)
                if (strlen(cmd_names[i]) == json_string_length(cmd) && strcmp(name, cmd_names[i]) == 0) {
                        req.cmd = (request_cmd) i;
                        found = true;
                        break;
                }
        if (!found)
                return fail(err, REQUEST_ERROR_UNKNOWN_CMD, "unknown command \"%s\"",
                            escape_ascii(name, true, esc, sizeof(esc)));

        json_object_foreach((json_t *) root, key, value) {
                bool filters = req.cmd == REQUEST_WHO || req.cmd == REQUEST_LIST;

                if (strcmp(key, "cmd") == 0)
                        continue;
                if ((filters || req.cmd == REQUEST_TLS) && strcmp(key, "port") == 0)
                        r = parse_port(value, err, &req.port);
                else if ((filters || req.cmd == REQUEST_TLS) && strcmp(key, "proto") == 0)
                        r = parse_proto(value, err, &req.protos);
                else if (filters && strcmp(key, "form") == 0)
                        r = parse_form(value, err, &req.form);
                else
                        r = fail(err, REQUEST_ERROR_BAD_REQUEST, "unknown field \"%s\" for \"%s\"",
                                 escape_ascii(key, true, esc, sizeof(esc)), cmd_names[req.cmd]);
                if (r < 0)
                        return r;
        }
        if ((req.cmd == REQUEST_WHO || req.cmd == REQUEST_TLS) && req.port == 0)
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"%s\" needs \"port\"", cmd_names[req.cmd]);
        if (req.cmd == REQUEST_TLS && req.protos == SA_PROTO_UDP)
                return fail(err, REQUEST_ERROR_BAD_REQUEST, "\"tls\" probes TCP listeners only (QUIC is not probed)");
        if (req.cmd == REQUEST_TLS)
                req.protos = SA_PROTO_TCP;

        *ret = req;
        return 0;
}

uint64_t request_listeners_pack(const request *req)
{
        uint64_t cmd = req->cmd == REQUEST_TLS ? 2 : req->cmd == REQUEST_WHO;

        return (uint64_t) req->port | (uint64_t) (req->protos & 0xff) << 16 |
               (uint64_t) (req->form == REQUEST_FORM_COMPACT) << 24 | cmd << 25;
}

request request_listeners_unpack(uint64_t packed)
{
        return (request) {
                .cmd = (const request_cmd[]) { REQUEST_LIST, REQUEST_WHO, REQUEST_TLS, REQUEST_LIST }[(packed >> 25) & 3],
                .port = (uint16_t) packed,
                .protos = (unsigned) (packed >> 16) & 0xff,
                .form = (packed >> 24) & 1 ? REQUEST_FORM_COMPACT : REQUEST_FORM_FULL,
        };
}

json_t *reply_ok(void)
{
        return json_pack("{s:b}", "ok", 1);
}

json_t *reply_error(request_error_code code, const char *format, ...)
{
        char msg[512];
        json_t *m, *reply;
        va_list ap;

        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        m = json_string(msg);
        if (!m) {
                /* Not valid UTF-8 (or no memory): keep printable ASCII only. */
                for (unsigned char *p = (unsigned char *) msg; *p; p++)
                        if (*p < 0x20 || *p >= 0x7f)
                                *p = '?';
                m = json_string(msg);
                if (!m)
                        return NULL;
        }
        reply = json_pack("{s:b,s:{s:s,s:o}}", "ok", 0, "error", "code",
                          request_error_code_name(code) ?: "internal", "message", m);
        return reply;
}

int reply_format(const json_t *reply, char **ret_line, size_t *ret_len)
{
        char *s, *line;
        size_t n;

        s = json_dumps(reply, SA_JSON_DUMP_FLAGS);
        if (!s)
                return -ENOMEM;
        n = strlen(s);
        line = realloc(s, n + 2);
        if (!line) {
                free(s);
                return -ENOMEM;
        }
        line[n] = '\n';
        line[n + 1] = '\0';
        *ret_line = line;
        *ret_len = n + 1;
        return 0;
}
