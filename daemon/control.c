/* SPDX-License-Identifier: MIT */
/*
 * The control socket itself (control.h): taking the socket systemd passed
 * or binding one (parent directory, stale-socket probe, umask, 0660, group
 * "sockaudit"), accepting with a pause when out of descriptors, the peer
 * check (SO_PEERCRED, SO_PEERGROUPS), then the limits on clients (total,
 * per uid, slots kept for root; an idle client evicted to make room:
 * admission.c), and handing each connection to the client pool (client.c),
 * which runs its state machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "util.h"
#include "admission.h"
#include "client.h"
#include "control.h"
#include "log.h"
#include "request.h"
#include "sockaudit.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define CONTROL_GROUP   "sockaudit"
/* accept() failing for lack of resources (EMFILE...): pause listening this long. */
#define ACCEPT_PAUSE_USEC (1 * USEC_PER_SEC)

struct control {
        sd_event *event;
        int fd;
        sd_event_source *listen_source, *resume_timer;
        char *path;              /* NULL when unnamed or abstract */
        bool activated;          /* passed by systemd */
        bool created;            /* we bound the file: remove it on exit */
        dev_t dev;
        ino_t ino;
        bool have_group;
        gid_t gid;

        client_pool *pool;       /* every connected client */
        unsigned max_clients;    /* CONTROL_CLIENTS_MAX unless set */
        unsigned max_per_user;   /* admission_default_per_user() unless set */
        uint64_t accepted, denied, rejected, evicted;   /* for control_stats */
        log_ratelimit rl_accept, rl_denied, rl_full, rl_evict;
};

/* Root, or the sockaudit group as primary or supplementary group. */
static bool peer_allowed(const control *ctl, int fd, const struct ucred *cred)
{
        gid_t small[64];
        _cleanup_free_ gid_t *big = NULL;
        gid_t *groups = small;
        socklen_t len = sizeof(small);

        if (cred->uid == 0)
                return true;
        if (!ctl->have_group)
                return false;
        if (cred->gid == ctl->gid)
                return true;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
                if (errno != ERANGE)
                        return false;
                big = malloc(len);
                if (!big)
                        return false;
                groups = big;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
                        return false;
        }
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
                if (groups[i] == ctl->gid)
                        return true;
        return false;
}

/*
 * A peer turned away (reply consumed): the reply lingers (client_refuse())
 * for at most CONTROL_REFUSING_MAX peers at a time; beyond that one write
 * and close, so a loop of connects cannot pile up descriptors.
 */
static void control_goodbye(control *ctl, int fd, const struct ucred *cred, json_t *reply)
{
        client *c;

        if (client_pool_refusing(ctl->pool) >= CONTROL_REFUSING_MAX) {
                client_say_and_close(fd, reply);
                return;
        }
        if (client_new(ctl->pool, fd, cred, &c) < 0) {
                json_decref(reply);
                return;         /* logged */
        }
        client_refuse(c, reply);
}

/*
 * Whether a peer with cred may take a slot (admission.h): 0 yes, possibly
 * after evicting one idle client (told "busy"); -EBUSY no.
 */
static int control_admit(control *ctl, const struct ucred *cred)
{
        const admission_limits lim = {
                .total = ctl->max_clients,
                .per_user = ctl->max_per_user,
                .root_reserve = CONTROL_ROOT_RESERVE,
        };
        size_t n = client_pool_size(ctl->pool), victim = 0;
        const admission_slot *slots;
        client *const *owners;
        unsigned skipped = 0;
        client *c;

        /* Below both limits whatever the others hold: no need to look. */
        if (n < lim.total && (cred->uid == 0 || n < lim.per_user))
                return 0;
        n = client_pool_slots(ctl->pool, &slots, &owners);
        switch (admission_decide(&lim, slots, n, cred->uid, &victim)) {
        case ADMISSION_ADMIT:
                return 0;
        case ADMISSION_EVICT:
                c = owners[victim];
                ctl->evicted++;
                if (log_ratelimit_test(&ctl->rl_evict, &skipped))
                        log_notice("Evicted idle client (pid %d, uid %u) to admit pid %d uid %u: "
                                   "MaxClients=%u, MaxClientsPerUser=%u%s",
                                   (int) client_pid(c), (unsigned) client_uid(c), (int) cred->pid,
                                   (unsigned) cred->uid, lim.total, lim.per_user, LOG_SUPPRESSED(skipped));
                client_evict(c, reply_error(REQUEST_ERROR_BUSY, "closed to make room for a new client: "
                                            "this connection was idle the longest (MaxClients=%u, "
                                            "MaxClientsPerUser=%u)", lim.total, lim.per_user));
                return 0;
        case ADMISSION_REFUSE:
        default:
                return -EBUSY;
        }
}

