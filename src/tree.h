/* tree.h: tree mode: load the service tree and run it until shutdown. */
#ifndef TEND_TREE_H
#define TEND_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* `tend --check`: load and validate; print problems; 0 valid, 2 not. */
int tree_check(const struct options *options);
/* Run the tree. Returns tend's exit status (SPEC §4). */
int tree_run(const struct options *options, int signal_fd);

struct service;
struct group;

/* The root group's reports (a message handler: the root posts them, with
 * what = enum child_event): CHILD_DOWN once it is down after a stop,
 * CHILD_FAILED once it has given up, CHILD_READY/UNREADY as its readiness
 * changes. */
void tree_root_event(void *root, int what, size_t index);
/* True once a shutdown has begun (or the root gave up): no more restarts. */
bool tree_shutting_down(void);
/* A service with `main = yes` ended for good (a message handler: the
 * service posts it). */
void tree_main_ended(void *service, int what, size_t index);

/* --- for the control socket (status, metrics, commands) and reload --- */

struct config;
/* The running tree: services in config order; groups in config order,
 * tree_group(0) is the root. Valid until the next reload. */
size_t tree_service_count(void);
struct service *tree_service(size_t index);
size_t tree_group_count(void);
struct group *tree_group(size_t index);
const struct config *tree_config(void);
const struct options *tree_options(void);
/* The live and ready files' truth (SPEC §3), whether or not a health-dir
 * could be written. */
bool tree_is_live(void);
bool tree_is_ready(void);
/* When tend started: monotonic ms, and wall-clock seconds. */
long long tree_started_at_ms(void);
long long tree_started_at_wall(void);
/* `tendctl shutdown`: as SIGTERM (SPEC §4). */
void tree_shutdown(const char *why);
/* The root is started again by a tendctl start after it gave up (with
 * on-root-failure = stay): tend is live again (SPEC §2.4). */
void tree_root_restarting(void);

/* --- for reload (reload.c) --- */

struct diagnostics;
/* Load the config as at start: the same path, and the same `-- CMD`. */
struct config *tree_load_again(struct diagnostics *diagnostics);
/* Make room in the loop, the reaper and the launcher for config's tree.
 * Returns 0 or -1 (no memory). */
int tree_reserve(const struct config *config);
/* Put a reloaded tree in place: config, and arrays (malloc'd, handed
 * over) of the services and groups in its order; the previous arrays are
 * freed (not what they point to, nor the previous config: reload.c owns
 * those now). Applies log-level, opens the notify socket if needed. */
void tree_install(struct config *config, struct service **services, struct group **groups);
/* on-root-failure = stay, after the root gave up. */
bool tree_staying(void);

#endif
