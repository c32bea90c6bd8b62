/* SPDX-License-Identifier: MIT */
/* Socket activation: activators among a socket's holders, and their units. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "activation.h"
#include "rootpath.h"
#include "util.h"

/* Programs whose job is to hold sockets for others. */
static const char *const supervisors[] = {
        "systemd-socket-activate", "inetd", "xinetd",
};

/* Unit directories, in systemd's order of precedence. */
static const char *const unit_dirs[] = {
        "etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system", "lib/systemd/system",
};

#define UNIT_FILE_MAX (64 * 1024)

static bool str_eq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}

static bool is_init(const sa_process *p)
{
        return str_eq(p->unit, "init.scope");
}

static bool is_supervisor(const sa_process *p)
{
        const char *base = p->exe ? strrchr(p->exe, '/') : NULL;

        base = base ? base + 1 : p->exe;
        for (size_t i = 0; base && i < sizeof supervisors / sizeof supervisors[0]; i++)
                if (!strcmp(base, supervisors[i]))
                        return true;
        return false;
}

#define ENVIRON_MAX (128 * 1024)

/*
 * Whether pid's initial environment (PROC_ROOT/PID/environ, at most
 * ENVIRON_MAX bytes) says it was handed fds the sd_listen_fds(3) way:
 * LISTEN_FDS= and LISTEN_PID= naming itself (pid, or nspid inside its own
 * PID namespace). false when unreadable. Costs an open and a read or two.
 */
static bool was_passed_fds(const char *proc_root, const sa_process *c)
{
        char path[4096], *buf;
        bool fds = false, me = false;
        size_t len = 0;
        ssize_t n;
        int fd;

        if (snprintf(path, sizeof path, "%s/%d/environ", proc_root, (int) c->pid) >= (int) sizeof path)
                return false;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return false;
        buf = malloc(ENVIRON_MAX + 1);
        while (buf && len < ENVIRON_MAX && (n = read(fd, buf + len, ENVIRON_MAX - len)) > 0)
                len += (size_t) n;
        close(fd);
        if (!buf)
                return false;
        buf[len] = '\0';
        for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
                const char *v = buf + i;
                char *end;
                long pid;

                if (!strncmp(v, "LISTEN_FDS=", 11))
                        fds = v[11] >= '1' && v[11] <= '9';
                else if (!strncmp(v, "LISTEN_PID=", 11)) {
                        pid = strtol(v + 11, &end, 10);
                        me = *end == '\0' && pid > 0 && (pid == c->pid || (c->nspid > 0 && pid == c->nspid));
                }
        }
        free(buf);
        return fds && me;
}

/*
 * True when holder i passed the socket to a child holder the way an
 * activator does: the child runs another program and was told of its fds
 * with LISTEN_FDS/LISTEN_PID. A parent that merely leaked its fd to a
 * program it started is no activator.
 */
static bool activated_child(const char *proc_root, const sa_listener *l, size_t i)
{
        const sa_process *p = l->holders[i].proc;

        for (size_t k = 0; k < l->n_holders; k++) {
                const sa_process *c = l->holders[k].proc;
                if (k != i && c->ppid == p->pid && p->exe && c->exe && strcmp(p->exe, c->exe) != 0 &&
                    was_passed_fds(proc_root, c))
                        return true;
        }
        return false;
}

/* Port of a Listen*= value ("443", "0.0.0.0:443", "[::]:443"); 0 for paths and others. */
static unsigned listen_port(const char *v)
{
        const char *colon = strrchr(v, ':'), *digits = colon ? colon + 1 : v;
        char *end;
        unsigned long port;

        if (*v == '/' || *v == '@' || !strncmp(v, "vsock:", 6) || !*digits)
                return 0;
        port = strtoul(digits, &end, 10);
        return *end == '\0' && port > 0 && port <= 65535 ? (unsigned) port : 0;
}

/* What one .socket file says about a port: whether it listens there, and its service. */
struct socket_unit {
        bool listens;
        bool accept;
        char service[256];
};

static void parse_socket_unit(const char *text, uint8_t proto, uint16_t port, struct socket_unit *u)
{
        const char *want = proto == IPPROTO_TCP ? "ListenStream" : "ListenDatagram";
        bool in_socket = false;

        memset(u, 0, sizeof *u);
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                size_t len = strcspn(line, "\n");
                char buf[512], *eq, *key, *val;

                while (len > 0 && (*line == ' ' || *line == '\t')) {
                        line++;
                        len--;
                }
                if (len == 0 || len >= sizeof buf || *line == '#' || *line == ';')
                        continue;
                memcpy(buf, line, len);
                buf[len] = '\0';
                while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t' || buf[len - 1] == '\r'))
                        buf[--len] = '\0';
                if (buf[0] == '[') {
                        in_socket = !strcmp(buf, "[Socket]");
                        continue;
                }
                eq = strchr(buf, '=');
                if (!in_socket || !eq)
                        continue;
                *eq = '\0';
                key = buf;
                val = eq + 1;
                for (char *k = eq - 1; k >= key && (*k == ' ' || *k == '\t'); k--)
                        *k = '\0';
                while (*val == ' ' || *val == '\t')
                        val++;
                if (!strcmp(key, want) && listen_port(val) == port)
                        u->listens = true;
                else if (!strcmp(key, "Service"))
                        snprintf(u->service, sizeof u->service, "%s", val);
                else if (!strcmp(key, "Accept"))
                        u->accept = !strcmp(val, "yes") || !strcmp(val, "true") || !strcmp(val, "1");
        }
}

