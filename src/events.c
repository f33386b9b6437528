/* events.c: the event stream's publisher (events.h). Nobody subscribes
 * until the control socket is built: every event is dropped. */
#include "events.h"

void events_service(const struct service *service, const char *event, const char *detail)
{
	(void)service, (void)event, (void)detail;
}

void events_group(const struct group *group, const char *event, const char *detail)
{
	(void)group, (void)event, (void)detail;
}

void events_tend(const char *event, const char *detail)
{
	(void)event, (void)detail;
}
