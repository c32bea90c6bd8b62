/* SPDX-License-Identifier: MIT */
/* The out-of-line helpers of util.h: growing arrays, lower-bound search, decimal parser, reading, appending. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define SA_GROW_MIN_CAP 16u

int sa_grow(void **items, size_t *cap, size_t n, size_t size)
{
        size_t c;
        void *p;

        if (n < *cap)
                return 0;
        if (*cap > SIZE_MAX / 2 / size)
                return -ENOMEM;
        c = *cap ? *cap * 2 : SA_GROW_MIN_CAP;
        p = realloc(*items, c * size);
        if (!p)
                return -ENOMEM;
        *items = p;
        *cap = c;
        return 0;
}

size_t sa_lower_bound(const void *key, const void *base, size_t n, size_t size,
                      int (*cmp)(const void *key, const void *element), bool *ret_found)
{
        const char *b = base;
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cmp(key, b + mid * size) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_found)
                *ret_found = lo < n && cmp(key, b + lo * size) == 0;
        return lo;
}

int sa_parse_uint(const char *s, uint64_t max, const char **ret_end, uint64_t *ret)
{
        uint64_t v = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned) (*p - '0');
                if (d > max || v > (max - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        if (!ret_end && *p != '\0')
                return -EINVAL;
        if (ret_end)
                *ret_end = p;
        *ret = v;
        return 0;
}

ssize_t sa_read_upto(int fd, void *buf, size_t n)
{
        size_t len = 0;

        while (len < n) {
                ssize_t k = read(fd, (char *) buf + len, n - len);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        return (ssize_t) len;
}

void sa_appendf(char *out, size_t outlen, const char *fmt, ...)
{
        size_t n = strnlen(out, outlen);
        va_list ap;

        if (n + 1 >= outlen)
                return;
        va_start(ap, fmt);
        vsnprintf(out + n, outlen - n, fmt, ap);
        va_end(ap);
}
