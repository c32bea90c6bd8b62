/* SPDX-License-Identifier: MIT */
/* Words for people: listener place, user, unit, programs (describe.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "describe.h"

const char *sa_describe_user(const sa_process *p, char *buf, size_t size)
{
        if (p->user && *p->user)
                return p->user;
        snprintf(buf, size, "%u", (unsigned) p->uid);
        return buf;
}

const char *sa_describe_unit(const sa_process *p, char *buf, size_t size)
{
        if (p->unit && p->user_unit) {
                snprintf(buf, size, "%s/%s", p->unit, p->user_unit);
                return buf;
        }
        return p->unit ? p->unit : p->user_unit;
}

const char *sa_describe_address(const sa_listener *l, char *buf, size_t size)
{
        char addr[64];
        bool v6 = l->family == AF_INET6;

        sa_listener_address(l, addr, sizeof addr);
        snprintf(buf, size, "%s%s%s%s%.*s", v6 ? "[" : "", addr, v6 ? "]" : "", l->ifname[0] ? "%" : "",
                 (int) sizeof l->ifname, l->ifname);
        return buf;
}

const char *sa_describe_netns(const sa_listener *l, char *buf, size_t size)
{
        if (!strncmp(l->netns_name, SA_NETNS_HOST_NAME, sizeof l->netns_name))
                snprintf(buf, size, "%s", "");
        else if (l->netns_name[0])
                snprintf(buf, size, " in netns %.*s", (int) sizeof l->netns_name, l->netns_name);
        else
                snprintf(buf, size, " in netns net:[%" PRIu64 "]", l->netns);
        return buf;
}

int sa_describe_listener(const sa_listener *l, char **ret)
{
        char addr[96], ns[96];

        if (asprintf(ret, "%u/%s on %s%s", l->port, sa_proto_name(l->proto),
                     sa_describe_address(l, addr, sizeof addr), sa_describe_netns(l, ns, sizeof ns)) < 0)
                return -ENOMEM;
        return 0;
}

static bool same_text(const char *a, const char *b)
{
        return !strcmp(a ? a : "", b ? b : "");
}

/* One program: what the journal and the policy call a program. */
static bool same_program(const sa_process *p, const sa_process *q)
{
        return same_text(p->comm, q->comm) && same_text(p->exe, q->exe) && p->uid == q->uid &&
               same_text(p->user, q->user) && same_text(p->unit, q->unit) &&
               same_text(p->user_unit, q->user_unit);
}

/* "comm[pid] (user, unit)" or "comm (user, unit) ×n" onto f. */
static void put_program(FILE *f, const sa_process *p, size_t n)
{
        char user[24], unit[512];
        const char *u = sa_describe_unit(p, unit, sizeof unit);

        fputs(p->comm && *p->comm ? p->comm : "?", f);
        if (n == 1)
                fprintf(f, "[%d]", (int) p->pid);
        fprintf(f, " (%s%s%s)", sa_describe_user(p, user, sizeof user), u ? ", " : "", u ? u : "");
        if (n > 1)
                fprintf(f, " \xc3\x97%zu", n);      /* U+00D7 MULTIPLICATION SIGN */
}

int sa_describe_process(const sa_process *p, char **ret)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        if (!f)
                return -ENOMEM;
        put_program(f, p, 1);
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret = out;
        return 0;
}

int sa_describe_owners(const sa_listener *l, char **ret)
{
        const sa_process *shown[SA_DESCRIBE_MAX_PROGRAMS];
        size_t count[SA_DESCRIBE_MAX_PROGRAMS] = { 0 }, n_shown = 0, more = 0;
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        if (l->n_holders == 0)
                return (*ret = strdup("no process found")) ? 0 : -ENOMEM;
        for (size_t i = 0; i < l->n_holders; i++) {
                const sa_process *p = l->holders[i].proc;
                size_t k = 0;
                while (k < n_shown && !same_program(shown[k], p))
                        k++;
                if (k == n_shown && n_shown < SA_DESCRIBE_MAX_PROGRAMS)
                        shown[n_shown++] = p;
                if (k < n_shown)
                        count[k]++;
                else
                        more++;
        }
        f = open_memstream(&out, &len);
        if (!f)
                return -ENOMEM;
        for (size_t k = 0; k < n_shown; k++) {
                if (k)
                        fputs(", ", f);
                put_program(f, shown[k], count[k]);
        }
        if (more)
                fprintf(f, " and %zu more process%s", more, more == 1 ? "" : "es");
        if (fclose(f) != 0) {
                free(out);
                return -ENOMEM;
        }
        *ret = out;
        return 0;
}