/*
 * Reads dir/name under the process's root root_fd, resolved inside it
 * (sa_root_open): a regular file, not a symlink (an alias) nor anything
 * else. NULL when it is none or cannot be read. Caller frees.
 */
static char *read_unit_file(int root_fd, const char *dir, const char *name)
{
        char path[512], *buf = NULL;
        struct stat st;
        ssize_t n;
        int fd;

        if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int) sizeof path)
                return NULL;
        fd = sa_root_open(root_fd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (buf = malloc(UNIT_FILE_MAX + 1))) {
                n = read(fd, buf, UNIT_FILE_MAX);
                if (n < 0) {
                        free(buf);
                        buf = NULL;
                } else
                        buf[n] = '\0';
        }
        close(fd);
        return buf;
}

/* The unit directory dir under root_fd, resolved inside it; NULL if none. */
static DIR *open_unit_dir(int root_fd, const char *dir)
{
        int fd = sa_root_open(root_fd, dir, O_RDONLY | O_DIRECTORY);
        DIR *d;

        if (fd < 0)
                return NULL;
        d = fdopendir(fd);
        if (!d)
                close(fd);
        return d;
}

/*
 * The .socket unit of pid's systemd that listens on l's port: the one whose
 * service is service (if known), else the first found. Sets *ret_socket and,
 * if service is NULL, *ret_service. 0 when none.
 */
static int find_socket_unit(const char *proc_root, pid_t pid, const sa_listener *l,
                            const char *service, char **ret_socket, char **ret_service)
{
        char *best = NULL, *best_service = NULL, path[4096];
        char seen[64][256];
        size_t n_seen = 0;
        _cleanup_close_ int root_fd = -1;

        if (snprintf(path, sizeof path, "%s/%d/root", proc_root, (int) pid) >= (int) sizeof path)
                return 0;
        root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return 0;
        for (size_t d = 0; d < sizeof unit_dirs / sizeof unit_dirs[0]; d++) {
                DIR *dir;
                struct dirent *de;

                dir = open_unit_dir(root_fd, unit_dirs[d]);
                if (!dir)
                        continue;
                while ((de = readdir(dir))) {
                        size_t len = strlen(de->d_name);
                        struct socket_unit u;
                        char svc[300], *text;
                        bool dup = false;

                        if (len < 8 || len >= sizeof seen[0] || strcmp(de->d_name + len - 7, ".socket"))
                                continue;
                        for (size_t i = 0; i < n_seen && !dup; i++)
                                dup = !strcmp(seen[i], de->d_name);
                        if (dup)
                                continue;       /* an earlier directory overrides it */
                        if (n_seen < sizeof seen / sizeof seen[0])
                                memcpy(seen[n_seen++], de->d_name, len + 1);
                        text = read_unit_file(root_fd, unit_dirs[d], de->d_name);
                        if (!text)
                                continue;
                        parse_socket_unit(text, l->proto, l->port, &u);
                        free(text);
                        if (!u.listens)
                                continue;
                        if (u.service[0])
                                snprintf(svc, sizeof svc, "%s", u.service);
                        else
                                snprintf(svc, sizeof svc, "%.*s%s.service", (int) (len - 7), de->d_name,
                                         u.accept ? "@" : "");
                        if (best && !(service && str_eq(service, svc)))
                                continue;
                        free(best);
                        free(best_service);
                        best = strdup(de->d_name);
                        best_service = strdup(svc);
                        if (!best || !best_service) {
                                closedir(dir);
                                free(best);
                                free(best_service);
                                return -ENOMEM;
                        }
                        if (service && str_eq(service, svc))
                                break;
                }
                closedir(dir);
        }
        *ret_socket = best;
        if (!service)
                *ret_service = best_service;
        else
                free(best_service);
        return 0;
}

int sa_activation_annotate(const char *proc_root, sa_listener *l)
{
        const char *service = NULL;
        size_t n_act = 0;

        for (size_t i = 0; i < l->n_holders; i++) {
                const sa_process *p = l->holders[i].proc;
                if (is_init(p) || is_supervisor(p) || activated_child(proc_root, l, i)) {
                        l->holders[i].role = SA_ROLE_ACTIVATOR;
                        n_act++;
                }
        }
        if (n_act == 0)
                return 0;
        for (size_t i = 0; i < l->n_holders; i++) {
                sa_holder *h = &l->holders[i];
                if (h->role == SA_ROLE_ACTIVATOR)
                        continue;
                h->role = SA_ROLE_SERVICE;
                if (!service)
                        service = h->proc->user_unit ? h->proc->user_unit : h->proc->unit;
        }
        for (size_t i = 0; i < l->n_holders; i++) {
                sa_holder *h = &l->holders[i];
                char *found_service = NULL;

                if (h->role != SA_ROLE_ACTIVATOR)
                        continue;
                if (is_init(h->proc) &&
                    find_socket_unit(proc_root, h->proc->pid, l, service, &h->socket_unit, &found_service) < 0)
                        return -ENOMEM;
                if (service && !(h->service_unit = strdup(service))) {
                        free(found_service);
                        return -ENOMEM;
                }
                if (!service)
                        h->service_unit = found_service;
        }
        return 0;
}
