/* healthfiles.h: the Kubernetes health files (SPEC §3): `live` and `ready`
 * in health-dir. The only module that touches them.
 *
 * Each file is written to a temporary name and renamed into place, and
 * removed with unlink, so a probe sees either the whole file or none. A
 * directory that cannot be written (read-only, ENOSPC, removed) is logged
 * once per failure and tried again at the next change (or heartbeat): tend
 * keeps supervising either way. */
#ifndef TEND_HEALTHFILES_H
#define TEND_HEALTHFILES_H

#include <stdbool.h>
#include <stdint.h>

/* Create dir (with missing parents, mode 0755), remove stale files of an
 * earlier run, write `live`, and refresh its mtime every heartbeat_ms (0:
 * never). dir is kept (not copied): it must outlive healthfiles_close(). */
void healthfiles_open(const char *dir, int64_t heartbeat_ms);
/* The root's readiness (and not shutting down): write or remove `ready`. */
void healthfiles_set_ready(bool ready);
/* Whether the root supervisor is alive: write or remove `live`. */
void healthfiles_set_live(bool live);
/* Remove both files (ready first) and stop the heartbeat. */
void healthfiles_close(void);

#endif
