/* status.c: status and tree (status.h). Stub. */
#include "status.h"

int status_command(const struct request *request, struct strbuf *body)
{
	(void)request;
	strbuf_printf(body, "not implemented yet\n");
	return REPLY_FAILED;
}

int status_tree_command(const struct request *request, struct strbuf *body)
{
	return status_command(request, body);
}
