/* capability.c: the five capability sets of a service, set with libcap.
 *
 * Not libcap's IAB functions: cap_iab_set_proc() raises CAP_SETPCAP for
 * any ambient or bounding change and drops every requested bounding bit,
 * present or not, and both need CAP_SETPCAP, which a locked-down pod
 * (drop ALL, add a few) does not have. Here a capability already absent
 * from the bounding set is skipped, and ambient capabilities are raised
 * with what the kernel asks for that: the capability permitted and
 * inheritable. The child is single-threaded, so libcap's psx is not
 * needed. */
#include "autoconfig.h"
#include "capability.h"

#include <errno.h>
#include <stddef.h>
#include <sys/capability.h>
#include <unistd.h>

/* The static build links with -Wl,--wrap=fork: libcap's cap_launch(),
 * which tend never calls, is in the same object file as the functions
 * tend does call, and its reference to fork() would pull in glibc's
 * fork and atfork machinery (4 KB). tend forks with _Fork (spawn.c); this
 * is that, for a single-threaded process. */
#ifdef HAVE__FORK
pid_t __wrap_fork(void);
pid_t __wrap_fork(void)
{
	return _Fork();
}
#endif

static bool kept(uint64_t keep, cap_value_t capability)
{
	return capability < 64 && (keep & ((uint64_t)1 << capability)) != 0;
}

/* Drop from the bounding set what keep does not name. Needs CAP_SETPCAP
 * effective, raised here from the permitted set (after a switch to a
 * non-root user the effective set is empty). */
static int reduce_bounding_set(cap_t current, uint64_t keep, bool no_new_privileges)
{
	cap_flag_value_t setpcap = CAP_CLEAR;
	if (cap_get_flag(current, CAP_SETPCAP, CAP_PERMITTED, &setpcap) < 0)
		return -1;
	if (setpcap == CAP_SET &&
	    (cap_fill(current, CAP_EFFECTIVE, CAP_PERMITTED) < 0 || cap_set_proc(current) < 0))
		return -1;
	/* cap_max_bits(): the running kernel's count, not the headers' */
	for (cap_value_t capability = 0; capability < (cap_value_t)cap_max_bits(); capability++) {
		if (kept(keep, capability) || cap_get_bound(capability) != 1)
			continue; /* dropping an absent one needs CAP_SETPCAP too */
		if (setpcap != CAP_SET && no_new_privileges)
			continue; /* cannot drop; with no_new_privs no exec regains it */
		if (cap_drop_bound(capability) < 0)
			return -1;
	}
	return 0;
}

/* Permitted, effective and inheritable become keep (EPERM when keep asks
 * for one the process does not have); then ambient, which needs each
 * capability permitted and inheritable, so that it survives the exec of a
 * program without file capabilities, as root or not. */
static int set_process_sets(cap_t sets, uint64_t keep)
{
	if (cap_clear(sets) < 0)
		return -1;
	for (cap_value_t capability = 0; capability < 64; capability++) {
		if (!kept(keep, capability))
			continue;
		const cap_flag_t flags[] = { CAP_PERMITTED, CAP_EFFECTIVE, CAP_INHERITABLE };
		for (int i = 0; i < 3; i++)
			if (cap_set_flag(sets, flags[i], 1, &capability, CAP_SET) < 0)
				return -1;
	}
	if (cap_set_proc(sets) < 0 || cap_reset_ambient() < 0)
		return -1;
	for (cap_value_t capability = 0; capability < 64; capability++)
		if (kept(keep, capability) && cap_set_ambient(capability, CAP_SET) < 0)
			return -1;
	return 0;
}

int capability_keep_only(uint64_t keep, bool no_new_privileges)
{
	cap_t sets = cap_get_proc();
	if (sets == NULL)
		return -1;
	int result = reduce_bounding_set(sets, keep, no_new_privileges);
	if (result == 0)
		result = set_process_sets(sets, keep);
	int saved = errno;
	cap_free(sets);
	errno = saved;
	return result;
}
