/* names.c: name lookup help (names.h). Stub. */
#include "names.h"

const char *names_suggest(const char *name, const char *const *candidates, size_t count)
{
	(void)name, (void)candidates, (void)count;
	return NULL;
}
