/* fsidentity.c: tend's filesystem identity lent to a service.
 *
 * tend is single-threaded, so the credentials of its one thread are the
 * process's. The file system uid (setfsuid) is what the kernel checks for
 * path lookups and opens; changing it from 0 also drops CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and the other file capabilities from the effective
 * set, and changing it back to 0 restores them from the permitted set. The
 * supplementary groups count in those checks too, so they are swapped as
 * well (setgroups needs CAP_SETGID, unaffected by the fsuid). */
#include "fsidentity.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <unistd.h>

/* setfsuid reports no error: it returns the previous id either way. Ask
 * again with an invalid id, which changes nothing and returns the current. */
static int set_fsuid(uid_t uid)
{
	setfsuid(uid);
	return (uid_t)setfsuid((uid_t)-1) == uid ? 0 : -1;
}

static int set_fsgid(gid_t gid)
{
	setfsgid(gid);
	return (gid_t)setfsgid((gid_t)-1) == gid ? 0 : -1;
}

int fsidentity_enter(struct fsidentity *saved, uid_t uid, gid_t gid, const gid_t *groups,
		     size_t group_count)
{
	*saved = (struct fsidentity){ .saved_uid = (uid_t)setfsuid((uid_t)-1),
				      .saved_gid = (gid_t)setfsgid((gid_t)-1) };
	if (geteuid() != 0)
		return 0;
	int count = getgroups(0, NULL);
	if (count < 0)
		return -1;
	saved->saved_groups = malloc(((size_t)count + 1) * sizeof *saved->saved_groups);
	if (saved->saved_groups == NULL)
		return -1;
	if ((saved->saved_count = getgroups(count, saved->saved_groups)) < 0 ||
	    setgroups(group_count, groups) < 0) {
		int error = errno;
		free(saved->saved_groups);
		saved->saved_groups = NULL;
		errno = error;
		return -1;
	}
	saved->entered = 1;
	if (set_fsgid(gid) < 0 || set_fsuid(uid) < 0) {
		fsidentity_leave(saved);
		errno = EPERM;
		return -1;
	}
	return 0;
}

int fsidentity_leave(struct fsidentity *saved)
{
	int result = 0;
	/* fsuid first: it gives back the file capabilities */
	if (saved->entered && (set_fsuid(saved->saved_uid) < 0 || set_fsgid(saved->saved_gid) < 0 ||
			       setgroups((size_t)saved->saved_count, saved->saved_groups) < 0))
		result = -1;
	free(saved->saved_groups);
	*saved = (struct fsidentity){ 0 };
	return result;
}
