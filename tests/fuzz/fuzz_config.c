/* SPDX-License-Identifier: MIT */
/*
 * sockauditd.conf: config_load_string() on any text (inih plus our own
 * checks on lines, sections and values), and the time-span parser. Either
 * a config comes back or an error message naming a line.
 */
#include <assert.h>
#include <errno.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = fuzz_strndup(data, size);
        daemon_config *cfg = NULL;
        char err[512] = "";
        uint64_t usec;
        int r;

        r = config_load_string(text, "fuzz.conf", err, sizeof(err), &cfg);
        if (r == 0) {
                assert(cfg);
                assert(cfg->policy.protos != 0);
                assert(cfg->scan_interval_usec >= CONFIG_SCAN_INTERVAL_MIN_USEC);
                for (size_t i = 1; i < cfg->policy.n_ports; i++)
                        assert(cfg->policy.ports[i - 1] < cfg->policy.ports[i]);
                config_free(cfg);
        } else {
                assert(r == -EINVAL || r == -ENOMEM || r == -EIO);
                assert(memchr(err, '\0', sizeof(err)));
        }
        (void) config_parse_timespan(text, &usec);
        free(text);
        return 0;
}
