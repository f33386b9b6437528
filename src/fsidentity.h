/* fsidentity.h: check paths as a service would, while tend reads them at
 * load time (an env-file): the filesystem uid and gid and the supplementary
 * groups become the service's for the duration, then tend's again. */
#ifndef TEND_FSIDENTITY_H
#define TEND_FSIDENTITY_H

#include <stddef.h>
#include <sys/types.h>

struct fsidentity {
	gid_t *saved_groups; /* tend's supplementary groups, restored on leave */
	int saved_count;
	uid_t saved_uid;
	gid_t saved_gid;
	int entered; /* 0 when nothing was changed (tend is not root) */
};

/* Take the service's identity for filesystem checks. Returns 0 (also when
 * tend is not root: then nothing changes, as the service cannot be another
 * user either), or -1 with errno and nothing changed. */
int fsidentity_enter(struct fsidentity *saved, uid_t uid, gid_t gid, const gid_t *groups,
		     size_t group_count);
/* Give tend its own identity back. Returns 0, or -1 if any part could not
 * be restored (never seen with the privileges enter needed). */
int fsidentity_leave(struct fsidentity *saved);

#endif
