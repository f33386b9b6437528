/* util.c: small helpers shared by every module. */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int64_t monotonic_ms(void)
{
	struct timespec now;
	/* CLOCK_MONOTONIC cannot fail with a valid clock id and pointer. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void *xcalloc(size_t count, size_t size)
{
	void *memory = calloc(count ? count : 1, size ? size : 1);
	if (memory == NULL)
		log_error("out of memory (%zu x %zu bytes)", count, size);
	return memory;
}

char *xstrndup(const char *text, size_t length)
{
	char *copy = malloc(length + 1);
	if (copy == NULL) {
		log_error("out of memory (%zu bytes)", length + 1);
		return NULL;
	}
	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}

char *xstrdup(const char *text)
{
	return text == NULL ? NULL : xstrndup(text, strlen(text));
}

void strbuf_append(struct strbuf *buffer, const char *text, size_t length)
{
	if (buffer->failed)
		return;
	if (buffer->length + length + 1 > buffer->capacity) {
		size_t capacity = buffer->capacity ? buffer->capacity : 64;
		while (capacity < buffer->length + length + 1)
			capacity *= 2;
		char *grown = realloc(buffer->data, capacity);
		if (grown == NULL) {
			buffer->failed = true;
			return;
		}
		buffer->data = grown;
		buffer->capacity = capacity;
	}
	memcpy(buffer->data + buffer->length, text, length);
	buffer->length += length;
	buffer->data[buffer->length] = '\0';
}

void strbuf_printf(struct strbuf *buffer, const char *format, ...)
{
	char stack[256];
	va_list arguments;
	va_start(arguments, format);
	int length = vsnprintf(stack, sizeof stack, format, arguments);
	va_end(arguments);
	if (length < 0) {
		buffer->failed = true;
		return;
	}
	if ((size_t)length < sizeof stack) {
		strbuf_append(buffer, stack, (size_t)length);
		return;
	}
	char *heap = malloc((size_t)length + 1);
	if (heap == NULL) {
		buffer->failed = true;
		return;
	}
	va_start(arguments, format);
	vsnprintf(heap, (size_t)length + 1, format, arguments);
	va_end(arguments);
	strbuf_append(buffer, heap, (size_t)length);
	free(heap);
}

char *strbuf_take(struct strbuf *buffer)
{
	char *data = buffer->failed ? NULL : buffer->data;
	if (data == NULL && !buffer->failed)
		data = xstrdup("");
	if (buffer->failed)
		free(buffer->data);
	*buffer = (struct strbuf){0};
	return data;
}

void strbuf_free(struct strbuf *buffer)
{
	free(buffer->data);
	*buffer = (struct strbuf){0};
}

size_t utf8_sequence(const char *text, size_t left, unsigned *code_point)
{
	const unsigned char *bytes = (const unsigned char *)text;
	unsigned char first = bytes[0];
	size_t length = first >= 0xc2 && first <= 0xdf ? 2 : first >= 0xe0 && first <= 0xef ? 3 :
			first >= 0xf0 && first <= 0xf4 ? 4 : 0;
	if (length == 0 || left < length)
		return 0;
	unsigned code = first & (0x7fu >> length);
	for (size_t i = 1; i < length; i++) {
		if ((bytes[i] & 0xc0) != 0x80)
			return 0; /* also at a terminating NUL */
		code = code << 6 | (bytes[i] & 0x3fu);
	}
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((length == 3 && code < 0x800) || (length == 4 && (code < 0x10000 || code > 0x10ffff)) ||
	    (code >= 0xd800 && code <= 0xdfff))
		return 0;
	*code_point = code;
	return length;
}

size_t json_escape_char(char *out, const char *text, size_t left, unsigned flags, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)text[0];
	unsigned code = c;
	*used = 1;
	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c >= 0x80 && (flags & JSON_ESCAPE_UTF8)) {
		size_t length = utf8_sequence(text, left, &code);
		if (length > 0) {
			*used = length;
			return 0;
		}
		code = 0xfffd;
	} else if (c >= 0x20 && !(c == 0x7f && (flags & JSON_ESCAPE_DEL))) {
		return 0;
	}
	memcpy(out, "\\u", 2);
	for (int i = 0; i < 4; i++)
		out[2 + i] = hex[(code >> (12 - 4 * i)) & 0xf];
	return JSON_ESCAPE_MAX;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int ascii_ncasecmp(const char *a, const char *b, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		int difference = ascii_lower((unsigned char)a[i]) - ascii_lower((unsigned char)b[i]);
		if (difference != 0 || a[i] == '\0')
			return difference;
	}
	return 0;
}

int ascii_casecmp(const char *a, const char *b)
{
	return ascii_ncasecmp(a, b, (size_t)-1);
}

void string_vector_free(char **vector)
{
	if (vector == NULL)
		return;
	for (char **item = vector; *item != NULL; item++)
		free(*item);
	free(vector);
}

int make_directories(const char *path, unsigned mode)
{
	char partial[4096];
	size_t length = strlen(path);
	if (length == 0 || length >= sizeof partial) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(partial, path, length + 1);
	/* Each prefix that ends before a '/', then the whole path. */
	for (char *slash = partial + 1;; slash++) {
		if (*slash != '/' && *slash != '\0')
			continue;
		char saved = *slash;
		*slash = '\0';
		if (mkdir(partial, (mode_t)mode) < 0 && errno != EEXIST)
			return -1;
		*slash = saved;
		if (saved == '\0')
			break;
	}
	struct stat status;
	if (stat(path, &status) < 0)
		return -1;
	if (!S_ISDIR(status.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}
