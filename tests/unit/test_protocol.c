/* test_protocol.c: the wire protocol's request parser and reply header
 * (protocol.h, doc/PROTOCOL.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/protocol.h"
#include "unit.h"

/* Parse text (no newline) from a writable copy with room for the
 * terminator the parser writes at the newline's place. */
static int parse(const char *text, struct request *request, const char **error, char **copy)
{
	size_t length = strlen(text);
	*copy = malloc(length + 1);
	ck_assert_ptr_nonnull(*copy);
	memcpy(*copy, text, length + 1);
	(*copy)[length] = '\n';
	*error = NULL;
	return protocol_parse_request(*copy, length, request, error);
}

static struct request request;

START_TEST(request_simple)
{
	char *copy;
	const char *error;
	ck_assert_int_eq(parse("tend/1 status", &request, &error, &copy), REPLY_OK);
	ck_assert_str_eq(request.command, "status");
	ck_assert_uint_eq(request.arg_count, 0);
	free(copy);
}
END_TEST

START_TEST(request_words_and_blanks)
{
	char *copy;
	const char *error;
	ck_assert_int_eq(parse("  tend/1\tstatus  web/nginx \t --json  ", &request, &error, &copy),
			 REPLY_OK);
	ck_assert_str_eq(request.command, "status");
	ck_assert_uint_eq(request.arg_count, 2);
	ck_assert_str_eq(request.args[0], "web/nginx");
	ck_assert_str_eq(request.args[1], "--json");
	free(copy);
}
END_TEST

START_TEST(request_crlf)
{
	char *copy;
	const char *error;
	ck_assert_int_eq(parse("tend/1 signal TERM a\r", &request, &error, &copy), REPLY_OK);
	ck_assert_str_eq(request.command, "signal");
	ck_assert_uint_eq(request.arg_count, 2);
	ck_assert_str_eq(request.args[1], "a");
	free(copy);
}
END_TEST

START_TEST(request_empty)
{
	static const char *const empties[] = { "", "   ", "\t", "tend/1", "tend/1   ", "\r" };
	for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
		char *copy;
		const char *error;
		ck_assert_int_eq(parse(empties[i], &request, &error, &copy), REPLY_USAGE);
		ck_assert_str_eq(error, "empty request");
		ck_assert_ptr_null(request.command);
		free(copy);
	}
}
END_TEST

START_TEST(request_version)
{
	static const char *const wrong[] = { "tend/2 status", "TEND/1 status", "tend/10 status",
					     "status", "tend/1status", "tend/ status" };
	for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
		char *copy;
		const char *error;
		ck_assert_int_eq(parse(wrong[i], &request, &error, &copy), REPLY_USAGE);
		ck_assert_ptr_nonnull(strstr(error, "unsupported protocol version"));
		free(copy);
	}
}
END_TEST

START_TEST(request_control_bytes)
{
	static const char *const bad[] = { "tend/1 status\x1b[2J", "tend/1 sta\rtus",
					   "tend/1 status \x7f", "tend/1 status caf\xc3\xa9",
					   "tend/1 stat\x01us", "\x1btend/1 status" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *copy;
		const char *error;
		ck_assert_int_eq(parse(bad[i], &request, &error, &copy), REPLY_USAGE);
		ck_assert_ptr_nonnull(strstr(error, "control"));
		free(copy);
	}
	/* A NUL inside the line: the length says there is more. */
	char line[] = "tend/1 st\0tus\n";
	const char *error;
	ck_assert_int_eq(protocol_parse_request(line, sizeof line - 2, &request, &error),
			 REPLY_USAGE);
}
END_TEST

START_TEST(request_too_long)
{
	char *line = malloc(PROTOCOL_REQUEST_MAX + 1);
	ck_assert_ptr_nonnull(line);
	memcpy(line, "tend/1 status ", 14);
	memset(line + 14, 'a', PROTOCOL_REQUEST_MAX - 14);
	const char *error;
	/* 4095 bytes and a newline: the longest request that fits. */
	ck_assert_int_eq(protocol_parse_request(line, PROTOCOL_REQUEST_MAX - 1, &request, &error),
			 REPLY_OK);
	ck_assert_uint_eq(strlen(request.args[0]), PROTOCOL_REQUEST_MAX - 1 - 14);
	memset(line + 14, 'a', PROTOCOL_REQUEST_MAX - 14);
	ck_assert_int_eq(protocol_parse_request(line, PROTOCOL_REQUEST_MAX, &request, &error),
			 REPLY_USAGE);
	ck_assert_str_eq(error, "request too long");
	free(line);
}
END_TEST

