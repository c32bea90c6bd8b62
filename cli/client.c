/* SPDX-License-Identifier: MIT */
/* The control-socket client: one JSON object per line each way. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "sockaudit.h"

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: none), for poll(). */
static int remaining(int64_t deadline)
{
        if (deadline < 0)
                return -1;
        int64_t left = deadline - now_ms();
        return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

static int64_t deadline_of(int timeout_ms)
{
        return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/*
 * Waits for events on c->fd until deadline. 0 ready, -ETIMEDOUT, -errno
 * (-EINTR when a signal with a handler arrived: the caller decides).
 */
static int wait_fd(const client *c, short events, int64_t deadline)
{
        struct pollfd p = { .fd = c->fd, .events = events };

        int n = poll(&p, 1, remaining(deadline));

        return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

int client_connect(client *c, const char *path, int timeout_ms)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t len = strlen(path);
        int fd;

        if (len == 0 || len >= sizeof sa.sun_path)
                return len ? -ENAMETOOLONG : -EINVAL;
        memcpy(sa.sun_path, path, len + 1);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /*
         * A blocking AF_UNIX connect() waits while the listener's backlog is
         * full, bounded by SO_SNDTIMEO (then EAGAIN); a non-blocking one
         * would fail at once instead of waiting.
         */
        if (timeout_ms > 0) {
                struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        }
        while (connect(fd, (const struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = errno == EAGAIN ? -ETIMEDOUT : -errno;
                if (errno == EINTR)
                        continue;
                close(fd);
                return r;
        }
        /* From here on every wait is a poll() against the caller's deadline. */
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        client_close(c);
        c->fd = fd;
        return 0;
}

void client_close(client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        free(c->buf);
        *c = (client) CLIENT_INIT;
}

int client_send(client *c, const json_t *req, int timeout_ms)
{
        int64_t deadline = deadline_of(timeout_ms);
        char *line = json_dumps(req, SA_JSON_DUMP_FLAGS);
        size_t len, done = 0;
        int r = 0;

        if (!line)
                return -ENOMEM;
        len = strlen(line);
        line[len] = '\n';       /* overwrites the NUL: sent as len + 1 bytes */
        while (done < len + 1) {
                ssize_t n = send(c->fd, line + done, len + 1 - done, MSG_NOSIGNAL);
                if (n >= 0) {
                        done += (size_t) n;
                        continue;
                }
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN) {
                        r = -errno;
                        break;
                }
                r = wait_fd(c, POLLOUT, deadline);
                if (r < 0)
                        break;
        }
        free(line);
        return r;
}

/* Makes room for at least one more read: compacts, then grows. */
static int make_room(client *c)
{
        if (c->off > 0) {
                memmove(c->buf, c->buf + c->off, c->len - c->off);
                c->len -= c->off;
                c->off = 0;
        }
        if (c->len < c->cap)
                return 0;
        if (c->cap > CLIENT_LINE_MAX)
                return -EMSGSIZE;
        size_t cap = c->cap ? c->cap * 2 : 64 * 1024;
        if (cap > CLIENT_LINE_MAX + 1)
                cap = CLIENT_LINE_MAX + 1;
        char *b = realloc(c->buf, cap);
        if (!b)
                return -ENOMEM;
        c->buf = b;
        c->cap = cap;
        return 0;
}

int client_read_line(client *c, int timeout_ms, const char **ret_line, size_t *ret_len)
{
        int64_t deadline = deadline_of(timeout_ms);

        for (;;) {
                char *start = c->buf + c->off;
                char *nl = c->len > c->off + c->scanned
                        ? memchr(start + c->scanned, '\n', c->len - c->off - c->scanned) : NULL;
                if (nl) {
                        *nl = '\0';
                        *ret_line = start;
                        *ret_len = (size_t) (nl - start);
                        c->off += *ret_len + 1;
                        c->scanned = 0;
                        return 1;
                }
                c->scanned = c->len - c->off;
                if (c->scanned > CLIENT_LINE_MAX)
                        return -EMSGSIZE;

                int r = make_room(c);
                if (r < 0)
                        return r;
                ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
                if (n > 0) {
                        c->len += (size_t) n;
                        continue;
                }
                if (n == 0)
                        return c->len > c->off ? -EBADMSG : 0;
                if (errno != EAGAIN)
                        return -errno;
                r = wait_fd(c, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
}
