/* SPDX-License-Identifier: MIT */
/*
 * What a TLS probe's answer raises (docs/RECORDS.md#event): tls_changed
 * when the served certificates changed, and each TLS violation not
 * reported yet at that place (policy_tls_news()); the same violations
 * for `check`.
 */
#ifndef SAD_TLSEVENTS_H
#define SAD_TLSEVENTS_H

#include <jansson.h>

#include "monitor.h"
#include "policy.h"

/*
 * A new answer now for l, whose place's record of what was reported is
 * seen (policy_tls_news(), updated): its events, to the watchers and the
 * journal. 1 when seen changed (to be saved), 0 when not, -ENOMEM.
 */
int tlsevents_result(monitor *mon, const policy *p, const sa_listener *l, json_t *seen, const json_t *now);

/* l's TLS violations under tls, appended to arr as check's violations are. -ENOMEM. */
int tlsevents_check(const policy *p, const sa_listener *l, const json_t *tls, json_t *arr);

#endif
