/* SPDX-License-Identifier: MIT */
/* RedactCmdline=: command lines taken out of what non-root clients get. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "util.h"

bool redact_for(const daemon_config *cfg, uid_t uid)
{
        return cfg && cfg->redact_cmdline && uid != 0;
}

int redact_cmdlines(json_t *j)
{
        const char *key;
        json_t *v;
        size_t i;

        if (json_is_array(j)) {
                json_array_foreach(j, i, v)
                        if (redact_cmdlines(v) < 0)
                                return -ENOMEM;
                return 0;
        }
        if (!json_is_object(j))
                return 0;
        /* Keys set before the walk: jansson's iteration must not see the object change. */
        if (json_object_get(j, "cmdline") &&
            (json_object_set_new(j, "cmdline", json_array()) < 0 ||
             json_object_set_new(j, "cmdline_truncated", json_false()) < 0 ||
             json_object_set_new(j, "cmdline_redacted", json_true()) < 0))
                return -ENOMEM;
        json_object_foreach(j, key, v)
                if (redact_cmdlines(v) < 0)
                        return -ENOMEM;
        return 0;
}

char *redact_event_line(const json_t *event, size_t *ret_len)
{
        _cleanup_json_ json_t *copy = json_deep_copy(event);
        char *line, *nl;
        size_t len;

        if (!copy || redact_cmdlines(copy) < 0)
                return NULL;
        line = json_dumps(copy, SA_JSON_DUMP_FLAGS);
        if (!line)
                return NULL;
        len = strlen(line);
        nl = realloc(line, len + 2);
        if (!nl) {
                free(line);
                return NULL;
        }
        nl[len] = '\n';
        nl[len + 1] = '\0';
        *ret_len = len + 1;
        return nl;
}
