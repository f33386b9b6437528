/* pathmatch.c: file-name patterns for `include`. */
#include "pathmatch.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

bool has_wildcards(const char *pattern)
{
	for (const char *c = pattern; *c != '\0'; c++) {
		if (*c == '\\' && c[1] != '\0')
			c++;
		else if (*c == '*' || *c == '?' || *c == '[')
			return true;
	}
	return false;
}

/* Match one bracket expression at *pattern against c; advance *pattern past
 * it. Returns -1 when the bracket is not closed (then '[' is literal). */
static int match_bracket(const char **pattern, char c)
{
	const char *p = *pattern + 1;
	bool negate = *p == '!' || *p == '^';
	bool matched = false;
	if (negate)
		p++;
	for (bool first = true; *p != '\0' && (first || *p != ']'); first = false) {
		char low = *p == '\\' && p[1] ? *++p : *p;
		p++;
		char high = low;
		if (*p == '-' && p[1] != '\0' && p[1] != ']') {
			p++;
			high = *p == '\\' && p[1] ? *++p : *p;
			p++;
		}
		if ((unsigned char)c >= (unsigned char)low && (unsigned char)c <= (unsigned char)high)
			matched = true;
	}
	if (*p != ']')
		return -1;
	*pattern = p + 1;
	return matched != negate;
}

static bool match_from(const char *pattern, const char *name)
{
	while (*pattern != '\0') {
		if (*pattern == '*') {
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return true;
			for (const char *rest = name; *rest != '\0'; rest++)
				if (match_from(pattern, rest))
					return true;
			return false;
		}
		if (*name == '\0')
			return false;
		if (*pattern == '?') {
			pattern++;
			name++;
			continue;
		}
		if (*pattern == '[') {
			const char *after = pattern;
			int result = match_bracket(&after, *name);
			if (result >= 0) {
				if (!result)
					return false;
				pattern = after;
				name++;
				continue;
			}
		}
		if (*pattern == '\\' && pattern[1] != '\0')
			pattern++;
		if (*pattern != *name)
			return false;
		pattern++;
		name++;
	}
	return *name == '\0';
}

bool wildcard_match(const char *pattern, const char *name)
{
	if (name[0] == '.' && pattern[0] != '.')
		return false;
	return match_from(pattern, name);
}

struct path_list {
	char **items;
	size_t count;
	size_t capacity;
	bool failed;
};

static void list_add(struct path_list *list, char *path)
{
	if (path == NULL) {
		list->failed = true;
		return;
	}
	if (list->count + 2 > list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 16;
		char **grown = realloc(list->items, capacity * sizeof *grown);
		if (grown == NULL) {
			free(path);
			list->failed = true;
			return;
		}
		list->items = grown;
		list->capacity = capacity;
	}
	list->items[list->count++] = path;
	list->items[list->count] = NULL;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Join base and a component (base "" is the current directory). */
static char *join(const char *base, const char *component, size_t length)
{
	struct strbuf path = { 0 };
	strbuf_append(&path, base, strlen(base));
	if (base[0] != '\0' && base[strlen(base) - 1] != '/')
		strbuf_append(&path, "/", 1);
	strbuf_append(&path, component, length);
	return strbuf_take(&path);
}

static char *unescape(const char *text, size_t length)
{
	char *copy = xstrndup(text, length);
	if (copy == NULL)
		return NULL;
	char *out = copy;
	for (const char *in = copy; *in != '\0'; in++) {
		if (*in == '\\' && in[1] != '\0')
			in++;
		*out++ = *in;
	}
	*out = '\0';
	return copy;
}

/* Expand the rest of the pattern below base; matches go to list. */
static void expand(const char *base, const char *rest, struct path_list *list)
{
	while (*rest == '/')
		rest++;
	if (*rest == '\0') {
		list_add(list, xstrdup(base));
		return;
	}
	size_t length = strcspn(rest, "/");
	char *component = xstrndup(rest, length);
	if (component == NULL) {
		list->failed = true;
		return;
	}
	if (!has_wildcards(component)) {
		char *literal = unescape(rest, length);
		char *path = literal ? join(base, literal, strlen(literal)) : NULL;
		if (path != NULL && access(path, F_OK) == 0)
			expand(path, rest + length, list);
		else if (path == NULL)
			list->failed = true;
		free(path);
		free(literal);
		free(component);
		return;
	}
	DIR *directory = opendir(base[0] != '\0' ? base : ".");
	struct dirent *entry;
	while (directory != NULL && (entry = readdir(directory)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
		    !wildcard_match(component, entry->d_name))
			continue;
		char *path = join(base, entry->d_name, strlen(entry->d_name));
		if (path == NULL) {
			list->failed = true;
			break;
		}
		expand(path, rest + length, list);
		free(path);
	}
	if (directory != NULL)
		closedir(directory);
	free(component);
}

int path_expand(const char *pattern, char ***matches, size_t *count)
{
	struct path_list list = { 0 };
	expand(pattern[0] == '/' ? "/" : "", pattern, &list);
	if (list.items == NULL && !list.failed) {
		list.items = xcalloc(1, sizeof *list.items);
		list.failed = list.items == NULL;
	}
	if (list.failed) {
		for (size_t i = 0; i < list.count; i++)
			free(list.items[i]);
		free(list.items);
		return -1;
	}
	qsort(list.items, list.count, sizeof *list.items, compare_paths);
	*matches = list.items;
	*count = list.count;
	return 0;
}
