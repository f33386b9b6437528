/* healthcheck.h: running a service's health check (SPEC §2.3 check*).
 *
 * A check runs as the service would (user, groups, directory, environment,
 * limits, capabilities: launch_check), in a session of its own, with its
 * stdout and stderr in one pipe of which the first CHECK_OUTPUT_MAX - 1
 * bytes are kept. Checks never overlap: the next one is scheduled one
 * interval after the previous one ended. At check-timeout the check's whole
 * process group is SIGKILLed, and the timeout is a failure. Between checks
 * the service has one armed deadline and costs no wake-up. */
#ifndef TEND_HEALTHCHECK_H
#define TEND_HEALTHCHECK_H

#include <stdint.h>

struct health_state;

void check_init(struct health_state *state);
/* Run the next check delay_ms from now (none may be running). */
void check_schedule(struct health_state *state, int64_t delay_ms);
/* No more checks: cancel the next one, kill a running one. */
void check_cancel(struct health_state *state);

#endif