/* A peer that is neither root nor in the group: told so, never counted against MaxClients=. */
static void control_deny(control *ctl, int fd, const struct ucred *cred)
{
        unsigned skipped = 0;

        ctl->denied++;
        if (log_ratelimit_test(&ctl->rl_denied, &skipped))
                log_notice("Denied client pid %d uid %u gid %u: not root, not in group "
                           CONTROL_GROUP "%s",
                           (int) cred->pid, (unsigned) cred->uid, (unsigned) cred->gid, LOG_SUPPRESSED(skipped));
        control_goodbye(ctl, fd, cred, reply_error(REQUEST_ERROR_DENIED,
                                                   "permission denied: root or group " CONTROL_GROUP " only"));
}

/*
 * An accepted connection: credentials first (a denied peer never takes a
 * slot), then the limits (control_admit()), then the client pool.
 */
static void control_add_client(control *ctl, int fd)
{
        struct ucred cred;
        socklen_t len = sizeof(cred);
        unsigned skipped = 0;
        client *c;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_debug_errno(errno, "SO_PEERCRED failed, closing client: %m");
                safe_close(fd);
                return;
        }
        if (!peer_allowed(ctl, fd, &cred)) {
                control_deny(ctl, fd, &cred);
                return;
        }
        r = control_admit(ctl, &cred);
        if (r < 0) {
                ctl->rejected++;
                if (log_ratelimit_test(&ctl->rl_full, &skipped))
                        log_warning("Refused a client (pid %d, uid %u): %u clients connected, none idle%s",
                                    (int) cred.pid, (unsigned) cred.uid, client_pool_size(ctl->pool),
                                    LOG_SUPPRESSED(skipped));
                control_goodbye(ctl, fd, &cred, reply_error(REQUEST_ERROR_BUSY,
                                "too many clients, none idle (MaxClients=%u, MaxClientsPerUser=%u): "
                                "try again later", ctl->max_clients, ctl->max_per_user));
                return;
        }
        if (client_new(ctl->pool, fd, &cred, &c) < 0)
                return;         /* logged */
        log_debug("Client connected: pid %d uid %u", (int) cred.pid, (unsigned) cred.uid);
        client_start(c);
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        control *ctl = userdata;

        sd_event_source_set_enabled(ctl->listen_source, SD_EVENT_ON);
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        control *ctl = userdata;
        unsigned skipped = 0;

        /* A few per wakeup, so a burst of connects can't starve the rest. */
        for (unsigned i = 0; i < 16; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        if (errno == ECONNABORTED || errno == EPROTO || errno == EPERM)
                                continue;
                        /* Out of fds or memory: listening again at once would spin. */
                        if (log_ratelimit_test(&ctl->rl_accept, &skipped))
                                log_warning_errno(errno, "accept() failed, pausing for 1 s: %m%s",
                                                  LOG_SUPPRESSED(skipped));
                        sd_event_source_set_enabled(ctl->listen_source, SD_EVENT_OFF);
                        sd_event_source_set_time_relative(ctl->resume_timer, ACCEPT_PAUSE_USEC);
                        sd_event_source_set_enabled(ctl->resume_timer, SD_EVENT_ONESHOT);
                        return 0;
                }
                ctl->accepted++;
                control_add_client(ctl, cfd);
        }
        return 0;
}

void control_refresh_group(control *ctl)
{
        struct group grp, *res = NULL;
        char buf[4096];

        ctl->have_group = getgrnam_r(CONTROL_GROUP, &grp, buf, sizeof(buf), &res) == 0 && res;
        ctl->gid = ctl->have_group ? res->gr_gid : (gid_t) -1;
}

/* Makes path's directory (one level, 0755) when it is missing. */
static int make_parent(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        const char *dir;

        if (!copy)
                return -ENOMEM;
        dir = dirname(copy);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Cannot create %s for the control socket: %m", dir);
        return 0;
}

