/* names.h: finding services and groups by the names users type. */
#ifndef TEND_NAMES_H
#define TEND_NAMES_H

#include <stddef.h>

/* The candidate among count names closest to name by edit distance, when
 * close enough to be a likely typo ("wbe" -> "web"), else NULL. */
const char *names_suggest(const char *name, const char *const *candidates, size_t count);

#endif
