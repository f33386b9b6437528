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
