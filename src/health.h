/* health.h: what tend knows of a service's health beyond its state
 * (SPEC §2.3 check*, watchdog, ready = notify; §2.4 health).
 *
 * The seam between the health machinery and whoever shows it (the control
 * socket's status, events, metrics): the readers call only these. A service
 * without a check and without notify carries no health state at all (its
 * health is "none", it has no status text and no check output), so that
 * health costs nothing to the services that do not use it. */
#ifndef TEND_HEALTH_H
#define TEND_HEALTH_H

struct service;

enum health { HEALTH_NONE, HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

/* "none", "unknown", "healthy", "unhealthy" (SPEC §2.4). */
const char *health_name(enum health health);
enum health service_health(const struct service *service);
/* The last STATUS= text the service sent, or NULL. */
const char *service_status_text(const struct service *service);
/* The last health check's output (bounded), or NULL. */
const char *service_check_output(const struct service *service);

#endif
