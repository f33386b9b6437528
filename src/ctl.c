/* ctl.c: tendctl. The control-socket commands arrive with the control
 * socket; for now the program answers --help and --version. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "autoconfig.h"
#include "probe.h"

static void ctl_help(const char *program)
{
	printf("Usage: %s [-s SOCKET] COMMAND [ARG...]\n"
	       "\n"
	       "Talks to a running tend over its control socket.\n"
	       "\n"
	       "Options:\n"
	       "  -V, --version   print the version\n"
	       "  -h, --help      print this help\n",
	       program);
}

int ctl_main(int argc, char **argv)
{
	/* First: a probe runs every few seconds and must cost next to nothing. */
	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe_main(argc - 1, argv + 1);
	const char *program = argc > 0 ? argv[0] : "tendctl";
	if (argc < 2) {
		fprintf(stderr, "%s: no command given\nTry '%s --help'.\n", program, program);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		ctl_help(program);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("tendctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "%s: unknown command: %s\nTry '%s --help'.\n", program, argv[1], program);
	return 2;
}
