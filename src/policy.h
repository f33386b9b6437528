/* policy.h: supervision policy as pure functions of (policy, history, now):
 * the restart backoff and the restart-intensity window. No syscalls, so the
 * unit tests can check them exhaustively. */
#ifndef TEND_POLICY_H
#define TEND_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/* The delay before the restart after `consecutive` earlier consecutive
 * restarts (0 for the first): min(max, min * factor^consecutive), times a
 * factor in [1 - jitter, 1] chosen by random_unit in [0, 1) (0 gives the
 * full delay, values near 1 the shortest). */
int64_t backoff_delay_ms(const struct backoff_policy *policy, unsigned consecutive,
			 double random_unit);

/* A sliding window of restart times (OTP's intensity/period): at most
 * max_restarts restarts within any period; the one more that would exceed it
 * is refused. Memory is max_restarts entries, allocated once. */
struct intensity {
	int64_t *times; /* ring, oldest at head */
	int capacity;
	int count;
	int head;
};
/* Returns 0 or -1 (no memory). max_restarts may be 0. */
int intensity_init(struct intensity *window, int max_restarts);
void intensity_free(struct intensity *window);
void intensity_clear(struct intensity *window);
/* A restart is wanted at now_ms: true (and recorded) when the window has
 * room, false when the group must give up instead. A restart at time t still
 * counts at now_ms when now_ms <= t + period_ms. */
bool intensity_allow(struct intensity *window, int64_t period_ms, int64_t now_ms);

#endif
