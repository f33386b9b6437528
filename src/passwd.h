/* passwd.h: users and groups from the container's own /etc/passwd and
 * /etc/group, read directly (no NSS: it works in a static binary and in a
 * distroless image). */
#ifndef TEND_PASSWD_H
#define TEND_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

struct user_entry {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;
};

/* Look up a user by name or decimal uid in passwd_path (NULL: /etc/passwd).
 * Returns 0, or -1 with *error (static text). A numeric uid not in the file
 * is accepted with gid = uid, home "/" and name = the number. */
int passwd_find_user(const char *passwd_path, const char *name_or_uid,
		     struct user_entry *user, const char **error);
void user_entry_free(struct user_entry *user);
/* Look up a group by name or decimal gid in group_path (NULL: /etc/group). */
int passwd_find_group(const char *group_path, const char *name_or_gid, gid_t *gid,
		      const char **error);
/* The name of group gid in group_path (NULL: /etc/group) into buffer, or
 * its number when the file has no such group (or cannot be read). */
void passwd_group_name(const char *group_path, gid_t gid, char *buffer, size_t size);
/* The supplementary groups of user_name (every group listing it as a
 * member), plus primary_gid. *groups is malloc'd. */
int passwd_user_groups(const char *group_path, const char *user_name, gid_t primary_gid,
		       gid_t **groups, size_t *count, const char **error);

#endif
