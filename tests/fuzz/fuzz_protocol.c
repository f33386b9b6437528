/* fuzz_protocol.c: libFuzzer harness for the wire protocol (protocol.h):
 * the server's request parser and tendctl's header parser get any bytes.
 * The input is copied into a buffer of exactly its size plus the newline's
 * place (the one byte the parser may write beyond the line), so ASan sees
 * any read or write outside it. Checks what the parser promises: on
 * success a command and at most PROTOCOL_ARGS_MAX arguments, every word
 * non-empty, blank-free, printable ASCII and inside the buffer; a header
 * that parses formats back to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_word(const char *word, const char *start, size_t size)
{
	if (word < start || word >= start + size || *word == '\0')
		abort();
	for (const char *c = word; *c != '\0'; c++) {
		if (c >= start + size)
			abort();
		if (*c <= ' ' || *c >= 0x7f)
			abort();
	}
}

static struct request request;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\n';
	const char *error = NULL;
	int code = protocol_parse_request(line, size, &request, &error);
	if (code == REPLY_OK) {
		if (request.command == NULL || request.arg_count > PROTOCOL_ARGS_MAX)
			abort();
		check_word(request.command, line, size + 1);
		for (size_t i = 0; i < request.arg_count; i++)
			check_word(request.args[i], line, size + 1);
	} else if (code != REPLY_USAGE || error == NULL || *error == '\0') {
		abort();
	}
	free(line);

	/* The header parser reads exactly size bytes. */
	char *header = malloc(size ? size : 1);
	if (header == NULL)
		return 0;
	memcpy(header, data, size);
	int reply_code;
	long long length;
	if (protocol_parse_header(header, size, &reply_code, &length) == 0) {
		char again[PROTOCOL_HEADER_MAX];
		size_t again_length = protocol_format_header(again, sizeof again, reply_code, length);
		if (again_length != size + 1 || memcmp(again, header, size) != 0 ||
		    again[size] != '\n')
			abort();
	}
	free(header);
	return 0;
}
