/* SPDX-License-Identifier: MIT */
/* What the bench tools share: a monotonic clock in ms, and doubles sorted with qsort(). */
#ifndef SA_BENCHTIME_H
#define SA_BENCHTIME_H

#include <time.h>

static inline double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int cmp_d(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

#endif