/*
 * Clears the way for binding path: a live socket there is another daemon
 * (-EADDRINUSE); a dead one is removed; anything else is left alone.
 */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
        _cleanup_close_ int probe = -1;
        struct stat st;

        if (lstat(path, &st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Cannot stat %s: %m", path);
        }
        if (!S_ISSOCK(st.st_mode))
                return log_error_errno(EEXIST, "%s exists and is not a socket; not replacing it", path);

        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (probe < 0)
                return log_error_errno(errno, "socket() failed: %m");
        if (connect(probe, (const struct sockaddr *) sa, sizeof(*sa)) == 0 || errno == EAGAIN)
                return log_error_errno(EADDRINUSE, "Another sockauditd is listening on %s; "
                                       "not starting a second one", path);
        if (errno != ECONNREFUSED && errno != ENOENT)
                return log_error_errno(errno, "Cannot check %s: %m", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Cannot remove stale socket %s: %m", path);
        log_info("Removed stale socket %s", path);
        return 0;
}

static int control_bind(control *ctl, const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct stat st;
        mode_t old;
        int r;

        if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
                return log_error_errno(ENAMETOOLONG, "Bad control socket path (at most %zu bytes)",
                                       sizeof(sa.sun_path) - 1);
        memcpy(sa.sun_path, path, strlen(path) + 1);

        r = make_parent(path);
        if (r < 0)
                return r;
        r = remove_stale(path, &sa);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "socket() failed: %m");
        /* Never world-accessible, not even between bind() and chmod(). */
        old = umask(0117);
        r = bind(fd, (const struct sockaddr *) &sa, sizeof(sa));
        umask(old);
        if (r < 0)
                return log_error_errno(errno, "Cannot bind %s: %m", path);
        ctl->path = strdup(path);
        if (!ctl->path) {
                unlink(path);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        ctl->created = true;
        if (stat(path, &st) == 0) {
                ctl->dev = st.st_dev;
                ctl->ino = st.st_ino;
        }
        if (chmod(path, 0660) < 0)
                return log_error_errno(errno, "Cannot chmod %s: %m", path);
        if (ctl->have_group && chown(path, 0, ctl->gid) < 0)
                log_warning_errno(errno, "Cannot give %s to group " CONTROL_GROUP ": %m", path);
        if (listen(fd, SOMAXCONN) < 0)
                return log_error_errno(errno, "Cannot listen on %s: %m", path);

        ctl->fd = TAKE_FD(fd);
        return 0;
}

/* The socket systemd passed, if any: 1 taken, 0 none, <0 unusable. */
static int control_take_activated(control *ctl)
{
        struct sockaddr_un sa;
        socklen_t len = sizeof(sa);
        int n, fd, flags;

        n = sd_listen_fds(1);
        if (n < 0)
                return log_error_errno(n, "Cannot get sockets from systemd: %m");
        if (n == 0)
                return 0;
        if (n > 1)
                return log_error_errno(EINVAL, "systemd passed %d sockets, expected one", n);
        fd = SD_LISTEN_FDS_START;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
                return log_error_errno(EINVAL, "The socket systemd passed is not a listening "
                                       "AF_UNIX stream socket");
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return log_error_errno(errno, "fcntl() on the passed socket failed: %m");

        ctl->fd = fd;
        ctl->activated = true;
        if (getsockname(fd, (struct sockaddr *) &sa, &len) == 0 &&
            len > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0] != '\0') {
                size_t max = len - offsetof(struct sockaddr_un, sun_path);

                ctl->path = strndup(sa.sun_path, max);
                if (!ctl->path)
                        return log_error_errno(ENOMEM, "Out of memory");
        }
        return 1;
}

