/* events.h: the state changes that `tendctl events` streams (SPEC §6).
 *
 * Whoever changes something a user can see calls one of these, after the
 * change, once it is true: a service's state, pid, readiness or health; a
 * group's state or readiness; a restart scheduled (with its reason); a
 * reload; a shutdown step. `event` is a short word ("state", "ready",
 * "health", "restart", "reload", ...); `detail` is free text or NULL. The
 * publisher reads the current state of the service or group itself, so the
 * callers pass no copies. They never block and never fail the caller. */
#ifndef TEND_EVENTS_H
#define TEND_EVENTS_H

#include <stdbool.h>

struct service;
struct group;

/* Whether anybody listens: a caller that must build a detail first asks. */
bool events_wanted(void);

void events_service(const struct service *service, const char *event, const char *detail);
void events_group(const struct group *group, const char *event, const char *detail);
void events_tend(const char *event, const char *detail);

#endif
