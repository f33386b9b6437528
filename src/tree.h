/* tree.h: tree mode: load the service tree and run it until shutdown. */
#ifndef TEND_TREE_H
#define TEND_TREE_H

#include <stdbool.h>

#include "options.h"

/* `tend --check`: load and validate; print problems; 0 valid, 2 not. */
int tree_check(const struct options *options);
/* Run the tree. Returns tend's exit status (SPEC §4). */
int tree_run(const struct options *options, int signal_fd);

struct service;
struct group;

/* Called by the root group when it is down (after a stop) or has given up. */
void tree_root_settled(struct group *root, bool failed);
/* Called by the root group when its readiness changes. */
void tree_root_ready(struct group *root, bool ready);
/* True once a shutdown has begun (or the root gave up): no more restarts. */
bool tree_shutting_down(void);
/* Called by a service with `main = yes` when it ended for good. */
void tree_main_ended(struct service *service);

#endif
