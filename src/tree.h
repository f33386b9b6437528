/* tree.h: tree mode: load the service tree and run it until shutdown. */
#ifndef TEND_TREE_H
#define TEND_TREE_H

#include "options.h"

/* `tend --check`: load and validate; print problems; 0 valid, 2 not. */
int tree_check(const struct options *options);
/* Run the tree. Returns tend's exit status (SPEC §4). */
int tree_run(const struct options *options, int signal_fd);

#endif
