/* names.c: name lookup help (names.h): the "did you mean" of an unknown
 * name. No allocation: the distance keeps three rows on the stack. */
#include "names.h"

#include <stdint.h>
#include <string.h>

static size_t smallest(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* Optimal string alignment distance over two rows back (for the swap).
 * Above limit the exact value does not matter: it returns limit + 1 as
 * soon as it is sure (the lengths differ by more, or a whole row is
 * above it), so a typed name costs a few rows per candidate, not the
 * product of the lengths. */
static size_t distance_within(const char *a, const char *b, size_t limit)
{
	size_t m = strlen(a), n = strlen(b);
	if (m > NAMES_COMPARE_MAX || n > NAMES_COMPARE_MAX)
		return SIZE_MAX;
	if ((m > n ? m - n : n - m) > limit)
		return limit + 1;
	size_t rows[3][NAMES_COMPARE_MAX + 1];
	size_t *before = rows[0], *previous = rows[1], *current = rows[2];
	for (size_t j = 0; j <= n; j++)
		previous[j] = j;
	for (size_t i = 1; i <= m; i++) {
		current[0] = i;
		for (size_t j = 1; j <= n; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			current[j] = smallest(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    before[j - 2] + 1 < current[j])
				current[j] = before[j - 2] + 1;
		}
		/* a swap reaches back two rows: both must be over the limit */
		size_t lowest = SIZE_MAX;
		for (size_t j = 0; j <= n; j++) {
			if (current[j] < lowest)
				lowest = current[j];
			if (previous[j] < lowest)
				lowest = previous[j];
		}
		if (lowest > limit)
			return limit + 1;
		size_t *oldest = before;
		before = previous;
		previous = current;
		current = oldest;
	}
	return previous[n];
}

size_t names_distance(const char *a, const char *b)
{
	return distance_within(a, b, SIZE_MAX - 1);
}

/* How many edits still look like a typo of a name this long: one in a
 * short name, about one in three in longer ones, never more than three. */
static size_t tolerance(size_t length)
{
	size_t allowed = (length + 1) / 3;
	if (allowed < 1)
		allowed = 1;
	return allowed > 3 ? 3 : allowed;
}

const char *names_suggest(const char *name, const char *const *candidates, size_t count)
{
	size_t length = strlen(name);
	if (length == 0)
		return NULL;
	size_t best_distance = tolerance(length) + 1;
	const char *best = NULL;
	int plain = strchr(name, '/') == NULL;
	for (size_t i = 0; i < count; i++) {
		const char *candidate = candidates[i];
		size_t distance = distance_within(name, candidate, best_distance);
		const char *slash = strrchr(candidate, '/');
		if (plain && slash != NULL) {
			size_t tail = distance_within(name, slash + 1, best_distance);
			if (tail < distance)
				distance = tail;
		}
		if (distance < best_distance && strcmp(candidate, name) != 0) {
			best_distance = distance;
			best = candidate;
		}
	}
	return best;
}

/* --- names in the running tree --- */

#include <stdlib.h>

#include "config.h"
#include "tree.h"
#include "util.h"

int names_resolve(const char *name, struct target *target)
{
	const struct config *config = tree_config();
	if (config == NULL || name[0] == '\0')
		return -1;
	for (size_t i = 0; i < config->service_count; i++)
		if (strcmp(config->services[i].name, name) == 0) {
			*target = (struct target){ .kind = TARGET_SERVICE, .index = i };
			return 0;
		}
	for (size_t i = 0; i < config->service_count; i++)
		if (config->services[i].instance >= 0 && strcmp(config->services[i].base_name, name) == 0) {
			*target = (struct target){ .kind = TARGET_INSTANCES, .index = i };
			return 0;
		}
	for (size_t i = 1; i < config->group_count; i++)
		if (strcmp(config->groups[i].name, name) == 0) {
			*target = (struct target){ .kind = TARGET_GROUP, .index = i };
			return 0;
		}
	return -1;
}

void names_unknown(const char *name, size_t earlier, struct strbuf *body)
{
	const struct config *config = tree_config();
	size_t count = config && earlier < NAMES_SUGGESTIONS_MAX
		? config->service_count * 2 + config->group_count : 0;
	const char **candidates = count ? calloc(count, sizeof *candidates) : NULL;
	const char *suggestion = NULL;
	if (candidates != NULL) {
		size_t used = 0;
		for (size_t i = 0; i < config->service_count; i++) {
			candidates[used++] = config->services[i].name;
			if (config->services[i].instance == 0)
				candidates[used++] = config->services[i].base_name;
		}
		for (size_t i = 1; i < config->group_count; i++)
			candidates[used++] = config->groups[i].name;
		suggestion = names_suggest(name, candidates, used);
	}
	if (suggestion != NULL)
		strbuf_printf(body, "no service named '%s' (did you mean '%s'?)\n", name, suggestion);
	else
		strbuf_printf(body, "no service named '%s'\n", name);
	free(candidates);
}

bool names_group_within(size_t group_index, size_t ancestor)
{
	const struct config *config = tree_config();
	if (ancestor == 0 || group_index == ancestor)
		return true;
	const char *name = config->groups[group_index].name;
	const char *prefix = config->groups[ancestor].name;
	size_t length = strlen(prefix);
	return strncmp(name, prefix, length) == 0 && name[length] == '/';
}

void names_mark(const struct target *target, bool *services, bool *groups)
{
	const struct config *config = tree_config();
	switch (target->kind) {
	case TARGET_SERVICE:
		if (services != NULL)
			services[target->index] = true;
		return;
	case TARGET_INSTANCES: {
		const char *base = config->services[target->index].base_name;
		for (size_t i = target->index; services != NULL && i < config->service_count; i++)
			if (config->services[i].instance >= 0 &&
			    strcmp(config->services[i].base_name, base) == 0)
				services[i] = true;
		return;
	}
	case TARGET_GROUP:
		for (size_t i = 0; groups != NULL && i < config->group_count; i++)
			if (names_group_within(i, target->index))
				groups[i] = true;
		for (size_t i = 0; services != NULL && i < config->service_count; i++)
			if (names_group_within(config->services[i].group, target->index))
				services[i] = true;
		return;
	}
}
