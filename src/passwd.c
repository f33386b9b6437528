/* passwd.c: users and groups read straight from /etc/passwd and
 * /etc/group. getpwnam() would go through NSS, which a static binary
 * cannot load and a distroless image does not configure; the container's
 * own files are the truth for the processes we start in it. */
#include "passwd.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define PASSWD_DEFAULT "/etc/passwd"
#define GROUP_DEFAULT "/etc/group"
/* Fields of one line we look at: passwd has 7, group 4. */
#define FIELDS_MAX 7

/* A decimal id, or -1 when text is not one (ids are < 2^32 - 1). */
static long long parse_id(const char *text)
{
	if (*text == '\0' || strlen(text) > 10)
		return -1;
	for (const char *c = text; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c))
			return -1;
	long long id = strtoll(text, NULL, 10);
	return id < UINT_MAX ? id : -1;
}

/* Split line in place at ':' into at most FIELDS_MAX fields; returns how
 * many there are. */
static size_t split_fields(char *line, char **fields)
{
	line[strcspn(line, "\n")] = '\0';
	size_t count = 0;
	char *cursor = line;
	while (count < FIELDS_MAX) {
		fields[count++] = cursor;
		char *colon = strchr(cursor, ':');
		if (colon == NULL)
			break;
		*colon = '\0';
		cursor = colon + 1;
	}
	return count;
}

/* Call visit for every well-formed line with at least `minimum` fields,
 * until it returns true. Returns 1 when a visit returned true, 0 at the
 * end, -1 when the file cannot be read. */
static int scan_file(const char *path, size_t minimum,
		     bool (*visit)(char **fields, size_t count, void *context), void *context)
{
	FILE *file = fopen(path, "re");
	if (file == NULL)
		return -1;
	char *line = NULL;
	size_t size = 0;
	int found = 0;
	while (found == 0 && getline(&line, &size, file) >= 0) {
		char *fields[FIELDS_MAX];
		size_t count = split_fields(line, fields);
		if (count >= minimum && visit(fields, count, context))
			found = 1;
	}
	free(line);
	fclose(file);
	return found;
}

struct user_search {
	const char *name_or_uid;
	long long uid;        /* -1 when searching by name */
	struct user_entry *user;
	bool out_of_memory;
};

static bool fill_user(struct user_entry *user, const char *name, long long uid, long long gid,
		      const char *home, const char *shell)
{
	user->name = xstrdup(name);
	user->uid = (uid_t)uid;
	user->gid = (gid_t)gid;
	/* login(1) uses these when the fields are empty */
	user->home = xstrdup(*home ? home : "/");
	user->shell = xstrdup(*shell ? shell : "/bin/sh");
	if (user->name && user->home && user->shell)
		return true;
	user_entry_free(user);
	return false;
}

static bool visit_user(char **fields, size_t count, void *context)
{
	(void)count;
	struct user_search *search = context;
	long long uid = parse_id(fields[2]), gid = parse_id(fields[3]);
	if (uid < 0 || gid < 0)
		return false;
	bool match = search->uid >= 0 ? uid == search->uid
				      : strcmp(fields[0], search->name_or_uid) == 0;
	if (!match)
		return false;
	if (!fill_user(search->user, fields[0], uid, gid, fields[5], fields[6]))
		search->out_of_memory = true;
	return true;
}

int passwd_find_user(const char *passwd_path, const char *name_or_uid,
		     struct user_entry *user, const char **error)
{
	*user = (struct user_entry){0};
	struct user_search search = {
		.name_or_uid = name_or_uid,
		.uid = parse_id(name_or_uid),
		.user = user,
	};
	int found = scan_file(passwd_path ? passwd_path : PASSWD_DEFAULT, 7, visit_user, &search);
	if (search.out_of_memory) {
		*error = "out of memory";
		return -1;
	}
	if (found == 1)
		return 0;
	if (search.uid >= 0) {
		/* a bare uid need not be in the file (as with Docker's --user) */
		if (fill_user(user, name_or_uid, search.uid, search.uid, "/", "/bin/sh"))
			return 0;
		*error = "out of memory";
		return -1;
	}
	*error = found < 0 ? "cannot read the passwd file" : "no such user";
	return -1;
}

