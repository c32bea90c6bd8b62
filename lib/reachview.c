/* SPDX-License-Identifier: MIT */
/*
 * A namespace's view for the daemon's reachability (include/reach.h): its
 * interfaces and its ruleset, dumped by the broker and decoded here, and
 * a listener's `reachability` object evaluated on them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "netifs.h"
#include "nftread.h"
#include "reachbroker.h"

struct sa_reach_view {
        sa_netifs *ifs;
        sa_nft_ruleset *rs;             /* NULL: unreadable, why in unreadable */
        char unreadable[200];
};

int sa_reach_view_read(sa_reach_broker *b, int netns_fd, sa_reach_view **ret, char *err, size_t errlen)
{
        sa_reach_view *v = calloc(1, sizeof *v);
        char legacy[128] = "", why[160] = "";
        void *buf = NULL;
        size_t len = 0;
        int r;

        if (!v) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        r = sa_netifs_read(netns_fd, &v->ifs, err, errlen);
        if (r < 0) {
                free(v);
                return r;
        }
        if (!b)
                snprintf(v->unreadable, sizeof v->unreadable, "no broker to read it (sockaudit-reach not found)");
        else if (sa_reach_broker_dump(b, netns_fd, &buf, &len, legacy, sizeof legacy, why, sizeof why) < 0)
                snprintf(v->unreadable, sizeof v->unreadable, "%s", why);
        else if (sa_nft_ruleset_from_bytes(buf, len, legacy, &v->rs, why, sizeof why) < 0)
                snprintf(v->unreadable, sizeof v->unreadable, "undecodable: %s", why);
        free(buf);
        *ret = v;
        return 0;
}

void sa_reach_view_free(sa_reach_view *v)
{
        if (!v)
                return;
        sa_netifs_free(v->ifs);
        sa_nft_ruleset_free(v->rs);
        free(v);
}

json_t *sa_reach_view_listener(const sa_reach_view *v, const sa_listener *l)
{
        char err[160];
        json_t *o = NULL;

        return sa_reachability_of(l, v->ifs, v->rs, v->unreadable, NULL, NULL, &o, err, sizeof err) < 0 ? NULL : o;
}
