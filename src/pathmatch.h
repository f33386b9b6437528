/* pathmatch.h: expand a file-name pattern (`*`, `?`, `[...]`, backslash
 * escapes, in any path component) into the existing paths that match, in
 * byte order. Our own, not glob(3): glob's tilde support drags NSS and the
 * resolver into a static binary, and an include pattern needs none of it. */
#ifndef TEND_PATHMATCH_H
#define TEND_PATHMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* True when name matches pattern (one path component, no '/'). A leading
 * '.' in name is matched only by a literal '.' in the pattern. */
bool wildcard_match(const char *pattern, const char *name);
/* True when the text has an unescaped wildcard character. */
bool has_wildcards(const char *pattern);

/* Expand pattern. Returns 0 with a malloc'd NULL-terminated vector (free
 * with string_vector_free; it may be empty), or -1 when memory ran out. */
int path_expand(const char *pattern, char ***matches, size_t *count);

#endif
