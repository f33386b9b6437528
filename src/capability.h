/* capability.h: give a service exactly the capabilities it asked for.
 * Called in the child, after the identity switch, before exec. */
#ifndef TEND_CAPABILITY_H
#define TEND_CAPABILITY_H

#include <stdbool.h>
#include <stdint.h>

/* Set the bounding, inheritable, permitted, effective and ambient sets to
 * keep (bit n = capability n), for every capability the running kernel
 * knows. A bounding capability that cannot be dropped because the process
 * lacks CAP_SETPCAP is left when no_new_privileges will be set (then no
 * exec can gain it). Returns 0, or -1 with errno. */
int capability_keep_only(uint64_t keep, bool no_new_privileges);

#endif
