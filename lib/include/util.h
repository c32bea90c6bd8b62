/* SPDX-License-Identifier: MIT */
/*
 * Small internal helpers shared by lib/, daemon/ and cli/ (not installed,
 * not in the public header): scope-bound cleanup (GCC's cleanup attribute),
 * ownership transfer, monotonic time, growing arrays, a lower-bound search
 * over sorted arrays, one strict decimal parser, a bounded read and a
 * bounded append.
 */
#ifndef SA_UTIL_H
#define SA_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_json_ _cleanup_(json_decrefp)   /* json_decrefp() is jansson's */

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)
#define NSEC_PER_USEC UINT64_C(1000)

/* Returns *p and sets it to NULL: hands ownership on. */
#define TAKE_PTR(p) ({ __typeof__(p) _p_ = (p); (p) = NULL; _p_; })
/* Returns fd and sets it to -1. */
#define TAKE_FD(fd) ({ int _fd_ = (fd); (fd) = -1; _fd_; })

static inline void freep(void *p)
{
        free(*(void **) p);
}

/* Closes fd if valid, keeping errno; returns -1 for "fd = safe_close(fd)". */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -1;
}

static inline void closep(int *fd)
{
        safe_close(*fd);
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

/* Current time of clock in microseconds. */
static inline uint64_t now_usec(clockid_t clock)
{
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

/*
 * Makes room for item n of *items (size bytes each, *cap of them now):
 * doubles *cap (16 first) when n reached it. 0, or -ENOMEM (on overflow
 * too) with *items and *cap unchanged.
 */
int sa_grow(void **items, size_t *cap, size_t n, size_t size);

/*
 * Index of the first of the n sorted elements (size bytes each) at base
 * that does not compare below key: where key is, or where it would go.
 * cmp(key, element) is <0, 0 or >0 like bsearch's. *ret_found (may be
 * NULL) tells whether that element equals key. O(log n).
 */
size_t sa_lower_bound(const void *key, const void *base, size_t n, size_t size,
                      int (*cmp)(const void *key, const void *element), bool *ret_found);

/*
 * Parses the decimal digits at s (at least one; no sign, no blanks) up to
 * max. With ret_end NULL the digits must end the string; otherwise
 * *ret_end points past them. 0 and *ret set; -EINVAL (not a number, or
 * trailing text), -ERANGE (above max); *ret untouched on failure.
 */
int sa_parse_uint(const char *s, uint64_t max, const char **ret_end, uint64_t *ret);

/* Reads fd into buf until n bytes or the end (EINTR retried): the bytes read, or -errno. */
ssize_t sa_read_upto(int fd, void *buf, size_t n);

/*
 * Appends printf-style text to the NUL-terminated string in out (outlen
 * bytes), cut where out ends; nothing when out is full already.
 */
void sa_appendf(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
