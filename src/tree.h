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

#endif
