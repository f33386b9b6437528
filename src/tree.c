/* tree.c: tree mode (placeholder until the supervision tree lands). */
#include "tree.h"

#include <stdio.h>

#include "log.h"

int tree_check(const struct options *options)
{
	fprintf(stderr, "tend: %s: tree mode is not built yet\n", options->config_path);
	return 2;
}

int tree_run(const struct options *options, int signal_fd)
{
	(void)signal_fd;
	log_error("%s: tree mode is not built yet", options->config_path);
	return 2;
}
