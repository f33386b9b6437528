/* reload.h: apply a new config to the running tree (SPEC §5). */
#ifndef TEND_RELOAD_H
#define TEND_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct config_service;
struct config_group;

/* Load and validate the config again (the same path, and the same `--
 * CMD` as at start). Invalid: nothing changes, every `FILE:LINE: message`
 * goes to report (one per line) and to the log; returns 1. Valid: applied
 * by name (removed things stopped, new ones started, changed ones
 * restarted, unchanged ones untouched: same pid, same restart count), a
 * summary goes to report; returns 0. Refused during a shutdown (returns
 * 1, "shutting down" in report). */
int reload_run(struct strbuf *report);

/* SIGHUP from a process: reload_run, its report to the log. */
void reload_signal(void);

/* Whether a reload leaves a service or a group alone: their settings
 * are the same, `autostart` aside (it only says whether tend starts it at
 * start; a reload never starts or stops a thing that is kept). Pure. */
bool reload_service_unchanged(const struct config_service *a, const struct config_service *b);
bool reload_group_unchanged(const struct config_group *a, const struct config_group *b);

/* --- the removed services and groups, while they stop ---
 * They are children of a group of their own, outside the tree; once all
 * of it is down they are freed, with the configs they point into. */

/* Whether group is that group (events.c leaves it out of the stream). */
struct group;
bool reload_is_removed_group(const struct group *group);
/* That group's reports (tree_root_event passes on what is not the root's). */
void reload_removed_event(void *group, int what);
/* Send a signal to every removed service still running (the shutdown
 * deadline's SIGKILL). */
void reload_signal_removed(int signal_number);
/* service_check_lingering for the removed services. */
void reload_check_lingering(void);
/* Free the old configs nothing points into any more (a message handler:
 * a service posts it once it took its new settings). */
void reload_collect(void *unused, int what, size_t index);
/* Free everything reload keeps (at exit). */
void reload_release(void);

#endif