void user_entry_free(struct user_entry *user)
{
	free(user->name);
	free(user->home);
	free(user->shell);
	*user = (struct user_entry){0};
}

struct group_search {
	const char *name;
	long long gid;
};

static bool visit_group(char **fields, size_t count, void *context)
{
	(void)count;
	struct group_search *search = context;
	long long gid = parse_id(fields[2]);
	if (gid < 0 || strcmp(fields[0], search->name) != 0)
		return false;
	search->gid = gid;
	return true;
}

int passwd_find_group(const char *group_path, const char *name_or_gid, gid_t *gid,
		      const char **error)
{
	long long numeric = parse_id(name_or_gid);
	if (numeric >= 0) {
		*gid = (gid_t)numeric;
		return 0;
	}
	struct group_search search = {.name = name_or_gid, .gid = -1};
	int found = scan_file(group_path ? group_path : GROUP_DEFAULT, 4, visit_group, &search);
	if (found == 1) {
		*gid = (gid_t)search.gid;
		return 0;
	}
	*error = found < 0 ? "cannot read the group file" : "no such group";
	return -1;
}

struct group_name_search {
	gid_t gid;
	char *buffer;
	size_t size;
};

static bool visit_group_id(char **fields, size_t count, void *context)
{
	struct group_name_search *search = context;
	(void)count;
	if (parse_id(fields[2]) != (long long)search->gid || fields[0][0] == '\0')
		return false;
	snprintf(search->buffer, search->size, "%s", fields[0]);
	return true;
}

void passwd_group_name(const char *group_path, gid_t gid, char *buffer, size_t size)
{
	struct group_name_search search = {.gid = gid, .buffer = buffer, .size = size};
	if (scan_file(group_path ? group_path : GROUP_DEFAULT, 4, visit_group_id, &search) != 1)
		snprintf(buffer, size, "%u", (unsigned)gid);
}

struct membership_search {
	const char *user_name;
	gid_t *groups;
	size_t count, capacity;
	bool out_of_memory;
};

static bool lists_member(char *members, const char *user_name)
{
	char *state;
	for (char *member = strtok_r(members, ",", &state); member;
	     member = strtok_r(NULL, ",", &state))
		if (strcmp(member, user_name) == 0)
			return true;
	return false;
}

static void add_group(struct membership_search *search, gid_t gid)
{
	for (size_t i = 0; i < search->count; i++)
		if (search->groups[i] == gid)
			return;
	if (search->count == search->capacity) {
		size_t capacity = search->capacity ? search->capacity * 2 : 8;
		gid_t *grown = realloc(search->groups, capacity * sizeof *grown);
		if (grown == NULL) {
			search->out_of_memory = true;
			return;
		}
		search->groups = grown;
		search->capacity = capacity;
	}
	search->groups[search->count++] = gid;
}

static bool visit_membership(char **fields, size_t count, void *context)
{
	(void)count;
	struct membership_search *search = context;
	long long gid = parse_id(fields[2]);
	if (gid >= 0 && lists_member(fields[3], search->user_name))
		add_group(search, (gid_t)gid);
	return search->out_of_memory;
}

int passwd_user_groups(const char *group_path, const char *user_name, gid_t primary_gid,
		       gid_t **groups, size_t *count, const char **error)
{
	struct membership_search search = {.user_name = user_name};
	add_group(&search, primary_gid);
	/* No group file (a scratch image) means no supplementary groups. */
	scan_file(group_path ? group_path : GROUP_DEFAULT, 4, visit_membership, &search);
	if (search.out_of_memory) {
		free(search.groups);
		*error = "out of memory";
		return -1;
	}
	*groups = search.groups;
	*count = search.count;
	return 0;
}
