/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU inode marks: where the kernel's get_next_ino() (the inode numbers
 * of sockets and pipes) stood on each CPU at one moment, so that a socket's
 * inode tells whether it was made after that moment. A full scan takes
 * them; a refresh asks whether a listener it does not know is newer than
 * that scan (else only another full scan can find its holders).
 */
#ifndef SA_INOMARKS_H
#define SA_INOMARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Fills marks[0..n) (n <= max, one per online CPU) and returns n, or 0 when
 * the marks cannot be had (a CPU we may not run on, more CPUs than max):
 * callers then assume nothing. Costs a migration and a pipe per CPU; the
 * calling thread's affinity is restored.
 */
size_t sa_inomarks_take(uint32_t *marks, size_t max);

/* True when inode ino was handed out after the n marks were taken (false
 * when n is 0). No syscall; O(n). */
bool sa_inomarks_newer(const uint32_t *marks, size_t n, uint32_t ino);

#endif