START_TEST(request_too_many_arguments)
{
	/* "tend/1 x" then PROTOCOL_ARGS_MAX (+ 1) one-letter arguments. */
	char line[PROTOCOL_REQUEST_MAX + 1];
	size_t length = (size_t)snprintf(line, sizeof line, "tend/1 x");
	for (int i = 0; i < PROTOCOL_ARGS_MAX; i++) {
		line[length++] = ' ';
		line[length++] = 'a';
	}
	const char *error;
	ck_assert_int_eq(protocol_parse_request(line, length, &request, &error), REPLY_OK);
	ck_assert_uint_eq(request.arg_count, PROTOCOL_ARGS_MAX);
	length = (size_t)snprintf(line, sizeof line, "tend/1 x");
	for (int i = 0; i <= PROTOCOL_ARGS_MAX; i++) {
		line[length++] = ' ';
		line[length++] = 'a';
	}
	ck_assert_int_eq(protocol_parse_request(line, length, &request, &error), REPLY_USAGE);
	ck_assert_str_eq(error, "too many arguments");
}
END_TEST

START_TEST(header_format)
{
	char buffer[PROTOCOL_HEADER_MAX];
	size_t length = protocol_format_header(buffer, sizeof buffer, 0, 123);
	ck_assert_uint_eq(length, strlen("tend/1 0 123\n"));
	ck_assert(memcmp(buffer, "tend/1 0 123\n", length) == 0);
	length = protocol_format_header(buffer, sizeof buffer, 0, -1);
	ck_assert(memcmp(buffer, "tend/1 0 stream\n", length) == 0);
	length = protocol_format_header(buffer, sizeof buffer, 3, 0);
	ck_assert(memcmp(buffer, "tend/1 3 0\n", length) == 0);
	ck_assert_uint_eq(protocol_format_header(buffer, 4, 0, 12), 0); /* no room */
}
END_TEST

START_TEST(header_round_trip)
{
	static const long long lengths[] = { 0, 1, 4096, 1000000, -1, 999999999999999LL };
	for (int code = 0; code <= 3; code++)
		for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
			char buffer[PROTOCOL_HEADER_MAX];
			size_t length = protocol_format_header(buffer, sizeof buffer, code,
							       lengths[i]);
			ck_assert_uint_gt(length, 0);
			ck_assert_int_eq(buffer[length - 1], '\n');
			int parsed_code = -1;
			long long parsed_length = -2;
			ck_assert_int_eq(protocol_parse_header(buffer, length - 1, &parsed_code,
							       &parsed_length),
					 0);
			ck_assert_int_eq(parsed_code, code);
			ck_assert_int_eq(parsed_length, lengths[i]);
		}
}
END_TEST

START_TEST(header_invalid)
{
	static const char *const bad[] = {
		"",		  "tend/1",	      "tend/1 ",	  "tend/1 0",
		"tend/1 0 ",	  "tend/2 0 1",	      "tend/1 x 1",	  "tend/1 0 x",
		"tend/1 -1 1",	  "tend/1 0 -1",      "tend/1 256 1",	  "tend/1 0 1 ",
		"tend/1  0 1",	  "tend/1 0  1",      "tend/1 00 1",	  "tend/1 0 01",
		"tend/1 0 streams", "tend/1 0 1234567890123456", "HTTP/1.1 200 OK",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int code = 7;
		long long length = 7;
		ck_assert_msg(protocol_parse_header(bad[i], strlen(bad[i]), &code, &length) == -1,
			      "accepted '%s'", bad[i]);
		ck_assert_int_eq(code, 7); /* untouched on failure */
		ck_assert_int_eq(length, 7);
	}
}
END_TEST

Suite *protocol_suite(void)
{
	Suite *suite = suite_create("protocol");
	TCase *requests = tcase_create("request");
	tcase_add_test(requests, request_simple);
	tcase_add_test(requests, request_words_and_blanks);
	tcase_add_test(requests, request_crlf);
	tcase_add_test(requests, request_empty);
	tcase_add_test(requests, request_version);
	tcase_add_test(requests, request_control_bytes);
	tcase_add_test(requests, request_too_long);
	tcase_add_test(requests, request_too_many_arguments);
	suite_add_tcase(suite, requests);
	TCase *headers = tcase_create("header");
	tcase_add_test(headers, header_format);
	tcase_add_test(headers, header_round_trip);
	tcase_add_test(headers, header_invalid);
	suite_add_tcase(suite, headers);
	return suite;
}
