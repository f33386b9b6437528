/* protocol.c: the wire protocol (protocol.h, doc/PROTOCOL.md). Pure
 * functions over bytes: the server, tendctl and the fuzzer share them. */
#include "protocol.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Printable ASCII or a blank: what a request may contain. NUL, other
 * control bytes, DEL and every byte over 0x7f are refused, so a name in a
 * reply or the log can never carry a terminal escape. */
static bool is_request_byte(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/* The next blank-separated word of line[*at..length), terminated in place
 * (at line[length] itself for the last one: the newline's place), or NULL
 * when only blanks are left. */
static const char *next_word(char *line, size_t *at, size_t length)
{
	size_t i = *at;
	while (i < length && is_blank(line[i]))
		i++;
	if (i == length) {
		*at = i;
		return NULL;
	}
	const char *word = line + i;
	while (i < length && !is_blank(line[i]))
		i++;
	line[i] = '\0';
	*at = i < length ? i + 1 : i;
	return word;
}

int protocol_parse_request(char *line, size_t length, struct request *request,
			   const char **error)
{
	request->command = NULL;
	request->arg_count = 0;
	if (length >= PROTOCOL_REQUEST_MAX) {
		*error = "request too long";
		return REPLY_USAGE;
	}
	/* A client may end its line with \r\n (socat crlf, telnet). */
	if (length > 0 && line[length - 1] == '\r')
		length--;
	for (size_t i = 0; i < length; i++)
		if (!is_request_byte((unsigned char)line[i])) {
			*error = "request contains a control or non-ASCII byte";
			return REPLY_USAGE;
		}
	size_t at = 0;
	const char *version = next_word(line, &at, length);
	if (version == NULL) {
		*error = "empty request";
		return REPLY_USAGE;
	}
	if (strcmp(version, PROTOCOL_VERSION) != 0) {
		*error = "unsupported protocol version (this tend speaks " PROTOCOL_VERSION ")";
		return REPLY_USAGE;
	}
	request->command = next_word(line, &at, length);
	if (request->command == NULL) {
		*error = "empty request";
		return REPLY_USAGE;
	}
	const char *arg;
	while ((arg = next_word(line, &at, length)) != NULL) {
		if (request->arg_count == PROTOCOL_ARGS_MAX) {
			request->command = NULL;
			request->arg_count = 0;
			*error = "too many arguments";
			return REPLY_USAGE;
		}
		request->args[request->arg_count++] = arg;
	}
	return REPLY_OK;
}

size_t protocol_format_header(char *buffer, size_t size, int code, long long length)
{
	int n = length < 0 ? snprintf(buffer, size, PROTOCOL_VERSION " %d stream\n", code)
			   : snprintf(buffer, size, PROTOCOL_VERSION " %d %lld\n", code, length);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

/* A decimal number of 1 to digits_max digits, no sign, no leading zeros
 * beyond a lone 0. Returns the number of bytes used, 0 when none. */
static size_t parse_decimal(const char *text, size_t length, size_t digits_max,
			    long long *value)
{
	size_t i = 0;
	long long number = 0;
	while (i < length && i < digits_max + 1 && text[i] >= '0' && text[i] <= '9') {
		number = number * 10 + (text[i] - '0');
		i++;
	}
	if (i == 0 || i > digits_max || (i > 1 && text[0] == '0'))
		return 0;
	*value = number;
	return i;
}

int protocol_parse_header(const char *line, size_t length, int *code, long long *length_out)
{
	static const char prefix[] = PROTOCOL_VERSION " ";
	size_t prefix_length = sizeof prefix - 1;
	if (length < prefix_length || memcmp(line, prefix, prefix_length) != 0)
		return -1;
	line += prefix_length;
	length -= prefix_length;
	long long value;
	size_t used = parse_decimal(line, length, 3, &value);
	if (used == 0 || value > 255 || used >= length || line[used] != ' ')
		return -1;
	int reply_code = (int)value;
	line += used + 1;
	length -= used + 1;
	static const char stream[] = "stream";
	if (length == sizeof stream - 1 && memcmp(line, stream, length) == 0) {
		*code = reply_code;
		*length_out = -1;
		return 0;
	}
	/* 15 digits: up to ~1 PB, far beyond any reply, and no overflow. */
	used = parse_decimal(line, length, 15, &value);
	if (used == 0 || used != length)
		return -1;
	*code = reply_code;
	*length_out = value;
	return 0;
}
