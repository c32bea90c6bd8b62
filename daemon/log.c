/* SPDX-License-Identifier: MIT */
/*
 * The daemon's log (see log.h): journal or stderr, the level (main.c
 * reads SOCKAUDIT_LOG_LEVEL), one line per message, and the rate limit for
 * repeated trouble.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static int max_level = LOG_INFO;
static bool use_journal;
static bool opened;
static int journal_fd = -1;
static unsigned journal_dropped;   /* lost while journald did not keep up */

/* True when JOURNAL_STREAM ("DEV:INO") names the file stderr is. */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        int end = 0;

        if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &end) != 2 || e[end] != '\0')
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

int log_level_from_string(const char *s)
{
        static const char *const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };

        if (!s)
                return -EINVAL;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;
        if (strcasecmp(s, "error") == 0)
                return LOG_ERR;
        return -EINVAL;
}

/*
 * A non-blocking datagram socket to journald. sd_journal_print() would
 * block forever once journald stops reading; this one never blocks.
 */
static int journal_open(void)
{
        static const struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

void log_open(void)
{
        if (opened)
                return;
        opened = true;
        if (stderr_is_journal()) {
                journal_fd = journal_open();
                use_journal = journal_fd >= 0;
        }
}

void log_set_max_level(int level)
{
        max_level = level;
}

int log_get_max_level(void)
{
        return max_level;
}

/* One message is one line: control characters and DEL become '?'. */
static void neutralize(char *s)
{
        for (unsigned char *p = (unsigned char *) s; *p; p++)
                if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
                        *p = '?';
}

static void write_stderr(const char *msg)
{
        char buf[LOG_LINE_MAX + 32];
        int n = snprintf(buf, sizeof(buf), "sockauditd: %s\n", msg);
        ssize_t w;

        if (n < 0)
                return;
        if ((size_t) n >= sizeof(buf)) {
                n = sizeof(buf) - 1;
                buf[n - 1] = '\n';
        }
        /* One write per message, so concurrent writers don't interleave lines. */
        do
                w = write(STDERR_FILENO, buf, (size_t) n);
        while (w < 0 && errno == EINTR);
}

/*
 * One entry in journald's native protocol (no value holds a newline: the
 * message was neutralized). 0 sent, -EAGAIN dropped, <0 journal unusable.
 */
static int write_journal(int level, const char *file, const char *line, const char *func,
                         const char *msg)
{
        char prio[16], fn[128];
        struct iovec iov[12];
        struct msghdr mh = { .msg_iov = iov };
        size_t n = 0;

        snprintf(prio, sizeof(prio), "PRIORITY=%d\n", level & LOG_PRIMASK);
        snprintf(fn, sizeof(fn), "CODE_FUNC=%s\n", func);
#define IOV(s) iov[n++] = (struct iovec) { .iov_base = (void *) (s), .iov_len = strlen(s) }
        IOV(prio);
        IOV("SYSLOG_IDENTIFIER=sockauditd\n");
        IOV(file);
        IOV("\n");
        IOV(line);
        IOV("\n");
        IOV(fn);
        IOV("MESSAGE=");
        IOV(msg);
        IOV("\n");
#undef IOV
        mh.msg_iovlen = n;
        if (sendmsg(journal_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return errno == EAGAIN ? -EAGAIN : -errno;
        return 0;
}

int log_internal(int level, int error, const char *file, const char *line, const char *func,
                 const char *format, ...)
{
        char msg[LOG_LINE_MAX];
        int saved = errno;
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > max_level)
                goto out;
        if (!opened)
                log_open();

        errno = error ? error : saved;
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);
        neutralize(msg);

        if (use_journal) {
                int r;

                if (journal_dropped > 0) {
                        char note[96];

                        snprintf(note, sizeof(note), "%u log messages lost: journald did not keep up",
                                 journal_dropped);
                        if (write_journal(LOG_WARNING, file, line, func, note) == 0)
                                journal_dropped = 0;
                }
                r = write_journal(level, file, line, func, msg);
                if (r == -EAGAIN) {
                        /* journald is stalled: lose the line rather than block the daemon. */
                        journal_dropped++;
                        goto out;
                }
                if (r == 0)
                        goto out;
                /* journald is gone: stderr then. */
        }
        write_stderr(msg);
out:
        errno = saved;
        return -error;
}

bool log_ratelimit_test(log_ratelimit *rl, unsigned *ret_suppressed)
{
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (rl->begin_usec == 0 || now - rl->begin_usec >= rl->interval_usec) {
                rl->begin_usec = now;
                rl->n = 0;
        }
        if (rl->n >= rl->burst) {
                rl->suppressed++;
                return false;
        }
        rl->n++;
        if (ret_suppressed)
                *ret_suppressed = rl->suppressed;
        rl->suppressed = 0;
        return true;
}

const char *log_suppressed_note(unsigned n, char *buf, size_t size)
{
        if (n == 0)
                return "";
        snprintf(buf, size, " (%u similar not logged)", n);
        return buf;
}
