/* protocol.c: the wire protocol (protocol.h). Stub: replaced by the
 * control-socket work. */
#include "protocol.h"

#include <stdio.h>

int protocol_parse_request(char *line, size_t length, struct request *request,
			   const char **error)
{
	(void)line, (void)length, (void)request;
	*error = "not implemented";
	return REPLY_USAGE;
}

size_t protocol_format_header(char *buffer, size_t size, int code, long long length)
{
	int n = length < 0 ? snprintf(buffer, size, PROTOCOL_VERSION " %d stream\n", code)
			   : snprintf(buffer, size, PROTOCOL_VERSION " %d %lld\n", code, length);
	return n < 0 ? 0 : (size_t)n;
}

int protocol_parse_header(const char *line, size_t length, int *code, long long *length_out)
{
	(void)line, (void)length, (void)code, (void)length_out;
	return -1;
}
