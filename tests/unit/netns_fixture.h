/* SPDX-License-Identifier: MIT */
/* Live tests' network namespace (implemented in check_zfixture.c). */
#ifndef SA_NETNS_FIXTURE_H
#define SA_NETNS_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Moves the calling test process (Check forks one per test) into a fresh
 * network namespace with lo up. False, with "SKIP: test: why" printed, when
 * it cannot (not root).
 */
bool fixture_enter_netns(const char *test);

/* A TCP listener on 0.0.0.0:port (SO_REUSEADDR), asserted to work; its fd. */
int fixture_tcp_listen(uint16_t port);

#endif