int control_new(sd_event *event, const char *path, control_handler handler, void *userdata,
                control **ret)
{
        control *ctl;
        int r;

        ctl = calloc(1, sizeof(*ctl));
        if (!ctl)
                return log_error_errno(ENOMEM, "Out of memory");
        ctl->fd = -1;
        ctl->event = sd_event_ref(event);
        ctl->max_clients = CONTROL_CLIENTS_MAX;
        ctl->max_per_user = admission_default_per_user(CONTROL_CLIENTS_MAX);
        ctl->rl_evict = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 5);
        ctl->rl_accept = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        ctl->rl_denied = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 5);
        ctl->rl_full = (log_ratelimit) LOG_RATELIMIT_INIT(60 * USEC_PER_SEC, 1);
        control_refresh_group(ctl);

        r = control_take_activated(ctl);
        if (r == 0)
                r = control_bind(ctl, path);
        if (r < 0)
                goto fail;
        if (ctl->activated)
                log_info("Using the control socket passed by systemd%s%s",
                         ctl->path ? ": " : "", ctl->path ?: "");

        r = sd_event_add_io(event, &ctl->listen_source, ctl->fd, EPOLLIN, on_listen, ctl);
        if (r >= 0)
                r = client_pool_new(event, handler, userdata, &ctl->pool);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &ctl->resume_timer, CLOCK_MONOTONIC,
                                               ACCEPT_PAUSE_USEC, 0, on_resume, ctl);
        if (r >= 0)
                r = sd_event_source_set_enabled(ctl->resume_timer, SD_EVENT_OFF);
        if (r < 0) {
                log_error_errno(r, "Cannot watch the control socket: %m");
                goto fail;
        }
        *ret = ctl;
        return 0;
fail:
        control_free(ctl);
        return r;
}

control *control_free(control *ctl)
{
        struct stat st;

        if (!ctl)
                return NULL;
        client_pool_free(ctl->pool);
        sd_event_source_disable_unref(ctl->listen_source);
        sd_event_source_disable_unref(ctl->resume_timer);
        /* Only our own file: a successor may have bound the path meanwhile. */
        if (ctl->created && ctl->path && stat(ctl->path, &st) == 0 &&
            st.st_dev == ctl->dev && st.st_ino == ctl->ino)
                unlink(ctl->path);
        safe_close(ctl->fd);
        free(ctl->path);
        sd_event_unref(ctl->event);
        free(ctl);
        return NULL;
}

void control_get_stats(const control *ctl, control_stats *ret)
{
        client_pool_get_stats(ctl->pool, ret);
        ret->max = ctl->max_clients;
        ret->max_per_user = ctl->max_per_user;
        ret->accepted = ctl->accepted;
        ret->denied = ctl->denied;
        ret->rejected = ctl->rejected;
        ret->evicted = ctl->evicted;
}

/* Descriptors kept free for everything but clients (netlink, /proc walk, journal). */
#define CONTROL_FD_RESERVE 128u

void control_set_max_clients(control *ctl, unsigned max, unsigned per_user)
{
        struct rlimit rl;
        rlim_t want;

        if (max == 0)
                max = CONTROL_CLIENTS_MAX;
        if (per_user == 0)
                per_user = admission_default_per_user(max);
        if (max != ctl->max_clients || per_user != ctl->max_per_user)
                log_info("Accepting up to %u control clients, %u per user (root exempt)", max, per_user);
        ctl->max_clients = max;
        ctl->max_per_user = per_user;
        /* Clients already connected above a lowered limit stay until they leave. */
        want = (rlim_t) max + CONTROL_ROOT_RESERVE + CONTROL_REFUSING_MAX + CONTROL_FD_RESERVE;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
                return;
        /* epoll, never select(): a soft limit up to the hard one is safe to take. */
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
                log_warning("MaxClients=%u needs about %llu file descriptors, RLIMIT_NOFILE "
                            "allows %llu: accepting may pause when they run out (raise LimitNOFILE=)",
                            max, (unsigned long long) want, (unsigned long long) rl.rlim_cur);
}

void control_set_timeouts(control *ctl, uint64_t request_usec, uint64_t stall_usec)
{
        client_pool_set_timeouts(ctl->pool, request_usec, stall_usec);
}

void control_broadcast(control *ctl, const char *line, size_t len, const char *redacted,
                       size_t redacted_len)
{
        client_pool_broadcast(ctl->pool, line, len, redacted, redacted_len);
}

size_t control_deferred_count(const control *ctl, unsigned kind, uint64_t upto)
{
        return client_pool_deferred_count(ctl->pool, kind, upto);
}

size_t control_answer_deferred(control *ctl, unsigned kind, uint64_t upto, control_deferred_fn fn,
                               void *userdata)
{
        return client_pool_answer_deferred(ctl->pool, kind, upto, fn, userdata);
}

size_t control_retag_deferred(control *ctl, unsigned kind, uint64_t upto, control_retag_fn fn, void *userdata)
{
        return client_pool_retag_deferred(ctl->pool, kind, upto, fn, userdata);
}

const char *control_socket_path(const control *ctl)
{
        return ctl->path;
}

bool control_socket_activated(const control *ctl)
{
        return ctl->activated;
}
