/* control.c: the commands (control.h). Stub: replaced by the commands
 * work. */
#include "control.h"

#include <string.h>

enum access control_access_needed(const char *command)
{
	static const char *const readers[] = { "status", "tree", "events", "metrics" };
	for (size_t i = 0; i < sizeof readers / sizeof *readers; i++)
		if (strcmp(command, readers[i]) == 0)
			return ACCESS_READ;
	return ACCESS_ADMIN;
}

int control_execute(const struct request *request, struct strbuf *body)
{
	strbuf_printf(body, "%s: not implemented yet\n", request->command);
	return REPLY_FAILED;
}
