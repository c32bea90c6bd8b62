/* SPDX-License-Identifier: MIT */
/*
 * The control protocol parser: one request line, any bytes (NULs, invalid
 * UTF-8, deep nesting). request_parse() must either fill the request or
 * name the client's mistake in a printable-ASCII message; the error reply
 * built from it must serialize as one line of valid JSON.
 */
#include <assert.h>
#include <jansson.h>

#include "fuzz.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        request_error err;
        request req;
        json_t *reply, *back;
        char *line = NULL;
        size_t len = 0;
        int r;

        if (size > REQUEST_LINE_MAX)
                return 0;       /* the control layer refuses longer lines */
        memset(&err, 0, sizeof(err));
        r = request_parse((const char *) data, size, &err, &req);
        if (r == 0) {
                assert(req.cmd < _REQUEST_CMD_MAX);
                assert(req.cmd != REQUEST_WHO || req.port != 0);
                reply = reply_ok();
        } else {
                assert(r == -EINVAL || r == -ENOMEM);
                assert(memchr(err.message, '\0', sizeof(err.message)));
                for (const char *p = err.message; *p; p++)
                        assert(*p >= 0x20 && *p < 0x7f);
                reply = reply_error(err.code, "%s", err.message);
        }
        assert(reply);
        r = reply_format(reply, &line, &len);
        assert(r == 0);
        assert(len > 0 && line[len - 1] == '\n' && !memchr(line, '\n', len - 1));
        back = json_loadb(line, len, 0, NULL);
        assert(back);
        json_decref(back);
        free(line);
        json_decref(reply);
        return 0;
}
