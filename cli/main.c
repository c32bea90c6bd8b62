/* SPDX-License-Identifier: MIT */
/* sockaudit: who owns which listening socket, asked of sockauditd. */
#include "commands.h"
#include "options.h"

int main(int argc, char **argv)
{
        static int (*const run[_VERB_MAX])(const cli_options *) = {
                [VERB_WHO] = cmd_who,
                [VERB_LIST] = cmd_list,
                [VERB_STATUS] = cmd_status,
                [VERB_REFRESH] = cmd_refresh,
                [VERB_WATCH] = cmd_watch,
                [VERB_CHECK] = cmd_check,
                [VERB_EXPLAIN] = cmd_explain,
                [VERB_TLS] = cmd_tls,
                [VERB_METRICS] = cmd_metrics,
                [VERB_HELP] = cmd_help,
                [VERB_VERSION] = cmd_version,
        };
        cli_options o;

        if (cli_parse(argc, argv, &o) < 0)
                return EXIT_USAGE;
        return run[o.verb](&o);
}
