/* reload.h: apply a new config to the running tree (SPEC §5). */
#ifndef TEND_RELOAD_H
#define TEND_RELOAD_H

#include "util.h"

/* Load and validate the config again (the same path, and the same `--
 * CMD` as at start). Invalid: nothing changes, every `FILE:LINE: message`
 * goes to report (one per line) and to the log; returns 1. Valid: applied
 * by name (removed things stopped, new ones started, changed ones
 * restarted, unchanged ones untouched: same pid, same restart count), a
 * summary goes to report; returns 0. Refused during a shutdown (returns
 * 1, "shutting down" in report). */
int reload_run(struct strbuf *report);

#endif
