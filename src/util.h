/* util.h: small helpers shared by every module (allocation that survives,
 * time, string building). */
#ifndef TEND_UTIL_H
#define TEND_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock; the only clock tend schedules by. */
int64_t monotonic_ms(void);

/* Allocation that logs and returns NULL instead of aborting: PID 1 must
 * survive a failed allocation at run time, so callers check. */
void *xcalloc(size_t count, size_t size);
char *xstrdup(const char *text);
/* Duplicate at most length bytes and terminate. */
char *xstrndup(const char *text, size_t length);

/* A growable string for building messages; bounded by the caller. */
struct strbuf {
	char *data;
	size_t length;
	size_t capacity;
	bool failed;
};
void strbuf_append(struct strbuf *buffer, const char *text, size_t length);
void strbuf_printf(struct strbuf *buffer, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
/* Give the built string to the caller (NULL if any append failed). */
char *strbuf_take(struct strbuf *buffer);
void strbuf_free(struct strbuf *buffer);

/* The length of the valid UTF-8 sequence at text (2 to 4 bytes; left is
 * how many there are), with its code point in *code_point; 0 if there is
 * none (a byte below 0x80 too). A NUL also ends a sequence, so text that
 * is NUL-terminated may give SIZE_MAX for left. */
size_t utf8_sequence(const char *text, size_t left, unsigned *code_point);

/* ---- JSON strings ----
 * One escaper for the log, the event stream, service output and status;
 * each documents which of the flags it uses. Always: '"' and '\\' get a
 * backslash, bytes below 0x20 become \u00XX (lowercase hex). */
enum json_escape_flags {
	JSON_ESCAPE_DEL = 1u,   /* 0x7f as \u007f too (else kept) */
	JSON_ESCAPE_UTF8 = 2u,  /* a byte that is not part of valid UTF-8 as
				   \ufffd (else bytes >= 0x80 are kept) */
};
enum { JSON_ESCAPE_MAX = 6 };   /* the longest escape of one character */
/* The escape of the character at text (left > 0 bytes, as for
 * utf8_sequence) into out (room for JSON_ESCAPE_MAX): returns its length,
 * or 0 when the character is kept as it is. *used is how many bytes of
 * text the character is (1, or a whole valid UTF-8 sequence with
 * JSON_ESCAPE_UTF8). */
size_t json_escape_char(char *out, const char *text, size_t left, unsigned flags, size_t *used);

/* ASCII-only case-insensitive comparisons (no locale): glibc's
 * strncasecmp brings ~25 KiB of per-CPU variants into a static binary. */
int ascii_casecmp(const char *a, const char *b);
int ascii_ncasecmp(const char *a, const char *b, size_t length);

/* mkdir -p: create path and its missing parents with mode. Returns 0 (also
 * when it exists as a directory) or -1 with errno. */
int make_directories(const char *path, unsigned mode);

/* Free a NULL-terminated vector of strings and the vector. */
void string_vector_free(char **vector);

#endif
