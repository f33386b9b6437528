/* argv.h: split a command line into words the way a POSIX shell splits
 * them (single quotes, double quotes with \" \\ \$ \` escapes, backslash
 * outside quotes), with no expansion except %i (the instance number) and
 * %% (a literal %); any other % is kept as written. */
#ifndef TEND_ARGV_H
#define TEND_ARGV_H

/* Returns a malloc'd NULL-terminated vector (free with string_vector_free),
 * or NULL with *error set (static text) for an unterminated quote, a
 * trailing backslash, an empty command or an empty first word. instance is
 * the number %i becomes (0 when the service has no instances). */
char **argv_split(const char *text, int instance, const char **error);

#endif
