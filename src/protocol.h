/* protocol.h: the control socket's wire protocol, version 1 (doc/PROTOCOL.md).
 *
 * One request per connection. The client sends one line:
 *     tend/1 COMMAND [ARG ...]\n
 * words separated by blanks (spaces or tabs), printable ASCII only, at most
 * PROTOCOL_REQUEST_MAX bytes with the newline. The server answers with one
 * header line and a body:
 *     tend/1 CODE LENGTH\n      then exactly LENGTH bytes, then it closes
 *     tend/1 0 stream\n         (events) then lines until the client closes
 * CODE is what tendctl exits with: 0 ok, 1 the command failed, 2 bad
 * request (usage), 3 not allowed. The body is UTF-8 text; with CODE 0 it is
 * the command's output, otherwise the error message(s), one per line.
 *
 * Pure functions: no I/O, no allocation (the fuzzer drives them). */
#ifndef TEND_PROTOCOL_H
#define TEND_PROTOCOL_H

#include <stddef.h>

#define PROTOCOL_VERSION "tend/1"

enum {
	PROTOCOL_REQUEST_MAX = 4096, /* bytes, with the newline */
	PROTOCOL_ARGS_MAX = 1024, /* arguments after the command */
	PROTOCOL_HEADER_MAX = 64,
};

enum reply_code { REPLY_OK = 0, REPLY_FAILED = 1, REPLY_USAGE = 2, REPLY_DENIED = 3 };

/* A parsed request: pointers into the line it was parsed from. */
struct request {
	const char *command;
	const char *args[PROTOCOL_ARGS_MAX];
	size_t arg_count;
};

/* Parse one request line of length bytes (without its newline; a final \r
 * is dropped). line is modified in place: the words are terminated, the
 * last one at line[length], the newline's place, which must be writable.
 * Returns REPLY_OK, or
 * REPLY_USAGE with *error set to a static message ("unsupported protocol
 * version", "empty request", "request contains a control byte", ...). */
int protocol_parse_request(char *line, size_t length, struct request *request,
			   const char **error);

/* The reply header for code and body length (length < 0: "stream") into
 * buffer; returns its length with the newline. */
size_t protocol_format_header(char *buffer, size_t size, int code, long long length);

/* The client side: parse a header line (without its newline). Returns 0 and
 * sets *code and *length (-1 for a stream), or -1 when it is not a header of
 * this version. */
int protocol_parse_header(const char *line, size_t length, int *code, long long *length_out);

#endif
