/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU inode marks (lib/inomarks.h). The kernel's get_next_ino() hands
 * out numbers from per-CPU batches of 1024 ([b+1, b+1024], b a multiple of
 * 1024) taken from a shared counter, so a pipe made on each CPU in turn
 * shows each CPU's position v. Afterwards, a CPU hands out numbers in
 * (v, end of its batch] or in batches above every current one.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inomarks.h"

/* True when CPU cpu is offline (it hands out no inode while it is). */
static bool cpu_offline(int cpu)
{
        char path[64], c = '1';
        int fd;

        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/online", cpu);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (read(fd, &c, 1) != 1)
                c = '1';
        close(fd);
        return c == '0';
}

size_t sa_inomarks_take(uint32_t *marks, size_t max)
{
        long ncpu = sysconf(_SC_NPROCESSORS_CONF);
        cpu_set_t saved, one;
        size_t n = 0;

        if (ncpu <= 0 || ncpu > CPU_SETSIZE || sched_getaffinity(0, sizeof saved, &saved) < 0)
                return 0;
        for (int cpu = 0; cpu < ncpu; cpu++) {
                struct stat st;
                int p[2];

                CPU_ZERO(&one);
                CPU_SET(cpu, &one);
                if (sched_setaffinity(0, sizeof one, &one) < 0) {
                        if (cpu_offline(cpu))
                                continue;
                        n = 0;
                        break;
                }
                if (n == max || pipe2(p, O_CLOEXEC) < 0) {
                        n = 0;
                        break;
                }
                if (fstat(p[0], &st) == 0 && st.st_ino <= UINT32_MAX)
                        marks[n++] = (uint32_t) st.st_ino;
                close(p[0]);
                close(p[1]);
        }
        (void) sched_setaffinity(0, sizeof saved, &saved);
        return n;
}

/* Last number of the batch that v is in. */
static uint64_t batch_end(uint32_t v)
{
        return (((uint64_t) v - 1) & ~(uint64_t) 1023) + 1024;
}

bool sa_inomarks_newer(const uint32_t *marks, size_t n, uint32_t ino)
{
        uint64_t top = 0;

        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                uint64_t end = batch_end(marks[i]);
                if (ino > marks[i] && ino <= end)
                        return true;
                if (end > top)
                        top = end;
        }
        return ino > top;
}
