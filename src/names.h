/* names.h: finding services and groups by the names users type. */
#ifndef TEND_NAMES_H
#define TEND_NAMES_H

#include <stddef.h>

/* Names longer than this are never compared (no suggestion for them). */
enum { NAMES_COMPARE_MAX = 255 };

/* The edit distance between a and b (insertions, deletions,
 * substitutions and swaps of two neighbours each count 1: "wbe" is 1 from
 * "web"), or SIZE_MAX when either is longer than NAMES_COMPARE_MAX. */
size_t names_distance(const char *a, const char *b);

/* The candidate among count names closest to name by edit distance, when
 * close enough to be a likely typo ("wbe" -> "web"), else NULL. A name
 * without '/' is also compared with each candidate's last path component
 * ("ngnix" -> "web/nginx"). Ties go to the earlier candidate. */
const char *names_suggest(const char *name, const char *const *candidates, size_t count);

#endif

/* --- names in the running tree (tree.h) --- */

#include <stdbool.h>

struct strbuf;

/* What a NAME typed to tendctl stands for: a service (`web/nginx`,
 * `worker.2`), every instance of an instanced service (`worker`), or a
 * group (`web`, the whole group). */
enum target_kind { TARGET_SERVICE, TARGET_INSTANCES, TARGET_GROUP };
struct target {
	enum target_kind kind;
	size_t index; /* tree_service() index; TARGET_INSTANCES: the first
			 instance; TARGET_GROUP: tree_group() index (never 0) */
};

/* Look name up in the running tree. Returns 0, or -1 when nothing has
 * that name. */
int names_resolve(const char *name, struct target *target);
/* "no service named 'wbe' (did you mean 'web'?)\n" into body. earlier:
 * how many unknown names of the same request came before; only the first
 * NAMES_SUGGESTIONS_MAX get a suggestion (a request may hold two thousand
 * names: none may cost PID 1 more than a moment). */
enum { NAMES_SUGGESTIONS_MAX = 8 };
void names_unknown(const char *name, size_t earlier, struct strbuf *body);
/* Whether the group at group_index is the group at ancestor or inside it
 * (by name: "web/workers" is inside "web"). */
bool names_group_within(size_t group_index, size_t ancestor);
/* Mark what target covers: its services in services[] (tree_service
 * indexes) and, for a group, the groups of its subtree in groups[]
 * (either may be NULL). */
void names_mark(const struct target *target, bool *services, bool *groups);
