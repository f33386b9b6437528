/* health.c: a service's health as the readers see it (health.h). Until
 * checks and notify are built, every service has health "none". */
#include "health.h"

#include <stddef.h>

#include "service.h"

const char *health_name(enum health health)
{
	static const char *const names[] = {
		[HEALTH_NONE] = "none", [HEALTH_UNKNOWN] = "unknown",
		[HEALTH_HEALTHY] = "healthy", [HEALTH_UNHEALTHY] = "unhealthy",
	};
	return names[health];
}

enum health service_health(const struct service *service)
{
	(void)service;
	return HEALTH_NONE;
}

const char *service_status_text(const struct service *service)
{
	(void)service;
	return NULL;
}

const char *service_check_output(const struct service *service)
{
	(void)service;
	return NULL;
}
